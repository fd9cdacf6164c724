package org.xsplice.cli.hv;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.xsplice.cli.ExitCodes;
import org.xsplice.hv.control.ControlClient;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.payload.Errno;

/**
 * The {@code xen-livepatch} flows shared by {@code xl livepatch} and {@code xen-xsplice}: an
 * asynchronous action is requested, then GET is polled until its rc is no longer
 * {@code -EAGAIN} (as {@code xen-livepatch} does), printing
 * {@code Performing apply:. completed} or {@code apply failed with -16 (Device or resource busy)}.
 * Exit codes: 0, 1, 2 for EAGAIN/EBUSY.
 */
public final class LivepatchFlows {
    private static final int EAGAIN = -11;
    /** How long the client waits for an action beyond its rendezvous timeout. */
    private static final long WAIT_SLACK_NS = 30_000_000_000L;

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
     * @param verb  apply, revert or replace
     * @param want  the state that means success (2 APPLIED, 1 CHECKED)
     * @param timeoutNs the rendezvous timeout sent (0 = the hypervisor's 30 ms)
     * @return the exit code
     * @throws ControlException a refusal answered at once (printed by the caller)
     */
    public static int action(final ControlClient c, final PrintWriter out, final String verb, final Request request,
                             final String name, final int want, final long timeoutNs) throws IOException {
        out.printf("Performing %s:", verb);
        out.flush();
        Response.PayloadStatus s;
        try {
            s = c.call(request, Response.PayloadStatus.class);
        } catch (final ControlException e) {
            out.println(" failed");
            out.flush();
            throw e;
        }
        final long end = System.nanoTime() + timeoutNs + WAIT_SLACK_NS;
        long dots = 0;
        while (EAGAIN == s.rc()) {
            if (System.nanoTime() - end > 0) {
                out.println(" timed out");
                out.flush();
                throw new ControlException("EAGAIN", verb + " of " + name + " is still pending");
            }
            sleep();
            if (0 == (++dots & 127)) {
                out.print('.');
                out.flush();
            }
            s = c.call(new Request.GetPayload(name), Response.PayloadStatus.class);
        }
        if (0 == s.rc() && want == s.state()) {
            out.println(". completed");
            out.flush();
            return ExitCodes.OK;
        }
        out.println(" failed");
        out.printf("%s failed with %d (%s)%n", verb, s.rc(), Errno.of(s.rc()).map(Errno::text).orElse("errno " + -s.rc()));
        out.flush();
        return EAGAIN == s.rc() || -Errno.EBUSY.number() == s.rc() ? ExitCodes.RETRY : ExitCodes.ERROR;
    }

    /** {@code load FILE}: upload, then apply; unload again when apply fails (Xen's {@code xen-livepatch load}). */
    public static int load(final ControlClient c, final PrintWriter out, final Path file, final boolean nodeps,
                           final long timeoutNs) throws IOException {
        final String name = nameOf(file);
        final byte[] bytes = Files.readAllBytes(file);
        out.printf("Uploading %s... ", file);
        out.flush();
        c.call(new Request.Upload(name, bytes), Response.PayloadStatus.class);
        out.println("completed");
        int rc;
        try {
            rc = action(c, out, "apply", new Request.Apply(name, timeoutNs, nodeps), name, 2, timeoutNs);
        } catch (final ControlException e) {
            unloadQuietly(c, out, name);
            throw e;
        }
        if (ExitCodes.OK != rc) {
            unloadQuietly(c, out, name);
        }
        return rc;
    }

    private static void unloadQuietly(final ControlClient c, final PrintWriter out, final String name) throws IOException {
        out.print("Performing unload: ");
        try {
            c.call(new Request.Unload(name), Response.Done.class);
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
            final String status = 0 == p.rc() ? p.status()
                    : p.status() + " (" + p.rc() + ", " + Errno.of(p.rc()).map(Errno::text).orElse("errno " + -p.rc()) + ")";
            sb.append(String.format("%-40s| %-11s| %s%s%n", p.name(), status, p.metadata(),
                    trust ? " | " + (p.signature().isEmpty() ? "unknown" : p.signature()) : ""));
        }
        return sb.toString();
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(1);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the action", e);
        }
    }
}
