package org.xsplice.hv;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import org.xsplice.hv.HvLayout.Rendezvous;

/**
 * Benchmark harness (bench/hv-rendezvous): runs do-nothing rendezvous on a fresh hypervisor
 * under its workload and prints how long it takes until every pCPU is parked, and until all
 * have left after the release.
 * {@code RendezvousProbe [COUNT] [CPUS] [WORKLOAD]}
 */
public final class RendezvousProbe {
    private RendezvousProbe() {
    }

    public static void main(final String[] args) throws Exception {
        final int count = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        final int cpus = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        final String workload = args.length > 2 ? args[2] : "normal";
        final Path dir = Files.createTempDirectory("hv-rendezvous");
        final HvImage image = HvImage.read(HvImage.locate(System.getenv()));
        try (HypervisorProcess hv = HypervisorProcess.start(image, new HypervisorProcess.Options(
                "probe-" + ProcessHandle.current().pid(), cpus, workload, true, dir.resolve("console.log")))) {
            final RendezvousBlock r = hv.rendezvous();
            final long[] arrive = new long[count];
            final long[] leave = new long[count];
            int busy = 0;
            for (int i = 0; i < count; i++) {
                final long gen = r.generation() + 1;
                final long t0 = System.nanoTime();
                final long deadline = t0 + Duration.ofMillis(30).toNanos();
                r.request(gen, deadline, Rendezvous.CPU_ACTION_NONE, 0);
                hv.kickAll();
                while (r.arrivedCount(gen) < cpus && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                final boolean all = r.arrivedCount(gen) == cpus;
                final long t1 = System.nanoTime();
                final boolean[] parked = new boolean[cpus];
                for (int c = 0; c < cpus; c++) {
                    parked[c] = r.cpu(c).arrived() == gen;
                }
                r.release(gen);
                hv.kickAll();
                // Only CPUs that were parked leave this rendezvous; one that never arrived will
                // not enter it any more (the flag is down), so it is not waited for.
                for (int c = 0; c < cpus; c++) {
                    while (parked[c] && r.cpu(c).left() != gen) {
                        Thread.onSpinWait();
                    }
                }
                arrive[i] = t1 - t0;
                leave[i] = System.nanoTime() - t1;
                if (!all) {
                    busy++;
                }
            }
            Arrays.sort(arrive);
            Arrays.sort(leave);
            System.out.printf("rendezvous: %d runs, %d CPUs, workload %s, 30 ms deadline%n", count, cpus, workload);
            System.out.printf("  all parked after: median %.1f us, p99 %.1f us, max %.1f us%n", arrive[count / 2] / 1e3,
                    arrive[(int) (count * 0.99)] / 1e3, arrive[count - 1] / 1e3);
            System.out.printf("  all left after release: median %.1f us, p99 %.1f us%n", leave[count / 2] / 1e3,
                    leave[(int) (count * 0.99)] / 1e3);
            System.out.printf("  missed the deadline (would be EBUSY): %d%n", busy);
            hv.shutdown(Duration.ofSeconds(5));
        }
    }
}
