package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * Issue 5's "patch state must not be lost": the supervisor is killed at every step of an apply,
 * a revert and a replace ({@link CrashPoint}), on a hypervisor under its workload, and the
 * next supervisor must find a consistent state in the hypervisor: the payload listed APPLIED
 * with every one of its three functions jumping into its text in the live text, or CHECKED
 * with none patched, exactly as the step implies (before the commit nothing changed; from the
 * commit on the hypervisor finished the action alone); {@code xl info} answers accordingly;
 * revert and unload work; and the payload lands at the same address each time, because
 * unload gave its memory back.
 */
class CrashRecoveryTest {
    private static final long TIMEOUT_NS = 300_000_000L;
    private static final List<String> FUNCS = List.of("xen_extra_version", "xen_major_version", "xen_minor_version");

    @TempDir
    Path tmp;

    private RunDirectory run;
    private final String name = HvTestSupport.uniqueName("crash");

    @AfterEach
    void stop() throws Exception {
        HvTestSupport.stopSupervisor(run, name);
    }

    /** What the armed supervisor is doing when it dies. */
    private enum Kind {
        APPLY, REVERT, REPLACE
    }

    @Test
    void aSupervisorKilledAtAnyStepOfAnApplyRevertOrReplaceLeavesAllOrNothingForTheNextOne() throws Exception {
        run = new RunDirectory(tmp.resolve("run"));
        final Map<String, String> env = HvTestSupport.supervisorEnv();
        final Response.Pong first = Supervisors.start(run, name, 2, "normal", env);
        final long pid = first.pid();
        final List<Long> addrs = new ArrayList<>();
        for (final String f : FUNCS) {
            addrs.add(HvTestSupport.image().symbols().lookup(f).orElseThrow().address());
        }
        final List<byte[]> original = new ArrayList<>();
        for (final long a : addrs) {
            original.add(live(pid, a, 9));
        }
        final String originalExtra;
        try (ControlClient c = ControlClient.connect(run, name)) {
            originalExtra = extra(c);
        }
        Long crashText = null;
        long supervisor = first.supervisorPid();
        final List<String> seen = new ArrayList<>();
        for (final CrashPoint.Step step : CrashPoint.Step.values()) {
            for (final Kind kind : Kind.values()) {
                final String what = kind.name().toLowerCase(java.util.Locale.ROOT) + " killed at " + step.id();
                // The healthy supervisor prepares what the armed one that takes over is to do.
                try (ControlClient c = ControlClient.connect(run, name)) {
                    if (Kind.APPLY != kind) {
                        c.call(new Request.Upload("crash", payload()), Response.PayloadStatus.class);
                        act(c, new Request.Apply("crash", TIMEOUT_NS, false));
                    }
                    if (Kind.REPLACE == kind) {
                        c.call(new Request.Upload("crash_r", replacement()), Response.PayloadStatus.class);
                    }
                }
                kill(supervisor);
                final Map<String, String> armed = new HashMap<>(env);
                armed.put("XSPLICE_CRASH_AT", step.id());
                final Response.Pong crashing = Supervisors.start(run, name, 2, "normal", armed);
                assertEquals(pid, crashing.pid(), "the same hypervisor throughout");
                drive(kind);
                assertTrue(ProcessHandle.of(crashing.supervisorPid()).map(p -> p.onExit().completeOnTimeout(p, 20, TimeUnit.SECONDS)
                        .join().isAlive()).map(alive -> !alive).orElse(true), what + ": the supervisor halted at its crash point");

                final Response.Pong next = Supervisors.start(run, name, 2, "normal", env);
                supervisor = next.supervisorPid();
                // Before the commit nothing changed; from the commit on the hypervisor finished it.
                final boolean committed = step.ordinal() >= CrashPoint.Step.COMMIT.ordinal();
                final String applied = switch (kind) {
                    case APPLY -> committed ? "crash" : null;
                    case REVERT -> committed ? null : "crash";
                    case REPLACE -> committed ? "crash_r" : "crash";
                };
                try (ControlClient c = ControlClient.connect(run, name)) {
                    final List<Response.PayloadStatus> listed = c.call(new Request.ListPayloads(), Response.PayloadList.class).payloads();
                    assertEquals(Kind.REPLACE == kind ? 2 : 1, listed.size(), what + ": " + listed);
                    for (final Response.PayloadStatus s : listed) {
                        assertEquals(s.name().equals(applied) ? 2 : 1, s.state(), what + ": " + s);
                        assertEquals(0, s.rc(), what + ": " + s);
                    }
                    final Map<String, Long> text = textAddresses(c);
                    if (null == crashText) {
                        crashText = text.get("crash");
                    }
                    assertEquals(crashText, text.get("crash"), what + ": the payload was loaded where the first one was (area freed)");
                    for (int i = 0; i < FUNCS.size(); i++) {
                        final byte[] now = live(pid, addrs.get(i), 9);
                        if (null == applied) {
                            assertArrayEquals(original.get(i), now, what + ": " + FUNCS.get(i) + " is not patched");
                        } else {
                            // Every function jumps into the one applied payload's text, none elsewhere.
                            final long target = jumpTarget(original.get(i), addrs.get(i), now);
                            final long at = text.get(applied);
                            assertTrue(target >= at && target < at + 4096, what + ": " + FUNCS.get(i) + " jumps to 0x"
                                    + Long.toHexString(target) + ", not into " + applied + " at 0x" + Long.toHexString(at));
                        }
                    }
                    assertEquals(null == applied ? originalExtra : "crash".equals(applied) ? "-soaked" : "-replaced", extra(c),
                            what + ": xl info answers");
                    if (null != applied) {
                        act(c, new Request.Revert(applied, TIMEOUT_NS));
                        for (int i = 0; i < FUNCS.size(); i++) {
                            assertArrayEquals(original.get(i), live(pid, addrs.get(i), 9), what + ": " + FUNCS.get(i) + " reverted");
                        }
                    }
                    for (final Response.PayloadStatus s : listed) {
                        c.call(new Request.Unload(s.name()), Response.Done.class);
                    }
                    assertTrue(c.call(new Request.ListPayloads(), Response.PayloadList.class).payloads().isEmpty(), what);
                }
                seen.add(what + " -> " + (null == applied ? "none applied" : applied + " applied"));
            }
        }
        assertEquals(Kind.values().length * CrashPoint.Step.values().length, seen.size());
        System.out.println("crash recovery: " + String.join("; ", seen));

        // Finally a supervisor in this process takes over and sees the whole payload area free.
        kill(supervisor);
        try (HypervisorProcess hv = HypervisorProcess.attach(HvImage.read(Path.of("/proc", Long.toString(pid), "exe")), name,
                (int) pid, false);
             LivePayloads p = new LivePayloads(hv)) {
            assertTrue(p.registry().list().isEmpty());
            final long[] space = HvPayloadPort.payloadSpace(hv);
            assertEquals(Map.of(space[0], space[1]), p.registry().area().freeRanges(), "payload area back to its start");
            assertTrue(new PatchRecords(hv).read().isEmpty(), "no record left");
        }
    }

    /** Through the armed supervisor: uploads and applies, reverts, or replaces; the supervisor dies on the way. */
    private void drive(final Kind kind) throws Exception {
        try (ControlClient c = ControlClient.connect(run, name)) {
            switch (kind) {
                case APPLY -> {
                    c.call(new Request.Upload("crash", payload()), Response.PayloadStatus.class);
                    act(c, new Request.Apply("crash", TIMEOUT_NS, false));
                }
                case REVERT -> act(c, new Request.Revert("crash", TIMEOUT_NS));
                case REPLACE -> act(c, new Request.Replace("crash_r", TIMEOUT_NS));
            }
        } catch (final IOException e) {
            // The supervisor halted while answering: expected, its death is checked by the caller.
        }
    }

    /**
     * Runs an action to its end (GET until rc is no longer -EAGAIN) and requires success; an
     * EBUSY (the CPUs did not all arrive in time on a loaded machine) is retried, as the
     * toolstack's exit code 2 says.
     */
    private static void act(final ControlClient c, final Request action) throws Exception {
        for (;;) {
            Response.PayloadStatus s = c.call(action, Response.PayloadStatus.class);
            while (-11 == s.rc()) {
                Thread.sleep(1);
                s = c.call(new Request.GetPayload(s.name()), Response.PayloadStatus.class);
            }
            if (-16 != s.rc()) {
                assertEquals(0, s.rc(), s.toString());
                assertEquals(action instanceof Request.Revert ? 1 : 2, s.state(), "CHECKED after a revert, APPLIED otherwise: " + s);
                return;
            }
        }
    }

    private byte[] payloadBytes;
    private byte[] replacementBytes;

    private byte[] payload() throws IOException {
        if (null == payloadBytes) {
            payloadBytes = HvTestSupport.payload(tmp, "hv_versions", HvTestSupport.image().file(), Optional.empty());
        }
        return payloadBytes;
    }

    /** The same three functions patched by other code (REPLACE needs a payload built on the hypervisor). */
    private byte[] replacement() throws IOException {
        if (null == replacementBytes) {
            payload();
            final Path src = tmp.resolve("hv_versions_r.c");
            Files.writeString(src, Files.readString(tmp.resolve("hv_versions.c")).replace("-soaked", "-replaced")
                    .replace("soak_", "repl_"));
            final Path out = tmp.resolve("hv_versions_r.livepatch");
            CPayloadMaker.make(new CPayloadOptions(src, HvTestSupport.image().file(), out, Optional.empty(), List.of()));
            replacementBytes = Files.readAllBytes(out);
        }
        return replacementBytes;
    }

    /** {@return where the jump written at the function's start (or after its ENDBR64) goes} */
    private static long jumpTarget(final byte[] original, final long addr, final byte[] now) {
        final int at = (original[0] & 0xff) == 0xf3 && original[1] == 0x0f && original[2] == 0x1e && (original[3] & 0xff) == 0xfa ? 4 : 0;
        assertEquals(0xe9, now[at] & 0xff, "a jmp rel32 at 0x" + Long.toHexString(addr + at));
        final int rel = (now[at + 1] & 0xff) | (now[at + 2] & 0xff) << 8 | (now[at + 3] & 0xff) << 16 | now[at + 4] << 24;
        return addr + at + 5 + rel;
    }

    /** Reads the hypervisor's live text directly, not through any supervisor. */
    private static byte[] live(final long pid, final long address, final int n) throws IOException {
        try (RandomAccessFile mem = new RandomAccessFile("/proc/" + pid + "/mem", "r")) {
            mem.seek(address);
            final byte[] b = new byte[n];
            mem.readFully(b);
            return b;
        }
    }

    private static void kill(final long pid) throws Exception {
        final Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isPresent()) {
            p.get().destroyForcibly();
            p.get().onExit().get(10, TimeUnit.SECONDS);
        }
    }

    private static String extra(final ControlClient c) throws Exception {
        return c.call(new Request.Info(), Response.InfoReply.class).fields().stream().filter(f -> f.key().equals("xen_extra"))
                .findFirst().orElseThrow().value();
    }

    /** {@return each payload's text address, as debug key 'x' prints it} */
    private static Map<String, Long> textAddresses(final ControlClient c) throws Exception {
        c.call(new Request.Dmesg(true), Response.Text.class);
        c.call(new Request.DebugKeys("x"), Response.Done.class);
        final String dump = c.call(new Request.Dmesg(false), Response.Text.class).text();
        final Matcher m = Pattern.compile("name=(\\S+) state=\\S+ 0x([0-9a-f]+)").matcher(dump);
        final Map<String, Long> out = new HashMap<>();
        while (m.find()) {
            out.put(m.group(1), Long.parseUnsignedLong(m.group(2), 16));
        }
        assertTrue(out.containsKey("crash"), dump);
        return out;
    }
}
