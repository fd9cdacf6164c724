package org.xsplice.elf;

/**
 * A section's type, {@code sh_type} (gABI "Sections", x86-64 psABI 4.2).
 *
 * <p>Every value the field can hold is representable: {@link #of(int)} returns the
 * {@link Known} constant for a value the toolkit knows and an {@link Unknown} otherwise, so a
 * file with a value from a newer ABI still reads. Known constants are canonical, so {@code ==}
 * compares them; a pattern switch over this type is exhaustive.
 *
 * @see <a href="https://www.sco.com/developers/gabi/latest/contents.html">System V gABI</a>
 */
public sealed interface SectionType permits SectionType.Known, SectionType.Unknown {

    /** {@return the numeric value as stored in the file} */
    int code();

    /** {@return the ABI name, e.g. {@code SHT_PROGBITS}, or a hexadecimal form for unknown values} */
    String name();

    /** {@return the type for {@code code}: a {@link Known} constant when the value is known} */
    static SectionType of(final int code) {
        final Known k = Known.lookup(code);
        return null != k ? k : new Unknown(code);
    }

    /** The values named by the specifications this toolkit follows. */
    enum Known implements SectionType {
        /** Inactive header (index 0). */
        SHT_NULL(0),
        /** Program-defined contents. */
        SHT_PROGBITS(1),
        /** Symbol table. */
        SHT_SYMTAB(2),
        /** String table. */
        SHT_STRTAB(3),
        /** Relocations with explicit addends. */
        SHT_RELA(4),
        /** Symbol hash table. */
        SHT_HASH(5),
        /** Dynamic linking information. */
        SHT_DYNAMIC(6),
        /** Notes. */
        SHT_NOTE(7),
        /** Occupies no file space (e.g. {@code .bss}). */
        SHT_NOBITS(8),
        /** Relocations without addends. */
        SHT_REL(9),
        /** Reserved. */
        SHT_SHLIB(10),
        /** Dynamic symbol table. */
        SHT_DYNSYM(11),
        /** Array of initialisation function pointers. */
        SHT_INIT_ARRAY(14),
        /** Array of termination function pointers. */
        SHT_FINI_ARRAY(15),
        /** Array of pre-initialisation function pointers. */
        SHT_PREINIT_ARRAY(16),
        /** Section group. */
        SHT_GROUP(17),
        /** Extended section indices of a symbol table. */
        SHT_SYMTAB_SHNDX(18),
        /** Relative relocations, compact form. */
        SHT_RELR(19),
        /** GNU stack-frame (SFrame) data. */
        SHT_GNU_SFRAME(0x6ffffff4),
        /** GNU object attributes. */
        SHT_GNU_ATTRIBUTES(0x6ffffff5),
        /** GNU-style symbol hash table. */
        SHT_GNU_HASH(0x6ffffff6),
        /** Prelink library list. */
        SHT_GNU_LIBLIST(0x6ffffff7),
        /** DSO content checksum. */
        SHT_CHECKSUM(0x6ffffff8),
        /** Version definitions. */
        SHT_GNU_VERDEF(0x6ffffffd),
        /** Version needs. */
        SHT_GNU_VERNEED(0x6ffffffe),
        /** Version symbol table. */
        SHT_GNU_VERSYM(0x6fffffff),
        /** x86-64 unwind information (psABI 4.2.1). */
        SHT_X86_64_UNWIND(0x70000001);

        private static final CodeIndex<Known> BY_CODE = new CodeIndex<>(values(), Known::code);

        private final int code;

        Known(final int code) {
            this.code = code;
        }

        @Override
        public int code() {
            return code;
        }

        static Known lookup(final int code) {
            return BY_CODE.get(code);
        }
    }

    /**
     * A value this toolkit has no name for.
     *
     * @param code the numeric value as stored in the file
     */
    record Unknown(int code) implements SectionType {
        @Override
        public String name() {
            return String.format("SHT_0x%x", code);
        }
    }
}
