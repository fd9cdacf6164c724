package org.xsplice.hv;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.xsplice.hv.HvLayout.Rendezvous;
import org.xsplice.hypervisor.patch.CodeRange;
import org.xsplice.hypervisor.patch.TextWrite;
import org.xsplice.hypervisor.symbols.Symbol;

/**
 * Benchmark harness (bench/hv-apply): the pause of an action, from the moment every pCPU is
 * parked to its release, for 1, 10 and 100 functions, on a fresh hypervisor under its
 * workload, and the rendezvous wait before it. Each run does exactly what an APPLY does while
 * the CPUs are parked (the driver's stack walk of every CPU against every function's range,
 * the commit, then on the master CPU the live-byte comparison, the 5-byte writes and the
 * read-back of every range) with writes that store each function's own first 5 bytes again,
 * so the workload keeps running correct code across thousands of runs. The pause is the time
 * every CPU was parked at once, by the CPUs' own clocks (last arrival to first departure);
 * the master's share (its claim to the release) and the driver's view (all parked seen to
 * master done seen) are printed as well.
 * {@code ApplyProbe [COUNT] [CPUS] [WORKLOAD]}
 */
public final class ApplyProbe {
    /** Functions every parked CPU has on its stack: the stack check refuses them by design. */
    private static final java.util.Set<String> ALWAYS_ON_STACK = java.util.Set.of("cpu_loop", "idle_loop",
            "vmx_asm_vmexit_handler", "lstar_enter", "do_livepatch_work", "run_dom0_request", "platform_op_loop",
            "start_secondary", "__start_xen", "main");

    private ApplyProbe() {
    }

    public static void main(final String[] args) throws Exception {
        final int count = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        final int cpus = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        final String workload = args.length > 2 ? args[2] : "normal";
        final Path dir = Files.createTempDirectory("hv-apply");
        final HvImage image = HvImage.read(HvImage.locate(System.getenv()));
        try (HypervisorProcess hv = HypervisorProcess.start(image, new HypervisorProcess.Options(
                "apply-probe-" + ProcessHandle.current().pid(), cpus, workload, true, dir.resolve("console.log")));
             RendezvousDriver driver = new RendezvousDriver(hv)) {
            final List<Symbol> funcs = image.symbols().symbols().stream()
                    .filter(s -> Symbol.Kind.FUNCTION == s.kind() && s.size() >= 16 && !ALWAYS_ON_STACK.contains(s.name()))
                    .sorted(Comparator.comparingLong(Symbol::address)).toList();
            System.out.printf("apply pause: %d runs each, %d CPUs, workload %s, 30 ms deadline%n", count, cpus, workload);
            for (final int n : new int[] {1, 10, 100}) {
                final List<TextWrite> writes = new ArrayList<>();
                final List<CodeRange> ranges = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    final Symbol s = funcs.get(i * (funcs.size() / n));
                    final byte[] b = hv.memory().read(s.address(), 5);
                    writes.add(new TextWrite(s.name(), "probe", s.address(), b, b, b, true));
                    ranges.add(new CodeRange(s.name(), s.address(), s.address() + s.size()));
                }
                final long[] pause = new long[count];
                final long[] wait = new long[count];
                final long[] master = new long[count];
                final long[] seen = new long[count];
                int ok = 0;
                int busy = 0;
                int stack = 0;
                final long work = new PatchRecords(hv).stageWork(writes, 0);
                try (StackCheck w = new StackCheck(hv, ranges)) {
                    for (int i = 0; i < count; i++) {
                        final int rc = driver.run(0, Rendezvous.CPU_ACTION_NONE, 0, work, w);
                        if (RendezvousDriver.EBUSY == rc) {
                            busy++;
                        } else if (StackCheck.STACK_BUSY == rc) {
                            stack++;
                        } else if (0 != rc) {
                            throw new IllegalStateException("run " + i + ": rc " + rc + ", failed write " + driver.lastFailedIndex()
                                    + ", master CPU" + driver.lastMasterCpu() + ", hypervisor running: " + hv.isRunning() + ", " + driver.lastIoFailure());
                        }
                        if (0 == rc) {
                            master[ok] = driver.lastMasterNs();
                            seen[ok] = driver.lastPauseNs();
                            pause[ok] = driver.lastParkedNs();
                            wait[ok++] = driver.lastWaitNs();
                        }
                    }
                }
                final long[] p = Arrays.copyOf(pause, ok);
                final long[] q = Arrays.copyOf(wait, ok);
                final long[] m = Arrays.copyOf(master, ok);
                final long[] d = Arrays.copyOf(seen, ok);
                Arrays.sort(p);
                Arrays.sort(q);
                Arrays.sort(m);
                Arrays.sort(d);
                System.out.printf("  %3d functions: pause median %.1f us, p99 %.1f us (master's share median %.1f us, p99 %.1f us;"
                                + " driver's view median %.1f us); rendezvous wait median %.1f us, p99 %.1f us; EBUSY %d,"
                                + " stack refusals %d%n", n, p[ok / 2] / 1e3, p[(int) (ok * 0.99)] / 1e3, m[ok / 2] / 1e3,
                        m[(int) (ok * 0.99)] / 1e3, d[ok / 2] / 1e3, q[ok / 2] / 1e3, q[(int) (ok * 0.99)] / 1e3, busy, stack);
            }
            hv.shutdown(Duration.ofSeconds(5));
        }
    }
}
