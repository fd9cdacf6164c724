package org.xsplice.hypervisor;

import org.xsplice.payload.Errno;

import java.io.IOException;
import java.io.Serial;

/**
 * A system call or hypercall failed with an errno. The message names the call, what it was
 * applied to, and the errno by name: {@code "pread(/proc/42/mem @ 0x401000, 8): EIO (Input/output error)"}.
 */
public final class ErrnoException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final int errno;

    /**
     * @param call  the call and its arguments as they should appear in the message
     * @param errno the positive errno number
     */
    public ErrnoException(final String call, final int errno) {
        super(call + ": " + Errno.describe(errno));
        this.errno = errno;
    }

    /** {@return the positive errno number} */
    public int errno() {
        return errno;
    }
}
