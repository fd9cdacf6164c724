package org.xsplice.hv;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.xsplice.hv.HvLayout.Rendezvous;
import org.xsplice.hypervisor.memory.HypervisorMemory;

/**
 * A typed view of the C core's rendezvous block ({@code livepatch_rendezvous}), for the driver
 * that runs an action while every pCPU is parked. Each method is one or a few ordered writes
 * or reads through {@link HypervisorMemory}; the protocol (and why these orders are enough)
 * is in {@code include/public/xsplice.h}. Deadlines are CLOCK_MONOTONIC nanoseconds, the
 * clock {@link System#nanoTime()} reads on Linux.
 */
public final class RendezvousBlock {
    private final HypervisorMemory memory;
    private final long base;
    private final int nrCpus;

    public RendezvousBlock(final HypervisorMemory memory, final long base, final int nrCpus) {
        this.memory = memory;
        this.base = base;
        this.nrCpus = nrCpus;
    }

    /** What one pCPU published. */
    public record CpuState(int cpu, long arrived, long left, long sp, long fp, long pc, long stackLo, long stackHi,
                           long ucodeRev, long actionDone, long waitNs, long timeouts, long rendezvous) {
    }

    public int cpus() {
        return nrCpus;
    }

    /** {@return the generation of the last rendezvous requested} */
    public long generation() throws IOException {
        return memory.readLong(base + Rendezvous.GENERATION);
    }

    /**
     * Requests rendezvous {@code gen}: its parameters first, then the generation, then the
     * flag, so a CPU that sees the flag sees the rest (each write completes before the next).
     *
     * @param deadline  CLOCK_MONOTONIC ns after which CPUs that are still waiting leave
     * @param cpuAction {@link Rendezvous#CPU_ACTION_NONE} or {@link Rendezvous#CPU_ACTION_UCODE}
     */
    public void request(final long gen, final long deadline, final int cpuAction, final long ucodeRev) throws IOException {
        memory.writeLong(base + Rendezvous.DEADLINE, deadline);
        memory.writeLong(base + Rendezvous.ACTING, 0);
        memory.writeLong(base + Rendezvous.RELEASE, 0);
        memory.writeInt(base + Rendezvous.CPU_ACTION, cpuAction);
        memory.writeLong(base + Rendezvous.UCODE_REV, ucodeRev);
        memory.writeLong(base + Rendezvous.WORK, 0);
        memory.writeLong(base + Rendezvous.GENERATION, gen);
        memory.writeInt(base + Rendezvous.DO_WORK, 1);
    }

    /** {@return how many CPUs are parked for {@code gen}} */
    public int arrivedCount(final long gen) throws IOException {
        int n = 0;
        for (int c = 0; c < nrCpus; c++) {
            if (gen == memory.readLong(cpuBase(c) + Rendezvous.CPU_ARRIVED)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Commits: after this no CPU leaves at the deadline, and the first parked CPU to see it
     * becomes the master, checks that every CPU is still parked, runs the staged work (none
     * here), and releases everyone ({@link #done}, {@link #rc}).
     */
    public void commit(final long gen) throws IOException {
        memory.writeLong(base + Rendezvous.ACTING, gen);
    }

    /** {@return the generation whose work the master finished last} */
    public long done() throws IOException {
        return memory.readLong(base + Rendezvous.DONE);
    }

    /** {@return the master's result for {@link #done}: 0, or -EBUSY when a CPU had left before the commit} */
    public long rc() throws IOException {
        return memory.readLong(base + Rendezvous.RC);
    }

    /**
     * Lowers the flag, then releases the parked CPUs (each runs the CPU action and a
     * serialising instruction). Parked CPUs sleep in 1 ms slices after a short spin: kick
     * them afterwards ({@link HypervisorProcess#kickAll()}) so they go at once.
     */
    public void release(final long gen) throws IOException {
        memory.writeInt(base + Rendezvous.DO_WORK, 0);
        memory.writeLong(base + Rendezvous.RELEASE, gen);
    }

    /** {@return what CPU {@code c} published} */
    public CpuState cpu(final int c) throws IOException {
        final ByteBuffer b = ByteBuffer.wrap(memory.read(cpuBase(c), (int) Rendezvous.CPU_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        return new CpuState(c, b.getLong(0), b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32), b.getLong(40),
                b.getLong(48), b.getLong(56), b.getLong(64), b.getLong(72), b.getLong(80), b.getLong(88));
    }

    private long cpuBase(final int c) {
        if (c < 0 || c >= nrCpus) {
            throw new IndexOutOfBoundsException("CPU " + c + " of " + nrCpus);
        }
        return base + Rendezvous.CPU + Rendezvous.CPU_SIZE * c;
    }
}
