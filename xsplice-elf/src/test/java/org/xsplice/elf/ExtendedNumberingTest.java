package org.xsplice.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Past 65 280 sections the counts move into section 0 and symbol section indices into
 * {@code .symtab_shndx} (gABI "Extended Section Header Table Index"); the writer and the
 * reader both handle it, and readelf and ld agree.
 */
class ExtendedNumberingTest {
    @TempDir
    Path dir;

    @Test
    void seventyThousandSections() throws Exception {
        final int n = 70_000;
        final List<ElfSection> sections = new ArrayList<>(n);
        final byte[] obj = Elf.of().build(b -> {
            for (int i = 0; i < n; i++) {
                final ElfSection s = ElfSection.ofProgBits(".data.v" + i,
                        SectionFlag.maskOf(SectionFlag.SHF_ALLOC, SectionFlag.SHF_WRITE), 4, new byte[] {(byte) i, 0, 0, 0});
                sections.add(s);
                b.withSection(s);
            }
            final ElfSection last = sections.get(n - 1);
            b.withSymbol(ElfSymbol.of("last_value", SymbolBinding.Known.STB_GLOBAL, SymbolType.Known.STT_OBJECT,
                    SymbolVisibility.STV_DEFAULT, last, 0, 4));
            final ElfSymbol lastSection = ElfSymbol.ofSection(last);
            b.withSymbol(lastSection);
            b.withRelocation(sections.get(0), Relocation.of(0, RelocationType.Known.R_X86_64_32, lastSection, 0));
        });
        final ElfModel m = Elf.of().parse(obj).validate();
        assertEquals(0, obj[60] | obj[61], "e_shnum is 0: the count is in section 0");
        assertTrue(m.sections().size() > n);
        final ElfSymbol last = m.symbolTable().orElseThrow().find("last_value").orElseThrow();
        assertEquals(".data.v" + (n - 1), last.section().orElseThrow().name());
        assertTrue(last.sectionIndex() > ElfSymbol.SHN_LORESERVE);
        assertTrue(m.section(".symtab_shndx").isPresent());
        assertEquals(".shstrtab", m.section(m.header().sectionNameIndex()).name());
        // Rewriting a file with extended numbering gives the same bytes.
        assertArrayEquals(obj, Elf.of().transform(m, ElfTransform.ACCEPT_ALL));

        final Path f = dir.resolve("many.o");
        Files.write(f, obj);
        final String header = Tools.check(dir, "readelf", "-hW", f.toString());
        assertTrue(header.contains("Number of section headers:         0 (" + m.sections().size() + ")"), header);
        final String syms = Tools.check(dir, "readelf", "-sW", f.toString());
        assertTrue(syms.matches("(?s).*OBJECT  GLOBAL DEFAULT\\s+" + last.sectionIndex() + " last_value.*"), syms);
        Tools.check(dir, "ld", "-r", "-o", "many-r.o", "many.o");
        final ElfSymbol again = Elf.of().parse(dir.resolve("many-r.o")).symbolTable().orElseThrow()
                .find("last_value").orElseThrow();
        assertEquals(".data.v" + (n - 1), again.section().orElseThrow().name());
    }
}
