package org.xsplice.hv;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import org.xsplice.hv.internal.Linux;
import org.xsplice.hypervisor.patch.CodeRange;
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
    /** {@link #act}: a parked CPU executes or returns into code being changed; retry later. */
    static final int STACK_BUSY = -11;
    /** {@link #holds}: the range holds the bytes the write puts there. */
    static final int HOLDS_AFTER = 1;
    /** {@link #holds}: the range holds the bytes it had before the write. */
    static final int HOLDS_BEFORE = 2;
    /** Frames walked per CPU at most: deeper chains are cut off (the walk is a bounded loop). */
    static final int MAX_DEPTH = 64;

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
    private final long[] busyStart;
    private final long[] busyEnd;
    private final MemorySegment frame;
    private int failed = -1;
    private int written;
    private int busyCpu = -1;
    private int busyRange = -1;
    private long busyAddress;

    /**
     * @param writes the plan's writes, in order
     * @param busy   code no parked CPU may execute in or return to (the stack check); empty: no check
     */
    PatchWriter(final HypervisorProcess hv, final List<TextWrite> writes, final List<CodeRange> busy) {
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
        this.busyStart = busy.stream().mapToLong(CodeRange::start).toArray();
        this.busyEnd = busy.stream().mapToLong(CodeRange::end).toArray();
        this.frame = arena.allocate(16, 8);
    }

    private MemorySegment copy(final byte[] b) {
        final MemorySegment s = arena.allocate(b.length);
        MemorySegment.copy(b, 0, s, JAVA_BYTE, 0, b.length);
        return s;
    }

    @Override
    public int act(final RendezvousDriver parked) {
        final int busy = checkStacks(parked);
        if (0 != busy) {
            return busy;
        }
        final int rc = write(0, n);
        return 0 != rc ? rc : checkFinal();
    }

    /**
     * The stack check over every parked CPU (the first step of {@link #act}).
     *
     * @return 0, or {@link #STACK_BUSY} with the CPU, range and address recorded
     */
    int checkStacks(final RendezvousDriver parked) {
        failed = -1;
        written = 0;
        busyCpu = -1;
        for (int c = 0; c < parked.cpus(); c++) {
            if (!stackClear(parked, c)) {
                busyCpu = c;
                return STACK_BUSY;
            }
        }
        return 0;
    }

    /**
     * Writes ranges {@code from..to-1}: first compares each live range the plan reads with its
     * expected bytes (nothing written on a mismatch: {@link #ESTALE}), then writes them. On a
     * failure every range written so far, by this call and earlier ones, is restored.
     *
     * @return 0 or a negative errno
     */
    int write(final int from, final int to) {
        for (int i = from; i < to; i++) {
            if (checkLive[i]) {
                final int rc = matches(i, before[i]);
                if (rc <= 0) {
                    failed = i;
                    restore(from - 1);
                    return 0 == rc ? ESTALE : rc;
                }
            }
        }
        for (int i = from; i < to; i++) {
            final long r = Linux.pwriteRaw(memFd, after[i], address[i], capture);
            if (r != after[i].byteSize()) {
                failed = i;
                // A short or failed pwrite may have changed part of the range: restore it too.
                restore(i);
                return r < 0 ? (int) r : EIO;
            }
            written = i + 1;
        }
        return 0;
    }

    /**
     * The consistency check (Xen: was_action_consistent): every range holds its final bytes;
     * if not, every range is restored.
     *
     * @return 0 or {@link #EIO}
     */
    int checkFinal() {
        for (int i = 0; i < n; i++) {
            if (matches(i, fin[i]) <= 0) {
                failed = i;
                restore(n - 1);
                return EIO;
            }
        }
        return 0;
    }

    /**
     * {@return what range {@code i} holds now: {@link #HOLDS_AFTER} (the write took effect),
     * {@link #HOLDS_BEFORE} (it did not), 0 (neither) or a negative errno}
     */
    int holds(final int i) {
        final int a = matches(i, after[i]);
        if (a < 0) {
            return a;
        }
        if (1 == a) {
            return HOLDS_AFTER;
        }
        final int b = matches(i, before[i]);
        return b < 0 ? b : 1 == b ? HOLDS_BEFORE : 0;
    }

    /**
     * Walks CPU {@code c}'s frame-pointer chain from {@code do_livepatch_work()}'s frame: each
     * frame is {@code [saved rbp, return address]}; the first return address is the parked pc.
     * A frame outside [stack_lo, stack_hi - 16), misaligned, or not above the previous one ends
     * the walk (the chain's root has rbp = 0), as does {@link #MAX_DEPTH}.
     *
     * @return false when a return address lies in a busy range (recorded for the message)
     */
    private boolean stackClear(final RendezvousDriver parked, final int c) {
        final long lo = parked.stackLo(c);
        final long hi = parked.stackHi(c);
        if (hit(parked.pc(c))) {
            busyAddress = parked.pc(c);
            return false;
        }
        long fp = parked.fp(c);
        for (int depth = 0; depth < MAX_DEPTH; depth++) {
            if (fp < lo || fp > hi - 16 || 0 != (fp & 7)) {
                return true;
            }
            if (16 != Linux.preadRaw(memFd, frame, fp, capture)) {
                return true;                // unreadable: the chain ends (the stack range is mapped, so it does not happen)
            }
            final long next = frame.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0);
            final long ret = frame.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 8);
            if (hit(ret)) {
                busyAddress = ret;
                return false;
            }
            if (next <= fp) {
                return true;
            }
            fp = next;
        }
        return true;
    }

    private boolean hit(final long address) {
        for (int r = 0; r < busyStart.length; r++) {
            if (address >= busyStart[r] && address < busyEnd[r]) {
                busyRange = r;
                return true;
            }
        }
        return false;
    }

    /** {@return the CPU whose stack held busy code in the last {@link #act}, or -1} */
    int busyCpu() {
        return busyCpu;
    }

    /** {@return the index of the busy range it hit} */
    int busyRange() {
        return busyRange;
    }

    /** {@return the return address (or pc) that lay in it} */
    long busyAddress() {
        return busyAddress;
    }

    /** Restores ranges {@code last..0}, newest first, so overlapping writes unwind in order. */
    void restore(final int last) {
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
