package org.xsplice.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Transforms of gcc objects: drop a function's section, add notes, rename, add data with relocations. */
class TransformTest {
    @TempDir
    static Path dir;
    static ElfModel util;
    static String expectedOutput;
    static final byte[] ID = HexFormat.of().parseHex("feedfacecafebeef00112233445566778899aabb");

    @BeforeAll
    static void compile() throws Exception {
        for (final Map.Entry<String, String> e : CSources.program().entrySet()) {
            Tools.compile(dir, e.getKey(), e.getValue(), "-O2", "-ffunction-sections", "-fdata-sections");
        }
        util = Elf.of().parse(dir.resolve("util.o"));
        Tools.check(dir, "gcc", "-o", "orig", "util.o", "text.o", "main.o");
        expectedOutput = Tools.check(dir, dir.resolve("orig").toString());
    }

    private static ElfTransform dropClassifyAddNotes() {
        // .eh_frame goes too: its FDE for classify would point nowhere, and ld refuses such a table.
        return ElfTransform.droppingSections(s -> s.name().equals(".text.classify") || s.name().equals(".eh_frame"))
                .andThen(ElfTransform.endHandler(b -> b.withNotes(".note.xsplice", ElfNote.buildId(ID),
                        new ElfNote("XSPLICE", 0x100, new byte[] {42}))));
    }

    @Test
    void droppingADefinedFunctionIsRefusedByDefault() {
        final ElfWriteException e = assertThrows(ElfWriteException.class,
                () -> Elf.of().transform(util, dropClassifyAddNotes()));
        assertTrue(e.getMessage().contains("classify"), e.getMessage());
    }

    @Test
    void dropFunctionSectionAndAddNote() throws Exception {
        final Path out = dir.resolve("util.x.o");
        Files.write(out, Elf.of(Elf.DanglingReferencesOption.DROP_DANGLING_REFERENCES).transform(util,
                dropClassifyAddNotes()));
        final String sections = Tools.check(dir, "readelf", "-SW", out.toString());
        assertFalse(sections.contains(".text.classify"), sections);
        assertTrue(sections.contains(".text.name_of"), sections);
        assertTrue(Pattern.compile("\\.note\\.xsplice\\s+NOTE").matcher(sections).find(), sections);
        final ElfModel m = Elf.of().parse(out);
        assertEquals(util.sections().size() - 4 + 1, m.sections().size());

        final String symbols = Tools.check(dir, "readelf", "-sW", out.toString());
        assertFalse(symbols.contains("classify"), symbols);
        assertTrue(symbols.contains(" name_of"), symbols);
        final String relocs = Tools.check(dir, "readelf", "-rW", out.toString());
        assertFalse(relocs.contains("classify"), relocs);
        assertFalse(relocs.contains(".rela.text.classify"), relocs);
        final String notes = Tools.check(dir, "readelf", "-nW", out.toString());
        assertTrue(notes.contains("Build ID: " + HexFormat.of().formatHex(ID)), notes);
        assertTrue(notes.contains("XSPLICE"), notes);
        Readelf.all(dir, out);
        Readelf.disassembly(dir, out);

        // The hole is filled by another object: the program is whole again and behaves the same.
        Tools.compile(dir, "classify", """
                int classify(int v) {
                    switch (v) {
                    case 0: return 11; case 1: return 23; case 2: return 37; case 3: return 41;
                    case 4: return 53; case 5: return 67; case 6: return 71; case 7: return 89;
                    default: return -1;
                    }
                }
                """, "-O2", "-ffunction-sections");
        Tools.check(dir, "ld", "-r", "-o", "util.xr.o", "util.x.o", "classify.o");
        Tools.check(dir, "gcc", "-o", "patched", "util.xr.o", "text.o", "main.o");
        assertEquals(expectedOutput, Tools.check(dir, dir.resolve("patched").toString()));
    }

    @Test
    void renameSectionAndAddDataThatPointsAtAnExistingSymbol() throws Exception {
        final ElfSymbol shared = util.symbolTable().orElseThrow().find("shared_total").orElseThrow();
        final byte[] bytes = Elf.of().transform(util, ElfTransform.mappingSections(
                s -> s.name().equals(".text.total") ? s.withName(".text.total_v2") : s)
                .andThen(ElfTransform.endHandler(b -> {
                    final ElfSection d = ElfSection.ofProgBits(".data.extra",
                            SectionFlag.maskOf(SectionFlag.SHF_ALLOC, SectionFlag.SHF_WRITE), 8, new byte[8]);
                    b.withSection(d)
                            .withSymbol(ElfSymbol.of("extra_ptr", SymbolBinding.Known.STB_GLOBAL,
                                    SymbolType.Known.STT_OBJECT, SymbolVisibility.STV_DEFAULT, d, 0, 8))
                            .withRelocation(d, Relocation.of(0, RelocationType.Known.R_X86_64_64, shared, 0));
                })));
        final Path out = dir.resolve("util.r.o");
        Files.write(out, bytes);
        final ElfModel m = Elf.of().parse(bytes);
        assertTrue(m.section(".text.total").isEmpty());
        final ElfSymbol total = m.symbolTable().orElseThrow().find("total").orElseThrow();
        assertEquals(".text.total_v2", total.section().orElseThrow().name());
        assertEquals(".text.total_v2", m.relocationSections().stream()
                .filter(r -> r.section().orElseThrow().name().equals(".rela.text.total_v2"))
                .findFirst().orElseThrow().target().orElseThrow().name());
        Readelf.all(dir, out);

        Tools.compile(dir, "check", """
                #include <stdio.h>
                extern int *extra_ptr;
                extern int shared_total;
                extern int total(void);
                int main(void) { printf("%s %d\\n", extra_ptr == &shared_total ? "same" : "different", total()); return 0; }
                """, "-O2");
        Tools.check(dir, "gcc", "-o", "check", "check.o", "util.r.o");
        assertEquals("same 7\n", Tools.check(dir, dir.resolve("check").toString()));
    }

    @Test
    void relocationsAgainstADroppedSymbolAreRefusedOrDropped() throws Exception {
        final ElfTransform dropShared = ElfTransform.dropping(e -> e instanceof ElfSymbol s && s.name().equals("shared_total"));
        final ElfWriteException e = assertThrows(ElfWriteException.class, () -> Elf.of().transform(util, dropShared));
        assertTrue(e.getMessage().contains("refers to symbol shared_total, which is not written"), e.getMessage());
        final Path out = dir.resolve("util.noshared.o");
        Files.write(out, Elf.of(Elf.DanglingReferencesOption.DROP_DANGLING_REFERENCES).transform(util, dropShared));
        final String relocs = Tools.check(dir, "readelf", "-rW", out.toString());
        assertFalse(relocs.contains("shared_total"), relocs);
        assertTrue(Tools.check(dir, "readelf", "-rW", dir.resolve("util.o").toString()).contains("shared_total"));
        Readelf.all(dir, out);
    }

    @Test
    void renamedSymbolsAndReplacedContentsKeepTheirReferences() throws Exception {
        final byte[] bytes = Elf.of().transform(util, (b, e) -> {
            switch (e) {
                case ElfSymbol s when s.name().equals("total") -> b.with(s.withName("total_v2"));
                case ElfSection s when s.name().equals(".rodata.CSWTCH.10") -> {
                    final byte[] c = s.bytes();
                    c[0] ^= 1;
                    b.with(s.withContents(c).withFlags(s.flags() | SectionFlag.SHF_WRITE.mask()));
                }
                default -> b.with(e);
            }
        });
        final Path out = dir.resolve("util.sym.o");
        Files.write(out, bytes);
        final ElfModel m = Elf.of().parse(bytes);
        final ElfSection table = m.section(".rodata.CSWTCH.10").orElseThrow();
        assertEquals(util.section(".rodata.CSWTCH.10").orElseThrow().bytes()[0] ^ 1, table.bytes()[0]);
        assertTrue(table.has(SectionFlag.SHF_WRITE));
        // The call in .text.grouped was against "total": it now names the renamed symbol.
        final String relocs = Tools.check(dir, "readelf", "-rW", out.toString());
        assertTrue(relocs.matches("(?s).*R_X86_64_PLT32\\s+0+\\s+total_v2 - 4.*"), relocs);
        assertFalse(relocs.matches("(?s).*\\stotal - 4.*"), relocs);
        // The section symbol of the changed section still carries the switch-table relocation.
        assertTrue(relocs.contains(".rodata.CSWTCH.10"), relocs);
        Readelf.all(dir, out);
    }

    /**
     * What the differ does: copy elements of two objects read from disk into one new object.
     * Symbols and relocations keep pointing at their own model's sections across the merge.
     */
    @Test
    void elementsOfTwoObjectsMergeIntoOne() throws Exception {
        final ElfModel text = Elf.of().parse(dir.resolve("text.o"));
        final byte[] merged = Elf.of().build(b -> {
            for (final ElfModel m : List.of(util, text)) {
                for (final ElfElement e : m.elements()) {
                    if (!(e instanceof ElfHeader)) {
                        b.with(e);
                    }
                }
            }
        });
        final Path out = dir.resolve("merged.o");
        Files.write(out, merged);
        Readelf.all(dir, out);
        final ElfModel m = Elf.of().parse(merged);
        assertEquals(".text.describe", m.symbolTable().orElseThrow().find("describe").orElseThrow().section()
                .orElseThrow().name());
        assertEquals(".text.classify", m.symbolTable().orElseThrow().find("classify").orElseThrow().section()
                .orElseThrow().name());
        Tools.check(dir, "gcc", "-o", "merged", "merged.o", "main.o");
        assertEquals(expectedOutput, Tools.check(dir, dir.resolve("merged").toString()));
    }

    @Test
    void droppingAGroupTakesTheGroupFlagOffItsMembers() throws Exception {
        final Path out = dir.resolve("util.nogroup.o");
        Files.write(out, Elf.of().transform(util, ElfTransform.dropping(e -> e instanceof SectionGroup)));
        final ElfModel m = Elf.of().parse(out);
        assertTrue(m.groups().isEmpty());
        assertFalse(m.section(".text.grouped").orElseThrow().has(SectionFlag.SHF_GROUP));
        assertFalse(m.section(".rela.text.grouped").orElseThrow().has(SectionFlag.SHF_GROUP));
        assertTrue(util.section(".text.grouped").orElseThrow().has(SectionFlag.SHF_GROUP));
        Readelf.all(dir, out);
        Tools.check(dir, "ld", "-r", "-o", "util.nogroup-r.o", out.toString());
    }

    @Test
    void droppingRelocationsAndStatefulTransforms() {
        final int[] seen = new int[1];
        final byte[] bytes = Elf.of().transform(util, ElfTransform.ofStateful(() -> {
            seen[0] = 0;
            return (b, e) -> {
                seen[0]++;
                b.with(e);
            };
        }).andThen(ElfTransform.droppingRelocations(r -> r.type() == RelocationType.Known.R_X86_64_PC32)));
        assertEquals(util.elements().size(), seen[0]);
        final ElfModel m = Elf.of().parse(bytes);
        final List<Relocation> all = m.relocationSections().stream().flatMap(r -> r.relocations().stream()).toList();
        assertFalse(all.isEmpty());
        assertTrue(all.stream().noneMatch(r -> r.type() == RelocationType.Known.R_X86_64_PC32));
        assertTrue(util.relocationSections().stream().flatMap(r -> r.relocations().stream())
                .anyMatch(r -> r.type() == RelocationType.Known.R_X86_64_PC32));
    }
}
