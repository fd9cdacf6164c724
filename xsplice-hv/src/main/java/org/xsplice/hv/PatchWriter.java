package org.xsplice.hv;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import org.xsplice.hv.internal.Linux;
import org.xsplice.hypervisor.patch.TextWrite;

/**
 * Carries out an {@link org.xsplice.hypervisor.patch.ActionPlan}'s text writes while every CPU
 * is parked: compares the live bytes with what the plan expects, writes, and checks the result
 * (every range holds its final bytes). All or nothing: if a write fails or the check does not
 * hold, every range written is restored, newest first, before returning. Every byte it needs is
 * copied into native memory when it is built, so {@link #act} neither allocates nor throws.
 *
 * <p>Writes go through {@code /proc/PID/mem}: the text pages stay read-only and executable in
 * the hypervisor the whole time. One instance per action; not thread-safe.
 */
final class PatchWriter implements RendezvousDriver.ParkedAction, AutoCloseable {
    /** {@link #act}: the live bytes were not what the plan expected (someone else changed the text). */
    static final int ESTALE = -116;
    static final int EIO = -5;

    private final int memFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment capture;
    private final int n;
    private final long[] address;
    private final MemorySegment[] before;
    private final MemorySegment[] after;
    private final MemorySegment[] fin;
    private final boolean[] checkLive;
    private final MemorySegment[] scratch;
    private int failed = -1;
    private int written;

    PatchWriter(final HypervisorProcess hv, final List<TextWrite> writes) {
        this.memFd = hv.memoryFd();
        this.capture = Linux.captureSegment(arena);
        this.n = writes.size();
        this.address = new long[n];
        this.before = new MemorySegment[n];
        this.after = new MemorySegment[n];
        this.fin = new MemorySegment[n];
        this.checkLive = new boolean[n];
        this.scratch = new MemorySegment[n];
        for (int i = 0; i < n; i++) {
            final TextWrite w = writes.get(i);
            address[i] = w.address();
            before[i] = copy(w.before());
            after[i] = copy(w.after());
            fin[i] = copy(w.fin());
            checkLive[i] = w.checkLive();
            scratch[i] = arena.allocate(w.length());
        }
    }

    private MemorySegment copy(final byte[] b) {
        final MemorySegment s = arena.allocate(b.length);
        MemorySegment.copy(b, 0, s, JAVA_BYTE, 0, b.length);
        return s;
    }

    @Override
    public int act(final RendezvousDriver parked) {
        failed = -1;
        written = 0;
        for (int i = 0; i < n; i++) {
            if (checkLive[i]) {
                final int rc = matches(i, before[i]);
                if (rc <= 0) {
                    failed = i;
                    return 0 == rc ? ESTALE : rc;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            final long r = Linux.pwriteRaw(memFd, after[i], address[i], capture);
            if (r != after[i].byteSize()) {
                failed = i;
                // A short or failed pwrite may have changed part of the range: restore it too.
                restore(i);
                return r < 0 ? (int) r : EIO;
            }
            written = i + 1;
        }
        // Consistency check (Xen: was_action_consistent): every range holds its final bytes.
        for (int i = 0; i < n; i++) {
            if (matches(i, fin[i]) <= 0) {
                failed = i;
                restore(n - 1);
                return EIO;
            }
        }
        return 0;
    }

    /** Restores ranges {@code last..0}, newest first, so overlapping writes unwind in order. */
    private void restore(final int last) {
        for (int i = last; i >= 0; i--) {
            Linux.pwriteRaw(memFd, before[i], address[i], capture);
        }
    }

    /** {@return 1 when the live bytes of range {@code i} equal {@code want}, 0 when not, -errno when unreadable} */
    private int matches(final int i, final MemorySegment want) {
        final MemorySegment s = scratch[i];
        final long r = Linux.preadRaw(memFd, s, address[i], capture);
        if (r != want.byteSize()) {
            return r < 0 ? (int) r : EIO;
        }
        return -1 == s.mismatch(want) ? 1 : 0;
    }

    /** {@return the index of the write that failed in the last {@link #act}, or -1} */
    int failedIndex() {
        return failed;
    }

    @Override
    public void close() {
        arena.close();
    }
}
