package org.xsplice.hypervisor.symbols;

import java.io.Serial;

import org.xsplice.payload.Errno;

/** A name or address that no symbol table knows, or a name that is ambiguous or malformed. */
public final class SymbolException extends IllegalArgumentException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    public SymbolException(final Errno errno, final String message) {
        super(message);
        this.errno = errno;
    }

    /** {@return ENOENT for an unknown symbol, EINVAL for a malformed or ambiguous expression} */
    public Errno errno() {
        return errno;
    }
}
