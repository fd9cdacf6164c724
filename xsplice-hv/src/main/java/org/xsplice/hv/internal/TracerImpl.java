package org.xsplice.hv.internal;

import java.util.concurrent.CompletableFuture;

import org.xsplice.hv.ExitStatus;
import org.xsplice.hypervisor.ErrnoException;

/**
 * The thread that is the hypervisor's tracer. ptrace(2) ties a tracee to the thread that
 * attached it, so attaching, resuming after stops and waiting all happen here. The
 * hypervisor's main thread is seized (no stop); signals it receives are passed on unchanged,
 * and its exit (orderly or a panic) completes {@link #exit()}.
 */
public final class TracerImpl implements Runnable {
    private final int pid;
    private final boolean killOnExit;
    private final CompletableFuture<Void> seized = new CompletableFuture<>();
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();

    private TracerImpl(final int pid, final boolean killOnExit) {
        this.pid = pid;
        this.killOnExit = killOnExit;
    }

    /**
     * Attaches to {@code pid} from a new daemon thread and returns once attached.
     *
     * @param killOnExit PTRACE_O_EXITKILL: the hypervisor dies with this process (tests)
     */
    public static TracerImpl attach(final int pid, final boolean killOnExit, final String name) throws ErrnoException {
        final TracerImpl t = new TracerImpl(pid, killOnExit);
        final Thread th = Thread.ofPlatform().daemon().name("hv-tracer-" + name).unstarted(t);
        th.start();
        try {
            t.seized.join();
        } catch (final java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof ErrnoException ee) {
                throw ee;
            }
            throw e;
        }
        return t;
    }

    /** {@return completes with the hypervisor's exit status} */
    public CompletableFuture<ExitStatus> exit() {
        return exit;
    }

    @Override
    public void run() {
        try {
            Linux.ptrace(Linux.PTRACE_SEIZE, pid, 0, killOnExit ? Linux.PTRACE_O_EXITKILL : 0, "PTRACE_SEIZE");
            seized.complete(null);
        } catch (final ErrnoException e) {
            // ESRCH: it died before we could attach; as our child it can still be waited for.
            if (3 != e.errno()) {
                seized.completeExceptionally(e);
                return;
            }
            seized.complete(null);
        }
        try {
            for (;;) {
                final int status = Linux.waitpid(pid, Linux.WALL);
                final int low = status & 0x7f;
                if (0 == low) {
                    exit.complete(ExitStatus.exited((status >> 8) & 0xff));
                    return;
                }
                if (0x7f != (status & 0xff)) {
                    exit.complete(ExitStatus.killed(low));
                    return;
                }
                final int sig = (status >> 8) & 0xff;
                final int event = (status >> 16) & 0xff;
                // A group-stop under SEIZE is reported as PTRACE_EVENT_STOP; resume without a signal.
                final int inject = Linux.PTRACE_EVENT_STOP == event || 0 != event ? 0 : sig;
                try {
                    Linux.ptrace(Linux.PTRACE_CONT, pid, 0, inject, "PTRACE_CONT");
                } catch (final ErrnoException e) {
                    if (3 != e.errno()) {    // ESRCH: it died meanwhile; the next wait says how
                        throw e;
                    }
                }
            }
        } catch (final ErrnoException e) {
            exit.completeExceptionally(e);
        }
    }
}
