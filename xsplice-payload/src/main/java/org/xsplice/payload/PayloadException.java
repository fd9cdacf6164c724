package org.xsplice.payload;

import java.util.Objects;

/**
 * A payload was refused. Carries the errno Xen would return and a message that says what was
 * wrong and where (section, symbol, relocation, offset), so the toolstack can print both.
 */
public class PayloadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    public PayloadException(final Errno errno, final String message) {
        super(Objects.requireNonNull(message));
        this.errno = Objects.requireNonNull(errno);
    }

    public PayloadException(final Errno errno, final String message, final Throwable cause) {
        super(Objects.requireNonNull(message), cause);
        this.errno = Objects.requireNonNull(errno);
    }

    /** {@return the errno the hypervisor reports for this refusal} */
    public Errno errno() {
        return errno;
    }

    /** {@return "EINVAL: message"} */
    @Override
    public String toString() {
        return errno.name() + ": " + getMessage();
    }
}
