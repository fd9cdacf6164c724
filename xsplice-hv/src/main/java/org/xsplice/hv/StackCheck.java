package org.xsplice.hv;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import org.xsplice.hv.internal.Linux;
import org.xsplice.hypervisor.patch.CodeRange;

/**
 * The stack check of an action (not in Xen): while every CPU is parked and before the driver
 * commits, walks each CPU's frame-pointer chain and refuses when a return address (or the
 * parked pc) lies in code the action changes. Everything it needs is in native memory owned
 * by this object, so {@link #check} neither allocates nor throws. One instance per action;
 * not thread-safe.
 */
final class StackCheck implements RendezvousDriver.ParkedCheck, AutoCloseable {
    /** {@link #check}: a parked CPU executes or returns into code being changed; retry later. */
    static final int STACK_BUSY = -11;
    /** Frames walked per CPU at most: deeper chains are cut off (the walk is a bounded loop). */
    static final int MAX_DEPTH = 64;

    private final int memFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment capture;
    private final long[] busyStart;
    private final long[] busyEnd;
    private final MemorySegment frame;
    private int busyCpu = -1;
    private int busyRange = -1;
    private long busyAddress;

    /** @param busy code no parked CPU may execute in or return to; empty: nothing to check */
    StackCheck(final HypervisorProcess hv, final List<CodeRange> busy) {
        this.memFd = hv.memoryFd();
        this.capture = Linux.captureSegment(arena);
        this.busyStart = busy.stream().mapToLong(CodeRange::start).toArray();
        this.busyEnd = busy.stream().mapToLong(CodeRange::end).toArray();
        this.frame = arena.allocate(16, 8);
    }

    @Override
    public int check(final RendezvousDriver parked) {
        busyCpu = -1;
        // Nothing to look for: no stack is read while every CPU waits.
        if (0 == busyStart.length) {
            return 0;
        }
        for (int c = 0; c < parked.cpus(); c++) {
            if (!stackClear(parked, c)) {
                busyCpu = c;
                return STACK_BUSY;
            }
        }
        return 0;
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
            final long next = frame.get(JAVA_LONG_UNALIGNED, 0);
            final long ret = frame.get(JAVA_LONG_UNALIGNED, 8);
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

    /** {@return the CPU whose stack held busy code in the last {@link #check}, or -1} */
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

    @Override
    public void close() {
        arena.close();
    }
}
