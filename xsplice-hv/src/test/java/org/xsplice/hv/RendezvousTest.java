package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.hv.HvLayout.Rendezvous;
import org.xsplice.hypervisor.symbols.SymbolLocation;

/**
 * Drives the C side of the rendezvous from Java (the full driver is the patching code's):
 * raise the flag, kick the CPUs, see every one park with its stack published, release.
 */
class RendezvousTest {
    @TempDir
    Path dir;

    private HypervisorProcess hv;

    @AfterEach
    void stop() throws IOException {
        HvTestSupport.stopAndClose(hv);
    }

    private static void awaitAll(final RendezvousBlock r, final long gen, final long deadline) throws Exception {
        while (r.arrivedCount(gen) < r.cpus() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    @Test
    void everyCpuParksPublishesItsStackAndLeavesWhenReleased() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("rdv"), 4, "normal");
        final RendezvousBlock r = hv.rendezvous();
        final long gen = r.generation() + 1;
        final long t0 = System.nanoTime();
        r.request(gen, t0 + Duration.ofMillis(500).toNanos(), Rendezvous.CPU_ACTION_UCODE, 0x1234);
        hv.kickAll();
        awaitAll(r, gen, t0 + Duration.ofMillis(500).toNanos());
        final long waited = System.nanoTime() - t0;
        assertEquals(4, r.arrivedCount(gen), "all CPUs parked");
        final long exits = hv.stats().stream().mapToLong(HypervisorProcess.CpuStats::exits).sum();
        Thread.sleep(20);
        assertEquals(exits, hv.stats().stream().mapToLong(HypervisorProcess.CpuStats::exits).sum(), "no exit handled while parked");
        for (int c = 0; c < 4; c++) {
            final RendezvousBlock.CpuState s = r.cpu(c);
            assertTrue(s.sp() >= s.stackLo() && s.sp() < s.stackHi(), "sp inside CPU" + c + "'s stack: " + s);
            assertTrue(s.fp() >= s.sp() && s.fp() < s.stackHi(), "fp above sp: " + s);
            final String caller = hv.image().symbols().symbolize(s.pc()).map(SymbolLocation::toString).orElse("?");
            assertTrue(caller.matches("(entry\\.c#)?(vmx_asm_vmexit_handler|lstar_enter|idle_loop)(\\.cold)?\\+.*"),
                    "parked on an exit path or in the idle loop: " + caller);
        }
        // The commit: the master (a parked CPU) finds every CPU there, has no work, releases all.
        r.commit(gen);
        final long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (r.done() != gen && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(gen, r.done(), "the master finished");
        assertEquals(0, r.rc());
        for (int c = 0; c < 4; c++) {
            while (r.cpu(c).left() != gen && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            final RendezvousBlock.CpuState s = r.cpu(c);
            assertEquals(gen, s.left());
            assertEquals(gen, s.actionDone(), "CPU action ran on CPU" + c);
            assertEquals(0x1234, s.ucodeRev(), "per-CPU microcode revision updated");
        }
        // The workload goes on.
        final long after = hv.stats().stream().mapToLong(HypervisorProcess.CpuStats::exits).sum();
        Thread.sleep(50);
        assertTrue(hv.stats().stream().mapToLong(HypervisorProcess.CpuStats::exits).sum() > after);
        System.out.printf("rendezvous of 4 CPUs (normal workload): all parked after %.1f us%n", waited / 1e3);
    }

    @Test
    void cpusLeaveOnTheirOwnAtTheDeadlineWhenNothingWasCommitted() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("rdvto"), 2, "normal");
        final RendezvousBlock r = hv.rendezvous();
        final long gen = r.generation() + 1;
        final long deadline = System.nanoTime() + Duration.ofMillis(30).toNanos();
        r.request(gen, deadline, Rendezvous.CPU_ACTION_NONE, 0);
        hv.kickAll();
        // Never commit nor release: the driver "died". Every CPU must leave after the deadline.
        final long limit = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        for (int c = 0; c < 2; c++) {
            while (r.cpu(c).left() != gen && System.nanoTime() < limit) {
                Thread.sleep(1);
            }
            assertEquals(gen, r.cpu(c).left(), "CPU" + c + " left");
            assertEquals(1, r.cpu(c).timeouts());
            assertEquals(0, r.cpu(c).actionDone(), "no CPU action without a release");
        }
        assertTrue(System.nanoTime() >= deadline);
        r.release(gen);
        assertTrue(hv.isRunning());
        assertEquals(hv.image().stringConstant("xen_extra").orElseThrow(), new Hypercalls(hv, 0).extraVersion());
    }
}
