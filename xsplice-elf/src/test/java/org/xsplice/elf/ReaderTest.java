package org.xsplice.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads gcc objects and checks what the model says against readelf. */
class ReaderTest {
    @TempDir
    static Path dir;
    static Path util;
    static Path combined;

    @BeforeAll
    static void compile() throws Exception {
        final List<String> objs = new ArrayList<>();
        for (final Map.Entry<String, String> e : CSources.program().entrySet()) {
            Tools.compile(dir, e.getKey(), e.getValue(), "-O2", "-ffunction-sections", "-fdata-sections");
            objs.add(e.getKey() + ".o");
        }
        util = dir.resolve("util.o");
        final List<String> ld = new ArrayList<>(List.of("ld", "-r", "--build-id=sha1", "-o", "combined.o"));
        ld.addAll(objs);
        Tools.check(dir, ld.toArray(String[]::new));
        combined = dir.resolve("combined.o");
    }

    @Test
    void sectionsMatchReadelf() throws Exception {
        final ElfModel m = Elf.of().parse(util);
        assertEquals(ObjectType.Known.ET_REL, m.type());
        final String out = Tools.check(dir, "readelf", "-SW", util.toString());
        final Pattern row = Pattern.compile("^\\s*\\[\\s*(\\d+)\\]\\s+(\\S*)\\s+(\\S+)\\s+([0-9a-f]{16})\\s+([0-9a-f]+)\\s+([0-9a-f]+)",
                Pattern.MULTILINE);
        final Matcher mt = row.matcher(out);
        int n = 0;
        while (mt.find()) {
            final int i = Integer.parseInt(mt.group(1));
            final ElfSection s = m.section(i);
            if (0 != i) {
                assertEquals(mt.group(2), s.name());
                assertEquals(Long.parseLong(mt.group(5), 16), s.offset(), s.name());
                assertEquals(Long.parseLong(mt.group(6), 16), s.size(), s.name());
            }
            n++;
        }
        assertEquals(m.sections().size(), n);
        assertTrue(m.section(".text.classify").isPresent());
        assertTrue(m.section(".rela.text.name_of").isPresent());
        final SectionGroup g = m.groups().getFirst();
        assertTrue(g.isComdat());
        assertEquals("grouped_sig", g.signature().name());
        assertEquals(List.of(".text.grouped", ".rela.text.grouped"), g.members().stream().map(ElfSection::name).toList());
        assertTrue(Tools.check(dir, "readelf", "-gW", util.toString())
                .contains("COMDAT group section [    1] `.group' [grouped_sig] contains 2 sections"));
    }

    /** Found by MalformedInputTest: a group named by the null symbol once reached the writer as an NPE. */
    @Test
    void groupNamedByTheNullSymbolIsAFormatError() throws Exception {
        final byte[] b = java.nio.file.Files.readAllBytes(util);
        final ElfSection group = Elf.of().parse(b).section(".group").orElseThrow();
        final long shoff = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(40);
        final int info = (int) (shoff + 64L * group.index() + 44);
        b[info] = 0;
        b[info + 1] = 0;
        b[info + 2] = 0;
        b[info + 3] = 0;
        final ElfFormatException e = assertThrows(ElfFormatException.class, () -> Elf.of().parse(b).groups());
        assertEquals(info, e.offset());
        assertTrue(e.field().endsWith("sh_info"), e.field());
        assertEquals("0", e.found());
    }

    @Test
    void symbolsAndRelocationsMatchReadelf() throws Exception {
        final ElfModel m = Elf.of().parse(combined).validate();
        final SymbolTable t = m.symbolTable().orElseThrow();
        final String syms = Tools.check(dir, "readelf", "-sW", combined.toString());
        final Matcher sm = Pattern.compile("^\\s*(\\d+):\\s+([0-9a-f]{16})\\s+(\\d+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s*(\\S*)$",
                Pattern.MULTILINE).matcher(syms);
        int n = 0;
        while (sm.find()) {
            final ElfSymbol s = t.symbol(Integer.parseInt(sm.group(1)));
            assertEquals(Long.parseUnsignedLong(sm.group(2), 16), s.value());
            assertEquals(Long.parseLong(sm.group(3)), s.size());
            assertEquals("STT_" + sm.group(4), s.type().name());
            assertEquals("STB_" + sm.group(5), s.binding().name());
            assertEquals("STV_" + sm.group(6), s.visibility().name());
            if (!sm.group(8).isEmpty() && !"SECTION".equals(sm.group(4))) {
                assertEquals(sm.group(8), s.name());
            }
            n++;
        }
        assertEquals(t.size(), n);
        assertTrue(t.find("classify").orElseThrow().section().orElseThrow().name().equals(".text.classify"));

        final String rel = Tools.check(dir, "readelf", "-rW", combined.toString());
        final Matcher rm = Pattern.compile("^([0-9a-f]{16})\\s+([0-9a-f]{16})\\s+(R_X86_64_\\S+)", Pattern.MULTILINE)
                .matcher(rel);
        final List<Relocation> all = new ArrayList<>();
        for (final RelocationSection r : m.relocationSections()) {
            all.addAll(r.relocations());
        }
        int k = 0;
        while (rm.find()) {
            final Relocation r = all.get(k++);
            assertEquals(Long.parseUnsignedLong(rm.group(1), 16), r.offset());
            assertEquals(rm.group(3), r.type().name());
            assertEquals(Long.parseUnsignedLong(rm.group(2), 16) >>> 32, r.symbolIndex());
        }
        assertEquals(all.size(), k);
        assertTrue(k > 20, "relocations found: " + k);
    }

    @Test
    void buildIdMatchesReadelf() throws Exception {
        final ElfModel m = Elf.of().parse(combined);
        final String notes = Tools.check(dir, "readelf", "-nW", combined.toString());
        final Matcher bm = Pattern.compile("Build ID: ([0-9a-f]+)").matcher(notes);
        assertTrue(bm.find(), notes);
        assertEquals(bm.group(1), m.buildId().orElseThrow().hex());
        assertTrue(Elf.of().parse(Files.readAllBytes(util)).buildId().isEmpty());
    }
}
