package org.xsplice.elf;

import java.util.List;
import java.util.Optional;

import org.xsplice.elf.internal.UnboundRelocationSectionImpl;

/**
 * The relocations that apply to one section: an {@code SHT_RELA} (or {@code SHT_REL}) section
 * seen through its {@code sh_link} (the symbol table) and {@code sh_info} (the target section)
 * (gABI "Relocation", "Sections": table "sh_link and sh_info Interpretation").
 *
 * <p>As an element, the writer emits one {@code .rela<target name>} section per target, linked
 * to the written symbol table, with entries for every relocation given for that target. When
 * the target is not written, its relocations are dropped with it.
 */
public non-sealed interface RelocationSection extends ElfElement {
    /** {@return the {@code SHT_RELA}/{@code SHT_REL} section itself; empty for an unbound one} */
    Optional<ElfSection> section();

    /** {@return the section the relocations apply to; empty when {@code sh_info} is 0 (e.g. {@code .rela.dyn})} */
    Optional<ElfSection> target();

    /** {@return the symbol table the entries index; empty when {@code sh_link} is 0 or unbound} */
    Optional<SymbolTable> symbolTable();

    /**
     * {@return the relocations, in file order}
     *
     * @throws ElfFormatException if an entry is malformed (e.g. its symbol index is out of range)
     */
    List<Relocation> relocations();

    /** {@return an unbound relocation section applying {@code relocations} to {@code target}} */
    static RelocationSection of(final ElfSection target, final List<Relocation> relocations) {
        return new UnboundRelocationSectionImpl(target, List.copyOf(relocations));
    }
}
