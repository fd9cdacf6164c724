package org.xsplice.cli.backend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import org.xsplice.hv.control.ControlException;

/**
 * Which hypervisor the livepatch commands drive: chosen by {@code --backend}, else by
 * {@code $XSPLICE_BACKEND}, else detected. {@link #AUTO} picks {@link #XEN} in a Xen control
 * domain ({@code /proc/xen/capabilities} says {@code control_d}) and the reference hypervisor
 * everywhere else.
 */
public enum BackendKind {
    /** Xen if this is a Xen dom0, else the reference hypervisor (the default). */
    AUTO,
    /** The xsplice reference hypervisor, through its supervisor's control socket. */
    REFERENCE,
    /** Real Xen through libxenctrl (dom0 only). */
    XEN;

    /** Names the backend when no {@code --backend} is given: {@code xen}, {@code reference} or {@code auto}. */
    public static final String ENV = "XSPLICE_BACKEND";

    /** Xen's marker of the control domain in {@code /proc/xen/capabilities} (xenfs). */
    private static final String CONTROL_DOMAIN = "control_d";

    /**
     * {@return the backend to use} {@code this} if explicit, else {@code $XSPLICE_BACKEND}, else
     * detected below {@code root} (the file system root; tests pass another).
     *
     * @throws ControlException EINVAL if {@code $XSPLICE_BACKEND} names no backend
     */
    public BackendKind resolve(final Map<String, String> env, final Path root) throws ControlException {
        if (AUTO != this) {
            return this;
        }
        final String named = env.getOrDefault(ENV, "").strip();
        if (!named.isEmpty()) {
            final BackendKind k;
            try {
                k = valueOf(named.toUpperCase(Locale.ROOT));
            } catch (final IllegalArgumentException e) {
                throw new ControlException("EINVAL",
                        "$" + ENV + "=" + named + " names no backend (xen, reference, auto)");
            }
            if (AUTO != k) {
                return k;
            }
        }
        return isXenControlDomain(root) ? XEN : REFERENCE;
    }

    /** {@return the backend, connected} */
    public LivepatchBackend open(final Map<String, String> env) throws ControlException {
        return switch (resolve(env, Path.of("/"))) {
            case XEN -> XenBackend.open();
            case REFERENCE, AUTO -> ReferenceBackend.connect(env);
        };
    }

    private static boolean isXenControlDomain(final Path root) {
        final Path caps = root.resolve("proc/xen/capabilities");
        try {
            return Files.isReadable(caps)
                && Files.readString(caps, StandardCharsets.US_ASCII).contains(CONTROL_DOMAIN);
        } catch (final IOException e) {
            // Unreadable capabilities (xenfs not mounted, not Xen): not a control domain we can drive.
            return false;
        }
    }
}
