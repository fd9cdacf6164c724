package org.xsplice.build.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.elf.Elf;

/** The differ on object pairs compiled here with gcc, for constructs the reference tree lacks. */
class ObjectDifferTest {
    @TempDir
    Path dir;

    private Path cc(final String name, final String src, final String... flags) throws IOException, InterruptedException {
        // Same file name in both builds: the STT_FILE symbol must match.
        final Path c = Files.createDirectories(dir.resolve(name)).resolve("x.c");
        Files.writeString(c, src);
        final Path o = dir.resolve(name + ".o");
        final List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-ffunction-sections", "-fpie", "-c",
                "x.c", "-o", o.toString()));
        cmd.addAll(List.of(flags));
        final Process p = new ProcessBuilder(cmd).directory(c.getParent().toFile()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + "\n" + out);
        return o;
    }

    private Target link(final Path obj) throws IOException, InterruptedException {
        final Path exe = dir.resolve("target-" + obj.getFileName() + ".elf");
        exec(List.of("gcc", "-nostdlib", "-no-pie", "-Wl,--build-id=sha1", "-Wl,-e,0", "-o", exe.toString(),
                obj.toString()));
        return Target.load(exe);
    }

    private static void exec(final List<String> cmd) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + "\n" + out);
    }

    private ObjectDiff diff(final String orig, final String patched, final String... flags) throws Exception {
        final Path o = cc("orig", orig, flags);
        final Path p = cc("patched", patched, flags);
        return ObjectDiffer.diff(Elf.of().parse(o), Elf.of().parse(p), link(o), LineMap.none());
    }

    private static final String STRINGS = """
            __attribute__((noipa)) int puts_(const char *s) { return s[0]; }
            int first(void) { return puts_("%s"); }
            int second(void) { return puts_("second string"); }
            """;

    @Test
    void aStringThatOnlyMovedInASharedStringSectionIsNoChange() throws Exception {
        // Without -fdata-sections all strings share .rodata.str1.1: lengthening the first string
        // moves the second, so second()'s relocation addend changes but not its meaning.
        final ObjectDiff d = diff(STRINGS, STRINGS.replace("\"%s\"", "\"a longer first string\""));
        assertEquals(ObjectDiff.Outcome.CHANGED, d.outcome(), d.toString());
        assertEquals(List.of("first"), d.changed().stream().map(ObjectDiff.FunctionChange::name).toList());
        assertTrue(d.included().stream().anyMatch(i -> i.what().equals("strings") && i.reason().startsWith("1 string")),
                d.included().toString());
    }

    @Test
    void identicalObjectsAreNoChange() throws Exception {
        assertEquals(ObjectDiff.Outcome.NO_CHANGE, diff(STRINGS, STRINGS).outcome());
    }

    /** Two functions, each with an .ex_table entry and its own .fixup chunk (first's: 3 nops, jmp = 8 bytes). */
    private static final String EXTABLE = """
            #define COPY(name, pad, extra) unsigned long name(unsigned long n) { extra; \\
                __asm__ volatile ("1: rep movsb\\n2:\\n.pushsection .fixup,\\"ax\\"\\n3: " pad "jmp 2b\\n.popsection\\n" \\
                    ".pushsection .ex_table,\\"a\\"\\n.balign 4\\n.long 1b - .\\n.long 3b - .\\n.popsection\\n" \\
                    : "+c"(n) : : "memory", "rdi", "rsi"); return n; }
            COPY(first, "nop; nop; nop; ", (void)0)
            COPY(second, "int3; ", (void)0)
            """;

    @Test
    void aKeptFixupChunkMovesToWhereItIsPackedAndItsEntryFollows() throws Exception {
        final ObjectDiff d = diff(EXTABLE, EXTABLE.replace("COPY(second, \"int3; \", (void)0)",
                "COPY(second, \"int3; \", n += 7)"));
        assertEquals(ObjectDiff.Outcome.CHANGED, d.outcome(), d.toString());
        assertEquals(List.of("second"), d.changed().stream().map(ObjectDiff.FunctionChange::name).toList());
        final org.xsplice.elf.ElfModel m = Elf.of().parse(d.object().orElseThrow());
        final org.xsplice.elf.ElfSection fixup = m.section(".fixup").orElseThrow();
        assertEquals("cce9", java.util.HexFormat.of().formatHex(fixup.bytes(), 0, 2), "only second's chunk, packed at 0");
        final org.xsplice.elf.ElfSection ex = m.section(".ex_table").orElseThrow();
        assertEquals(8, ex.size());
        final var toFixup = m.relocations(ex).stream().filter(r -> r.offset() == 4).toList();
        assertEquals(1, toFixup.size(), m.relocations(ex).toString());
        assertEquals(".fixup", toFixup.getFirst().symbol().flatMap(org.xsplice.elf.ElfSymbol::section)
                .orElseThrow().name());
        assertEquals(0, toFixup.getFirst().addend(), "the entry points at the chunk's new place, not its old one (8)");
    }

    private static final String GROUP = """
            __asm__(".section .text.grp,\\"axG\\",@progbits,grp,comdat\\n.globl grp\\n.type grp,@function\\ngrp: %s\\n.size grp,.-grp\\n.previous");
            int user(void) { return 1; }
            """;

    @Test
    void aChangedSectionGroupIsRefused() throws Exception {
        final ObjectDiff d = diff(GROUP.formatted("xor %eax, %eax; ret"), GROUP.formatted("mov $1, %eax; ret"));
        assertEquals(ObjectDiff.Outcome.REFUSED, d.outcome());
        assertEquals(Refusal.Kind.CHANGED_GROUP, d.refusals().getFirst().kind());
        assertTrue(d.refusals().getFirst().explanation().contains("member .text.grp"), d.refusals().toString());
    }

    @Test
    void aMovedLineNumberIsIgnoredOnlyWithTheLineMap() throws Exception {
        final String src = "int line(void) { return __LINE__; }\n";
        final Path o = cc("orig", "\n\n" + src);
        final Path p = cc("patched", "\n\n\n\n" + src);
        final Target t = link(o);
        assertEquals(ObjectDiff.Outcome.CHANGED,
                ObjectDiffer.diff(Elf.of().parse(o), Elf.of().parse(p), t, LineMap.none()).outcome());
        final LineMap moved = LineMap.ofPatch("+++ b/x.c\n@@ -1,2 +1,4 @@\n");
        final ObjectDiff d = ObjectDiffer.diff(Elf.of().parse(o), Elf.of().parse(p), t, moved);
        assertEquals(ObjectDiff.Outcome.NO_CHANGE, d.outcome(), d.toString());
        assertTrue(d.ignored().getFirst().contains("line 3 -> 5"), d.ignored().toString());
    }

    /**
     * gcc numbers the clones of one function in creation order, so a new specialisation can take
     * {@code .constprop.0} and push the old one to {@code .1}. Written with asm labels so the
     * renumbering is certain: the old specialisation must be found again through its caller, the
     * new one must be new, and no entry may replace the running {@code .0} with other code.
     */
    @Test
    void aRenumberedCloneIsCorrelatedThroughItsCallers() throws Exception {
        final String a = "__attribute__((noinline)) static unsigned long scale_a(unsigned long v) __asm__(\"scale.constprop.%d\");\n"
                + "__attribute__((noinline)) static unsigned long scale_a(unsigned long v) { return v / 1000; }\n"
                + "unsigned long time_us(unsigned long v) { return scale_a(v) + 1; }\n";
        final String b = "__attribute__((noinline)) static unsigned long scale_b(unsigned long v) __asm__(\"scale.constprop.0\");\n"
                + "__attribute__((noinline)) static unsigned long scale_b(unsigned long v) { return v * 3 / 7; }\n"
                + "unsigned long time_ns(unsigned long v) { return scale_b(v) + 2; }\n";
        final ObjectDiff d = diff(a.formatted(0), b + a.formatted(1));
        assertEquals(ObjectDiff.Outcome.CHANGED, d.outcome(), d.toString());
        assertEquals(List.of(), d.changed(), "time_us and its clone are unchanged");
        assertTrue(d.added().contains("time_ns (function)"), d.added().toString());
        assertTrue(d.added().stream().anyMatch(x -> x.startsWith("x.c#scale.constprop.0")), d.added().toString());
    }

    private static final String CLONED = """
            struct s { long a, b; };
            static __attribute__((noinline)) long work(struct s *p, int k)
            {
                long r = 0;
                for (int i = 0; i < k; i++)
                    r += p->a * i + p->b * (i ^ k);
                return r;
            }
            long api1(struct s *p) { return work(p, 7); }
            long api2(struct s *p, int k) { return work(p, k) + 1; }
            """;

    /**
     * The same renumbering from gcc itself, no asm labels: with IPA-CP cloning (-O3 or
     * -fipa-cp-clone) gcc 12 numbers a function's clones per original name in creation order, and
     * a new caller passing two other constants makes the k=7 specialisation {@code .constprop.2}
     * instead of {@code .constprop.0}. The differ must see api1 and its clone as unchanged.
     */
    @Test
    void gccRenumbersAConstpropCloneAndTheDifferFollowsIt() throws Exception {
        final String patched = CLONED + "long api9(struct s *p) { return work(p, 3) + work(p, 4) * 2; }\n";
        final Path o = cc("orig", CLONED, "-O3");
        final Path p = cc("patched", patched, "-O3");
        final Elf elf = Elf.of();
        assertEquals("work.constprop.0", callee(o, "api1"), "precondition: the k=7 clone comes first");
        assertEquals("work.constprop.2", callee(p, "api1"), "precondition: gcc renumbered it");
        final ObjectDiff d = ObjectDiffer.diff(elf.parse(o), elf.parse(p), link(o), LineMap.none());
        assertEquals(ObjectDiff.Outcome.CHANGED, d.outcome(), d.toString());
        assertEquals(List.of(), d.changed(), "api1 and its renumbered clone are unchanged: " + d);
        assertTrue(d.added().contains("api9 (function)"), d.added().toString());
        assertEquals(2, d.added().stream().filter(x -> x.contains("work.constprop.")).count(),
                "the two new specialisations are new: " + d.added());
    }

    /** The function that api's first direct jump or call goes to, by objdump. */
    private static String callee(final Path obj, final String api) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder("objdump", "-dr", "--no-show-raw-insn", obj.toString())
                .redirectErrorStream(true).start();
        final List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
        assertEquals(0, p.waitFor());
        boolean in = false;
        for (final String l : lines) {
            if (l.endsWith("<" + api + ">:")) {
                in = true;
            } else if (in && l.contains("R_X86_64_PLT32") || in && l.contains("R_X86_64_PC32")) {
                // -ffunction-sections: the jump's relocation names the clone's own section
                return l.substring(l.lastIndexOf('\t') + 1).trim().replaceAll("-0x4$", "").replaceFirst("^\\.text\\.", "");
            } else if (in && l.isBlank()) {
                break;
            }
        }
        throw new AssertionError("no call in " + api + ":\n" + String.join("\n", lines));
    }

    @Test
    void lineMapMovesOnlyUntouchedLines() {
        final LineMap m = LineMap.ofPatch("--- a/f.c\n+++ b/f.c\n@@ -10,3 +10,5 @@\n");
        assertTrue(m.moved(20, 22));
        assertTrue(!m.moved(11, 13), "a line inside the hunk is not 'moved'");
        assertTrue(!m.moved(5, 7), "lines before the hunk keep their numbers");
    }
}
