package org.xsplice.hv.control;

import java.io.IOException;
import java.io.Serial;

/** The supervisor answered a request with {@link Response.Failure}, or could not be reached. */
public final class ControlException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String errno;

    public ControlException(final String errno, final String message) {
        super(message);
        this.errno = errno;
    }

    /** {@return the errno name the supervisor gave (ESRCH: no such hypervisor; ECONNREFUSED: supervisor gone)} */
    public String errno() {
        return errno;
    }
}
