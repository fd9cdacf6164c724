package org.xsplice.hv;

import java.io.IOException;
import java.io.Serial;

/** The hypervisor ended (crashed or was stopped) while a request was outstanding. */
public final class HypervisorCrashedException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final transient ExitStatus status;

    public HypervisorCrashedException(final String name, final ExitStatus status) {
        super("hypervisor " + name + " " + status);
        this.status = status;
    }

    /** {@return how it ended} */
    public ExitStatus status() {
        return status;
    }
}
