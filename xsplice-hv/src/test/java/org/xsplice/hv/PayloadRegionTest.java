package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.hv.HvLayout.Regions;

/**
 * The registry of payload regions, as a loader will fill it: a hand-assembled function placed
 * in the payload area (RX), its exception table and symbol (a region), reached through a
 * hypercall-table slot redirected to it. A fault in payload code is fixed up from the
 * region's table; without an entry, the crash report names the payload function.
 */
class PayloadRegionTest {
    /*
     *  0: push %rbp; mov %rsp,%rbp
     *  4: mov $0x1000,%rsi          (a guest pointer into page 1: never mapped)
     * 11: lea -0x40(%rsp),%rdi
     * 16: mov $16,%ecx
     * 21: rep movsb                 <- faults
     * 23: xor %eax,%eax; pop %rbp; ret
     * 27: mov $-14,%rax; pop %rbp; ret   (fixup: -EFAULT)
     */
    private static final byte[] CODE = {
        0x55, 0x48, (byte) 0x89, (byte) 0xe5,
        0x48, (byte) 0xc7, (byte) 0xc6, 0x00, 0x10, 0x00, 0x00,
        0x48, (byte) 0x8d, 0x7c, 0x24, (byte) 0xc0,
        (byte) 0xb9, 0x10, 0x00, 0x00, 0x00,
        (byte) 0xf3, (byte) 0xa4,
        0x31, (byte) 0xc0, 0x5d, (byte) 0xc3,
        0x48, (byte) 0xc7, (byte) 0xc0, (byte) 0xf2, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x5d, (byte) 0xc3,
    };
    private static final int FAULT = 21;
    private static final int FIXUP = 27;
    private static final int CONSOLE_IO = 18;

    @TempDir
    Path dir;

    private HypervisorProcess hv;

    @AfterEach
    void stop() throws IOException {
        HvTestSupport.stopAndClose(hv);
    }

    /** Lays out text | extable | symbols | strings | region table in the area and publishes the table. */
    private long install(final boolean withExtable) throws IOException {
        final long base = hv.payloadArea()[0];
        final long ex = base + 0x1000;
        final long sym = base + 0x1800;
        final long name = base + 0x1900;
        final long fname = base + 0x1940;
        final long dump = base + 0x1980;
        final long table = base + 0x2000;
        hv.memory().write(base, CODE);
        hv.protect(base, 0x1000, 1 | 4);        // RX, written before through /proc/PID/mem
        final ByteBuffer e = le(8);
        e.putInt(0, (int) (base + FAULT - ex)).putInt(4, (int) (base + FIXUP - (ex + 4)));
        hv.memory().write(ex, e.array());
        hv.memory().write(sym, le(24).putLong(0, base).putLong(8, CODE.length).putLong(16, fname).array());
        hv.memory().write(name, "testpayload\0".getBytes(StandardCharsets.US_ASCII));
        hv.memory().write(fname, "copy_from_bad\0".getBytes(StandardCharsets.US_ASCII));
        hv.memory().write(dump, " name=testpayload state=CHECKED(1)\n\0".getBytes(StandardCharsets.US_ASCII));
        final ByteBuffer t = le((int) (Regions.TABLE_HEADER + Regions.REGION_SIZE));
        t.putLong(0, 1);
        final int r = (int) Regions.TABLE_HEADER;
        t.putLong(r + (int) Regions.TEXT_START, base).putLong(r + (int) Regions.TEXT_END, base + 0x1000)
                .putLong(r + (int) Regions.EXTABLE, ex).putLong(r + (int) Regions.NR_EXTABLE, withExtable ? 1 : 0)
                .putLong(r + (int) Regions.SYMTAB, sym).putLong(r + (int) Regions.NR_SYMTAB, 1)
                .putLong(r + (int) Regions.NAME, name).putLong(r + (int) Regions.DUMP, dump);
        hv.memory().write(table, t.array());
        // Publish with one 8-byte store, after the table is complete.
        hv.memory().writeLong(hv.image().address(Regions.SYMBOL, 8), table);
        // Route console_io to the payload function (a test's shortcut to get payload code called).
        final long slot = hv.image().symbols().lookup("hypercall.c#hypercall_table").orElseThrow().address() + 8L * CONSOLE_IO;
        hv.memory().writeLong(slot, base);
        return base;
    }

    private static ByteBuffer le(final int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void faultInPayloadCodeIsFixedUpFromItsRegion() throws IOException {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("region"), 2, "normal");
        install(true);
        final Hypercalls h = new Hypercalls(hv, 1);
        for (int i = 0; i < 3; i++) {
            assertEquals(-14, h.raw(CONSOLE_IO, new byte[0], 0, 0, 16, 0).rc(), "EFAULT through the payload's fixup");
        }
        assertTrue(hv.isRunning());
        h.debugKeys("x");
        final String console = hv.console(false);
        assertTrue(console.contains("'x' pressed - Dumping all livepatch patches\n(XEN)  name=testpayload state=CHECKED(1)"), console);
        assertEquals(hv.image().stringConstant("xen_extra").orElseThrow(), h.extraVersion());
    }

    @Test
    void faultInPayloadCodeWithoutEntryCrashesNamingThePayload() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("regcrash"), 2, "normal");
        install(false);
        final Hypercalls h = new Hypercalls(hv, 0);
        assertThrows(HypervisorCrashedException.class, () -> h.raw(CONSOLE_IO, new byte[0], 0, 0, 16, 0));
        final String console = Files.readString(dir.resolve("console.log"));
        assertTrue(console.contains("] copy_from_bad+0x15/0x24 [testpayload]"), console);
        assertTrue(console.contains("F pv_hypercall+"), console);
    }

    @Test
    void aCorruptRegionTableStopsTheHypervisorInsteadOfLoopingInTheHandler() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("regbad"), 1, "normal");
        install(true);
        hv.memory().writeLong(hv.image().address(Regions.SYMBOL, 8), 0x1000);   // points at page 1: unmapped
        final HypervisorCrashedException e = assertThrows(HypervisorCrashedException.class,
                () -> new Hypercalls(hv, 0).raw(CONSOLE_IO, new byte[0], 0, 0, 16, 0));
        assertEquals(ExitStatus.PANIC, e.status().code());
        assertTrue(Files.readString(dir.resolve("console.log")).contains("(XEN) fault inside the fault handler: stopping"));
    }
}
