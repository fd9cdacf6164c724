package org.xsplice.elf;

/**
 * The object file type, {@code e_type} (gABI "ELF Header").
 *
 * <p>Every value the field can hold is representable: {@link #of(int)} returns the
 * {@link Known} constant for a value the toolkit knows and an {@link Unknown} otherwise, so a
 * file with a value from a newer ABI still reads. Known constants are canonical, so {@code ==}
 * compares them; a pattern switch over this type is exhaustive.
 *
 * @see <a href="https://www.sco.com/developers/gabi/latest/contents.html">System V gABI</a>
 */
public sealed interface ObjectType permits ObjectType.Known, ObjectType.Unknown {

    /** {@return the numeric value as stored in the file} */
    int code();

    /** {@return the ABI name, e.g. {@code ET_REL}, or a hexadecimal form for unknown values} */
    String name();

    /** {@return the type for {@code code}: a {@link Known} constant when the value is known} */
    static ObjectType of(final int code) {
        final Known k = Known.lookup(code);
        return null != k ? k : new Unknown(code);
    }

    /** The values named by the specifications this toolkit follows. */
    enum Known implements ObjectType {
        /** No file type. */
        ET_NONE(0),
        /** Relocatable object. */
        ET_REL(1),
        /** Executable. */
        ET_EXEC(2),
        /** Shared object or position-independent executable. */
        ET_DYN(3),
        /** Core file. */
        ET_CORE(4);

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
    record Unknown(int code) implements ObjectType {
        @Override
        public String name() {
            return String.format("ET_0x%x", code);
        }
    }
}
