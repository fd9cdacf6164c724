package org.xsplice.build.cpayload;

import java.io.Serial;

/** A payload could not be made from C: the compiler or linker failed, or an entry cannot be completed. */
public final class CPayloadException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    public CPayloadException(final String message) {
        super(message);
    }

    public CPayloadException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
