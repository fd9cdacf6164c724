package org.xsplice.elf.internal;

import java.util.Optional;

import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.SymbolBinding;
import org.xsplice.elf.SymbolType;
import org.xsplice.elf.SymbolVisibility;

/** A symbol read from a symbol table. */
public final class BoundSymbolImpl implements ElfSymbol {
    private final SymbolTableImpl table;
    private final int index;
    private final String name;
    private final long value;
    private final long size;
    private final int info;
    private final int other;
    private final int sectionIndex;
    /** Whether {@link #sectionIndex} names a real section (plain index or resolved extended index). */
    private final boolean inSection;

    BoundSymbolImpl(final SymbolTableImpl table, final int index, final String name, final long value, final long size,
                    final int info, final int other, final int sectionIndex, final boolean inSection) {
        this.table = table;
        this.index = index;
        this.name = name;
        this.value = value;
        this.size = size;
        this.info = info;
        this.other = other;
        this.sectionIndex = sectionIndex;
        this.inSection = inSection;
    }

    SymbolTableImpl table() {
        return table;
    }

    /** Whether {@link #sectionIndex()} names a section rather than a special index. */
    boolean inSection() {
        return inSection;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long value() {
        return value;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public SymbolBinding binding() {
        return SymbolBinding.of(info >>> 4);
    }

    @Override
    public SymbolType type() {
        return SymbolType.of(info & 0xf);
    }

    @Override
    public SymbolVisibility visibility() {
        return SymbolVisibility.of(other);
    }

    @Override
    public int other() {
        return other;
    }

    @Override
    public int sectionIndex() {
        return sectionIndex;
    }

    @Override
    public Optional<ElfSection> section() {
        return inSection ? Optional.of(table.model().section(sectionIndex)) : Optional.empty();
    }

    @Override
    public boolean isUndefined() {
        return !inSection && SHN_UNDEF == sectionIndex;
    }

    @Override
    public boolean isAbsolute() {
        return !inSection && SHN_ABS == sectionIndex;
    }

    @Override
    public boolean isCommon() {
        return !inSection && SHN_COMMON == sectionIndex;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public Optional<ElfSymbol> origin() {
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "ElfSymbol[" + index + " " + name + ", " + binding().name() + ", " + type().name() + "]";
    }
}
