package org.xsplice.elf;

/**
 * A program header's type, {@code p_type} (gABI "Program Header").
 *
 * <p>Every value the field can hold is representable: {@link #of(int)} returns the
 * {@link Known} constant for a value the toolkit knows and an {@link Unknown} otherwise, so a
 * file with a value from a newer ABI still reads. Known constants are canonical, so {@code ==}
 * compares them; a pattern switch over this type is exhaustive.
 *
 * @see <a href="https://www.sco.com/developers/gabi/latest/contents.html">System V gABI</a>
 */
public sealed interface SegmentType permits SegmentType.Known, SegmentType.Unknown {

    /** {@return the numeric value as stored in the file} */
    int code();

    /** {@return the ABI name, e.g. {@code PT_LOAD}, or a hexadecimal form for unknown values} */
    String name();

    /** {@return the type for {@code code}: a {@link Known} constant when the value is known} */
    static SegmentType of(final int code) {
        final Known k = Known.lookup(code);
        return null != k ? k : new Unknown(code);
    }

    /** The values named by the specifications this toolkit follows. */
    enum Known implements SegmentType {
        /** Unused entry. */
        PT_NULL(0),
        /** Loadable segment. */
        PT_LOAD(1),
        /** Dynamic linking information. */
        PT_DYNAMIC(2),
        /** Program interpreter path. */
        PT_INTERP(3),
        /** Notes. */
        PT_NOTE(4),
        /** Reserved. */
        PT_SHLIB(5),
        /** The program header table itself. */
        PT_PHDR(6),
        /** Thread-local storage template. */
        PT_TLS(7),
        /** GNU: {@code .eh_frame_hdr}. */
        PT_GNU_EH_FRAME(0x6474e550),
        /** GNU: stack executability. */
        PT_GNU_STACK(0x6474e551),
        /** GNU: read-only after relocation. */
        PT_GNU_RELRO(0x6474e552),
        /** GNU: {@code .note.gnu.property}. */
        PT_GNU_PROPERTY(0x6474e553),
        /** GNU: SFrame stack trace information. */
        PT_GNU_SFRAME(0x6474e554);

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
    record Unknown(int code) implements SegmentType {
        @Override
        public String name() {
            return String.format("PT_0x%x", code);
        }
    }
}
