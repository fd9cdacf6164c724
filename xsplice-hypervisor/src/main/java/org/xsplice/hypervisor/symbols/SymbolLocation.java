package org.xsplice.hypervisor.symbols;

import java.util.Objects;

/**
 * An address expressed as a symbol and an offset into it.
 *
 * @param symbol the symbol containing the address
 * @param offset the distance from the symbol's start
 */
public record SymbolLocation(Symbol symbol, long offset) {
    public SymbolLocation {
        Objects.requireNonNull(symbol, "symbol");
    }

    /** {@return the address this location stands for} */
    public long address() {
        return symbol.address() + offset;
    }

    /** {@return Xen's form: {@code do_domctl+0xf/0x1a0}, or {@code name+0x0/0x10 [payload]} for payload code} */
    @Override
    public String toString() {
        return symbol.qualifiedName() + "+0x" + Long.toHexString(offset) + "/0x" + Long.toHexString(symbol.size())
                + symbol.payload().map(p -> " [" + p + "]").orElse("");
    }

    /** {@return the form {@code xl symbol} prints: {@code <do_domctl>+0xf/0x1a0}} */
    public String bracketed() {
        return "<" + symbol.qualifiedName() + ">+0x" + Long.toHexString(offset) + "/0x" + Long.toHexString(symbol.size())
                + symbol.payload().map(p -> " [" + p + "]").orElse("");
    }
}
