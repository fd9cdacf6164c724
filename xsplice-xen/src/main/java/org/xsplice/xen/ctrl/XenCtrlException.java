package org.xsplice.xen.ctrl;

import java.io.Serial;

import org.xsplice.payload.Errno;

/**
 * A libxenctrl call failed. Carries the C function, what it was called on and the errno it left
 * (for livepatch calls, the hypervisor's {@code -XEN_Exx} turned positive by the privcmd driver).
 */
public final class XenCtrlException extends RuntimeException
{
    @Serial
    private static final long serialVersionUID = 1L;

    private final String function;
    private final int errno;

    public XenCtrlException(final String function, final String subject, final int errno)
    {
        super(function + (subject.isEmpty() ? "" : "(" + subject + ")") + " failed: " + Errno.describe(errno));
        this.function = function;
        this.errno = errno;
    }

    public XenCtrlException(final String message, final Throwable cause)
    {
        super(message, cause);
        this.function = "";
        this.errno = 0;
    }

    /** {@return the libxenctrl function that failed, e.g. {@code xc_livepatch_upload}} */
    public String function()
    {
        return function;
    }

    /** {@return the positive errno, or 0 when the failure was not a call's (library not found)} */
    public int errno()
    {
        return errno;
    }

    /** {@return the errno's name, e.g. {@code EEXIST}} */
    public String errnoName()
    {
        return Errno.nameOf(errno);
    }
}
