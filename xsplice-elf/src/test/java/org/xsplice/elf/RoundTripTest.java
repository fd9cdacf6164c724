package org.xsplice.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads gcc objects, writes them back with {@link ElfTransform#ACCEPT_ALL}, and checks the
 * result with the real toolchain: readelf sees the same sections, symbols, relocations and
 * notes; objdump the same code and relocations; {@code ld -r} and gcc link the rewritten
 * objects into a program that prints what the original prints.
 */
class RoundTripTest {
    @TempDir
    static Path dir;
    static final List<String> NAMES = new ArrayList<>();
    static String expectedOutput;

    @BeforeAll
    static void compile() throws Exception {
        for (final Map.Entry<String, String> e : CSources.program().entrySet()) {
            // One file with debug info, so .debug_* sections and their relocations go through too.
            if ("text".equals(e.getKey())) {
                Tools.compile(dir, e.getKey(), e.getValue(), "-O2", "-ffunction-sections", "-fdata-sections", "-g");
            } else {
                Tools.compile(dir, e.getKey(), e.getValue(), "-O2", "-ffunction-sections", "-fdata-sections");
            }
            NAMES.add(e.getKey());
        }
        final List<String> link = new ArrayList<>(List.of("gcc", "-o", "orig"));
        NAMES.forEach(n -> link.add(n + ".o"));
        Tools.check(dir, link.toArray(String[]::new));
        expectedOutput = Tools.check(dir, dir.resolve("orig").toString());
        assertTrue(expectedOutput.contains("total="), expectedOutput);
    }

    private static Path rewrite(final String name) throws Exception {
        final ElfModel m = Elf.of().parse(dir.resolve(name + ".o"));
        final Path out = dir.resolve(name + ".rt.o");
        Files.write(out, Elf.of().transform(m, ElfTransform.ACCEPT_ALL));
        return out;
    }

    @Test
    void rewrittenObjectsMatchPerReadelfAndObjdump() throws Exception {
        for (final String n : NAMES) {
            final Path orig = dir.resolve(n + ".o");
            final Path rt = rewrite(n);
            assertEquals(Readelf.normalised(dir, orig), Readelf.normalised(dir, rt), n);
            assertEquals(Readelf.disassembly(dir, orig), Readelf.disassembly(dir, rt), n);
        }
    }

    @Test
    void rewrittenObjectsLinkIntoTheSameProgram() throws Exception {
        final List<String> ldr = new ArrayList<>(List.of("ld", "-r", "-o", "all.rt.o"));
        final List<String> gcc = new ArrayList<>(List.of("gcc", "-o", "direct.rt"));
        for (final String n : NAMES) {
            rewrite(n);
            ldr.add(n + ".rt.o");
            gcc.add(n + ".rt.o");
        }
        Tools.check(dir, ldr.toArray(String[]::new));
        Tools.check(dir, "gcc", "-o", "combined.rt", "all.rt.o");
        Tools.check(dir, gcc.toArray(String[]::new));
        assertEquals(expectedOutput, Tools.check(dir, dir.resolve("combined.rt").toString()));
        assertEquals(expectedOutput, Tools.check(dir, dir.resolve("direct.rt").toString()));
    }

    @Test
    void combinedObjectWithBuildIdRoundTrips() throws Exception {
        final List<String> ldr = new ArrayList<>(List.of("ld", "-r", "--build-id=sha1", "-o", "all.o"));
        NAMES.forEach(n -> ldr.add(n + ".o"));
        Tools.check(dir, ldr.toArray(String[]::new));
        final Path all = dir.resolve("all.o");
        final ElfModel m = Elf.of().parse(all);
        final byte[] once = Elf.of().transform(m, ElfTransform.ACCEPT_ALL);
        final Path rt = dir.resolve("all2.rt.o");
        Files.write(rt, once);
        assertEquals(Readelf.normalised(dir, all), Readelf.normalised(dir, rt));
        assertEquals(m.buildId(), Elf.of().parse(once).buildId());
        assertTrue(m.buildId().isPresent());
        // Writing is deterministic and a fixed point after the first rewrite.
        assertArrayEquals(once, Elf.of().transform(Elf.of().parse(once), ElfTransform.ACCEPT_ALL));
        Tools.check(dir, "gcc", "-o", "all2.rt", "all2.rt.o");
        assertEquals(expectedOutput, Tools.check(dir, dir.resolve("all2.rt").toString()));
    }
}
