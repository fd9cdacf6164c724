package org.xsplice.cli.backend;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.xsplice.hv.control.ControlClient;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.hv.control.RunDirectory;
import org.xsplice.payload.Errno;

/**
 * The xsplice reference hypervisor, reached through its supervisor's control socket; which one
 * is chosen by {@code $XSPLICE_HV} (default: the only one running).
 */
public final class ReferenceBackend implements LivepatchBackend {
    /** How long the client waits for an action beyond its rendezvous timeout. */
    private static final long WAIT_SLACK_NS = 30_000_000_000L;

    private final ControlClient client;
    private final String name;

    private ReferenceBackend(final ControlClient client, final String name) {
        this.client = client;
        this.name = name;
    }

    /** Connects to the hypervisor {@code $XSPLICE_HV} names in {@code env}, or the only one running. */
    public static ReferenceBackend connect(final Map<String, String> env) throws ControlException {
        final RunDirectory run = RunDirectory.forCurrentUser(env);
        final String name = ControlClient.select(run, env);
        return new ReferenceBackend(ControlClient.connect(run, name), name);
    }

    /** {@return the control connection, for the requests only the reference hypervisor answers} */
    public ControlClient client() {
        return client;
    }

    @Override
    public String description() {
        return "reference hypervisor " + name;
    }

    @Override
    public List<Response.Field> info() throws IOException {
        return client.call(new Request.Info(), Response.InfoReply.class).fields();
    }

    @Override
    public void upload(final String payload, final byte[] bytes) throws IOException {
        client.call(new Request.Upload(payload, bytes), Response.PayloadStatus.class);
    }

    @Override
    public Response.PayloadStatus get(final String payload) throws IOException {
        return client.call(new Request.GetPayload(payload), Response.PayloadStatus.class);
    }

    @Override
    public List<Response.PayloadStatus> list() throws IOException {
        return client.call(new Request.ListPayloads(), Response.PayloadList.class).payloads();
    }

    /** Sends the action, then polls GET until its rc is no longer {@code -EAGAIN}, as {@code xen-livepatch} does. */
    @Override
    public Response.PayloadStatus act(final Action action, final String payload, final boolean nodeps,
                                      final long timeoutNs) throws IOException {
        final Request request = switch (action) {
            case APPLY -> new Request.Apply(payload, timeoutNs, nodeps);
            case REVERT -> new Request.Revert(payload, timeoutNs);
            case REPLACE -> new Request.Replace(payload, timeoutNs);
        };
        Response.PayloadStatus s = client.call(request, Response.PayloadStatus.class);
        final long end = System.nanoTime() + timeoutNs + WAIT_SLACK_NS;
        while (-Errno.EAGAIN.number() == s.rc()) {
            if (System.nanoTime() - end > 0) {
                throw new ControlException("EAGAIN", action.verb() + " of " + payload + " is still pending");
            }
            try {
                Thread.sleep(1);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the action", e);
            }
            s = get(payload);
        }
        return s;
    }

    @Override
    public void unload(final String payload) throws IOException {
        client.call(new Request.Unload(payload), Response.Done.class);
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
