package org.xsplice.hypervisor.symbols;

import java.util.Objects;
import java.util.Optional;

/**
 * A named address in the hypervisor or in a payload.
 *
 * @param name    the symbol's own name ({@code crash_key})
 * @param address its address in the running hypervisor
 * @param size    its size in bytes (0 when the object file gave none)
 * @param kind    function, data object or other
 * @param file    for a local (static) symbol, the source file of the STT_FILE symbol before it
 * @param payload the payload that defines it, empty for the hypervisor's own symbols
 */
public record Symbol(String name, long address, long size, Kind kind, Optional<String> file, Optional<String> payload) {

    /** What a symbol names. */
    public enum Kind {
        /** STT_FUNC */
        FUNCTION,
        /** STT_OBJECT */
        OBJECT,
        /** anything else with an address (STT_NOTYPE labels such as {@code _etext}) */
        OTHER
    }

    public Symbol {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(payload, "payload");
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size + " for symbol " + name);
        }
    }

    /** {@return a global hypervisor symbol} */
    public static Symbol global(final String name, final long address, final long size, final Kind kind) {
        return new Symbol(name, address, size, kind, Optional.empty(), Optional.empty());
    }

    /** {@return {@code file#name} for a local symbol, the plain name for a global one, as Xen's dl_sym names them} */
    public String qualifiedName() {
        return file.map(f -> f + "#" + name).orElse(name);
    }

    /** {@return whether {@code addr} lies inside this symbol (never for a zero-size symbol)} */
    public boolean contains(final long addr) {
        return Long.compareUnsigned(addr, address) >= 0 && Long.compareUnsigned(addr - address, size) < 0;
    }

    /** {@return this symbol with {@code payload} as its origin} */
    public Symbol inPayload(final String payloadName) {
        return new Symbol(name, address, size, kind, file, Optional.of(payloadName));
    }
}
