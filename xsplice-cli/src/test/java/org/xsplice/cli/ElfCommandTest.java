package org.xsplice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** {@code xsplice elf} on a gcc object: in process, and through the real {@code bin/xsplice} launcher. */
class ElfCommandTest {
    @TempDir
    static Path dir;
    static Path object;
    static String buildId;

    record Run(int exit, String out, String err) {
    }

    private static String sh(final String... cmd) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }

    @BeforeAll
    static void compile() throws Exception {
        Files.writeString(dir.resolve("hello.c"), """
                #include <stdio.h>
                static const char *greeting(int n) { switch (n) { case 0: return "hello"; case 1: return "bye"; default: return "?"; } }
                int main(int argc, char **argv) { (void) argv; puts(greeting(argc - 1)); return 0; }
                """);
        sh("gcc", "-O2", "-ffunction-sections", "-fdata-sections", "-c", "hello.c", "-o", "hello.o");
        sh("ld", "-r", "--build-id=sha1", "hello.o", "-o", "hello-r.o");
        object = dir.resolve("hello-r.o");
        final Matcher m = Pattern.compile("Build ID: ([0-9a-f]+)").matcher(sh("readelf", "-n", object.toString()));
        assertTrue(m.find());
        buildId = m.group(1);
    }

    private static Run run(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine cl = Cli.commandLine(new XspliceCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        final int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void printsEverythingByDefault() throws Exception {
        final Run r = run("elf", object.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("Build ID:            " + buildId), r.out());
        assertTrue(r.out().contains("Build ID: " + buildId), "note listing: " + r.out());
        // Every section readelf lists, every symbol name, every relocation type.
        final String sections = sh("readelf", "-SW", object.toString());
        final Matcher sm = Pattern.compile("\\]\\s+(\\.\\S+)").matcher(sections);
        int n = 0;
        while (sm.find()) {
            assertTrue(r.out().contains(" " + sm.group(1) + " "), sm.group(1));
            n++;
        }
        assertTrue(n > 8);
        assertTrue(r.out().contains("FUNC        GLOBAL      DEFAULT"), r.out());
        assertTrue(r.out().contains(" main"));
        assertTrue(r.out().contains("R_X86_64_PLT32"));
        assertTrue(r.out().contains("puts"));
        assertTrue(r.out().contains("applies to ["), r.out());
    }

    @Test
    void selectsParts() {
        final Run r = run("elf", "--notes", object.toString());
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("NT_GNU_BUILD_ID"), r.out());
        assertFalse(r.out().contains("Section headers ("));
        assertFalse(r.out().contains("Symbol table"));
        final Run s = run("elf", "-s", "-r", object.toString());
        assertTrue(s.out().contains("Symbol table .symtab"));
        assertTrue(s.out().contains("Relocation section .rela.text.startup.main"), s.out());
        assertFalse(s.out().contains("Notes ("));
    }

    @Test
    void malformedFilePrintsTheTypedErrorAndExitsOne() throws Exception {
        final byte[] b = Files.readAllBytes(object);
        b[60] = (byte) 0xff; // e_shnum far beyond the file
        b[61] = (byte) 0x7f;
        final Path bad = dir.resolve("bad.o");
        Files.write(bad, b);
        final Run r = run("elf", bad.toString());
        assertEquals(ExitCodes.ERROR, r.exit());
        assertTrue(r.err().contains("malformed ELF: e_shnum at offset 0x3c: expected section headers inside the file"),
                r.err());
        final Run missing = run("elf", dir.resolve("missing.o").toString());
        assertEquals(ExitCodes.ERROR, missing.exit());
        assertTrue(missing.err().contains("cannot read"), missing.err());
    }

    @Test
    void realLauncher() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("bin/xsplice"))) {
            root = root.getParent();
        }
        final ProcessBuilder pb = new ProcessBuilder(root.resolve("bin/xsplice").toString(), "elf", "-n", object.toString())
                .redirectErrorStream(true);
        final Map<String, String> env = pb.environment();
        env.put("XSPLICE_CLASSPATH", System.getProperty("java.class.path"));
        final Process p = pb.start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("Build ID: " + buildId), out);
    }
}
