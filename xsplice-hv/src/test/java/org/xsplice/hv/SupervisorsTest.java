package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.hv.control.ControlClient;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.hv.control.RunDirectory;

/** Supervisors as separate processes (what xsplice-hv start runs), including losing one. */
class SupervisorsTest {
    @TempDir
    Path tmp;

    private RunDirectory run;
    private final String name = HvTestSupport.uniqueName("sup");

    @AfterEach
    void stop() throws Exception {
        HvTestSupport.stopSupervisor(run, name);
    }

    @Test
    void aHypervisorOutlivesItsSupervisorAndIsTakenOverByTheNextOne() throws Exception {
        run = new RunDirectory(tmp.resolve("run"));
        final Map<String, String> env = HvTestSupport.supervisorEnv();
        final Response.Pong first = Supervisors.start(run, name, 2, "normal", env);
        final ControlException again = org.junit.jupiter.api.Assertions.assertThrows(ControlException.class,
                () -> Supervisors.start(run, name, 2, "normal", env));
        assertEquals("EEXIST", again.errno());

        // The supervisor dies; the hypervisor, in its own session and not killed with it, runs on.
        final ProcessHandle supervisor = ProcessHandle.of(first.supervisorPid()).orElseThrow();
        supervisor.destroyForcibly();
        supervisor.onExit().get(10, TimeUnit.SECONDS);
        assertTrue(ProcessHandle.of(first.pid()).map(ProcessHandle::isAlive).orElse(false), "hypervisor still running");
        final List<Supervisors.Entry> listed = Supervisors.list(run);
        assertEquals("stale", listed.getFirst().state(), listed.toString());

        final Response.Pong second = Supervisors.start(run, name, 2, "normal", env);
        assertEquals(first.pid(), second.pid(), "the same hypervisor, re-attached");
        assertTrue(second.supervisorPid() != first.supervisorPid());
        try (ControlClient c = ControlClient.connect(run, name)) {
            final String dmesg = c.call(new Request.Dmesg(false), Response.Text.class).text();
            assertTrue(dmesg.contains("Hypervisor '" + name + "' ready"), "console from before the takeover: " + dmesg);
            assertTrue(c.call(new Request.Info(), Response.InfoReply.class).fields().contains(new Response.Field("nr_cpus", "2")));
        }
        assertEquals("hypervisor " + name + " stopped", Supervisors.stop(run, name));
        assertFalse(Files.exists(run.base().resolve(name)));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ProcessHandle.of(first.pid()).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(ProcessHandle.of(first.pid()).map(ProcessHandle::isAlive).orElse(false), "hypervisor gone after stop");
    }

    /**
     * A supervisor is killed (SIGKILL) with hello_world applied: the hypervisor keeps running
     * the patched code, and the next supervisor recovers the payload from the hypervisor's
     * records: LIST shows it APPLIED, and revert and unload work.
     */
    @Test
    void theNextSupervisorRecoversAppliedPayloadsFromTheHypervisorAndRevertsThem() throws Exception {
        run = new RunDirectory(tmp.resolve("run"));
        final Map<String, String> env = HvTestSupport.supervisorEnv();
        final Path src = Path.of(System.getProperty("xsplice.examples", "../examples/livepatch")).resolve("hello_world.c");
        final Path out = tmp.resolve("hello_world.livepatch");
        org.xsplice.build.cpayload.CPayloadMaker.make(new org.xsplice.build.cpayload.CPayloadOptions(src,
                HvTestSupport.image().file(), out, java.util.Optional.empty(), List.of()));
        final Response.Pong first = Supervisors.start(run, name, 2, "normal", env);
        final String original;
        try (ControlClient c = ControlClient.connect(run, name)) {
            original = extra(c);
            c.call(new Request.Upload("hello_world", Files.readAllBytes(out)), Response.PayloadStatus.class);
            assertEquals(2, settled(c, c.call(new Request.Apply("hello_world", 1_000_000_000L, false),
                    Response.PayloadStatus.class)).state());
        }
        final ProcessHandle supervisor = ProcessHandle.of(first.supervisorPid()).orElseThrow();
        supervisor.destroyForcibly();
        supervisor.onExit().get(10, TimeUnit.SECONDS);

        Supervisors.start(run, name, 2, "normal", env);
        try (ControlClient c = ControlClient.connect(run, name)) {
            assertEquals("Hello World", extra(c), "the patch stays applied in the running hypervisor");
            final List<Response.PayloadStatus> listed = c.call(new Request.ListPayloads(), Response.PayloadList.class).payloads();
            assertEquals(1, listed.size(), listed.toString());
            assertEquals("hello_world", listed.getFirst().name());
            assertEquals(2, listed.getFirst().state(), "APPLIED, as recorded in the hypervisor");
            assertEquals(0, listed.getFirst().rc());
            assertEquals(1, settled(c, c.call(new Request.Revert("hello_world", 1_000_000_000L), Response.PayloadStatus.class))
                    .state(), "reverted by the new supervisor from the recorded saved bytes");
            assertEquals(original, extra(c));
            c.call(new Request.Unload("hello_world"), Response.Done.class);
            assertTrue(c.call(new Request.ListPayloads(), Response.PayloadList.class).payloads().isEmpty());
        }
    }

    static String extra(final ControlClient c) throws Exception {
        return c.call(new Request.Info(), Response.InfoReply.class).fields().stream().filter(f -> f.key().equals("xen_extra"))
                .findFirst().orElseThrow().value();
    }

    /** Polls GET until the action's rc is no longer -EAGAIN. */
    static Response.PayloadStatus settled(final ControlClient c, final Response.PayloadStatus started) throws Exception {
        Response.PayloadStatus s = started;
        while (-11 == s.rc()) {
            Thread.sleep(1);
            s = c.call(new Request.GetPayload(s.name()), Response.PayloadStatus.class);
        }
        assertEquals(0, s.rc(), s.toString());
        return s;
    }
}
