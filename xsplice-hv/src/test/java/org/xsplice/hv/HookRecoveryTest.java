package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.build.cpayload.CPayloadMaker;
import org.xsplice.build.cpayload.CPayloadOptions;
import org.xsplice.hv.control.ControlClient;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.hv.control.RunDirectory;

/**
 * Hooks across a supervisor restart: a payload applied by its apply action hook is reverted
 * by its revert hook under the next supervisor, whose handle starts from the hypervisor's
 * records (applied, with the saved bytes), so common_livepatch_revert() restores the text.
 */
class HookRecoveryTest {
    @TempDir
    Path tmp;

    private RunDirectory run;
    private final String name = HvTestSupport.uniqueName("hookrec");

    @AfterEach
    void stop() throws Exception {
        HvTestSupport.stopSupervisor(run, name);
    }

    @Test
    void aRevertHookWorksUnderTheNextSupervisor() throws Exception {
        run = new RunDirectory(tmp.resolve("run"));
        final Map<String, String> env = HvTestSupport.supervisorEnv();
        final Path src = Path.of(System.getProperty("xsplice.examples", "../examples/livepatch")).resolve("action_hooks.c");
        final Path out = tmp.resolve("action_hooks.livepatch");
        CPayloadMaker.make(new CPayloadOptions(src, HvTestSupport.image().file(), out, Optional.empty(), List.of()));
        final Response.Pong first = Supervisors.start(run, name, 2, "normal", env);
        final String original;
        try (ControlClient c = ControlClient.connect(run, name)) {
            original = SupervisorsTest.extra(c);
            c.call(new Request.Upload("action_hooks", Files.readAllBytes(out)), Response.PayloadStatus.class);
            SupervisorsTest.settled(c, c.call(new Request.Apply("action_hooks", 1_000_000_000L, false), Response.PayloadStatus.class));
            assertEquals("action_hooks", SupervisorsTest.extra(c));
        }
        final ProcessHandle supervisor = ProcessHandle.of(first.supervisorPid()).orElseThrow();
        supervisor.destroyForcibly();
        supervisor.onExit().get(10, TimeUnit.SECONDS);

        Supervisors.start(run, name, 2, "normal", env);
        try (ControlClient c = ControlClient.connect(run, name)) {
            c.call(new Request.Dmesg(true), Response.Text.class);
            assertEquals(1, SupervisorsTest.settled(c, c.call(new Request.Revert("action_hooks", 1_000_000_000L),
                    Response.PayloadStatus.class)).state());
            assertEquals(original, SupervisorsTest.extra(c));
            final String dmesg = c.call(new Request.Dmesg(false), Response.Text.class).text();
            assertTrue(dmesg.contains("(XEN) action_hooks: revert hook: reverted xen_extra_version\n")
                    && dmesg.contains("(XEN) action_hooks: post-revert: action_hooks apply_cnt=1 revert_cnt=1\n"), dmesg);
            c.call(new Request.Unload("action_hooks"), Response.Done.class);
        }
    }
}
