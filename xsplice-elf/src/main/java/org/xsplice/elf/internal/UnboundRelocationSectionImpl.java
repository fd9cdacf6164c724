package org.xsplice.elf.internal;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.xsplice.elf.ElfSection;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationSection;
import org.xsplice.elf.SymbolTable;

/**
 * Relocations given to a builder for one target section.
 *
 * @param targetSection the section the relocations apply to
 * @param relocations   the relocations
 */
public record UnboundRelocationSectionImpl(ElfSection targetSection, List<Relocation> relocations)
        implements RelocationSection {
    public UnboundRelocationSectionImpl {
        Objects.requireNonNull(targetSection, "target");
        relocations = List.copyOf(relocations);
    }

    @Override
    public Optional<ElfSection> section() {
        return Optional.empty();
    }

    @Override
    public Optional<ElfSection> target() {
        return Optional.of(targetSection);
    }

    @Override
    public Optional<SymbolTable> symbolTable() {
        return Optional.empty();
    }
}
