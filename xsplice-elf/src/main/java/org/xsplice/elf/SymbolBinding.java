package org.xsplice.elf;

/**
 * A symbol's binding, the high four bits of {@code st_info} (gABI "Symbol Table").
 *
 * <p>Every value the field can hold is representable: {@link #of(int)} returns the
 * {@link Known} constant for a value the toolkit knows and an {@link Unknown} otherwise, so a
 * file with a value from a newer ABI still reads. Known constants are canonical, so {@code ==}
 * compares them; a pattern switch over this type is exhaustive.
 *
 * @see <a href="https://www.sco.com/developers/gabi/latest/contents.html">System V gABI</a>
 */
public sealed interface SymbolBinding permits SymbolBinding.Known, SymbolBinding.Unknown {

    /** {@return the numeric value as stored in the file} */
    int code();

    /** {@return the ABI name, e.g. {@code STB_GLOBAL}, or a hexadecimal form for unknown values} */
    String name();

    /** {@return the type for {@code code}: a {@link Known} constant when the value is known} */
    static SymbolBinding of(final int code) {
        final Known k = Known.lookup(code);
        return null != k ? k : new Unknown(code);
    }

    /** The values named by the specifications this toolkit follows. */
    enum Known implements SymbolBinding {
        /** Not visible outside the object. */
        STB_LOCAL(0),
        /** Visible to every object being combined. */
        STB_GLOBAL(1),
        /** Global with lower precedence. */
        STB_WEAK(2),
        /** GNU: unique in the whole process. */
        STB_GNU_UNIQUE(10);

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
    record Unknown(int code) implements SymbolBinding {
        @Override
        public String name() {
            return "STB_" + code;
        }
    }
}
