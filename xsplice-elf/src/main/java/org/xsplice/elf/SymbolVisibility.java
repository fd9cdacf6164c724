package org.xsplice.elf;

/**
 * A symbol's visibility, the low two bits of {@code st_other} (gABI "Symbol Table",
 * "Symbol Visibility"). The field has exactly these four values.
 *
 * @see <a href="https://www.sco.com/developers/gabi/latest/ch4.symtab.html">gABI: Symbol Table</a>
 */
public enum SymbolVisibility {
    /** Visibility given by the binding. */
    STV_DEFAULT,
    /** Processor-specific hidden class. */
    STV_INTERNAL,
    /** Not visible to other components. */
    STV_HIDDEN,
    /** Visible but not preemptible. */
    STV_PROTECTED;

    private static final SymbolVisibility[] VALUES = values();

    /** {@return the numeric value as stored in the low two bits of {@code st_other}} */
    public int code() {
        return ordinal();
    }

    /** {@return the visibility held by the low two bits of {@code other}} */
    public static SymbolVisibility of(final int other) {
        return VALUES[other & 3];
    }
}
