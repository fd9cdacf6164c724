package org.xsplice.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.xsplice.build.diff.ObjectDiff;
import org.xsplice.build.diff.Refusal;
import org.xsplice.build.diff.Target;
import org.xsplice.build.report.BuildReport;
import org.xsplice.build.tree.TreeBuilder;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.payload.LivepatchFunc;
import org.xsplice.payload.PayloadSections;

/**
 * The scenario catalogue: each directory under {@code scenarios/} holds {@code patch.diff}, an
 * optional {@code base.diff} (applied to both trees first, for constructs the pristine tree does
 * not have) and {@code expected.properties}. Every scenario runs the real build: the reference
 * hypervisor's tree is compiled with gcc (the original once per run, cached under target/), the
 * patched tree recompiles only what the patch touched, and the payload is checked against the
 * target's symbols as Xen's loader checks it.
 */
class ScenarioCatalogueTest {
    static final Path SRC = Path.of("../xsplice-hv/src/main/c").toAbsolutePath().normalize();
    static final Path SCENARIOS = Path.of("src/test/resources/scenarios").toAbsolutePath();
    static final Path CACHE = Path.of("target/scenario-cache").toAbsolutePath();
    private static final Map<String, Built> BASES = new ConcurrentHashMap<>();

    /** A tree and its build: the "running hypervisor" a scenario patches. */
    record Built(Path src, Path objects, Path target) {
    }

    @BeforeAll
    static void buildPristine() throws IOException {
        deleteTree(CACHE);
        BASES.put("", build("pristine", null));
    }

    static Built build(final String name, final Path basePatch) throws IOException {
        final Path src = TreeBuilder.copy(SRC, CACHE.resolve(name + "-src"));
        if (null != basePatch) {
            TreeBuilder.applyPatch(src, basePatch);
        }
        final Path out = CACHE.resolve(name + "-build");
        new TreeBuilder(List.of("make"), TreeBuilder.PINNED, 2, _ -> { }).build(src, out, name);
        return new Built(src, out, out.resolve("xen-syms"));
    }

    @TestFactory
    Stream<DynamicTest> catalogue() throws IOException {
        final List<Path> dirs;
        try (Stream<Path> s = Files.list(SCENARIOS)) {
            dirs = s.filter(Files::isDirectory).sorted().toList();
        }
        assertTrue(dirs.size() >= 20, "at least 20 scenarios, found " + dirs.size());
        return dirs.stream().map(d -> DynamicTest.dynamicTest(d.getFileName().toString(), () -> run(d)));
    }

    static Properties expected(final Path dir) throws IOException {
        final Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir.resolve("expected.properties"))) {
            p.load(r);
        }
        return p;
    }

    static Set<String> list(final Properties p, final String key) {
        final String v = p.getProperty(key, "").trim();
        return v.isEmpty() ? Set.of() : new TreeSet<>(Arrays.asList(v.split("\\s*,\\s*")));
    }

    static void run(final Path dir) throws IOException {
        final String name = dir.getFileName().toString();
        final Properties exp = expected(dir);
        final Path base = dir.resolve("base.diff");
        final Built built = Files.exists(base) ? build("base-" + name, base) : BASES.get("");
        final Path work = CACHE.resolve("run-" + name);
        final Path out = work.resolve(name + ".livepatch");
        final List<String> progress = new ArrayList<>();
        final BuildResult r = XspliceBuild.build(BuildRequest.of(built.src(), dir.resolve("patch.diff"), built.target())
                .withOriginalBuild(built.objects()).withWorkdir(work).withOutput(out).withProgress(progress::add));
        final String report = BuildReport.render(r.name(), r.diffs());
        final String context = name + ":\n" + String.join("\n", progress) + "\n" + report;

        final String outcome = exp.getProperty("outcome");
        final ObjectDiff.Outcome want = switch (outcome) {
            case "accepted" -> ObjectDiff.Outcome.CHANGED;
            case "refused" -> ObjectDiff.Outcome.REFUSED;
            case "nochange" -> ObjectDiff.Outcome.NO_CHANGE;
            default -> throw new IllegalArgumentException(name + ": outcome " + outcome);
        };
        assertEquals(want, r.outcome(), context);
        assertTrue(report.contains(exp.getProperty("message", "")), "report lacks '" + exp.getProperty("message")
                + "'\n" + context);
        final Set<String> changed = r.diffs().stream().flatMap(d -> d.changed().stream())
                .map(ObjectDiff.FunctionChange::name).collect(Collectors.toCollection(TreeSet::new));
        if (want == ObjectDiff.Outcome.REFUSED) {
            final Set<String> kinds = r.diffs().stream().flatMap(d -> d.refusals().stream()).map(Refusal::kind)
                    .map(Enum::name).collect(Collectors.toSet());
            assertTrue(kinds.contains(exp.getProperty("kind")), "refusal kinds " + kinds + "\n" + context);
            assertFalse(Files.exists(out), "no payload for a refused patch");
            return;
        }
        if (want == ObjectDiff.Outcome.NO_CHANGE) {
            assertTrue(changed.isEmpty(), context);
            assertFalse(Files.exists(out));
            return;
        }
        assertEquals(list(exp, "changed"), changed, context);
        for (final String absent : list(exp, "absent_changed")) {
            assertFalse(changed.stream().anyMatch(c -> c.endsWith(absent)), absent + " must not change\n" + context);
        }
        final Set<String> added = r.diffs().stream().flatMap(d -> d.added().stream()).map(a -> a.split(" ")[0])
                .collect(Collectors.toSet());
        assertTrue(added.containsAll(list(exp, "new")), "new " + added + "\n" + context);
        verifyPayload(out, Target.load(built.target()), exp, changed, context);
    }

    /** (a) Xen's upload checks, (b) the payload holds exactly what the scenario expects. */
    static void verifyPayload(final Path payload, final Target target, final Properties exp, final Set<String> changed,
                              final String context) throws IOException {
        assertEquals(List.of(), PayloadChecks.check(payload, target), context);
        final ElfModel m = Elf.of().parse(payload);
        final byte[] funcs = m.section(PayloadSections.FUNCS).orElseThrow().bytes();
        final List<LivepatchFunc> entries = LivepatchFunc.decodeAll(funcs);
        assertEquals(changed.size(), entries.size(), context);
        final byte[] names = m.section(".livepatch.strings").orElseThrow().bytes();
        final Set<String> named = new LinkedHashSet<>();
        for (final var r : m.relocations(m.section(PayloadSections.FUNCS).orElseThrow())) {
            if (r.offset() % LivepatchFunc.V2_SIZE == LivepatchFunc.NAME_OFFSET) {
                named.add(Target.cString(java.nio.ByteBuffer.wrap(names), (int) r.addend()));
            }
        }
        assertEquals(changed, new TreeSet<>(named), context);
        for (int i = 0; i < entries.size(); i++) {
            assertEquals(0, entries.get(i).oldAddr());
        }
        for (final String n : changed) {
            final ElfSymbol old = target.lookup(n).getFirst();
            assertTrue(entries.stream().anyMatch(e -> e.oldSize() == old.size()), n + " old_size\n" + context);
        }
        final Set<String> undefined = m.symbols().stream().filter(s -> s.index() > 0 && s.isUndefined())
                .map(ElfSymbol::name).collect(Collectors.toSet());
        assertTrue(undefined.containsAll(list(exp, "undefined")), "undefined " + undefined + "\n" + context);
        for (final String s : list(exp, "sections")) {
            assertTrue(m.section(s).isPresent(), "section " + s + "\n" + context);
        }
    }

    static void deleteTree(final Path p) throws IOException {
        if (Files.exists(p)) {
            try (Stream<Path> s = Files.walk(p)) {
                for (final Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(x);
                }
            }
        }
    }
}
