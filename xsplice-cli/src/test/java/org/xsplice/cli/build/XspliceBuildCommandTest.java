package org.xsplice.cli.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.xsplice.build.scenario.Scenario;
import org.xsplice.build.scenario.ScenarioTrees;
import org.xsplice.cli.Cli;
import org.xsplice.cli.expert.XenXspliceCommand;

/**
 * The catalogue through the real commands: {@code xsplice-build} builds each scenario's payload
 * (exit 0 accepted, 2 refused, 3 no change) and the loader's {@code xen-xsplice check} runs
 * every upload check of the payload against the target it was built for. Also the exit codes of
 * {@code xsplice-build diff}.
 */
class XspliceBuildCommandTest {
    static final Path SRC = Path.of("../xsplice-hv/src/main/c").toAbsolutePath().normalize();
    static final Path SCENARIOS = Path.of("../xsplice-build/src/test/resources/scenarios").toAbsolutePath().normalize();
    private static ScenarioTrees trees;

    record Run(int exit, String out, String err) {
    }

    static Run run(final Object command, final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final var cl = Cli.commandLine(command);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        final int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @BeforeAll
    static void cache() throws IOException {
        trees = new ScenarioTrees(SRC, Path.of("target/scenario-cache").toAbsolutePath());
    }

    @TestFactory
    Stream<DynamicTest> everyPayloadPassesTheLoadersCheck() throws IOException {
        return Scenario.load(SCENARIOS).stream().map(s -> DynamicTest.dynamicTest(s.name(), () -> build(s)));
    }

    private static Path build(final Scenario s) throws IOException {
        final ScenarioTrees.Built t = trees.treeFor(s);
        final Path work = trees.workdir(s);
        final Path payload = work.resolve(s.name() + ".livepatch");
        final Run b = run(new XspliceBuildCommand(), "-q", "--srcdir", t.src().toString(), "--patch",
                s.patch().toString(), "--target", t.target().toString(), "--original-build", t.objects().toString(),
                "--workdir", work.toString(), "-o", payload.toString());
        final String ctx = s.name() + "\n" + b.out() + b.err();
        final int want = switch (s.expect()) {
            case ACCEPTED -> 0;
            case REFUSED -> XspliceBuildCommand.REFUSED;
            case NOCHANGE -> XspliceBuildCommand.NO_CHANGE;
        };
        assertEquals(want, b.exit(), ctx);
        if (s.expect() != Scenario.Expect.ACCEPTED) {
            assertTrue(b.out().contains(s.get("message")), ctx);
            assertTrue(Files.notExists(payload), ctx);
            return payload;
        }
        final Run c = run(new XenXspliceCommand(), "check", payload.toString(), "--target", t.target().toString(),
                "--name", s.name());
        assertEquals(0, c.exit(), "xen-xsplice check: " + c.out() + c.err() + "\n" + ctx);
        assertTrue(c.out().contains(": OK ("), c.out());
        for (final String f : s.list("changed")) {
            assertTrue(c.out().contains("    " + f + " patch "), f + " not patched by the loader:\n" + c.out());
        }
        return payload;
    }

    @Test
    void diffExitCodes() throws IOException {
        final Scenario hello = Scenario.load(SCENARIOS).stream().filter(s -> s.name().equals("hello-world"))
                .findFirst().orElseThrow();
        final Path payload = build(hello);
        final ScenarioTrees.Built t = trees.treeFor(hello);
        final Path orig = t.objects().resolve("common/version.o");
        final Path patched = payload.getParent().resolve("patched/common/version.o");
        final Path out = payload.getParent().resolve("diff-out.o");
        final List<String> base = new ArrayList<>(List.of("diff", "--target", t.target().toString(), "-o",
                out.toString()));

        final Run changed = run(new XspliceBuildCommand(), concat(base, orig, patched));
        assertEquals(0, changed.exit(), changed.out() + changed.err());
        assertTrue(Files.size(out) > 0 && changed.out().contains("changed  xen_extra_version"), changed.out());

        assertEquals(3, run(new XspliceBuildCommand(), concat(base, orig, orig)).exit());

        final Path setup = t.objects().resolve("arch/x86/setup.o");
        final Path notElf = payload.getParent().resolve("not-elf.o");
        Files.writeString(notElf, "not an object");
        final Run error = run(new XspliceBuildCommand(), concat(base, setup, notElf));
        assertEquals(1, error.exit(), error.out() + error.err());
        assertTrue(error.err().contains("xsplice-build diff:"), error.err());
        final Run mixed = run(new XspliceBuildCommand(), concat(base, orig, setup));
        assertEquals(1, mixed.exit(), "objects of different sources: " + mixed.err());
    }

    private static String[] concat(final List<String> base, final Path a, final Path b) {
        final List<String> l = new ArrayList<>(base);
        l.add(a.toString());
        l.add(b.toString());
        return l.toArray(String[]::new);
    }
}
