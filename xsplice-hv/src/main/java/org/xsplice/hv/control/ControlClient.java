package org.xsplice.hv.control;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A connection to one supervisor's control socket. Not thread-safe; one request at a time. */
public final class ControlClient implements AutoCloseable {
    private final String name;
    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;

    private ControlClient(final String name, final SocketChannel channel) {
        this.name = name;
        this.channel = channel;
        this.in = Channels.newInputStream(channel);
        this.out = Channels.newOutputStream(channel);
    }

    /** Connects to the hypervisor called {@code name} in {@code run}. */
    public static ControlClient connect(final RunDirectory run, final String name) throws ControlException {
        final Path sock = run.socket(name);
        if (!Files.exists(sock)) {
            final String why = run.status(name).map(s -> "hypervisor " + name + " is not running: " + s)
                    .orElse("no hypervisor named " + name + " is running");
            throw new ControlException("ESRCH", why);
        }
        try {
            final SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(sock));
            return new ControlClient(name, ch);
        } catch (final java.nio.file.AccessDeniedException | java.net.SocketException e) {
            final String msg = String.valueOf(e.getMessage());
            if (msg.contains("ermission")) {
                throw new ControlException("EACCES", "permission denied on " + sock + " (only its owner or root may use it)");
            }
            throw new ControlException("ECONNREFUSED", "the supervisor of " + name + " is not answering on " + sock + ": " + msg);
        } catch (final IOException e) {
            throw new ControlException("ECONNREFUSED", "cannot reach the supervisor of " + name + " on " + sock + ": " + e.getMessage());
        }
    }

    /**
     * Picks the hypervisor to talk to, as {@code xl} does: {@code $XSPLICE_HV} if set, else
     * the only one running; a clear error when there is none or several.
     */
    public static String select(final RunDirectory run, final Map<String, String> env) throws ControlException {
        return select(run, env, false);
    }

    /**
     * As {@link #select(RunDirectory, Map)}; with {@code includeEnded} a hypervisor that crashed
     * (whose state is still there) counts too, for commands that clean up.
     */
    public static String select(final RunDirectory run, final Map<String, String> env, final boolean includeEnded)
            throws ControlException {
        final String named = env.get("XSPLICE_HV");
        if (null != named && !named.isEmpty()) {
            try {
                RunDirectory.checkName(named);
            } catch (final IllegalArgumentException e) {
                throw new ControlException("EINVAL", "XSPLICE_HV: " + e.getMessage());
            }
            return named;
        }
        final List<String> live = new ArrayList<>();
        final List<String> ended = new ArrayList<>();
        try {
            for (final String n : run.names()) {
                (Files.exists(run.socket(n)) ? live : ended).add(n);
            }
        } catch (final IOException e) {
            throw new ControlException("EIO", "cannot list " + run.base() + ": " + e.getMessage());
        }
        if (includeEnded) {
            live.addAll(ended);
        }
        if (live.isEmpty()) {
            final String crashed = ended.stream().map(n -> n + ": " + run.status(n).orElse("supervisor gone")).toList().toString();
            throw new ControlException("ESRCH", "no reference hypervisor is running"
                    + (ended.isEmpty() ? " (start one with: xsplice-hv start)" : "; ended: " + crashed + " (see xsplice-hv list)"));
        }
        if (live.size() > 1) {
            throw new ControlException("EINVAL", "several hypervisors are running (" + String.join(", ", live)
                    + "): choose one with XSPLICE_HV=NAME");
        }
        return live.getFirst();
    }

    public String name() {
        return name;
    }

    /** {@return the supervisor's answer, {@link Response.Failure} included} */
    public Response call(final Request request) throws IOException {
        WireCodec.writeRequest(out, request);
        return WireCodec.readResponse(in);
    }

    /**
     * {@return the answer, which must be of type {@code expected}}
     *
     * @throws ControlException carrying the errno of a {@link Response.Failure}
     */
    public <T extends Response> T call(final Request request, final Class<T> expected) throws IOException {
        final Response r;
        try {
            r = call(request);
        } catch (final java.io.EOFException e) {
            throw new ControlException("ECONNRESET", "the supervisor of " + name + " closed the connection (did the hypervisor crash?)");
        }
        if (r instanceof Response.Failure(final String errno, final String message)) {
            throw new ControlException(errno, message);
        }
        if (!expected.isInstance(r)) {
            throw new ControlException("EPROTO", "expected " + expected.getSimpleName() + " from " + name + ", got " + r);
        }
        return expected.cast(r);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
