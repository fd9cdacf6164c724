package org.xsplice.elf.internal;

import java.util.Optional;

import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationType;

/** A relocation read from a file; the symbol index was checked against its table when decoded. */
public final class BoundRelocationImpl implements Relocation {
    private final SymbolTableImpl table;
    private final long offset;
    private final RelocationType type;
    private final long addend;
    private final int symbolIndex;

    BoundRelocationImpl(final SymbolTableImpl table, final long offset, final RelocationType type, final long addend,
                        final int symbolIndex) {
        this.table = table;
        this.offset = offset;
        this.type = type;
        this.addend = addend;
        this.symbolIndex = symbolIndex;
    }

    SymbolTableImpl table() {
        return table;
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public RelocationType type() {
        return type;
    }

    @Override
    public long addend() {
        return addend;
    }

    @Override
    public int symbolIndex() {
        return symbolIndex;
    }

    @Override
    public Optional<ElfSymbol> symbol() {
        return 0 == symbolIndex ? Optional.empty() : Optional.of(table.symbol(symbolIndex));
    }

    @Override
    public String toString() {
        return String.format("Relocation[0x%x %s sym %d %+d]", offset, type.name(), symbolIndex, addend);
    }
}
