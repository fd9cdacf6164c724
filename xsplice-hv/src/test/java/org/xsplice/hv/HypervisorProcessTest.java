package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.hypervisor.ErrnoException;
import org.xsplice.hypervisor.symbols.Symbol;

/** The C core started for real, observed through its memory and the control mailbox. */
class HypervisorProcessTest {
    @TempDir
    Path dir;

    private HypervisorProcess hv;

    @AfterEach
    void stop() throws IOException {
        HvTestSupport.stopAndClose(hv);
    }

    @Test
    void versionComesFromTheRunningCode() throws IOException {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("ver"), 4, "normal");
        final Hypercalls h = new Hypercalls(hv, 1);
        final HvImage img = hv.image();
        // xen_extra as the C object holds it, read from the image file, equals what the hypercall returns.
        assertEquals(img.stringConstant("xen_extra").orElseThrow(), h.extraVersion());
        assertEquals((4L << 16) | 17, h.version());
        assertArrayEquals(img.buildId().bytes(), h.buildId());
        assertEquals(4096, h.pageSize());
        assertEquals("--cpus 4 --name " + hv.name() + " --workload normal", h.commandline());
        final Hypercalls.Physinfo pi = h.physinfo();
        assertEquals(4, pi.nrCpus());
        assertEquals(3, pi.maxCpuId());
        assertTrue(pi.cpuKhz() > 100_000, "cpu_khz " + pi.cpuKhz());
        assertTrue(h.compileInfo().compiler().contains("12."), h.compileInfo().toString());
    }

    @Test
    void hypercallCountersAdvanceOnEveryCpu() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("ctr"), 4, "normal");
        final List<HypervisorProcess.CpuStats> a = hv.stats();
        TimeUnit.MILLISECONDS.sleep(300);
        final List<HypervisorProcess.CpuStats> b = hv.stats();
        for (int c = 0; c < 4; c++) {
            assertTrue(b.get(c).hypercalls() > a.get(c).hypercalls(), "CPU" + c + ": " + a.get(c) + " -> " + b.get(c));
            assertTrue(b.get(c).vmexits() > a.get(c).vmexits(), "CPU" + c + " HVM exits");
            assertTrue(b.get(c).pvHypercalls() > a.get(c).pvHypercalls(), "CPU" + c + " PV hypercalls");
        }
    }

    @Test
    void badGuestPointerGetsEfaultAndTheHypervisorKeepsServing() throws IOException {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("efault"), 2, "normal");
        final Hypercalls h = new Hypercalls(hv, 0);
        final long before = hv.stats().get(0).efaults();
        // A pointer to page 1: never mapped in a Linux process, so copy_to_guest faults.
        final HypervisorProcess.Reply r = h.raw(Hypercalls.HYPERVISOR_XEN_VERSION, new byte[0], 0,
                Hypercalls.XENVER_EXTRAVERSION, 0x1000);
        assertEquals(-14, r.rc(), "EFAULT");
        assertTrue(hv.stats().get(0).efaults() > before);
        assertEquals(hv.image().stringConstant("xen_extra").orElseThrow(), h.extraVersion());
        assertTrue(hv.isRunning());
    }

    @Test
    void faultWithoutFixupCrashesWithASymbolisedReport() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("crash"), 2, "normal");
        final Hypercalls h = new Hypercalls(hv, 1);
        final HypervisorCrashedException e = assertThrows(HypervisorCrashedException.class, () -> h.debugKeys("C"));
        assertEquals(ExitStatus.PANIC, e.status().code());
        assertFalse(hv.isRunning());
        final String console = Files.readString(dir.resolve("console.log"));
        assertTrue(console.contains("Panic on CPU 1:"), console);
        assertTrue(console.contains("FATAL PAGE FAULT"), console);
        assertTrue(console.contains("Faulting linear address: 0000000000000018"), console);
        // Every frame symbolised, from the faulting static function down to the pCPU loop.
        final Symbol crash = hv.image().symbols().lookup("keyhandler.c#do_crash_key").orElseThrow();
        assertTrue(console.matches("(?s).*RIP:    e008:\\[<[0-9a-f]{16}>\\] keyhandler\\.c#do_crash_key\\+0x[0-9a-f]+/0x"
                + Long.toHexString(crash.size()) + "\n.*"), console);
        for (final String f : List.of("handle_keypress+", "do_sysctl+", "lstar_enter+", "run_dom0_request+", "cpu_loop+")) {
            assertTrue(console.matches("(?s).*\\[<[0-9a-f]{16}>\\] F [a-z0-9_.#]*" + java.util.regex.Pattern.quote(f) + "0x[0-9a-f]+/0x[0-9a-f]+\n.*"),
                    f + " missing in\n" + console);
        }
    }

    @Test
    void mprotectIsConfinedToThePayloadAreaAndNeverWritableAndExecutable() throws IOException {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("prot"), 1, "idle");
        final long[] area = hv.payloadArea();
        assertEquals(64L << 20, area[1]);
        final long text = hv.image().symbols().lookup("do_domctl").orElseThrow().address();
        assertTrue(Math.abs(area[0] - text) < (1L << 31), "payload area within rel32 reach of the text");
        hv.protect(area[0], 4096, 1 | 4);            // RX
        hv.protect(area[0], 4096, 1 | 2);            // RW
        assertEquals(1, assertThrows(ErrnoException.class, () -> hv.protect(area[0], 4096, 7)).errno());
        assertEquals(1, assertThrows(ErrnoException.class, () -> hv.protect(text & ~4095L, 4096, 1)).errno());
        // Writes through /proc/PID/mem reach read-only text without making it writable.
        final byte[] orig = hv.memory().read(text, 1);
        hv.memory().write(text, orig);
    }
}
