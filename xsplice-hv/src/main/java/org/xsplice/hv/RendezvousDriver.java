package org.xsplice.hv;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.xsplice.hv.HvLayout.Rendezvous;
import org.xsplice.hv.internal.Linux;

/**
 * Drives one rendezvous of every pCPU of the reference hypervisor (Xen's
 * {@code livepatch_do_action} under {@code stop_machine}-like conditions). The driver parks
 * the CPUs, runs its checks on them (the stack check), and commits; from the commit on, the
 * hypervisor's master CPU carries out the staged work list and publishes the new patch state
 * alone, so a driver that dies at any point leaves either nothing changed or the whole action
 * done.
 *
 * <pre>
 *  driver                                     each pCPU (C core)
 *  ------                                     ------------------
 *  deadline, acting=0, release=0, action, work
 *  generation = gen          (pwrite: full barrier between writes)
 *  do_work = 1 ; kick all ------------------> check_for_livepatch_work(): do_work != 0
 *                                             publish sp/fp/pc ; arrived = gen (release)
 *  spin: every arrived == gen ? <-----------  spin, then sleep 1 ms slices
 *     (deadline passed: EBUSY, nothing done)  (deadline passed, acting != gen: leave)
 *  CHECK (stack walk of the parked CPUs)
 *     refused: do_work = 0 ; release = gen -> leave, nothing done
 *  COMMIT: acting = gen ; kick all ---------> first CPU to see it wins the master CAS:
 *                                               every CPU still parked? (Dekker) else EBUSY
 *                                               compare, write, verify (or restore all)
 *                                               publish the records (one 8-byte store)
 *                                               rc ; done = gen ; do_work = 0 ; release = gen
 *  spin: done == gen, every left == gen <---- cpu_action, left = gen, cpuid, back to work
 * </pre>
 *
 * <p>Hot path rules: between the request and the confirmation nothing is allocated and no lock
 * is taken; every access goes through segments owned by this driver ({@link Linux#preadRaw},
 * {@link Linux#pwriteRaw}) and failures are negative errno sentinels, not exceptions. Every
 * spin is bounded by the deadline (arrival), by {@link #MASTER_LIMIT_NS} (the master) or by
 * {@link #LEAVE_LIMIT_NS} (leaving).
 *
 * <p>Memory ordering: every access is a pread or pwrite on {@code /proc/PID/mem}; each takes
 * the target's mmap lock (a locked instruction: a full barrier) and completes before the next
 * starts, so this side's accesses are sequentially consistent with respect to each other and
 * to the C side's acquire/release atomics (see {@code include/public/xsplice.h}). No plain
 * Java field is shared with another thread: the results are read by the caller's thread.
 *
 * <p>Not thread-safe: one rendezvous at a time, which the caller ({@link LiveActions}) ensures.
 */
public final class RendezvousDriver implements AutoCloseable {
    /** Xen's default: 0 ns as a timeout means 30 ms. */
    public static final long DEFAULT_TIMEOUT_NS = 30_000_000L;
    /** How long released CPUs may take to leave before the driver reports them (they are running then). */
    public static final long LEAVE_LIMIT_NS = 2_000_000_000L;
    /**
     * How long the driver waits for the master after committing: beyond the CPUs' own stuck
     * limit (2 s), after which they panic, so the driver never reports a result the
     * hypervisor did not reach.
     */
    public static final long MASTER_LIMIT_NS = 3_000_000_000L;
    /** {@link #run} result: not every CPU arrived before the deadline; nothing was done. */
    public static final int EBUSY = -16;
    /** {@link #run} result: the hypervisor's memory could not be accessed. */
    public static final int EIO = -5;
    /** {@link #run} result: committed, but the master did not finish within {@link #MASTER_LIMIT_NS}. */
    public static final int ETIMEDOUT = -110;

    /** What the driver checks while every CPU is parked, before it commits. */
    @FunctionalInterface
    public interface ParkedCheck {
        /**
         * Runs on the driver's thread while every pCPU is parked (before the commit: a CPU
         * may still leave at the deadline, which the master then notices); may read the CPUs'
         * published state through {@code parked}. Must not write the hypervisor, allocate or
         * block on locks.
         *
         * @return 0 to commit, or a negative errno: release the CPUs without acting
         */
        int check(RendezvousDriver parked);
    }

    private final int memFd;
    private final int[] ipiFds;
    private final int nrCpus;
    private final long base;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment capture;
    private final MemorySegment word;
    private final MemorySegment word4;
    private final MemorySegment kick;
    private final MemorySegment cpus;
    private long lastWaitNs;
    private long lastPauseNs;
    private long lastLeaveNs;
    private long lastParkedNs;
    private int lastAbsentCpu = -1;
    private int stragglers;
    private long lastFailed = -1;
    /** The last failed access to the hypervisor's memory: its offset in the block and its result (-errno or a short count). */
    private long lastIoOffset = -1;
    private long lastIoResult;
    private long lastMasterNs;
    private int lastMasterCpu = -1;

    /** @param hv the hypervisor whose CPUs this driver parks */
    public RendezvousDriver(final HypervisorProcess hv) {
        this.memFd = hv.memoryFd();
        this.nrCpus = hv.cpus();
        this.base = hv.rendezvousAddress();
        this.ipiFds = new int[nrCpus];
        for (int c = 0; c < nrCpus; c++) {
            ipiFds[c] = hv.ipiFd(c);
        }
        this.capture = Linux.captureSegment(arena);
        this.word = arena.allocate(8, 8);
        this.word4 = word.asSlice(0, 4);
        this.kick = arena.allocate(8, 8);
        kick.set(JAVA_LONG_UNALIGNED, 0, 1L);
        this.cpus = arena.allocate(Rendezvous.CPU_SIZE * nrCpus, 64);
    }

    /** {@return the number of pCPUs} */
    public int cpus() {
        return nrCpus;
    }

    /**
     * Runs one rendezvous.
     *
     * @param timeoutNs  how long the CPUs have to arrive; 0 means {@link #DEFAULT_TIMEOUT_NS}
     * @param cpuAction  {@link Rendezvous#CPU_ACTION_NONE} or {@link Rendezvous#CPU_ACTION_UCODE}, run by each CPU at release
     * @param ucodeRev   the argument of the microcode action
     * @param work       address of a staged {@code struct livepatch_work} the master runs, or 0
     * @param check      what to verify on the parked CPUs before committing, or {@code null}
     * @return 0, {@link #EBUSY} (not all arrived in time, or one left before the commit took:
     *         nothing done), {@link #EIO}, the check's negative errno (nothing done), or the
     *         master's negative errno (every write undone; {@link #lastFailedIndex()} names it)
     */
    public int run(final long timeoutNs, final int cpuAction, final long ucodeRev, final long work, final ParkedCheck check) {
        final long t0 = System.nanoTime();
        final long deadline = t0 + (0 == timeoutNs ? DEFAULT_TIMEOUT_NS : timeoutNs);
        lastAbsentCpu = -1;
        stragglers = 0;
        lastPauseNs = 0;
        lastLeaveNs = 0;
        lastParkedNs = 0;
        lastFailed = -1;
        lastMasterNs = 0;
        lastMasterCpu = -1;
        if (!getLongVolatile(Rendezvous.GENERATION)) {
            return EIO;
        }
        final long gen = word.get(JAVA_LONG_UNALIGNED, 0) + 1;
        // Parameters before the generation, the generation before the flag: a CPU that sees the
        // flag and then acquires the generation sees the rest (each pwrite is a full barrier).
        if (!putLongVolatile(Rendezvous.DEADLINE, deadline) || !putLongVolatile(Rendezvous.ACTING, 0)
                || !putLongVolatile(Rendezvous.RELEASE, 0) || !putIntVolatile(Rendezvous.CPU_ACTION, cpuAction)
                || !putLongVolatile(Rendezvous.UCODE_REV, ucodeRev) || !putLongVolatile(Rendezvous.WORK, work)
                || !putLongVolatile(Rendezvous.GENERATION, gen) || !putIntVolatile(Rendezvous.DO_WORK, 1)) {
            return abort(gen);
        }
        // After the flag: an idle CPU sets its idle mark before it reads the flag (full fence in
        // C), so either it sees do_work = 1 or it sleeps and this kick wakes it.
        kickAll();
        CrashPoint.at(CrashPoint.Step.FLAG);
        boolean all = false;
        int spins = 0;
        while (!all) {
            // The deadline first: CPUs leave by themselves once it passed, so a late "all
            // arrived" would only race with them (the master's check would catch it anyway).
            final boolean late = System.nanoTime() - deadline > 0;
            if (!snapshotVolatile()) {
                return abort(gen);
            }
            all = countArrived(gen) == nrCpus;
            if (!all || late) {
                if (late) {
                    lastWaitNs = System.nanoTime() - t0;
                    lastAbsentCpu = firstAbsent(gen);
                    release(gen);
                    return EBUSY;
                }
                relax(++spins);
            }
        }
        final long parked = System.nanoTime();
        lastWaitNs = parked - t0;
        CrashPoint.at(CrashPoint.Step.PARKED);
        final int refused = null == check ? 0 : check.check(this);
        if (0 != refused) {
            lastPauseNs = System.nanoTime() - parked;
            release(gen);
            return refused;
        }
        // The commit: from this store on the hypervisor finishes the action by itself; this
        // driver writes nothing more (a CPU that left meanwhile makes the master refuse).
        if (!putLongVolatile(Rendezvous.ACTING, gen)) {
            return abort(gen);
        }
        CrashPoint.at(CrashPoint.Step.COMMIT);
        // Parked CPUs may be asleep in a 1 ms slice: the first one awake becomes the master.
        kickAll();
        final long masterLimit = System.nanoTime() + MASTER_LIMIT_NS;
        spins = 0;
        for (;;) {
            if (!getLongVolatile(Rendezvous.DONE)) {
                stragglers = nrCpus;
                return EIO;
            }
            if (gen == word.get(JAVA_LONG_UNALIGNED, 0)) {
                break;
            }
            // Every CPU may have left at the deadline just before the commit (this driver was
            // descheduled between seeing them parked and storing acting): then no CPU is left
            // to act and nothing was done. A master writes done before its own left, so done
            // is read again after seeing every left.
            if (!snapshotVolatile()) {
                return EIO;
            }
            if (countLeft(gen) == nrCpus) {
                if (!getLongVolatile(Rendezvous.DONE)) {
                    return EIO;
                }
                if (gen != word.get(JAVA_LONG_UNALIGNED, 0)) {
                    // Nobody is parked and nobody will act: the flag is this driver's to lower.
                    putIntVolatile(Rendezvous.DO_WORK, 0);
                    lastPauseNs = System.nanoTime() - parked;
                    return EBUSY;
                }
                break;
            }
            if (System.nanoTime() - masterLimit > 0) {
                stragglers = nrCpus;
                return ETIMEDOUT;                   // the CPUs panic at their stuck limit
            }
            relax(++spins);
        }
        lastPauseNs = System.nanoTime() - parked;
        if (!getLongVolatile(Rendezvous.RC)) {
            return EIO;
        }
        final int rc = (int) word.get(JAVA_LONG_UNALIGNED, 0);
        if (getLongVolatile(Rendezvous.FAILED)) {
            lastFailed = word.get(JAVA_LONG_UNALIGNED, 0);
        }
        if (getLongVolatile(Rendezvous.MASTER_NS)) {
            lastMasterNs = word.get(JAVA_LONG_UNALIGNED, 0);
        }
        if (getLongVolatile(Rendezvous.MASTER_CPU)) {
            lastMasterCpu = (int) word.get(JAVA_LONG_UNALIGNED, 0);
        }
        awaitLeft(gen, System.nanoTime());
        return rc;
    }

    /**
     * Lowers the flag, releases, kicks, and waits (bounded) until every CPU that was parked
     * left. Only before a commit: after it the master releases.
     */
    private void release(final long gen) {
        final long t = System.nanoTime();
        // Flag first: a CPU passing the check after the release must not park again for gen
        // (it would return at once anyway: its left = gen).
        // Results not checked: these fail only when /proc/PID/mem is gone (the hypervisor
        // died), and then there is nobody left to release; the wait below reports stragglers.
        putIntVolatile(Rendezvous.DO_WORK, 0);
        putLongVolatile(Rendezvous.RELEASE, gen);
        // Parked CPUs may be asleep in a 1 ms slice on their eventfd.
        kickAll();
        awaitLeft(gen, t);
    }

    /** Waits (bounded by {@link #LEAVE_LIMIT_NS} from {@code t}) until every CPU parked for {@code gen} left. */
    private void awaitLeft(final long gen, final long t) {
        final long limit = t + LEAVE_LIMIT_NS;
        int spins = 0;
        for (;;) {
            if (!snapshotVolatile()) {
                stragglers = nrCpus;
                return;
            }
            int waiting = 0;
            for (int c = 0; c < nrCpus; c++) {
                final long off = Rendezvous.CPU_SIZE * c;
                // Parked for gen but not yet left: it must still see the release.
                if (gen == cpus.get(JAVA_LONG_UNALIGNED, off + Rendezvous.CPU_ARRIVED)
                        && gen != cpus.get(JAVA_LONG_UNALIGNED, off + Rendezvous.CPU_LEFT)) {
                    waiting++;
                }
            }
            if (0 == waiting) {
                lastLeaveNs = System.nanoTime() - t;
                lastParkedNs = allParkedNs(gen);
                return;
            }
            if (System.nanoTime() - limit > 0) {
                stragglers = waiting;
                lastLeaveNs = System.nanoTime() - t;
                return;
            }
            relax(++spins);
        }
    }

    /**
     * Between two polls: spin briefly, then give the core away. The pCPUs are host threads and
     * may outnumber the cores; a driver that only spins keeps the very CPUs it waits for off
     * a core. {@link Thread#yield} neither allocates nor blocks on a lock.
     */
    private static void relax(final int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /**
     * {@return how long every CPU was parked at once in rendezvous {@code gen}, from the CPUs'
     * own clocks: the first CPU's leaving minus the last CPU's arrival (0 if not all arrived)}
     */
    private long allParkedNs(final long gen) {
        long lastArrive = Long.MIN_VALUE;
        long firstLeave = Long.MAX_VALUE;
        for (int c = 0; c < nrCpus; c++) {
            final long off = Rendezvous.CPU_SIZE * c;
            if (gen != cpus.get(JAVA_LONG_UNALIGNED, off + Rendezvous.CPU_ARRIVED)) {
                return 0;
            }
            lastArrive = Math.max(lastArrive, cpus.get(JAVA_LONG_UNALIGNED, off + Rendezvous.CPU_ARRIVE_NS));
            firstLeave = Math.min(firstLeave, cpus.get(JAVA_LONG_UNALIGNED, off + Rendezvous.CPU_LEAVE_NS));
        }
        return Math.max(0, firstLeave - lastArrive);
    }

    private int abort(final long gen) {
        release(gen);
        return EIO;
    }

    private void kickAll() {
        for (int c = 0; c < nrCpus; c++) {
            // A failed kick only delays that CPU by one 1 ms sleep slice; nothing to undo.
            Linux.writeRaw(ipiFds[c], kick, capture);
        }
    }

    /**
     * One pread of every CPU's block into the driver's segment. "Volatile" as in Agrona's
     * names: each pread/pwrite here is sequentially consistent with this driver's other
     * accesses and with the C side's acquire/release atomics (the kernel takes the target's
     * mmap lock: a full barrier). Within one snapshot each aligned 8-byte field is read by the
     * kernel's copy; the driver only compares fields with a generation, which a torn value
     * cannot equal.
     */
    private boolean snapshotVolatile() {
        return io(Rendezvous.CPU, cpus.byteSize(), Linux.preadRaw(memFd, cpus, base + Rendezvous.CPU, capture));
    }

    private int countArrived(final long gen) {
        return count(gen, Rendezvous.CPU_ARRIVED);
    }

    private int countLeft(final long gen) {
        return count(gen, Rendezvous.CPU_LEFT);
    }

    /** {@return how many CPUs' {@code field} (in the last snapshot) equals {@code gen}} */
    private int count(final long gen, final long field) {
        int n = 0;
        for (int c = 0; c < nrCpus; c++) {
            // A torn 8-byte read cannot equal gen unless every changed byte is the new one.
            if (gen == cpus.get(JAVA_LONG_UNALIGNED, Rendezvous.CPU_SIZE * c + field)) {
                n++;
            }
        }
        return n;
    }

    private int firstAbsent(final long gen) {
        for (int c = 0; c < nrCpus; c++) {
            if (gen != cpus.get(JAVA_LONG_UNALIGNED, Rendezvous.CPU_SIZE * c + Rendezvous.CPU_ARRIVED)) {
                return c;
            }
        }
        return -1;
    }

    /** Sequentially consistent load into {@code word} (one pread). */
    private boolean getLongVolatile(final long off) {
        return io(off, 8, Linux.preadRaw(memFd, word, base + off, capture));
    }

    /** Sequentially consistent 8-byte store (one pwrite). */
    private boolean putLongVolatile(final long off, final long v) {
        word.set(JAVA_LONG_UNALIGNED, 0, v);
        return io(off, 8, Linux.pwriteRaw(memFd, word, base + off, capture));
    }

    /** Sequentially consistent 4-byte store (one pwrite). */
    private boolean putIntVolatile(final long off, final int v) {
        word4.set(JAVA_INT_UNALIGNED, 0, v);
        return io(off, 4, Linux.pwriteRaw(memFd, word4, base + off, capture));
    }

    private boolean io(final long off, final long want, final long got) {
        if (want == got) {
            return true;
        }
        lastIoOffset = off;
        lastIoResult = got;
        return false;
    }

    /** {@return "offset N: result R" of the last failed access to the block, for messages; empty if none failed} */
    public String lastIoFailure() {
        return lastIoOffset < 0 ? "" : "offset " + lastIoOffset + " of the rendezvous block: " + lastIoResult;
    }

    // ---- what the action may read while the CPUs are parked (from the last snapshot) ----

    /** {@return CPU {@code c}'s stack pointer inside {@code do_livepatch_work()}} */
    public long sp(final int c) {
        return cpus.get(JAVA_LONG_UNALIGNED, Rendezvous.CPU_SIZE * c + Rendezvous.CPU_SP);
    }

    /** {@return CPU {@code c}'s frame pointer (start of its rbp chain)} */
    public long fp(final int c) {
        return cpus.get(JAVA_LONG_UNALIGNED, Rendezvous.CPU_SIZE * c + Rendezvous.CPU_FP);
    }

    /** {@return the return address of CPU {@code c}'s {@code do_livepatch_work()}} */
    public long pc(final int c) {
        return cpus.get(JAVA_LONG_UNALIGNED, Rendezvous.CPU_SIZE * c + Rendezvous.CPU_PC);
    }

    /** {@return the low end of CPU {@code c}'s stack} */
    public long stackLo(final int c) {
        return cpus.get(JAVA_LONG_UNALIGNED, Rendezvous.CPU_SIZE * c + Rendezvous.CPU_STACK_LO);
    }

    /** {@return the high end (exclusive) of CPU {@code c}'s stack} */
    public long stackHi(final int c) {
        return cpus.get(JAVA_LONG_UNALIGNED, Rendezvous.CPU_SIZE * c + Rendezvous.CPU_STACK_HI);
    }

    // ---- figures of the last run ----

    /** {@return ns from the request until every CPU was parked (or until the driver gave up)} */
    public long lastWaitNs() {
        return lastWaitNs;
    }

    /**
     * {@return the driver's view of the pause: ns from seeing every CPU parked to seeing the
     * master done (or to its release without acting); 0 when not all arrived}
     */
    public long lastPauseNs() {
        return lastPauseNs;
    }

    /**
     * {@return ns during which every CPU was parked at once in the last run, by the CPUs' own
     * clocks (last arrival to first departure): the pause the workload saw; 0 when not all arrived}
     */
    public long lastParkedNs() {
        return lastParkedNs;
    }

    /** {@return ns from the release until every parked CPU had left} */
    public long lastLeaveNs() {
        return lastLeaveNs;
    }

    /** {@return the first CPU that had not arrived when the last run gave up, or -1} */
    public int lastAbsentCpu() {
        return lastAbsentCpu;
    }

    /** {@return the index of the work-list write the master found at fault in the last run, or -1} */
    public long lastFailedIndex() {
        return lastFailed;
    }

    /** {@return ns the master spent from its claim to the release in the last committed run} */
    public long lastMasterNs() {
        return lastMasterNs;
    }

    /** {@return the CPU that acted as master in the last committed run, or -1} */
    public int lastMasterCpu() {
        return lastMasterCpu;
    }

    /** {@return how many released CPUs had not left within {@link #LEAVE_LIMIT_NS} (0 normally)} */
    public int stragglers() {
        return stragglers;
    }

    @Override
    public void close() {
        arena.close();
    }
}
