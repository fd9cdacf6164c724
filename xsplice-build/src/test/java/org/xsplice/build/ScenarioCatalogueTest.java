package org.xsplice.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.xsplice.build.diff.ObjectDiff;
import org.xsplice.build.diff.Refusal;
import org.xsplice.build.diff.Target;
import org.xsplice.build.report.BuildReport;
import org.xsplice.build.scenario.Scenario;
import org.xsplice.build.scenario.ScenarioTrees;
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
    private static ScenarioTrees trees;

    @BeforeAll
    static void cache() throws IOException {
        trees = new ScenarioTrees(SRC, Path.of("target/scenario-cache").toAbsolutePath());
    }

    @TestFactory
    Stream<DynamicTest> catalogue() throws IOException {
        final List<Scenario> all = Scenario.load(SCENARIOS);
        assertTrue(all.size() >= 20, "at least 20 scenarios, found " + all.size());
        return all.stream().map(s -> DynamicTest.dynamicTest(s.name(), () -> run(s)));
    }

    static void run(final Scenario s) throws IOException {
        final ScenarioTrees.Built built = trees.treeFor(s);
        final Path work = trees.workdir(s);
        final Path out = work.resolve(s.name() + ".livepatch");
        final List<String> progress = new ArrayList<>();
        final BuildResult r = XspliceBuild.build(BuildRequest.of(built.src(), s.patch(), built.target())
                .withOriginalBuild(built.objects()).withWorkdir(work).withOutput(out).withProgress(progress::add));
        final String report = BuildReport.render(r.name(), r.diffs());
        final String context = s.name() + ":\n" + String.join("\n", progress) + "\n" + report;

        final ObjectDiff.Outcome want = switch (s.expect()) {
            case ACCEPTED -> ObjectDiff.Outcome.CHANGED;
            case REFUSED -> ObjectDiff.Outcome.REFUSED;
            case NOCHANGE -> ObjectDiff.Outcome.NO_CHANGE;
        };
        assertEquals(want, r.outcome(), context);
        assertTrue(report.contains(s.get("message")), "report lacks '" + s.get("message") + "'\n" + context);
        final Set<String> changed = r.diffs().stream().flatMap(d -> d.changed().stream())
                .map(ObjectDiff.FunctionChange::name).collect(Collectors.toCollection(TreeSet::new));
        if (want == ObjectDiff.Outcome.REFUSED) {
            final Set<String> kinds = r.diffs().stream().flatMap(d -> d.refusals().stream()).map(Refusal::kind)
                    .map(Enum::name).collect(Collectors.toSet());
            assertTrue(kinds.contains(s.get("kind")), "refusal kinds " + kinds + "\n" + context);
            assertFalse(Files.exists(out), "no payload for a refused patch");
            return;
        }
        if (want == ObjectDiff.Outcome.NO_CHANGE) {
            assertTrue(changed.isEmpty(), context);
            assertFalse(Files.exists(out));
            return;
        }
        assertEquals(s.list("changed"), changed, context);
        for (final String absent : s.list("absent_changed")) {
            assertFalse(changed.stream().anyMatch(c -> c.endsWith(absent)), absent + " must not change\n" + context);
        }
        final Set<String> added = r.diffs().stream().flatMap(d -> d.added().stream()).map(a -> a.split(" ")[0])
                .collect(Collectors.toSet());
        assertTrue(added.containsAll(s.list("new")), "new " + added + "\n" + context);
        verifyPayload(out, Target.load(built.target()), s, changed, context);
    }

    /** (a) Xen's upload checks, (b) the payload holds exactly what the scenario expects. */
    static void verifyPayload(final Path payload, final Target target, final Scenario s, final Set<String> changed,
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
        final Set<String> undefined = m.symbols().stream().filter(y -> y.index() > 0 && y.isUndefined())
                .map(ElfSymbol::name).collect(Collectors.toSet());
        assertTrue(undefined.containsAll(s.list("undefined")), "undefined " + undefined + "\n" + context);
        for (final String sec : s.list("sections")) {
            assertTrue(m.section(sec).isPresent(), "section " + sec + "\n" + context);
        }
        // "name:bytes": the regenerated special sections hold exactly the entries of included
        // functions (0: the section must be absent).
        for (final String size : s.list("section_sizes")) {
            final String sec = size.substring(0, size.lastIndexOf(':'));
            final long want = Long.parseLong(size.substring(size.lastIndexOf(':') + 1));
            assertEquals(want, m.section(sec).map(org.xsplice.elf.ElfSection::size).orElse(0L),
                    "size of " + sec + "\n" + context);
        }
    }
}
