package org.xsplice.cli.hv;

import java.io.IOException;
import java.util.Map;

import org.xsplice.cli.backend.BackendKind;
import org.xsplice.cli.backend.LivepatchBackend;
import org.xsplice.cli.backend.ReferenceBackend;
import org.xsplice.cli.backend.XenBackend;
import org.xsplice.hv.control.ControlException;

import picocli.CommandLine.Option;

/**
 * {@code --backend auto|reference|xen} on the top command of {@code xl} and {@code xen-xsplice}:
 * which hypervisor their commands drive (default: {@code $XSPLICE_BACKEND}, else Xen in a Xen
 * dom0 and the reference hypervisor elsewhere).
 */
public final class BackendOption {
    @Option(names = "--backend", paramLabel = "KIND", defaultValue = "auto",
            description = "Hypervisor to drive: auto (Xen in a Xen dom0, else the reference hypervisor), "
                    + "reference or xen; default $" + BackendKind.ENV + ", else auto")
    BackendKind kind = BackendKind.AUTO;

    /** {@return the chosen backend, connected} */
    public LivepatchBackend open(final Map<String, String> env) throws ControlException {
        return kind.open(env);
    }

    /**
     * {@return the reference hypervisor's connection, for the requests real Xen has no libxenctrl
     * call for here} Throws EOPNOTSUPP on another backend, naming the tool to use instead.
     */
    public static ReferenceBackend reference(final LivepatchBackend b, final String what) throws IOException {
        return switch (b) {
            case ReferenceBackend r -> r;
            case XenBackend _ -> throw new ControlException("EOPNOTSUPP",
                    what + " drives only the reference hypervisor; on Xen use the distribution's xl " + what);
        };
    }
}
