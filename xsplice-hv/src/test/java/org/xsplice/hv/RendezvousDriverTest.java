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

/** The rendezvous driver and the master CPU's work list on a running hypervisor, without the control socket. */
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
            final int rc = d.run(T, Rendezvous.CPU_ACTION_UCODE, 0x42, 0, parked -> {
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
    void writesThatDoNotVerifyAreUndoneAndAWriteOutsideTheTextIsRefusedUntouched() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("undo"), 2, "normal");
        final long changeset = hv.image().symbols().lookup("xen_changeset").orElseThrow().address();
        final long major = hv.image().symbols().lookup("xen_major_version").orElseThrow().address();
        final byte[] before = hv.memory().read(changeset, 5);
        final byte[] majorBefore = hv.memory().read(major, 5);
        final byte[] jmpSelf = {(byte) 0xe9, (byte) 0xfb, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        final byte[] other = jmpSelf.clone();
        other[1] = (byte) 0xfa;
        final PatchRecords records = new PatchRecords(hv);
        final long table = records.published();
        try (RendezvousDriver d = new RendezvousDriver(hv)) {
            // Both writes land, then the second range does not hold what the list says it
            // must in the end: the master restores both. The work names a table to publish on
            // success: a failure must not publish it.
            final long work = records.stageWork(List.of(
                    new TextWrite("xen_changeset", "t", changeset, before, jmpSelf, jmpSelf, true),
                    new TextWrite("xen_major_version", "t", major, majorBefore, jmpSelf, other, true)), records.stage(List.of()));
            assertEquals(RendezvousDriver.EIO, d.run(T, Rendezvous.CPU_ACTION_NONE, 0, work, null));
            assertEquals(1, d.lastFailedIndex());
            assertTrue(d.lastMasterCpu() >= 0 && d.lastMasterCpu() < 2, "a parked CPU acted: " + d.lastMasterCpu());
            // An address outside the hypervisor's text and the payload area: refused before any write.
            final long outside = records.stageWork(List.of(
                    new TextWrite("xen_changeset", "t", changeset, before, jmpSelf, jmpSelf, true),
                    new TextWrite("nowhere", "t", 0x1000, new byte[5], jmpSelf, jmpSelf, false)), 0);
            assertEquals(-14, d.run(T, Rendezvous.CPU_ACTION_NONE, 0, outside, null), "EFAULT");
            assertEquals(1, d.lastFailedIndex());
        }
        assertArrayEquals(before, hv.memory().read(changeset, 5));
        assertArrayEquals(majorBefore, hv.memory().read(major, 5));
        assertEquals(table, records.published(), "nothing published");
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
        final PatchRecords records = new PatchRecords(hv);
        try (RendezvousDriver d = new RendezvousDriver(hv)) {
            final long work = records.stageWork(List.of(new TextWrite("xen_changeset", "t", changeset, wrong, nops, nops, true)), 0);
            assertEquals(LiveActions.ESTALE, d.run(T, Rendezvous.CPU_ACTION_NONE, 0, work, null));
            assertEquals(0, d.lastFailedIndex());
        }
        assertArrayEquals(before, hv.memory().read(changeset, 5));
    }

    @Test
    void theMasterWritesVerifiesAndPublishesTheStagedRecordsInOneStep() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("master"), 4, "normal");
        final long changeset = hv.image().symbols().lookup("xen_changeset").orElseThrow().address();
        final long extra = hv.image().symbols().lookup("xen_major_version").orElseThrow().address();
        final byte[] c0 = hv.memory().read(changeset, 5);
        final byte[] e0 = hv.memory().read(extra, 5);
        // Two functions redirected to siblings of the same type (changeset -> extra version,
        // major -> minor version): real text changes that keep every caller working.
        final byte[] c1 = jmp(changeset, hv.image().symbols().lookup("xen_extra_version").orElseThrow().address());
        final byte[] e1 = jmp(extra, hv.image().symbols().lookup("xen_minor_version").orElseThrow().address());
        final PatchRecords records = new PatchRecords(hv);
        final PatchRecord r = new PatchRecord("t", 0x1000, 0x1000, 0x1000, 1, 0x2000, 0, 0x2000, 0, 0x3000, 1,
                org.xsplice.hypervisor.loader.PayloadState.APPLIED, 0, false, 1,
                List.of(new PatchRecord.FuncState(changeset, 5, true, c0), new PatchRecord.FuncState(extra, 5, true, e0)));
        final long table = records.stage(List.of(r));
        final long work = records.stageWork(List.of(new TextWrite("xen_changeset", "t", changeset, c0, c1, c1, true),
                new TextWrite("xen_major_version", "t", extra, e0, e1, e1, true)), table);
        try (RendezvousDriver d = new RendezvousDriver(hv)) {
            assertEquals(0, d.run(T, Rendezvous.CPU_ACTION_NONE, 0, work, null));
            assertEquals(-1, d.lastFailedIndex());
            assertTrue(d.lastMasterNs() > 0);
        }
        assertArrayEquals(c1, hv.memory().read(changeset, 5));
        assertArrayEquals(e1, hv.memory().read(extra, 5));
        assertEquals(table, records.published());
        final List<PatchRecord> back = records.read();
        assertEquals(1, back.size());
        assertEquals("t", back.getFirst().name());
        assertArrayEquals(e0, back.getFirst().funcs().get(1).saved());
        // And back, restoring the bytes, publishing no table.
        try (RendezvousDriver d = new RendezvousDriver(hv)) {
            final long undo = records.stageWork(List.of(new TextWrite("xen_major_version", "t", extra, e1, e0, e0, true),
                    new TextWrite("xen_changeset", "t", changeset, c1, c0, c0, true)), 0);
            assertEquals(0, d.run(T, Rendezvous.CPU_ACTION_NONE, 0, undo, null));
        }
        assertArrayEquals(c0, hv.memory().read(changeset, 5));
        assertArrayEquals(e0, hv.memory().read(extra, 5));
        assertEquals(table, records.published());
        assertTrue(hv.isRunning());
    }

    @Test
    void aCommitThatComesAfterEveryCpuLeftAtTheDeadlineIsEbusyAtOnceAndChangesNothing() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("late"), 2, "normal");
        final long changeset = hv.image().symbols().lookup("xen_changeset").orElseThrow().address();
        final byte[] before = hv.memory().read(changeset, 5);
        final byte[] jmpSelf = {(byte) 0xe9, (byte) 0xfb, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        final PatchRecords records = new PatchRecords(hv);
        final long table = records.published();
        final long work = records.stageWork(List.of(new TextWrite("xen_changeset", "t", changeset, before, jmpSelf, jmpSelf, true)),
                records.stage(List.of()));
        try (RendezvousDriver d = new RendezvousDriver(hv)) {
            final long t0 = System.nanoTime();
            // The driver is held past the 20 ms deadline between seeing everyone parked and
            // committing (as a descheduled one would be): every CPU has left, nobody may act.
            final int rc = d.run(20_000_000L, Rendezvous.CPU_ACTION_NONE, 0, work, parked -> {
                try {
                    Thread.sleep(100);
                } catch (final InterruptedException e) {
                    return -4;
                }
                return 0;
            });
            assertEquals(RendezvousDriver.EBUSY, rc);
            assertTrue(System.nanoTime() - t0 < RendezvousDriver.MASTER_LIMIT_NS / 3, "answered without waiting for a master");
        }
        assertArrayEquals(before, hv.memory().read(changeset, 5));
        assertEquals(table, records.published(), "nothing published");
        assertEquals(0, hv.memory().readInt(hv.rendezvousAddress() + Rendezvous.DO_WORK), "the flag is down");
        assertTrue(hv.isRunning());
    }

    private static byte[] jmp(final long from, final long to) {
        final int rel = (int) (to - (from + 5));
        return new byte[] {(byte) 0xe9, (byte) rel, (byte) (rel >> 8), (byte) (rel >> 16), (byte) (rel >> 24)};
    }

    private long exits() throws IOException {
        return hv.stats().stream().mapToLong(HypervisorProcess.CpuStats::exits).sum();
    }
}
