package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.build.cpayload.CPayloadMaker;
import org.xsplice.build.cpayload.CPayloadOptions;
import org.xsplice.elf.Elf;
import org.xsplice.hv.control.ControlClient;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.hv.control.RunDirectory;
import org.xsplice.hypervisor.loader.LoadedFunc;

/**
 * APPLY / REVERT / REPLACE on a running reference hypervisor (4 pCPUs, the standard workload), with
 * the regression payloads built from C against its image, checked through the hypercall
 * {@code xl info} uses and through the live text bytes.
 */
class LiveActionsTest {
    /**
     * Rendezvous timeout of these tests: 1 s, not Xen's 30 ms default, because the CI host has
     * two cores shared by four pCPU threads and other builds (docs/performance.md has the
     * figures at the default).
     */
    private static final long T = 1_000_000_000L;
    @TempDir
    static Path tmp;
    private static Supervisor supervisor;
    private static RunDirectory run;
    private static String name;
    private static String original;
    private static long extraVersion;
    private static byte[] originalText;

    @BeforeAll
    static void start() throws IOException {
        run = new RunDirectory(tmp.resolve("run"));
        name = HvTestSupport.uniqueName("apply");
        supervisor = Supervisor.start(new Supervisor.Config(name, 4, "normal", run, HvTestSupport.image().file(), true));
        original = extra();
        extraVersion = supervisor.hypervisor().image().symbols().lookup("xen_extra_version").orElseThrow().address();
        originalText = text(extraVersion, 16);
    }

    @AfterAll
    static void stop() throws IOException {
        if (null != supervisor) {
            supervisor.close();
        }
    }

    /** Every test leaves the hypervisor as it found it. */
    @AfterEach
    void clean() throws Exception {
        assertTrue(supervisor.payloads().actions().awaitIdle(Duration.ofSeconds(10)));
        final List<String> applied = supervisor.payloads().actions().applied();
        for (int i = applied.size() - 1; i >= 0; i--) {
            act(new Request.Revert(applied.get(i), T));
        }
        for (final Response.PayloadStatus p : call(new Request.ListPayloads(), Response.PayloadList.class).payloads()) {
            call(new Request.Unload(p.name()), Response.Done.class);
        }
        assertEquals(original, extra());
        assertArrayEquals(originalText, text(extraVersion, 16));
    }

    static byte[] make(final String c, final Optional<Path> dependsOn) throws IOException {
        // The regression payloads are the examples the demo builds (examples/livepatch); the
        // test writes the generated ones into tmp.
        final Path example = Path.of(System.getProperty("xsplice.examples", "../examples/livepatch")).resolve(c + ".c");
        final Path src = Files.exists(example) ? example : tmp.resolve(c + ".c");
        final Path out = tmp.resolve(c + ".livepatch");
        CPayloadMaker.make(new CPayloadOptions(src, HvTestSupport.image().file(), out,
                dependsOn.isPresent() ? Elf.of().parse(dependsOn.get()).buildId() : Optional.empty(), List.of()));
        return Files.readAllBytes(out);
    }

    private static <T extends Response> T call(final Request r, final Class<T> c) throws IOException {
        try (ControlClient client = ControlClient.connect(run, name)) {
            return c.cast(client.call(r, c));
        }
    }

    /** Issues an action, checks it is pending or done at once, and polls GET for the outcome (as xen-livepatch). */
    private static Response.PayloadStatus act(final Request r) throws IOException, InterruptedException {
        final Response.PayloadStatus first = call(r, Response.PayloadStatus.class);
        assertEquals(-11, first.rc(), "rc is -EAGAIN while the action is pending");
        final long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Response.PayloadStatus s = first;
        while (-11 == s.rc() && System.nanoTime() < end) {
            Thread.sleep(1);
            s = call(new Request.GetPayload(first.name()), Response.PayloadStatus.class);
        }
        return s;
    }

    private static String extra() throws IOException {
        return new Hypercalls(supervisor.hypervisor(), 0).extraVersion();
    }

    private static byte[] text(final long addr, final int n) throws IOException {
        return supervisor.hypervisor().memory().read(addr, n);
    }

    @Test
    void helloWorldAppliesUnderLoadAndRevertsToTheSavedBytes() throws Exception {
        call(new Request.Upload("hello_world", make("hello_world", Optional.empty())), Response.PayloadStatus.class);
        final long exits = exits();
        dmesg("hello_world");
        final Response.PayloadStatus s = act(new Request.Apply("hello_world", T, false));
        assertEquals(new Response.PayloadStatus("hello_world", 2, "APPLIED", 0, "version=1.0", ""), s);
        // "Hello World" only when the payload's .ex_table fixed up its read through a bad address.
        assertEquals("Hello World", extra());
        assertEquals(List.of("(XEN) hello_world: load hook executing"), dmesg("hello_world"), "the load hook ran once");
        final LoadedFunc f = supervisor.payloads().registry().get("hello_world").funcs().getFirst();
        final byte[] jmp = text(f.patchAddr(), 5);
        assertEquals((byte) 0xe9, jmp[0]);
        final int rel = (jmp[1] & 0xff) | (jmp[2] & 0xff) << 8 | (jmp[3] & 0xff) << 16 | jmp[4] << 24;
        assertEquals(f.newAddr(), f.patchAddr() + 5 + rel, "jmp rel32 to the new function");
        assertTrue(exits() > exits, "the workload ran across the action");
        System.out.printf("apply hello_world, 4 CPUs, normal workload: waited %.1f us for the rendezvous, paused %.1f us%n",
                supervisor.payloads().actions().lastWaitNs() / 1e3, supervisor.payloads().actions().lastPauseNs() / 1e3);

        final ControlException again = assertThrows(ControlException.class,
                () -> call(new Request.Apply("hello_world", T, false), Response.PayloadStatus.class));
        assertEquals("EINVAL", again.errno());
        final ControlException unload = assertThrows(ControlException.class,
                () -> call(new Request.Unload("hello_world"), Response.Done.class));
        assertEquals("EBUSY", unload.errno());

        assertEquals(1, act(new Request.Revert("hello_world", T)).state());
        assertEquals(original, extra());
        assertArrayEquals(originalText, text(extraVersion, 16), "revert restored the saved bytes");
        assertEquals(List.of("(XEN) hello_world: unload hook executing"), dmesg("hello_world"));
    }

    @Test
    void byeWorldStacksOnHelloWorldAndOnlyTheTopReverts() throws Exception {
        final byte[] hello = make("hello_world", Optional.empty());
        final byte[] bye = make("bye_world", Optional.of(tmp.resolve("hello_world.livepatch")));
        call(new Request.Upload("hello_world", hello), Response.PayloadStatus.class);
        call(new Request.Upload("bye_world", bye), Response.PayloadStatus.class);
        final ControlException deps = assertThrows(ControlException.class,
                () -> call(new Request.Apply("bye_world", T, false), Response.PayloadStatus.class));
        assertEquals("EINVAL", deps.errno());
        assertTrue(deps.getMessage().contains("depends on build-id"), deps.getMessage());

        assertEquals(0, act(new Request.Apply("hello_world", T, false)).rc());
        assertEquals(0, act(new Request.Apply("bye_world", T, false)).rc());
        assertEquals("Bye World", extra());
        final ControlException notTop = assertThrows(ControlException.class,
                () -> call(new Request.Revert("hello_world", T), Response.PayloadStatus.class));
        assertEquals("EBUSY", notTop.errno());
        assertEquals(0, act(new Request.Revert("bye_world", T)).rc());
        assertEquals("Hello World", extra());
        assertEquals(0, act(new Request.Revert("hello_world", T)).rc());
        assertEquals(original, extra());
    }

    @Test
    void replaceWorldRevertsTheWholeStackInOneRendezvous() throws Exception {
        call(new Request.Upload("hello_world", make("hello_world", Optional.empty())), Response.PayloadStatus.class);
        call(new Request.Upload("bye_world", make("bye_world", Optional.of(tmp.resolve("hello_world.livepatch")))),
                Response.PayloadStatus.class);
        call(new Request.Upload("replace_world", make("replace_world", Optional.empty())), Response.PayloadStatus.class);
        act(new Request.Apply("hello_world", T, false));
        act(new Request.Apply("bye_world", T, false));
        dmesg("hello_world");
        final Response.PayloadStatus s = act(new Request.Replace("replace_world", T));
        assertEquals(2, s.state());
        assertEquals("Hello Again", extra());
        assertEquals(List.of("(XEN) hello_world: unload hook executing"), dmesg("hello_world"),
                "REPLACE runs the unload hooks of what it reverts");
        final List<Response.PayloadStatus> all = call(new Request.ListPayloads(), Response.PayloadList.class).payloads();
        assertEquals(List.of("CHECKED", "CHECKED", "APPLIED"), all.stream().map(Response.PayloadStatus::status).toList());
        assertEquals(List.of("replace_world"), supervisor.payloads().actions().applied());
        assertEquals(0, act(new Request.Revert("replace_world", T)).rc());
        assertEquals(original, extra());
    }

    @Test
    void expectationsAreComparedWithTheLiveBytes() throws Exception {
        final String live = HexFormat.ofDelimiter(", ").withPrefix("0x").formatHex(originalText, 0, 5);
        Files.writeString(tmp.resolve("expectations.c"), """
                #include <xsplice/livepatch.h>
                const char *expect_extra(void) { return "expected"; }
                XSPLICE_PATCH_EXPECT(xen_extra_version, expect_extra, %s);
                """.formatted(live));
        Files.writeString(tmp.resolve("expectations_fail.c"), """
                #include <xsplice/livepatch.h>
                const char *expect_fail_extra(void) { return "unexpected"; }
                XSPLICE_PATCH_EXPECT(xen_extra_version, expect_fail_extra, 0xcc, 0xcc, 0xcc);
                """);
        call(new Request.Upload("expectations_fail", make("expectations_fail", Optional.empty())), Response.PayloadStatus.class);
        final ControlException e = assertThrows(ControlException.class,
                () -> call(new Request.Apply("expectations_fail", T, false), Response.PayloadStatus.class));
        assertEquals("EINVAL", e.errno());
        assertTrue(e.getMessage().contains("expectation failed for xen_extra_version") && e.getMessage().contains("cc cc cc"),
                e.getMessage());
        call(new Request.Upload("expectations", make("expectations", Optional.empty())), Response.PayloadStatus.class);
        assertEquals(0, act(new Request.Apply("expectations", T, false)).rc());
        assertEquals("expected", extra());
    }

    @Test
    void cpusThatCannotArriveInTimeMakeItEbusyAndNothingChanges() throws Exception {
        call(new Request.Upload("hello_world", make("hello_world", Optional.empty())), Response.PayloadStatus.class);
        // 1 ns: the deadline has passed before any CPU can park.
        final Response.PayloadStatus s = act(new Request.Apply("hello_world", 1, false));
        assertEquals(new Response.PayloadStatus("hello_world", 1, "CHECKED", -16, "version=1.0", ""), s);
        assertTrue(supervisor.payloads().actions().message("hello_world").orElseThrow().contains("did not reach the rendezvous"));
        assertEquals(original, extra());
        assertArrayEquals(originalText, text(extraVersion, 16));
        assertEquals(0, act(new Request.Apply("hello_world", T, false)).rc(), "once the CPUs have time to arrive");
        assertEquals("Hello World", extra());
    }

    @Test
    void nopModeOverwritesTheFunctionAndRevertRestoresIt() throws Exception {
        final long minor = supervisor.hypervisor().image().symbols().lookup("xen_minor_version").orElseThrow().address();
        final byte[] before = text(minor, 8);
        assertEquals((byte) 0xc3, before[5], "xen_minor_version is 'mov $N, %eax; ret'");
        final long version = new Hypercalls(supervisor.hypervisor(), 0).version();
        // After Xen's nop payload: NOP all of xen_minor_version but its final ret.
        Files.writeString(tmp.resolve("nop.c"), """
                #include <xsplice/livepatch.h>
                XSPLICE_NOP(xen_minor_version, 5);
                """);
        call(new Request.Upload("nop", make("nop", Optional.empty())), Response.PayloadStatus.class);
        assertEquals(0, act(new Request.Apply("nop", T, false)).rc());
        final byte[] after = text(minor, 8);
        assertArrayEquals(new byte[] {(byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0xc3},
                java.util.Arrays.copyOf(after, 6));
        // The hypervisor still answers; the minor number is now whatever eax held.
        new Hypercalls(supervisor.hypervisor(), 0).version();
        assertEquals(0, act(new Request.Revert("nop", T)).rc());
        assertArrayEquals(before, text(minor, 8));
        assertEquals(version, new Hypercalls(supervisor.hypervisor(), 0).version());
    }

    @Test
    void prepostHooksVetoTheFirstRevertAndRunAroundTheAction() throws Exception {
        call(new Request.Upload("prepost_hooks", make("prepost_hooks", Optional.empty())), Response.PayloadStatus.class);
        call(new Request.Upload("replace_world", make("replace_world", Optional.empty())), Response.PayloadStatus.class);
        dmesg("prepost_hooks");
        assertEquals(0, act(new Request.Apply("prepost_hooks", T, false)).rc());
        assertEquals("prepost_hooks", extra());
        assertEquals(List.of("(XEN) prepost_hooks: pre-apply 1: applying xen_extra_version",
                "(XEN) prepost_hooks: post-apply 1: applied xen_extra_version"), dmesg("prepost_hooks"));

        final ControlException replace = assertThrows(ControlException.class,
                () -> call(new Request.Replace("replace_world", T), Response.PayloadStatus.class));
        assertEquals("EOPNOTSUPP", replace.errno(), "REPLACE refuses payloads with pre/post hooks, as Xen does");

        final ControlException veto = assertThrows(ControlException.class,
                () -> call(new Request.Revert("prepost_hooks", T), Response.PayloadStatus.class));
        assertEquals("EPERM", veto.errno());
        assertTrue(veto.getMessage().contains("pre-revert hook of payload 'prepost_hooks' vetoed the revert (it returned -1)"),
                veto.getMessage());
        assertEquals("prepost_hooks", extra());
        assertEquals(0, act(new Request.Revert("prepost_hooks", T)).rc());
        assertEquals(original, extra());
        assertEquals(List.of("(XEN) prepost_hooks: pre-revert 1: reverting xen_extra_version",
                "(XEN) prepost_hooks: pre-revert 2: reverting xen_extra_version",
                "(XEN) prepost_hooks: post-revert 1: reverted xen_extra_version"), dmesg("prepost_hooks"));
    }

    @Test
    void prepostHooksFailVetoesEveryApply() throws Exception {
        call(new Request.Upload("prepost_hooks_fail", make("prepost_hooks_fail", Optional.empty())), Response.PayloadStatus.class);
        dmesg("prepost_hooks_fail");
        for (int i = 0; i < 2; i++) {
            final ControlException veto = assertThrows(ControlException.class,
                    () -> call(new Request.Apply("prepost_hooks_fail", T, false), Response.PayloadStatus.class));
            assertEquals("EINVAL", veto.errno());
        }
        assertEquals(original, extra());
        assertArrayEquals(originalText, text(extraVersion, 16));
        assertEquals(List.of("(XEN) prepost_hooks_fail: pre-apply: refusing prepost_hooks_fail",
                "(XEN) prepost_hooks_fail: pre-apply: refusing prepost_hooks_fail"), dmesg("prepost_hooks_fail"));
        assertEquals("CHECKED", call(new Request.GetPayload("prepost_hooks_fail"), Response.PayloadStatus.class).status());
    }

    @Test
    void actionHooksPatchThroughTheHypervisorApiOnTheMaster() throws Exception {
        call(new Request.Upload("action_hooks", make("action_hooks", Optional.empty())), Response.PayloadStatus.class);
        dmesg("action_hooks");
        assertEquals(0, act(new Request.Apply("action_hooks", T, false)).rc());
        assertEquals("action_hooks", extra());
        final LoadedFunc f = supervisor.payloads().registry().get("action_hooks").funcs().getFirst();
        assertEquals((byte) 0xe9, text(f.patchAddr(), 1)[0], "the hook wrote the jump");
        assertEquals(0, act(new Request.Revert("action_hooks", T)).rc());
        assertEquals(original, extra());
        assertArrayEquals(originalText, text(extraVersion, 16), "the revert hook restored the saved bytes");
        assertEquals(List.of("(XEN) action_hooks: pre-apply: common_livepatch_apply outside the rendezvous returns -1",
                "(XEN) action_hooks: apply hook: applied xen_extra_version",
                "(XEN) action_hooks: revert hook: reverted xen_extra_version",
                "(XEN) action_hooks: post-revert: action_hooks apply_cnt=1 revert_cnt=1"), dmesg("action_hooks"));
    }

    @Test
    void actionHooksWithoutFunctionsApplyAndRevertNothing() throws Exception {
        call(new Request.Upload("action_hooks_nofunc", make("action_hooks_nofunc", Optional.empty())),
                Response.PayloadStatus.class);
        dmesg("action_hooks_nofunc");
        assertEquals(2, act(new Request.Apply("action_hooks_nofunc", T, false)).state());
        assertEquals(original, extra());
        assertEquals(1, act(new Request.Revert("action_hooks_nofunc", T)).state());
        assertEquals(List.of("(XEN) action_hooks_nofunc: apply hook: 0 functions",
                "(XEN) action_hooks_nofunc: revert hook: 0 functions",
                "(XEN) action_hooks_nofunc: post-revert: action_hooks_nofunc apply_cnt=0 revert_cnt=0"),
                dmesg("action_hooks_nofunc"));
    }

    @Test
    void hooksRunInXensOrderAndSeeTheAppliedMarker() throws Exception {
        call(new Request.Upload("action_hooks_marker", make("action_hooks_marker", Optional.empty())),
                Response.PayloadStatus.class);
        dmesg("marker");
        assertEquals(0, act(new Request.Apply("action_hooks_marker", T, false)).rc());
        assertEquals("marker", extra());
        assertEquals(0, act(new Request.Revert("action_hooks_marker", T)).rc());
        assertEquals(original, extra());
        assertEquals(List.of("(XEN) marker 1: pre-apply xen_extra_version NOT_APPLIED", "(XEN) marker 2: load",
                "(XEN) marker 3: apply xen_extra_version APPLIED", "(XEN) marker 4: post-apply xen_extra_version APPLIED",
                "(XEN) marker 5: pre-revert xen_extra_version APPLIED", "(XEN) marker 6: revert xen_extra_version NOT_APPLIED",
                "(XEN) marker 7: unload", "(XEN) marker 8: post-revert xen_extra_version NOT_APPLIED"), dmesg("marker"));
    }

    @Test
    void anApplyHookThatAppliesNothingFailsTheApplyAndNothingIsPatched() throws Exception {
        call(new Request.Upload("action_hooks_noapply", make("action_hooks_noapply", Optional.empty())),
                Response.PayloadStatus.class);
        dmesg("action_hooks_noapply");
        final Response.PayloadStatus s = act(new Request.Apply("action_hooks_noapply", T, false));
        assertEquals(1, s.state());
        assertEquals(-22, s.rc());
        assertEquals("apply of 'action_hooks_noapply' failed: the apply hook of payload 'action_hooks_noapply' failed with -22"
                + " (EINVAL); nothing was patched", supervisor.payloads().actions().message("action_hooks_noapply").orElseThrow());
        assertEquals(original, extra());
        assertArrayEquals(originalText, text(extraVersion, 16));
        assertEquals(List.of("(XEN) action_hooks_noapply: apply hook: not applying xen_extra_version",
                "(XEN) action_hooks_noapply: post-apply: apply_cnt=1 xen_extra_version NOT_APPLIED"),
                dmesg("action_hooks_noapply"));
    }

    @Test
    void aRevertHookThatRevertsNothingFailsTheRevertAndThePayloadStaysApplied() throws Exception {
        call(new Request.Upload("action_hooks_norevert", make("action_hooks_norevert", Optional.empty())),
                Response.PayloadStatus.class);
        dmesg("action_hooks_norevert");
        assertEquals(0, act(new Request.Apply("action_hooks_norevert", T, false)).rc());
        final byte[] patched = text(extraVersion, 16);
        final Response.PayloadStatus s = act(new Request.Revert("action_hooks_norevert", T));
        assertEquals(2, s.state(), "still APPLIED");
        assertEquals(-22, s.rc());
        assertEquals("norevert", extra());
        assertArrayEquals(patched, text(extraVersion, 16));
        assertEquals(List.of("action_hooks_norevert"), supervisor.payloads().actions().applied());
        assertEquals(0, act(new Request.Revert("action_hooks_norevert", T)).rc(), "the hook reverts on its second call");
        assertEquals(original, extra());
        assertArrayEquals(originalText, text(extraVersion, 16));
        assertEquals(List.of("(XEN) action_hooks_norevert: revert hook: not reverting xen_extra_version",
                "(XEN) action_hooks_norevert: post-revert: xen_extra_version APPLIED",
                "(XEN) action_hooks_norevert: revert hook: reverted on attempt 2",
                "(XEN) action_hooks_norevert: post-revert: xen_extra_version NOT_APPLIED"), dmesg("action_hooks_norevert"));
    }

    @Test
    void anInconsistentApplyHookIsAnErrorAndEverythingItPatchedIsUndone() throws Exception {
        final long changeset = supervisor.hypervisor().image().symbols().lookup("xen_changeset").orElseThrow().address();
        final byte[] changesetText = text(changeset, 16);
        call(new Request.Upload("action_hooks_inconsistent", make("action_hooks_inconsistent", Optional.empty())),
                Response.PayloadStatus.class);
        // The hook applies funcs[0] only (the compiler decides which entry comes first).
        final String second = supervisor.payloads().registry().get("action_hooks_inconsistent").funcs().get(1).name();
        final Response.PayloadStatus s = act(new Request.Apply("action_hooks_inconsistent", T, false));
        assertEquals(1, s.state());
        assertEquals(-22, s.rc());
        assertEquals("apply of 'action_hooks_inconsistent' failed: payload 'action_hooks_inconsistent': the apply hook of payload"
                + " 'action_hooks_inconsistent' returned 0 but function " + second + " is not applied; every change of the"
                + " action was undone",
                supervisor.payloads().actions().message("action_hooks_inconsistent").orElseThrow());
        assertEquals(original, extra());
        assertArrayEquals(originalText, text(extraVersion, 16), "both functions hold their original bytes");
        assertArrayEquals(changesetText, text(changeset, 16));
        assertEquals(List.of(), supervisor.payloads().actions().applied());
    }

    @Test
    void aReplaceWhoseApplyHookIsInconsistentLeavesTheStackAsItWas() throws Exception {
        call(new Request.Upload("hello_world", make("hello_world", Optional.empty())), Response.PayloadStatus.class);
        call(new Request.Upload("action_hooks_inconsistent", make("action_hooks_inconsistent", Optional.empty())),
                Response.PayloadStatus.class);
        assertEquals(0, act(new Request.Apply("hello_world", T, false)).rc());
        final LoadedFunc f = supervisor.payloads().registry().get("hello_world").funcs().getFirst();
        final byte[] patched = text(f.patchAddr(), 5);
        dmesg("hello_world");
        // The master reverts hello_world (its unload hook runs), then the apply hook leaves a
        // function unpatched: everything is undone, hello_world's patch included.
        final Response.PayloadStatus s = act(new Request.Replace("action_hooks_inconsistent", T));
        assertEquals(-22, s.rc());
        assertEquals("Hello World", extra());
        assertArrayEquals(patched, text(f.patchAddr(), 5));
        assertEquals(List.of("hello_world"), supervisor.payloads().actions().applied());
        assertEquals("APPLIED", call(new Request.GetPayload("hello_world"), Response.PayloadStatus.class).status());
        assertEquals(List.of("(XEN) hello_world: unload hook executing"), dmesg("hello_world"),
                "a hook that ran is not undone (as in Xen)");
        assertEquals(0, act(new Request.Revert("hello_world", T)).rc(), "its state was set back: the revert works");
        assertEquals(original, extra());
    }

    @Test
    void aLoadHookChangesTheXenExtraDataObjectAndTheUnloadHookRestoresIt() throws Exception {
        call(new Request.Upload("extra_data", make("extra_data", Optional.empty())), Response.PayloadStatus.class);
        dmesg("extra_data");
        assertEquals(0, act(new Request.Apply("extra_data", T, false)).rc());
        assertEquals("Data World", extra());
        assertArrayEquals(originalText, text(extraVersion, 16), "no code was patched");
        assertEquals(0, act(new Request.Revert("extra_data", T)).rc());
        assertEquals(original, extra());
        assertEquals(List.of("(XEN) extra_data: xen_extra is now 'Data World'",
                "(XEN) extra_data: xen_extra restored to '" + original + "'"), dmesg("extra_data"));
    }

    /** {@return the console lines since the last call that contain {@code what} (reads and clears the ring, as xl dmesg -c)} */
    private static List<String> dmesg(final String what) throws IOException {
        return supervisor.hypervisor().console(true).lines().filter(l -> l.contains(what)).toList();
    }

    @Test
    void microcodeIsLoadedOnEveryCpuAtARendezvous() throws Exception {
        final byte[] update = Microcode.make(0x2a, 2000);
        assertEquals("0x2a", call(new Request.Ucode(update, T), Response.Text.class).text());
        final String field = XlInfo.collect(supervisor.hypervisor()).stream().filter(f -> f.key().equals("ucode_revision"))
                .findFirst().orElseThrow().value();
        assertEquals("0x2a 0x2a 0x2a 0x2a", field);
        final byte[] bad = update.clone();
        bad[100] ^= 1;
        final ControlException e = assertThrows(ControlException.class, () -> call(new Request.Ucode(bad, T), Response.Text.class));
        assertEquals("EINVAL", e.errno());
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        assertEquals("0x2b", call(new Request.Ucode(Microcode.make(0x2b, 16), T), Response.Text.class).text());
    }

    private static long exits() throws IOException {
        return supervisor.hypervisor().stats().stream().mapToLong(HypervisorProcess.CpuStats::exits).sum();
    }
}
