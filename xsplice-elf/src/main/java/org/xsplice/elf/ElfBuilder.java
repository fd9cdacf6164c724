package org.xsplice.elf;

import java.util.List;

/**
 * Collects the elements of a relocatable object ({@code ET_REL}) to write. Given to the handler
 * of {@link Elf#build} and to each {@link ElfTransform}; it never escapes them.
 *
 * <p>Elements refer to each other by reference: a symbol to its section, a relocation to its
 * symbol, a relocation section to its target. The writer assigns every index when the handler
 * returns: section headers in the order sections were given (each group first, each
 * relocation section right after its target, then {@code .symtab}, {@code .strtab},
 * {@code .shstrtab}), symbols with locals first in the order given, and {@code sh_link} /
 * {@code sh_info} of the tables it derives. As in {@code java.lang.classfile}, no consistency
 * checks run while building; the writer checks references when it lays the object out and
 * throws {@link ElfWriteException} for a dangling one, per {@link Elf.DanglingReferencesOption}.
 *
 * {@snippet :
 * byte[] obj = Elf.of().build(b -> {
 *     ElfSection text = ElfSection.ofProgBits(".text", SectionFlag.maskOf(SHF_ALLOC, SHF_EXECINSTR), 16, code);
 *     ElfSymbol puts = ElfSymbol.undefined("puts", STB_GLOBAL, STT_NOTYPE);
 *     b.withSection(text)
 *      .withSymbol(ElfSymbol.of("hello", STB_GLOBAL, STT_FUNC, STV_DEFAULT, text, 0, code.length))
 *      .withSymbol(puts)
 *      .withRelocation(text, Relocation.of(8, R_X86_64_PLT32, puts, -4));
 * });
 * }
 */
public interface ElfBuilder {
    /**
     * Adds an element: a header (sets {@code EI_OSABI}, {@code EI_ABIVERSION}, {@code e_flags}),
     * a section, a symbol, a group, or relocations for a target section (appended to any given
     * before for the same target).
     *
     * @param element the element
     * @return this builder
     */
    ElfBuilder with(ElfElement element);

    /**
     * Adds a section.
     *
     * @return this builder
     */
    default ElfBuilder withSection(final ElfSection section) {
        return with(section);
    }

    /**
     * Adds a symbol.
     *
     * @return this builder
     */
    default ElfBuilder withSymbol(final ElfSymbol symbol) {
        return with(symbol);
    }

    /**
     * Adds relocations that apply to {@code target}.
     *
     * @return this builder
     */
    default ElfBuilder withRelocations(final ElfSection target, final List<Relocation> relocations) {
        return with(RelocationSection.of(target, relocations));
    }

    /**
     * Adds one relocation that applies to {@code target}.
     *
     * @return this builder
     */
    default ElfBuilder withRelocation(final ElfSection target, final Relocation relocation) {
        return with(RelocationSection.of(target, List.of(relocation)));
    }

    /**
     * Adds an allocated {@code SHT_NOTE} section named {@code sectionName} holding {@code notes}
     * (4-byte aligned, as {@code ld} writes {@code .note.gnu.build-id}).
     *
     * @return this builder
     */
    default ElfBuilder withNotes(final String sectionName, final ElfNote... notes) {
        return with(ElfSection.ofNotes(sectionName, SectionFlag.SHF_ALLOC.mask(), List.of(notes)));
    }
}
