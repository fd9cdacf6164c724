package org.xsplice.elf;

/**
 * A symbol's type, the low four bits of {@code st_info} (gABI "Symbol Table").
 *
 * <p>Every value the field can hold is representable: {@link #of(int)} returns the
 * {@link Known} constant for a value the toolkit knows and an {@link Unknown} otherwise, so a
 * file with a value from a newer ABI still reads. Known constants are canonical, so {@code ==}
 * compares them; a pattern switch over this type is exhaustive.
 *
 * @see <a href="https://www.sco.com/developers/gabi/latest/contents.html">System V gABI</a>
 */
public sealed interface SymbolType permits SymbolType.Known, SymbolType.Unknown {

    /** {@return the numeric value as stored in the file} */
    int code();

    /** {@return the ABI name, e.g. {@code STT_OBJECT}, or a hexadecimal form for unknown values} */
    String name();

    /** {@return the type for {@code code}: a {@link Known} constant when the value is known} */
    static SymbolType of(final int code) {
        final Known k = Known.lookup(code);
        return null != k ? k : new Unknown(code);
    }

    /** The values named by the specifications this toolkit follows. */
    enum Known implements SymbolType {
        /** Unspecified. */
        STT_NOTYPE(0),
        /** Data object. */
        STT_OBJECT(1),
        /** Function or other executable code. */
        STT_FUNC(2),
        /** A section, for relocations. */
        STT_SECTION(3),
        /** Source file name. */
        STT_FILE(4),
        /** Uninitialised common block. */
        STT_COMMON(5),
        /** Thread-local storage entity. */
        STT_TLS(6),
        /** GNU indirect function. */
        STT_GNU_IFUNC(10);

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
    record Unknown(int code) implements SymbolType {
        @Override
        public String name() {
            return "STT_" + code;
        }
    }
}
