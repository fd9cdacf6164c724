package org.xsplice.elf;

/**
 * The ELF file header, {@code Elf64_Ehdr} (gABI "ELF Header"). As an element given to a builder
 * it sets {@code EI_OSABI}, {@code EI_ABIVERSION} and {@code e_flags} of the written object;
 * the writer computes every other field.
 *
 * <p>For files using extended numbering ({@code e_shnum == 0}, {@code e_shstrndx == SHN_XINDEX},
 * {@code e_phnum == PN_XNUM}) the counts and index here are the resolved values read from
 * section header 0.
 *
 * @param type                   {@code e_type}
 * @param machine                {@code e_machine}; always {@link #EM_X86_64} for a file this toolkit reads
 * @param version                {@code e_version}
 * @param entry                  {@code e_entry}, the entry point or 0
 * @param programHeaderOffset    {@code e_phoff}
 * @param sectionHeaderOffset    {@code e_shoff}
 * @param flags                  {@code e_flags}
 * @param headerSize             {@code e_ehsize}
 * @param programHeaderEntrySize {@code e_phentsize}
 * @param programHeaderCount     {@code e_phnum}, resolved
 * @param sectionHeaderEntrySize {@code e_shentsize}
 * @param sectionHeaderCount     {@code e_shnum}, resolved
 * @param sectionNameIndex       {@code e_shstrndx}, resolved
 * @param osAbi                  {@code e_ident[EI_OSABI]}
 * @param abiVersion             {@code e_ident[EI_ABIVERSION]}
 * @see <a href="https://www.sco.com/developers/gabi/latest/ch4.eheader.html">gABI: ELF Header</a>
 */
public record ElfHeader(ObjectType type, int machine, int version, long entry, long programHeaderOffset,
                        long sectionHeaderOffset, int flags, int headerSize, int programHeaderEntrySize,
                        int programHeaderCount, int sectionHeaderEntrySize, int sectionHeaderCount,
                        int sectionNameIndex, int osAbi, int abiVersion) implements ElfElement {
    /** {@code e_machine} of AMD64 / x86-64. */
    public static final int EM_X86_64 = 62;
    /** Size of {@code Elf64_Ehdr}. */
    public static final int SIZE = 64;
    /** Size of {@code Elf64_Shdr}. */
    public static final int SECTION_HEADER_SIZE = 64;
    /** Size of {@code Elf64_Phdr}. */
    public static final int PROGRAM_HEADER_SIZE = 56;

    /** {@return a header for a relocatable x86-64 object with OSABI NONE and no flags} */
    public static ElfHeader ofRelocatable() {
        return new ElfHeader(ObjectType.Known.ET_REL, EM_X86_64, 1, 0, 0, 0, 0, SIZE, 0, 0,
                SECTION_HEADER_SIZE, 0, 0, 0, 0);
    }
}
