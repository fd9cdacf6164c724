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
public class XspliceBuildCommandTest {
    static final Path SRC = Path.of("../xsplice-hv/src/main/c").toAbsolutePath().normalize();
    static final Path SCENARIOS = Path.of("../xsplice-build/src/test/resources/scenarios").toAbsolutePath().normalize();
    private static ScenarioTrees trees;

    /** What a command printed and returned. */
    public record Run(int exit, String out, String err) {
    }

    /** {@return the exit code and output of {@code command} run in-process with {@code args}} */
    public static Run run(final Object command, final String... args) {
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
        final Run c = run(new XenXspliceCommand(System.getenv()), "check", payload.toString(), "--target", t.target().toString(),
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

    @Test
    void dependsNameProgressAndCompilerMismatch() throws Exception {
        final Scenario hello = Scenario.load(SCENARIOS).stream().filter(s -> s.name().equals("hello-world"))
                .findFirst().orElseThrow();
        final ScenarioTrees.Built t = trees.treeFor(hello);
        final Path work = Files.createTempDirectory(Path.of("target"), "build-opts-");
        final String stackOn = "00112233445566778899aabbccddeeff00112233";
        final Path out = work.resolve("stacked.livepatch");
        final Run b = run(new XspliceBuildCommand(), "--srcdir", t.src().toString(), "--patch", hello.patch().toString(),
                "--target", t.target().toString(), "--original-build", t.objects().toString(), "--workdir",
                work.resolve("w1").toString(), "-o", out.toString(), "--depends", stackOn, "--name", "stacked-hello");
        assertEquals(0, b.exit(), b.out() + b.err());
        assertTrue(b.err().contains("BUILD   patched tree") && b.err().contains("PAYLOAD"), "progress: " + b.err());
        final var m = org.xsplice.elf.Elf.of().parse(out);
        final var dep = m.notes(m.section(".livepatch.depends").orElseThrow()).getFirst();
        assertEquals(stackOn, new org.xsplice.elf.BuildId(dep.descriptor()).hex());
        final var modinfo = org.xsplice.payload.ModInfo.parse(m.section(".modinfo").orElseThrow().bytes());
        assertEquals("stacked-hello", modinfo.get("name").orElseThrow());

        // A target whose .comment names another compiler: refused unless --force.
        final Path other = work.resolve("xen-syms-other-compiler");
        final Path comment = work.resolve("comment");
        Files.write(comment, "GCC: (Other) 99.1.0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        final Process p = new ProcessBuilder("objcopy", "--remove-section", ".comment", "--add-section",
                ".comment=" + comment, t.target().toString(), other.toString()).redirectErrorStream(true).start();
        assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
        final List<String> args = List.of("-q", "--srcdir", t.src().toString(), "--patch", hello.patch().toString(),
                "--target", other.toString(), "--original-build", t.objects().toString(), "-o",
                work.resolve("x.livepatch").toString());
        final Run refused = run(new XspliceBuildCommand(), concat(args, "--workdir", work.resolve("w2").toString()));
        assertEquals(1, refused.exit(), refused.out() + refused.err());
        assertTrue(refused.err().contains("compiler mismatch") && refused.err().contains("99.1.0"), refused.err());
        final Run forced = run(new XspliceBuildCommand(), concat(args, "--workdir", work.resolve("w3").toString(),
                "--force"));
        assertEquals(0, forced.exit(), forced.out() + forced.err());
        assertTrue(forced.err().contains("WARNING compiler mismatch") && !forced.err().contains("BUILD"),
                "-q prints the warning but no progress: " + forced.err());
    }

    private static String[] concat(final List<String> base, final String... more) {
        final List<String> l = new ArrayList<>(base);
        l.addAll(List.of(more));
        return l.toArray(String[]::new);
    }

    private static String[] concat(final List<String> base, final Path a, final Path b) {
        final List<String> l = new ArrayList<>(base);
        l.add(a.toString());
        l.add(b.toString());
        return l.toArray(String[]::new);
    }
}
