package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.hv.HvLayout.Rendezvous;
import org.xsplice.hypervisor.patch.TextWrite;

/** The rendezvous driver and the text writer on a running hypervisor, without the control socket. */
class RendezvousDriverTest {
    private static final long T = 1_000_000_000L;

    @TempDir
    Path dir;

    private HypervisorProcess hv;

    @AfterEach
    void stop() throws IOException {
        HvTestSupport.stopAndClose(hv);
    }

    @Test
    void actionRunsWhileEveryCpuIsParkedAndEachRunsTheCpuActionAtRelease() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("drv"), 4, "normal");
        try (RendezvousDriver d = new RendezvousDriver(hv)) {
            final long[] exitsDuring = new long[2];
            final int rc = d.run(T, Rendezvous.CPU_ACTION_UCODE, 0x42, parked -> {
                try {
                    exitsDuring[0] = exits();
                    Thread.sleep(5);
                    exitsDuring[1] = exits();
                } catch (final IOException | InterruptedException e) {
                    return -5;
                }
                for (int c = 0; c < parked.cpus(); c++) {
                    if (parked.sp(c) < parked.stackLo(c) || parked.sp(c) >= parked.stackHi(c)) {
                        return -22;
                    }
                }
                return 0;
            });
            assertEquals(0, rc);
            assertEquals(exitsDuring[0], exitsDuring[1], "no exit handled while parked");
            assertEquals(0, d.stragglers());
            final RendezvousBlock r = hv.rendezvous();
            for (int c = 0; c < 4; c++) {
                assertEquals(0x42, r.cpu(c).ucodeRev(), "CPU" + c + " ran the CPU action");
                assertEquals(r.generation(), r.cpu(c).left(), "CPU" + c + " left");
            }
            assertTrue(d.lastPauseNs() >= 5_000_000);
        }
    }

    @Test
    void aWriteThatFailsMidwayIsUndoneAndNothingElseChanges() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("undo"), 2, "normal");
        final long changeset = hv.image().symbols().lookup("xen_changeset").orElseThrow().address();
        final byte[] before = hv.memory().read(changeset, 5);
        final byte[] jmpSelf = {(byte) 0xe9, (byte) 0xfb, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        // The second write targets an unmapped page: the first must be rolled back.
        final List<TextWrite> writes = List.of(
                new TextWrite("xen_changeset", "t", changeset, before, jmpSelf, jmpSelf, true),
                new TextWrite("nowhere", "t", 0x1000, new byte[5], jmpSelf, jmpSelf, false));
        try (RendezvousDriver d = new RendezvousDriver(hv); PatchWriter w = new PatchWriter(hv, writes, List.of())) {
            final int rc = d.run(T, Rendezvous.CPU_ACTION_NONE, 0, w);
            assertTrue(rc < 0 && rc != RendezvousDriver.EBUSY, "rc " + rc);
            assertEquals(1, w.failedIndex());
        }
        assertArrayEquals(before, hv.memory().read(changeset, 5));
        assertTrue(hv.isRunning());
    }

    @Test
    void liveBytesThatDifferFromThePlanStopTheActionBeforeAnyWrite() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("stale"), 2, "normal");
        final long changeset = hv.image().symbols().lookup("xen_changeset").orElseThrow().address();
        final byte[] before = hv.memory().read(changeset, 5);
        final byte[] wrong = before.clone();
        wrong[0] ^= 1;
        final byte[] nops = {(byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0x90};
        try (RendezvousDriver d = new RendezvousDriver(hv);
             PatchWriter w = new PatchWriter(hv, List.of(new TextWrite("xen_changeset", "t", changeset, wrong, nops, nops, true)),
                     List.of())) {
            assertEquals(PatchWriter.ESTALE, d.run(T, Rendezvous.CPU_ACTION_NONE, 0, w));
        }
        assertArrayEquals(before, hv.memory().read(changeset, 5));
    }

    private long exits() throws IOException {
        return hv.stats().stream().mapToLong(HypervisorProcess.CpuStats::exits).sum();
    }
}
