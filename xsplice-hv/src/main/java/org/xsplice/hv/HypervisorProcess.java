package org.xsplice.hv;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.xsplice.hv.HvLayout.Console;
import org.xsplice.hv.HvLayout.Ctl;
import org.xsplice.hv.HvLayout.Mbox;
import org.xsplice.hv.HvLayout.Rendezvous;
import org.xsplice.hv.HvLayout.Stats;
import org.xsplice.hv.internal.Linux;
import org.xsplice.hv.internal.ProcMemoryImpl;
import org.xsplice.hv.internal.TracerImpl;
import org.xsplice.hypervisor.ErrnoException;
import org.xsplice.hypervisor.memory.HypervisorMemory;

/**
 * A running reference hypervisor, under this process's watch: its tracer thread, its memory
 * (through {@code /proc/PID/mem}), its control mailbox and its IPI eventfds (duplicated into
 * this process with pidfd_getfd). Thread-safe; mailbox requests are serialised.
 */
public final class HypervisorProcess implements AutoCloseable {
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration MAILBOX_TIMEOUT = Duration.ofSeconds(20);

    /**
     * How to start one.
     *
     * @param name       its name (socket directory, console banner)
     * @param cpus       number of pCPUs (1..64)
     * @param workload   {@code busy}, {@code normal} or {@code idle}
     * @param killOnExit whether it dies with this JVM (tests; a supervisor leaves it running)
     * @param consoleLog where its stdout/stderr (the serial console) go
     */
    public record Options(String name, int cpus, String workload, boolean killOnExit, Path consoleLog) {
        public Options {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(workload, "workload");
            Objects.requireNonNull(consoleLog, "consoleLog");
            if (cpus < 1 || cpus > HvLayout.NR_CPUS_MAX) {
                throw new IllegalArgumentException("cpus must be 1.." + HvLayout.NR_CPUS_MAX + ", not " + cpus);
            }
        }
    }

    /**
     * One mailbox answer.
     *
     * @param rc  0 or -errno (a hypercall's return value)
     * @param ret the op's extra result word
     * @param buf the first bytes of the mailbox buffer after the op
     */
    public record Reply(long rc, long ret, byte[] buf) {
    }

    private final HvImage image;
    private final String name;
    private final int pid;
    private final TracerImpl tracer;
    private final ProcMemoryImpl memory;
    private final int nrCpus;
    private final long ctl;
    private final long mbox;
    private final long rendezvous;
    private final long stats;
    private final long conring;
    private final long conringProd;
    private final long conringCons;
    private final int pidfd;
    private final int doorbell;
    private final int completion;
    private final int[] ipi;

    private HypervisorProcess(final HvImage image, final String name, final int pid, final TracerImpl tracer) throws IOException {
        this.image = image;
        this.name = name;
        this.pid = pid;
        this.tracer = tracer;
        this.ctl = image.address(Ctl.SYMBOL, Ctl.SIZE);
        this.mbox = image.address(Mbox.SYMBOL, Mbox.SIZE);
        this.rendezvous = image.address(Rendezvous.SYMBOL, Rendezvous.SIZE);
        this.stats = image.address(Stats.SYMBOL, Stats.SIZE);
        this.conring = image.address(Console.RING, Console.SIZE);
        this.conringProd = image.address(Console.PROD, 8);
        this.conringCons = image.address(Console.CONS, 8);
        this.memory = new ProcMemoryImpl(pid);
        try {
            awaitBoot();
        } catch (final HypervisorCrashedException e) {
            memory.close();
            throw e;
        } catch (final IOException e) {
            memory.close();
            throw diedOr(e);
        }
        if (pid != memory.readLong(ctl + Ctl.PID)) {
            memory.close();
            throw new IOException("process " + pid + " is not hypervisor " + name + " (its xsplice_ctl.pid does not match)");
        }
        final int abi = memory.readInt(ctl + Ctl.ABI_VERSION);
        if (HvLayout.ABI_VERSION != abi) {
            throw new IOException("hypervisor " + name + " speaks ABI " + abi + ", this supervisor " + HvLayout.ABI_VERSION);
        }
        this.nrCpus = memory.readInt(ctl + Ctl.NR_CPUS);
        this.pidfd = Linux.pidfdOpen(pid);
        this.doorbell = Linux.pidfdGetfd(pidfd, memory.readInt(ctl + Ctl.DOORBELL_FD), "doorbell eventfd");
        this.completion = Linux.pidfdGetfd(pidfd, memory.readInt(ctl + Ctl.COMPLETION_FD), "completion eventfd");
        this.ipi = new int[nrCpus];
        for (int c = 0; c < nrCpus; c++) {
            ipi[c] = Linux.pidfdGetfd(pidfd, memory.readInt(ctl + Ctl.IPI_FD + 4L * c), "IPI eventfd of CPU" + c);
        }
        // Every address this side uses comes from the image's symbols: they must be the running image's.
        final byte[] running = new Hypercalls(this, 0).buildId();
        if (!java.util.Arrays.equals(running, image.buildId().bytes())) {
            close();
            throw new IOException("hypervisor " + name + " runs build-id " + java.util.HexFormat.of().formatHex(running) + " but "
                    + image.file() + " has " + image.buildId().hex() + ": its symbols would be wrong");
        }
    }

    /** Starts {@code image} as a new process (its own session) and attaches to it. */
    public static HypervisorProcess start(final HvImage image, final Options o) throws IOException {
        final List<String> argv = List.of(image.file().toAbsolutePath().toString(), "--cpus", Integer.toString(o.cpus()),
                "--name", o.name(), "--workload", o.workload());
        final int pid = Linux.spawn(argv, List.of("PATH=/usr/bin:/bin", "LC_ALL=C"), o.consoleLog().toAbsolutePath().toString());
        final TracerImpl tracer;
        try {
            tracer = TracerImpl.attach(pid, o.killOnExit(), o.name());
            awaitExec(pid, image.file());
        } catch (final IOException e) {
            Linux.kill(pid, Linux.SIGKILL);
            throw e;
        }
        return new HypervisorProcess(image, o.name(), pid, tracer);
    }

    /**
     * Waits until {@code pid} runs {@code binary}. /proc/PID/mem binds to the address space the
     * process has when it is opened, and posix_spawn may return while the child still shares
     * ours (it has not reached execve yet): opened then, every read would fail with EIO.
     */
    private static void awaitExec(final int pid, final Path binary) throws IOException {
        final Path want = binary.toRealPath();
        final Path exe = Path.of("/proc", Integer.toString(pid), "exe");
        final long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
        for (;;) {
            try {
                if (want.equals(java.nio.file.Files.readSymbolicLink(exe))) {
                    return;
                }
            } catch (final IOException e) {
                // Not readable during the exec transition; try again.
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("process " + pid + " did not exec " + want + " within " + BOOT_TIMEOUT.toSeconds() + " s");
            }
            Thread.onSpinWait();
        }
    }

    /** Attaches to a hypervisor that is already running (a supervisor restarted). */
    public static HypervisorProcess attach(final HvImage image, final String name, final int pid, final boolean killOnExit)
            throws IOException {
        return new HypervisorProcess(image, name, pid, TracerImpl.attach(pid, killOnExit, name));
    }

    private void awaitBoot() throws IOException {
        final long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
        for (;;) {
            if (tracer.exit().isDone()) {
                throw new HypervisorCrashedException(name, tracer.exit().join());
            }
            try {
                if (Ctl.BOOT_READY == memory.readInt(ctl + Ctl.BOOT_STATE)) {
                    return;
                }
            } catch (final ErrnoException e) {
                // EIO: exec has switched to the new address space but the ELF loader has not
                // mapped the image yet (begin_new_exec runs before the segments are mapped).
                if (5 != e.errno() || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("hypervisor " + name + " (pid " + pid + ") did not boot within " + BOOT_TIMEOUT.toSeconds() + " s");
            }
            sleepMillis(5);
        }
    }

    public String name() {
        return name;
    }

    public int pid() {
        return pid;
    }

    public HvImage image() {
        return image;
    }

    /** {@return the hypervisor's memory} */
    public HypervisorMemory memory() {
        return memory;
    }

    /** {@return the number of pCPUs} */
    public int cpus() {
        return nrCpus;
    }

    /** {@return completes when the process ends} */
    public CompletableFuture<ExitStatus> exit() {
        return tracer.exit();
    }

    public boolean isRunning() {
        return !tracer.exit().isDone();
    }

    /** {@return the address of the rendezvous block} */
    public long rendezvousAddress() {
        return rendezvous;
    }

    /** {@return a view of the rendezvous block} */
    public RendezvousBlock rendezvous() {
        return new RendezvousBlock(memory, rendezvous, nrCpus);
    }

    /** {@return the descriptor of {@code /proc/PID/mem} (the rendezvous driver's allocation-free path)} */
    int memoryFd() {
        return memory.fd();
    }

    /** {@return this process's duplicate of CPU {@code cpu}'s IPI eventfd} */
    int ipiFd(final int cpu) {
        return ipi[cpu];
    }

    /** Kicks every pCPU (see {@link #kick(int)}). */
    public void kickAll() throws ErrnoException {
        for (int c = 0; c < nrCpus; c++) {
            kick(c);
        }
    }

    /** {@return [start, size] of the reserved payload area} */
    public long[] payloadArea() throws IOException {
        return new long[] {memory.readLong(ctl + Ctl.PAYLOAD_AREA), memory.readLong(ctl + Ctl.PAYLOAD_AREA_SIZE)};
    }

    /** Sends CPU {@code cpu} an "IPI": wakes it if it sleeps in the idle loop. */
    public void kick(final int cpu) throws ErrnoException {
        Linux.eventfdSignal(ipi[cpu], "IPI eventfd of CPU" + cpu);
    }

    /**
     * Runs one control-mailbox op and waits for its answer.
     *
     * @param in     bytes to place at the start of the mailbox buffer first (may be empty)
     * @param outLen how many buffer bytes to return
     * @throws HypervisorCrashedException when the hypervisor ends meanwhile
     */
    public synchronized Reply call(final int op, final int cpu, final long[] args, final byte[] in, final int outLen)
            throws IOException {
        try {
            return callOnce(op, cpu, args, in, outLen);
        } catch (final HypervisorCrashedException e) {
            throw e;
        } catch (final IOException e) {
            throw diedOr(e);
        }
    }

    /**
     * {@return a crash report when the hypervisor ended (its memory vanishes before the tracer
     * has reaped it, so a failed access is the first sign), else {@code e}}
     */
    private IOException diedOr(final IOException e) {
        try {
            return new HypervisorCrashedException(name, tracer.exit().get(2, TimeUnit.SECONDS));
        } catch (final TimeoutException | java.util.concurrent.ExecutionException ignored) {
            return e;
        } catch (final InterruptedException ie) {
            Thread.currentThread().interrupt();
            return e;
        }
    }

    private Reply callOnce(final int op, final int cpu, final long[] args, final byte[] in, final int outLen)
            throws IOException {
        if (!isRunning()) {
            throw new HypervisorCrashedException(name, tracer.exit().join());
        }
        if (in.length > Mbox.BUF_SIZE || outLen > Mbox.BUF_SIZE || args.length > 6) {
            throw new IllegalArgumentException("mailbox request too large");
        }
        if (in.length > 0) {
            memory.write(mbox + Mbox.BUF, in);
        }
        memory.writeInt(mbox + Mbox.OP, op);
        memory.writeInt(mbox + Mbox.CPU, cpu);
        for (int i = 0; i < args.length; i++) {
            memory.writeLong(mbox + Mbox.ARG + 8L * i, args[i]);
        }
        final int seq = memory.readInt(mbox + Mbox.SEQ) + 1;
        // Written after the request: the control thread reads seq with acquire, then the fields.
        memory.writeInt(mbox + Mbox.SEQ, seq);
        Linux.eventfdSignal(doorbell, "doorbell eventfd");
        final long deadline = System.nanoTime() + MAILBOX_TIMEOUT.toNanos();
        while (seq != memory.readInt(mbox + Mbox.DONE)) {
            if (!isRunning()) {
                throw new HypervisorCrashedException(name, tracer.exit().join());
            }
            if (System.nanoTime() > deadline) {
                throw new ErrnoException("mailbox op " + op + " on hypervisor " + name, 110);
            }
            Linux.eventfdWait(completion, 50, "completion eventfd");
        }
        return new Reply(memory.readLong(mbox + Mbox.RC), memory.readLong(mbox + Mbox.RET),
                outLen > 0 ? memory.read(mbox + Mbox.BUF, outLen) : new byte[0]);
    }

    /** {@return the address of the mailbox buffer: the control domain's memory for hypercall arguments} */
    public long mailboxBuffer() {
        return mbox + Mbox.BUF;
    }

    /**
     * Sets page permissions inside the payload area (platform op). Refused (EPERM) outside the
     * area and for writable+executable.
     */
    public void protect(final long address, final long length, final int prot) throws IOException {
        final Reply r = call(Mbox.OP_MPROTECT, 0, new long[] {address, length, prot}, new byte[0], 0);
        if (0 != r.rc()) {
            throw new ErrnoException(String.format("mprotect(0x%x, 0x%x, %d) in hypervisor %s", address, length, prot, name),
                    (int) -r.rc());
        }
    }

    /** Per-CPU workload counters. */
    public record CpuStats(int cpu, long exits, long hypercalls, long vmexits, long pvHypercalls, long efaults,
                           long softirqs, long wakeups, boolean idle, long dom0Ops) {
    }

    /** {@return a snapshot of every pCPU's counters} */
    public List<CpuStats> stats() throws IOException {
        final byte[] b = memory.read(stats, (int) (Stats.ENTRY * nrCpus));
        final java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        final List<CpuStats> out = new ArrayList<>();
        for (int c = 0; c < nrCpus; c++) {
            final int o = (int) (Stats.ENTRY * c);
            out.add(new CpuStats(c, bb.getLong(o + (int) Stats.EXITS), bb.getLong(o + (int) Stats.HYPERCALLS),
                    bb.getLong(o + (int) Stats.VMEXITS), bb.getLong(o + (int) Stats.PV_HYPERCALLS),
                    bb.getLong(o + (int) Stats.EFAULTS), bb.getLong(o + (int) Stats.SOFTIRQS),
                    bb.getLong(o + (int) Stats.WAKEUPS), 0 != bb.getLong(o + (int) Stats.IDLE), bb.getLong(o + (int) Stats.DOM0_OPS)));
        }
        return out;
    }

    /**
     * Reads the console ring from the consumer index to the producer (what {@code xl dmesg} shows;
     * Xen's toolstack uses sysctl readconsole, here the ring is read directly so it also works
     * while every CPU is parked).
     *
     * @param clear move the consumer index to the end afterwards ({@code xl dmesg -c})
     */
    public synchronized String console(final boolean clear) throws IOException {
        final long prod = memory.readLong(conringProd);
        final long cons = Math.max(memory.readLong(conringCons), prod - Console.SIZE);
        final int len = (int) (prod - cons);
        final byte[] out = new byte[len];
        final int start = (int) (cons & (Console.SIZE - 1));
        final int first = (int) Math.min(len, Console.SIZE - start);
        System.arraycopy(memory.read(conring + start, first), 0, out, 0, first);
        if (first < len) {
            System.arraycopy(memory.read(conring, len - first), 0, out, first, len - first);
        }
        if (clear) {
            memory.writeLong(conringCons, prod);
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /**
     * Stops the hypervisor: the SHUTDOWN platform op, then SIGKILL if it has not exited
     * within {@code grace}.
     *
     * @return how it ended
     */
    public ExitStatus shutdown(final Duration grace) throws IOException {
        if (isRunning()) {
            try {
                call(Mbox.OP_SHUTDOWN, 0, new long[0], new byte[0], 0);
            } catch (final HypervisorCrashedException e) {
                return e.status();
            } catch (final IOException e) {
                Linux.kill(pid, Linux.SIGKILL);
            }
        }
        try {
            return tracer.exit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final TimeoutException e) {
            Linux.kill(pid, Linux.SIGKILL);
            return tracer.exit().join();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping " + name, e);
        } catch (final java.util.concurrent.ExecutionException e) {
            throw new IOException("waiting for hypervisor " + name + " to stop", e.getCause());
        }
    }

    /** Releases this process's descriptors; the hypervisor keeps running unless it was started with killOnExit. */
    @Override
    public void close() {
        for (final int fd : ipi) {
            Linux.close(fd);
        }
        Linux.close(doorbell);
        Linux.close(completion);
        Linux.close(pidfd);
        memory.close();
    }

    static void sleepMillis(final long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
