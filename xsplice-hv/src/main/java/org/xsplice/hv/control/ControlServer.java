package org.xsplice.hv.control;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Function;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Serves one control socket: a thread accepts, one thread per connection answers requests
 * in order. Only the supervisor's own user and root may connect: the socket is 0600 in a
 * 0700 directory, and each peer's credentials (SO_PEERCRED) are checked as well.
 */
public final class ControlServer implements AutoCloseable {
    private final Path socket;
    private final ServerSocketChannel server;
    private final Function<Request, Response> handler;
    private final String owner;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    public ControlServer(final Path socket, final Function<Request, Response> handler) throws IOException {
        this.socket = socket;
        this.handler = handler;
        this.owner = System.getProperty("user.name");
        Files.deleteIfExists(socket);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        Thread.ofPlatform().daemon().name("hv-control-" + socket.getParent().getFileName()).start(this::acceptLoop);
    }

    private void acceptLoop() {
        for (;;) {
            final SocketChannel ch;
            try {
                ch = server.accept();
            } catch (final ClosedChannelException e) {
                return;
            } catch (final IOException e) {
                continue;
            }
            Thread.ofPlatform().daemon().name("hv-control-conn").start(() -> serve(ch));
        }
    }

    private void serve(final SocketChannel ch) {
        try (ch) {
            final InputStream in = Channels.newInputStream(ch);
            final OutputStream out = Channels.newOutputStream(ch);
            final UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            final String user = peer.user().getName();
            if (!user.equals(owner) && !"root".equals(user)) {
                WireCodec.writeResponse(out, new Response.Failure("EACCES", "user " + user + " may not control this hypervisor"));
                return;
            }
            for (;;) {
                final Request req;
                try {
                    req = WireCodec.readRequest(in);
                } catch (final EOFException e) {
                    return;
                } catch (final IOException e) {
                    WireCodec.writeResponse(out, new Response.Failure("EPROTO", e.getMessage()));
                    return;
                }
                inFlight.incrementAndGet();
                try {
                    WireCodec.writeResponse(out, handler.apply(req));
                } finally {
                    inFlight.decrementAndGet();
                }
            }
        } catch (final IOException e) {
            // The client went away mid-answer; nothing to tell anyone.
        }
    }

    /** Waits until no request is being answered, at most {@code max} (answers outlive {@link #close()}). */
    public void drain(final java.time.Duration max) {
        final long deadline = System.nanoTime() + max.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            try {
                Thread.sleep(5);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops accepting and removes the socket file. */
    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }
}
