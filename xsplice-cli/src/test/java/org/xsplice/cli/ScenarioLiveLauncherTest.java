package org.xsplice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xsplice.build.scenario.Scenario;
import org.xsplice.build.scenario.ScenarioTrees;

/**
 * Every accepted scenario of the xsplice-build catalogue, live: its payload built by the real
 * {@code xsplice-build} against the build of its tree, loaded into a reference hypervisor running
 * exactly that build (the payload's xen_depends is its build-id), the patched behaviour seen
 * through {@code xl} as the scenario's {@code live.*} keys say, then reverted (behaviour back)
 * and unloaded. One hypervisor per tree: the cases run grouped by tree.
 */
class ScenarioLiveLauncherTest {
    private static final Path SRC = Launchers.HOME.resolve("xsplice-hv/src/main/c");
    private static final Path SCENARIOS = Launchers.HOME.resolve("xsplice-build/src/test/resources/scenarios");
    /** 1 s instead of Xen's 30 ms: the CI host shares two cores between pCPU threads and builds. */
    private static final String TIMEOUT = "1000000000";
    private static final int RETRIES = 5;

    @TempDir
    static Path dir;
    private static ScenarioTrees trees;
    private static Map<String, Scenario> byName;
    private static Launchers running;
    private static Path runningTarget;
    /** The payload a failed case left loaded, so that it does not break the next case on the same hypervisor. */
    private static String leftLoaded;

    @BeforeAll
    static void load() throws IOException {
        trees = new ScenarioTrees(SRC, dir.resolve("trees"));
        byName = new LinkedHashMap<>();
        for (final Scenario s : Scenario.load(SCENARIOS)) {
            byName.put(s.name(), s);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (null != running) {
            running.tool("xsplice-hv", "stop", "--name", running.name());
        }
    }

    @AfterEach
    void unloadLeftover() throws Exception {
        if (null != leftLoaded && null != running) {
            retried(running, "revert", leftLoaded);
            running.tool("xl", "livepatch", "unload", leftLoaded);
        }
        leftLoaded = null;
    }

    /** {@return the accepted scenarios, those patching the pristine tree first, then one base tree after another} */
    static Stream<String> accepted() throws IOException {
        return Scenario.load(SCENARIOS).stream().filter(s -> s.expect() == Scenario.Expect.ACCEPTED)
                .sorted(Comparator.comparing((Scenario s) -> s.basePatch().isPresent()).thenComparing(Scenario::name))
                .map(Scenario::name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void loadCheckRevertUnload(final String name) throws Exception {
        final Scenario s = byName.get(name);
        final ScenarioTrees.Built t = trees.treeFor(s);
        final Launchers l = hypervisorRunning(t.target());
        final Path payload = trees.workdir(s).resolve(name + ".livepatch");
        Launchers.Result r = l.tool("xsplice-build", "-q", "--srcdir", t.src().toString(), "--patch", s.patch().toString(),
                "--target", t.target().toString(), "--original-build", t.objects().toString(), "--workdir",
                trees.workdir(s).toString(), "--name", name, "-o", payload.toString());
        assertEquals(0, r.code(), "xsplice-build: " + r);

        final Map<String, String> info = expectedInfo(s);
        final String dmesg = s.get("live.dmesg");
        // live.dmesg.*: more fragments the same output must hold once loaded (e.g. a WARN's report
        // and the output after it, which shows the hypervisor went on).
        final List<String> more = s.expected().stringPropertyNames().stream().filter(k -> k.startsWith("live.dmesg."))
                .sorted().map(s::get).toList();
        assertFalse(info.isEmpty() && dmesg.isEmpty(), name + " has no live.* expectation");

        final Observed before = observe(l, s, info.keySet());
        assertFalse(before.shows(info, dmesg), "before load: " + before);

        r = retried(l, "load", payload.toString());
        assertEquals(0, r.code(), "xl livepatch load: " + r);
        leftLoaded = name;
        final Observed loaded = observe(l, s, info.keySet());
        assertTrue(loaded.shows(info, dmesg), "loaded, expected " + info + " / '" + dmesg + "': " + loaded);
        for (final String fragment : more) {
            assertTrue(loaded.dmesg().contains(fragment), "loaded, expected '" + fragment + "' in dmesg: " + loaded);
        }
        r = retried(l, "revert", name);
        assertEquals(0, r.code(), "xl livepatch revert: " + r);
        final Observed reverted = observe(l, s, info.keySet());
        assertFalse(reverted.shows(info, dmesg), "reverted: " + reverted);
        assertEquals(before.info(), reverted.info(), "xl info back as before the load");

        r = l.tool("xl", "livepatch", "unload", name);
        assertEquals(0, r.code(), "xl livepatch unload: " + r);
        leftLoaded = null;
        assertEquals("Nothing to list\n", l.tool("xl", "livepatch", "list").out());
    }

    /** One hypervisor at a time: the one running {@code target}, started when the tree changes. */
    private static Launchers hypervisorRunning(final Path target) throws Exception {
        if (null != running && target.equals(runningTarget)) {
            return running;
        }
        stop();
        running = null;
        final Launchers l = Launchers.in(dir, "live", target);
        final Launchers.Result r = l.tool("xsplice-hv", "start", "--name", l.name(), "--cpus", "2");
        assertEquals(0, r.code(), "xsplice-hv start " + target + ": " + r);
        running = l;
        runningTarget = target;
        return l;
    }

    /** Exit code 2 is "retry" (EBUSY: a CPU missed the rendezvous), as scripts/demo does. */
    private static Launchers.Result retried(final Launchers l, final String action, final String what) throws Exception {
        Launchers.Result r = null;
        for (int i = 0; i < RETRIES; i++) {
            r = l.tool("xl", "livepatch", action, what, "--timeout", TIMEOUT);
            if (ExitCodes.RETRY != r.code()) {
                return r;
            }
        }
        return r;
    }

    private static Map<String, String> expectedInfo(final Scenario s) {
        final Map<String, String> m = new LinkedHashMap<>();
        for (final String k : s.expected().stringPropertyNames().stream().sorted().toList()) {
            if (k.startsWith("live.xl_info.")) {
                m.put(k.substring("live.xl_info.".length()), s.get(k));
            }
        }
        return m;
    }

    /**
     * What xl shows: the named {@code xl info} fields, and the dmesg output the scenario's
     * {@code live.xl} command adds (the ring is cleared before it).
     */
    record Observed(Map<String, String> info, String dmesg) {
        boolean shows(final Map<String, String> want, final String fragment) {
            return info.entrySet().containsAll(want.entrySet()) && (fragment.isEmpty() || dmesg.contains(fragment));
        }
    }

    private static Observed observe(final Launchers l, final Scenario s, final Set<String> fields) throws Exception {
        final String trigger = s.get("live.xl");
        String dmesg = "";
        if (!trigger.isEmpty()) {
            assertEquals(0, l.tool("xl", "dmesg", "-c").code());
            final Launchers.Result r = l.tool("xl", trigger.split(" +"));
            assertEquals(0, r.code(), "xl " + trigger + ": " + r);
            final Launchers.Result d = l.tool("xl", "dmesg", "-c");
            assertEquals(0, d.code(), d.toString());
            dmesg = d.out();
        }
        final Map<String, String> info = new LinkedHashMap<>();
        if (!fields.isEmpty()) {
            final Launchers.Result r = l.tool("xl", "info");
            assertEquals(0, r.code(), r.toString());
            for (final String f : fields) {
                final Matcher m = Pattern.compile("(?m)^" + Pattern.quote(f) + " +: (.*)$").matcher(r.out());
                assertTrue(m.find(), f + " not in xl info:\n" + r.out());
                info.put(f, m.group(1));
            }
        }
        return new Observed(info, dmesg);
    }
}
