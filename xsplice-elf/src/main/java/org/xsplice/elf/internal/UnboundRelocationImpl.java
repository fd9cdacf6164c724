package org.xsplice.elf.internal;

import java.util.Objects;
import java.util.Optional;

import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationType;

/**
 * A relocation made by the user; the symbol is a reference (null: no symbol).
 *
 * @param offset       {@code r_offset}
 * @param type         the type
 * @param symbolOrNull the symbol, or null
 * @param addend       {@code r_addend}
 */
public record UnboundRelocationImpl(long offset, RelocationType type, ElfSymbol symbolOrNull, long addend)
        implements Relocation {
    public UnboundRelocationImpl {
        Objects.requireNonNull(type, "type");
    }

    @Override
    public int symbolIndex() {
        return null == symbolOrNull ? 0 : -1;
    }

    @Override
    public Optional<ElfSymbol> symbol() {
        return Optional.ofNullable(symbolOrNull);
    }
}
