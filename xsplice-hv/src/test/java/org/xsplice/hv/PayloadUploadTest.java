package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.elf.Elf;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.hypervisor.loader.LoadedFunc;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.symbols.Symbol;

/**
 * Payloads made from C against the reference hypervisor's own xen-syms, uploaded to a running
 * one through its control socket: they list as CHECKED, link against hypervisor functions,
 * data and statics and against each other, symbolise as {@code [payload]}, show in debug key
 * 'x' in Xen's format. (Refusals through the socket: SocketRefusalTest.)
 */
class PayloadUploadTest {
    @TempDir
    static Path tmp;
    private static SupervisedHv running;
    private static Supervisor supervisor;
    private static byte[] hello;
    private static byte[] second;
    private static byte[] extable;

    @BeforeAll
    static void start() throws IOException {
        final Path xen = HvTestSupport.image().file();
        hello = make("hv_hello", xen, Optional.empty());
        second = make("hv_second", xen, Optional.of(tmp.resolve("hv_hello.livepatch")));
        extable = make("hv_extable", xen, Optional.empty());
        running = SupervisedHv.start(tmp, "payload", xen);
        supervisor = running.supervisor();
    }

    @AfterAll
    static void stop() throws IOException {
        if (null != running) {
            running.close();
        }
    }

    private static byte[] make(final String c, final Path xen, final Optional<Path> dependsOn) throws IOException {
        return HvTestSupport.payload(tmp, c, xen, dependsOn);
    }

    private static <T extends Response> T call(final Request r, final Class<T> c) throws IOException {
        return running.call(r, c);
    }

    private static long regionsPointer() throws IOException {
        return running.regionsPointer();
    }

    @Test
    void uploadLinkSymboliseListDumpUnload() throws IOException {
        final NavigableMap<Long, Long> emptyArea = supervisor.payloads().registry().area().freeRanges();
        final Response.PayloadStatus s = call(new Request.Upload("hello", hello), Response.PayloadStatus.class);
        assertEquals(new Response.PayloadStatus("hello", 1, "CHECKED", 0, "version=1.0", ""), s);
        final LoadedPayload p = supervisor.payloads().registry().get("hello");
        final HypervisorProcess hv = supervisor.hypervisor();
        final LoadedFunc f = p.funcs().getFirst();
        assertEquals(hv.image().symbols().lookup("xen_extra_version").orElseThrow().address(), f.oldAddr());

        // The image is in the hypervisor's memory, relocated: the call to xen_major_version
        // and the loads of xen_extra and version.c#build_id_len point at the real objects.
        final byte[] live = hv.memory().read(f.newAddr(), f.newSize());
        int found = 0;
        for (final String target : List.of("xen_major_version", "xen_extra", "version.c#build_id_len")) {
            final long addr = hv.image().symbols().lookup(target).orElseThrow().address();
            for (int i = 0; i + 4 <= live.length; i++) {
                final int rel = (live[i] & 0xff) | (live[i + 1] & 0xff) << 8 | (live[i + 2] & 0xff) << 16 | live[i + 3] << 24;
                // rel32 is relative to the end of the instruction: field + 4 (+1 when an imm8 follows)
                if (f.newAddr() + i + 4 + rel == addr || f.newAddr() + i + 5 + rel == addr) {
                    found++;
                    break;
                }
            }
        }
        assertEquals(3, found, "a displacement to each hypervisor function, object and static");

        // The region is published for the fault handler and the crash report.
        final long table = regionsPointer();
        assertTrue(table != 0);
        assertEquals(1, hv.memory().readLong(table));
        assertEquals(p.textAddr(), hv.memory().readLong(table + 16));

        // xl symbol names payload code with the payload.
        final Symbol repl = p.symbols().stream().filter(x -> x.name().equals("hello_xen_extra_version")).findFirst().orElseThrow();
        final Response.SymbolReply sym = call(new Request.SymbolQuery("0x" + Long.toHexString(repl.address() + 3)),
                Response.SymbolReply.class);
        assertEquals("<hello_xen_extra_version>+0x3/0x" + Long.toHexString(repl.size()) + " [hello]", sym.location());

        // A second payload links against the first one's new symbol.
        assertEquals("CHECKED", call(new Request.Upload("second", second), Response.PayloadStatus.class).status());
        assertEquals(List.of("hello", "second"), call(new Request.ListPayloads(), Response.PayloadList.class).payloads()
                .stream().map(Response.PayloadStatus::name).toList());
        assertEquals(2, hv.memory().readLong(regionsPointer()));

        // Debug key 'x' prints Xen's dump from the region table.
        call(new Request.Dmesg(true), Response.Text.class);
        call(new Request.DebugKeys("x"), Response.Done.class);
        // printk prefixes each line with "(XEN) "; the dump is compared without it.
        final String dmesg = waitForConsole("depend-on-xen=", 2).replace("(XEN) ", "");
        assertTrue(dmesg.contains("'x' pressed - Dumping all livepatch patches"), dmesg);
        // Xen's livepatch_printall: header, one line per function, then the three build-ids,
        // here checked against the payload files and the image rather than the loader's view.
        // A payload stacked on nothing depends on the hypervisor's build-id, as in Xen.
        final String xenId = HvTestSupport.image().buildId().hex();
        final String helloId = Elf.of().parse(hello).buildId().orElseThrow().hex();
        final String helloDump = String.format(" name=hello state=CHECKED(1) %#x (.data=%#x, .rodata=%#x) using %d pages.%n"
                + "    xen_extra_version patch %#x(%d) with %#x (%d)%n"
                + "build-id=%s%ndepend-on=%s%ndepend-on-xen=%s%n", p.textAddr(), p.rwAddr(), p.roAddr(), p.size() / 4096,
                f.oldAddr(), f.oldSize(), f.newAddr(), f.newSize(), helloId, xenId, xenId);
        assertTrue(dmesg.contains(helloDump), dmesg + "\nexpected:\n" + helloDump);
        assertEquals(8, f.oldSize(), "xen_extra_version's real size");
        final LoadedFunc sf = supervisor.payloads().registry().get("second").funcs().getFirst();
        final String secondFunc = String.format("    xen_minor_version patch %#x(%d) with %#x (%d)%n",
                hv.image().symbols().lookup("xen_minor_version").orElseThrow().address(), sf.oldSize(), sf.newAddr(),
                sf.newSize());
        final String secondIds = String.format("build-id=%s%ndepend-on=%s%ndepend-on-xen=%s%n",
                Elf.of().parse(second).buildId().orElseThrow().hex(), helloId, xenId);
        assertTrue(dmesg.contains(" name=second state=CHECKED(1)"), dmesg);
        assertTrue(dmesg.contains(secondFunc + secondIds), dmesg + "\nexpected:\n" + secondFunc + secondIds);

        final ControlException busy = assertThrows(ControlException.class, () -> call(new Request.Unload("nope"),
                Response.Done.class));
        assertEquals("ENOENT", busy.errno());
        call(new Request.Unload("second"), Response.Done.class);
        call(new Request.Unload("hello"), Response.Done.class);
        assertEquals(List.of(), call(new Request.ListPayloads(), Response.PayloadList.class).payloads());
        assertEquals(0, regionsPointer());
        assertEquals(emptyArea, supervisor.payloads().registry().area().freeRanges());
    }

    /** {@return the console until {@code marker} has shown {@code times} times, or after 5 s} */
    private static String waitForConsole(final String marker, final int times) throws IOException {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        final StringBuilder all = new StringBuilder();
        while (System.nanoTime() < deadline) {
            all.append(call(new Request.Dmesg(true), Response.Text.class).text());
            if (all.toString().split(java.util.regex.Pattern.quote(marker), -1).length > times) {
                break;
            }
            Thread.onSpinWait();
        }
        return all.toString();
    }

    /**
     * A fault in payload code is fixed up from the payload's own exception table. Until issue 5
     * applies payloads, the payload function is reached through a free slot of the hypervisor's
     * hypercall table (written through /proc/PID/mem, restored afterwards) and a real hypercall.
     */
    @Test
    void faultInPayloadCodeRecoversThroughItsExceptionTable() throws IOException {
        final HypervisorProcess hv = supervisor.hypervisor();
        final LoadedPayload p = supervisor.payloads().registry().upload("extable", extable);
        try {
            final Symbol probeSym = p.symbols().stream().filter(x -> x.name().equals("extable_probe")).findFirst()
                    .orElseThrow();
            final long probe = probeSym.address();
            assertEquals(1, p.exTable().size());
            assertTrue(probeSym.contains(p.exTable().getFirst().fault()), "the faulting load is in extable_probe");
            final long table = hv.image().symbols().lookup("hypercall.c#hypercall_table").orElseThrow().address();
            final long slot = table + 8L * FREE_HYPERCALL;
            assertEquals(0, hv.memory().readLong(slot), "slot " + FREE_HYPERCALL + " is free");
            hv.memory().writeLong(slot, probe);
            try {
                final Hypercalls h = new Hypercalls(hv, 0);
                final long xenExtra = hv.image().symbols().lookup("xen_extra").orElseThrow().address();
                final long good = h.raw(FREE_HYPERCALL, new byte[0], 0, xenExtra).rc();
                final byte[] want = hv.memory().read(xenExtra, 4);
                assertEquals((want[0] & 0xff) | (want[1] & 0xff) << 8 | (want[2] & 0xff) << 16 | want[3] << 24, good);
                assertEquals(-14, h.raw(FREE_HYPERCALL, new byte[0], 0, 0x10).rc(), "bad pointer: fixed up, -EFAULT");
                assertEquals(-14, h.raw(FREE_HYPERCALL, new byte[0], 0, 0xdead0000L).rc());
                assertTrue(hv.isRunning());
                assertTrue(call(new Request.Info(), Response.InfoReply.class).fields().size() > 5);
            } finally {
                hv.memory().writeLong(slot, 0);
            }
        } finally {
            supervisor.payloads().registry().unload("extable");
        }
    }

    /** A hypercall number the reference hypervisor leaves unused (Xen's __HYPERVISOR_arch_7). */
    private static final int FREE_HYPERCALL = 55;

    @Test
    void uploadUnloadCyclesThroughTheRealPortReturnToTheStart() throws IOException {
        final NavigableMap<Long, Long> area = supervisor.payloads().registry().area().freeRanges();
        final long regions = regionsPointer();
        for (int i = 0; i < 200; i++) {
            supervisor.payloads().registry().upload("cycle", hello);
            supervisor.payloads().registry().unload("cycle");
        }
        assertEquals(area, supervisor.payloads().registry().area().freeRanges());
        assertEquals(regions, regionsPointer());
        assertTrue(call(new Request.Info(), Response.InfoReply.class).fields().size() > 5);
    }
}
