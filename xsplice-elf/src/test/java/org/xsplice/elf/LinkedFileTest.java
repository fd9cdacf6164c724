package org.xsplice.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads a gcc-linked executable and a shared object; checks program headers, build-id and lookups. */
class LinkedFileTest {
    @TempDir
    static Path dir;
    static Path exe;
    static Path lib;

    @BeforeAll
    static void link() throws Exception {
        Tools.compile(dir, "lib", """
                int lib_value = 42;
                int lib_twice(int x) { return 2 * x + lib_value; }
                """, "-O2", "-fPIC");
        Tools.check(dir, "gcc", "-shared", "-Wl,--build-id=sha1", "-o", "libx.so", "lib.o");
        lib = dir.resolve("libx.so");
        Tools.compile(dir, "prog", """
                #include <stdio.h>
                static int twice(int x) { return 2 * x; }
                int main(int argc, char **argv) { (void) argv; printf("%d\\n", twice(argc)); return 0; }
                """, "-O2");
        Tools.check(dir, "gcc", "-no-pie", "-Wl,--build-id=sha1", "-o", "prog", "prog.o");
        exe = dir.resolve("prog");
    }

    private static void checkProgramHeaders(final Path file, final ElfModel m) throws Exception {
        final String out = Tools.check(dir, "readelf", "-lW", file.toString());
        final Matcher pm = Pattern.compile("^\\s+([A-Z_]+)\\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) ",
                Pattern.MULTILINE).matcher(out);
        final List<ProgramHeader> phs = m.programHeaders();
        int i = 0;
        while (pm.find()) {
            final ProgramHeader p = phs.get(i++);
            assertEquals("PT_" + pm.group(1), p.type().name());
            assertEquals(Long.parseUnsignedLong(pm.group(2), 16), p.offset());
            assertEquals(Long.parseUnsignedLong(pm.group(3), 16), p.virtualAddress());
            assertEquals(Long.parseUnsignedLong(pm.group(5), 16), p.fileSize());
            assertEquals(Long.parseUnsignedLong(pm.group(6), 16), p.memorySize());
        }
        assertEquals(phs.size(), i);
        assertTrue(i > 3);
    }

    private static String readelfBuildId(final Path file) throws Exception {
        final Matcher bm = Pattern.compile("Build ID: ([0-9a-f]+)").matcher(Tools.check(dir, "readelf", "-nW", file.toString()));
        assertTrue(bm.find());
        return bm.group(1);
    }

    @Test
    void executable() throws Exception {
        final ElfModel m = Elf.of().parse(exe).validate();
        assertEquals(ObjectType.Known.ET_EXEC, m.type());
        checkProgramHeaders(exe, m);
        assertEquals(readelfBuildId(exe), m.buildId().orElseThrow().hex());
        final SymbolTable t = m.symbolTable().orElseThrow();
        final ElfSymbol main = t.find("main").orElseThrow();
        assertEquals(main, t.containing(main.value() + main.size() / 2).orElseThrow());
        assertTrue(m.relocationSections().stream().anyMatch(r -> r.relocations().stream()
                .anyMatch(x -> RelocationType.Known.R_X86_64_JUMP_SLOT == x.type())));
        assertTrue(m.dynamicSymbolTable().orElseThrow().named("puts").isEmpty()
                || !m.dynamicSymbolTable().orElseThrow().named("printf").isEmpty());
        assertEquals(main.value() != 0, m.header().entry() != 0);
    }

    @Test
    void sharedObject() throws Exception {
        final ElfModel m = Elf.of().parse(lib).validate();
        assertEquals(ObjectType.Known.ET_DYN, m.type());
        checkProgramHeaders(lib, m);
        assertEquals(readelfBuildId(lib), m.buildId().orElseThrow().hex());
        final ElfSymbol f = m.dynamicSymbolTable().orElseThrow().find("lib_twice").orElseThrow();
        assertEquals(SymbolType.Known.STT_FUNC, f.type());
        assertEquals(".text", f.section().orElseThrow().name());
        assertFalse(m.dynamicSymbolTable().orElseThrow().find("lib_value").isEmpty());
    }
}
