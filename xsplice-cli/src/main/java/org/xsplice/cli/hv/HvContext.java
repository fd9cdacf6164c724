package org.xsplice.cli.hv;

import java.util.Map;

import org.xsplice.cli.ExitCodes;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.RunDirectory;

/** The environment the hypervisor commands run in: which run directory, and errno to exit code. */
public record HvContext(Map<String, String> env) {

    public RunDirectory run() {
        return RunDirectory.forCurrentUser(env);
    }

    /** {@return Xen's toolstack convention: 2 ("try again") for EAGAIN/EBUSY, else 1} */
    public static int exitCode(final ControlException e) {
        return "EAGAIN".equals(e.errno()) || "EBUSY".equals(e.errno()) ? ExitCodes.RETRY : ExitCodes.ERROR;
    }
}
