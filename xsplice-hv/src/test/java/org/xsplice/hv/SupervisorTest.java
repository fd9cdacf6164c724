package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.hv.control.ControlClient;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.hv.control.RunDirectory;

/** Supervisors in this JVM, reached through their control sockets as xl reaches them. */
class SupervisorTest {
    @TempDir
    Path tmp;

    private final List<Supervisor> started = new ArrayList<>();

    @AfterEach
    void stopAll() throws IOException {
        for (final Supervisor s : started) {
            s.close();
        }
    }

    private Supervisor start(final RunDirectory run, final String name, final int cpus) throws IOException {
        final Supervisor s = Supervisor.start(new Supervisor.Config(name, cpus, "normal", run,
                HvTestSupport.image().file(), true));
        started.add(s);
        return s;
    }

    private static <T extends Response> T call(final RunDirectory run, final String name, final Request r, final Class<T> c)
            throws IOException {
        try (ControlClient client = ControlClient.connect(run, name)) {
            return c.cast(client.call(r, c));
        }
    }

    @Test
    void infoMatchesTheBinaryAndTheRunningCode() throws IOException {
        final RunDirectory run = new RunDirectory(tmp.resolve("run"));
        final String name = HvTestSupport.uniqueName("info");
        start(run, name, 4);
        final Map<String, String> info = call(run, name, new Request.Info(), Response.InfoReply.class).fields().stream()
                .collect(Collectors.toMap(Response.Field::key, Response.Field::value));
        final HvImage img = HvTestSupport.image();
        assertEquals(img.buildId().hex(), info.get("build_id"), "build_id equals the ELF note");
        assertEquals(HexFormat.of().formatHex(img.buildId().bytes()), info.get("build_id"));
        assertEquals(img.stringConstant("xen_extra").orElseThrow(), info.get("xen_extra"), "xen_extra equals the C string");
        assertEquals("4", info.get("nr_cpus"));
        assertEquals("3", info.get("max_cpu_id"));
        assertEquals("4", info.get("xen_major"));
        assertEquals("17", info.get("xen_minor"));
        assertEquals("4.17" + info.get("xen_extra"), info.get("xen_version"));
        assertEquals("credit2", info.get("xen_scheduler"));
        assertTrue(info.get("xen_commandline").contains("--name " + name), info.get("xen_commandline"));
        assertTrue(img.stringConstant("xen_compile_flags").orElseThrow().contains("-ffunction-sections"));
        for (final String k : List.of("host", "release", "version", "machine", "nr_nodes", "cores_per_socket", "threads_per_core",
                "cpu_mhz", "hw_caps", "virt_caps", "total_memory", "free_memory", "xen_caps", "xen_pagesize", "platform_params",
                "xen_changeset", "cc_compiler", "cc_compile_by", "cc_compile_domain", "cc_compile_date", "xend_config_format")) {
            assertTrue(info.containsKey(k) && !info.get(k).isEmpty(), k + " in " + info);
        }
        final Response.StatsReply stats = call(run, name, new Request.Stats(), Response.StatsReply.class);
        assertEquals(4, stats.cpus().size());
    }

    @Test
    void twoHypervisorsSideBySideStopAndStartAgain() throws IOException {
        final RunDirectory run = new RunDirectory(tmp.resolve("run"));
        final String a = HvTestSupport.uniqueName("a");
        final String b = HvTestSupport.uniqueName("b");
        final Supervisor sa = start(run, a, 2);
        start(run, b, 3);
        assertEquals(2, call(run, a, new Request.Ping(), Response.Pong.class).cpus());
        assertEquals(3, call(run, b, new Request.Ping(), Response.Pong.class).cpus());
        assertTrue(call(run, a, new Request.Info(), Response.InfoReply.class).fields().contains(new Response.Field("nr_cpus", "2")));
        final ControlException several = org.junit.jupiter.api.Assertions.assertThrows(ControlException.class,
                () -> ControlClient.select(run, Map.of()));
        assertEquals("EINVAL", several.errno());
        assertEquals(b, ControlClient.select(run, Map.of("XSPLICE_HV", b)));

        assertEquals(ExitStatus.OK, sa.stop().code());
        assertFalse(Files.exists(run.dir(a)), "a clean stop leaves nothing behind");
        assertEquals(b, ControlClient.select(run, Map.of()), "the only one left is the default");
        assertEquals("ESRCH", org.junit.jupiter.api.Assertions.assertThrows(ControlException.class,
                () -> ControlClient.connect(run, a)).errno());

        start(run, a, 1);
        assertEquals(1, call(run, a, new Request.Ping(), Response.Pong.class).cpus());
    }

    @Test
    void socketIsForItsOwnerOnly() throws IOException {
        final RunDirectory run = new RunDirectory(tmp.resolve("run"));
        final String name = HvTestSupport.uniqueName("perm");
        start(run, name, 1);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(run.base())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(run.dir(name))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(run.socket(name))));
        assertEquals(Files.getOwner(run.socket(name)).getName(), System.getProperty("user.name"));
    }

    @Test
    void crashIsReportedToTheWaitingClientAndRecorded() throws Exception {
        final RunDirectory run = new RunDirectory(tmp.resolve("run"));
        final String name = HvTestSupport.uniqueName("crash");
        final Supervisor s = start(run, name, 2);
        final Response r;
        try (ControlClient c = ControlClient.connect(run, name)) {
            r = c.call(new Request.DebugKeys("C"));
        }
        final Response.Failure f = assertInstanceOf(Response.Failure.class, r);
        assertEquals("ESRCH", f.errno());
        assertTrue(f.message().contains("crashed (panic, exit status 3)"), f.message());
        assertTrue(s.terminated().get().crashed());
        assertFalse(Files.exists(run.socket(name)), "no socket to hang on");
        assertTrue(run.status(name).orElseThrow().contains("Panic on CPU 0: FATAL PAGE FAULT"), run.status(name).toString());
        final String console = Files.readString(run.dir(name).resolve(RunDirectory.CONSOLE_LOG));
        assertTrue(console.contains("Xen call trace:"), console);
        final ControlException e = org.junit.jupiter.api.Assertions.assertThrows(ControlException.class,
                () -> ControlClient.connect(run, name));
        assertTrue(e.getMessage().contains("is not running: crashed"), e.getMessage());
    }

    @Test
    void symbolQueriesBothWays() throws IOException {
        final RunDirectory run = new RunDirectory(tmp.resolve("run"));
        final String name = HvTestSupport.uniqueName("sym");
        start(run, name, 1);
        final long domctl = HvTestSupport.image().symbols().lookup("do_domctl").orElseThrow().address();
        final long size = HvTestSupport.image().symbols().lookup("do_domctl").orElseThrow().size();
        final Response.SymbolReply fwd = call(run, name, new Request.SymbolQuery("do_domctl+0xf"), Response.SymbolReply.class);
        assertEquals(domctl + 0xf, fwd.address());
        final Response.SymbolReply back = call(run, name, new Request.SymbolQuery("0x" + Long.toHexString(domctl + 0xf)),
                Response.SymbolReply.class);
        assertEquals("<do_domctl>+0xf/0x" + Long.toHexString(size), back.location());
        final Response.SymbolReply stat = call(run, name, new Request.SymbolQuery("keyhandler.c#do_crash_key"), Response.SymbolReply.class);
        assertTrue(stat.location().startsWith("<keyhandler.c#do_crash_key>+0x0/"), stat.location());
        try (ControlClient c = ControlClient.connect(run, name)) {
            final Response.Failure f = assertInstanceOf(Response.Failure.class, c.call(new Request.SymbolQuery("no_such_function")));
            assertEquals("ENOENT", f.errno());
        }
    }
}
