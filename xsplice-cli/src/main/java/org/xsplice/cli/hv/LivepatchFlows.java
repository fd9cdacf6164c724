package org.xsplice.cli.hv;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.backend.LivepatchBackend;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Response;
import org.xsplice.payload.Errno;

/**
 * The {@code xen-livepatch} flows shared by {@code xl livepatch} and {@code xen-xsplice}, on
 * either {@link LivepatchBackend}, with {@code xen-livepatch}'s words: an asynchronous action is
 * requested and waited for, printing {@code Applying NAME... completed}, or {@code ... failed} and
 * {@code Error 16: Device or resource busy} on the error stream. Exit codes: 0, 1, 2 for EAGAIN/EBUSY.
 */
public final class LivepatchFlows {
    private LivepatchFlows() {
    }

    /** {@return the payload name {@code load FILE} uses: the file's base name without its extension (Xen's rule)} */
    public static String nameOf(final Path file) {
        final String base = file.getFileName().toString();
        final int dot = base.lastIndexOf('.');
        return dot > 0 ? base.substring(0, dot) : base;
    }

    /**
     * Runs one action and waits for its outcome.
     *
     * @param timeoutNs the rendezvous timeout sent (0 = the hypervisor's 30 ms)
     * @return the exit code
     * @throws ControlException a refusal answered at once (printed by the caller)
     */
    public static int action(final LivepatchBackend b, final PrintWriter out, final PrintWriter err,
                             final LivepatchBackend.Action action, final String name, final boolean nodeps,
                             final long timeoutNs) throws IOException {
        out.printf("%s %s... ", action.progress(), name);
        out.flush();
        final Response.PayloadStatus s;
        try {
            s = b.act(action, name, nodeps, timeoutNs);
        } catch (final ControlException e) {
            out.println("failed");
            out.flush();
            throw e;
        }
        if (0 == s.rc() && action.outcome() == s.state()) {
            out.println("completed");
            out.flush();
            return ExitCodes.OK;
        }
        out.println("failed");
        out.flush();
        err.printf("Error %d: %s%n", -s.rc(), Errno.of(s.rc()).map(Errno::text).orElse("errno " + -s.rc()));
        err.flush();
        return -Errno.EAGAIN.number() == s.rc() || -Errno.EBUSY.number() == s.rc() ? ExitCodes.RETRY : ExitCodes.ERROR;
    }

    /**
     * {@code load FILE} (and {@code replace FILE}): upload, then apply (or replace); unload again
     * when that fails (Xen's {@code xen-livepatch load}).
     */
    public static int load(final LivepatchBackend b, final PrintWriter out, final PrintWriter err, final Path file,
                           final LivepatchBackend.Action action, final boolean nodeps, final long timeoutNs)
            throws IOException {
        final String name = nameOf(file);
        upload(b, out, name, file, Files.readAllBytes(file));
        int rc;
        try {
            rc = action(b, out, err, action, name, nodeps, timeoutNs);
        } catch (final ControlException e) {
            unloadQuietly(b, out, name);
            throw e;
        }
        if (ExitCodes.OK != rc) {
            unloadQuietly(b, out, name);
        }
        return rc;
    }

    /** Uploads, printing {@code Uploading FILE... completed} or {@code ... failed} as {@code xen-livepatch} does. */
    public static void upload(final LivepatchBackend b, final PrintWriter out, final String name, final Path file,
                              final byte[] bytes) throws IOException {
        out.printf("Uploading %s... ", file);
        out.flush();
        try {
            b.upload(name, bytes);
        } catch (final ControlException e) {
            out.println("failed");
            out.flush();
            throw e;
        }
        out.println("completed");
        out.flush();
    }

    /** Unloads, printing {@code Unloading NAME... completed}; a refusal is thrown for the caller to print. */
    public static int unload(final LivepatchBackend b, final PrintWriter out, final String name) throws IOException {
        out.printf("Unloading %s... ", name);
        out.flush();
        b.unload(name);
        out.println("completed");
        return ExitCodes.OK;
    }

    private static void unloadQuietly(final LivepatchBackend b, final PrintWriter out, final String name)
            throws IOException {
        out.printf("Unloading %s... ", name);
        try {
            b.unload(name);
            out.println("completed");
        } catch (final ControlException e) {
            out.println("failed: " + e.errno() + ": " + e.getMessage());
        }
        out.flush();
    }

    /** {@return Xen's list table; "Nothing to list" when empty} */
    public static String table(final List<Response.PayloadStatus> ps) {
        if (ps.isEmpty()) {
            return "Nothing to list\n";
        }
        // Xen's three columns; a fourth only where the hypervisor checked signatures.
        final boolean trust = ps.stream().anyMatch(p -> !p.signature().isEmpty());
        final StringBuilder sb = new StringBuilder(String.format(" %-39s| %-11s| %s%s%n", "ID", "status", "metadata",
                trust ? " | signature" : ""));
        sb.append("-".repeat(40)).append('+').append("-".repeat(12)).append('+').append("-".repeat(15))
                .append(trust ? "+" + "-".repeat(30) : "").append('\n');
        for (final Response.PayloadStatus p : ps) {
            // xen-livepatch: the state, then " (errno, strerror)" when the last action failed, then 4 spaces.
            final String status = 0 == p.rc() ? p.status()
                    : p.status() + " (" + -p.rc() + ", " + Errno.of(p.rc()).map(Errno::text).orElse("errno " + -p.rc()) + ")";
            sb.append(String.format("%-40s| %s    | %s%s%n", p.name(), status, p.metadata(),
                    trust ? " | " + (p.signature().isEmpty() ? "unknown" : p.signature()) : ""));
        }
        return sb.toString();
    }
}
