package org.xsplice.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xsplice.elf.RelocationType.Known.R_X86_64_64;
import static org.xsplice.elf.RelocationType.Known.R_X86_64_PC32;
import static org.xsplice.elf.RelocationType.Known.R_X86_64_PLT32;
import static org.xsplice.elf.SectionFlag.SHF_ALLOC;
import static org.xsplice.elf.SectionFlag.SHF_EXECINSTR;
import static org.xsplice.elf.SectionFlag.SHF_WRITE;
import static org.xsplice.elf.SymbolBinding.Known.STB_GLOBAL;
import static org.xsplice.elf.SymbolBinding.Known.STB_LOCAL;
import static org.xsplice.elf.SymbolType.Known.STT_FUNC;
import static org.xsplice.elf.SymbolType.Known.STT_NOTYPE;
import static org.xsplice.elf.SymbolType.Known.STT_OBJECT;
import static org.xsplice.elf.SymbolVisibility.STV_DEFAULT;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Objects made only with the builder: readelf and objdump accept them, and they link with C and run. */
class BuilderTest {
    @TempDir
    Path dir;

    /** {@code hello}: lea rdi,[rip+msg]; jmp puts. {@code get_msg}: mov rax,[rip+ptr]; ret. */
    private static final byte[] CODE = HexFormat.of().parseHex("488d3d00000000" + "e900000000" + "488b0500000000" + "c3");
    private static final byte[] ID = HexFormat.of().parseHex("00112233445566778899aabbccddeeff01234567");

    static byte[] helloObject() {
        return Elf.of().build(b -> {
            final ElfSection text = ElfSection.ofProgBits(".text", SectionFlag.maskOf(SHF_ALLOC, SHF_EXECINSTR), 16, CODE);
            final ElfSection rodata = ElfSection.ofProgBits(".rodata",
                    SHF_ALLOC.mask(), 1, "hello from the builder\0".getBytes(StandardCharsets.US_ASCII));
            final ElfSection data = ElfSection.ofProgBits(".data.rel.ro", SectionFlag.maskOf(SHF_ALLOC, SHF_WRITE), 8,
                    new byte[8]);
            final ElfSymbol msg = ElfSymbol.of("msg", STB_LOCAL, STT_OBJECT, STV_DEFAULT, rodata, 0, 23);
            final ElfSymbol ptr = ElfSymbol.of("ptr", STB_LOCAL, STT_OBJECT, STV_DEFAULT, data, 0, 8);
            final ElfSymbol puts = ElfSymbol.undefined("puts", STB_GLOBAL, STT_NOTYPE);
            // Globals first on purpose: the writer must still put locals first and set sh_info.
            b.withSymbol(ElfSymbol.of("hello", STB_GLOBAL, STT_FUNC, STV_DEFAULT, text, 0, 12))
                    .withSymbol(ElfSymbol.of("get_msg", STB_GLOBAL, STT_FUNC, STV_DEFAULT, text, 12, 8))
                    .withSymbol(puts)
                    .withSymbol(ElfSymbol.ofFile("builder.s"))
                    .withSymbol(msg)
                    .withSymbol(ptr)
                    .withSection(text)
                    .withSection(rodata)
                    .withSection(data)
                    .withSection(ElfSection.ofProgBits(".note.GNU-stack", 0, 1, new byte[0]))
                    .withRelocation(text, Relocation.of(3, R_X86_64_PC32, msg, -4))
                    .withRelocation(text, Relocation.of(8, R_X86_64_PLT32, puts, -4))
                    .withRelocation(text, Relocation.of(15, R_X86_64_PC32, ptr, -4))
                    .withRelocation(data, Relocation.of(0, R_X86_64_64, msg, 0))
                    .withNotes(".note.xsplice", ElfNote.buildId(ID), new ElfNote("XSPLICE", 7, new byte[] {1, 2, 3}));
        });
    }

    @Test
    void builtObjectLinksWithCAndRuns() throws Exception {
        final Path obj = dir.resolve("hello.o");
        Files.write(obj, helloObject());
        final String all = Readelf.all(dir, obj);
        assertTrue(all.contains("Build ID: " + HexFormat.of().formatHex(ID)), all);
        final String dis = Readelf.disassembly(dir, obj);
        assertTrue(dis.contains("R_X86_64_PLT32\tputs-0x4"), dis);
        assertTrue(dis.contains("R_X86_64_PC32\tmsg-0x4") || dis.contains("R_X86_64_PC32\t.rodata-0x4"), dis);

        final ElfModel m = Elf.of().parse(obj);
        final SymbolTable t = m.symbolTable().orElseThrow();
        assertEquals(4, t.firstNonLocal(), "null, file, msg, ptr are local");
        assertTrue(t.symbols().subList(1, t.firstNonLocal()).stream().allMatch(ElfSymbol::isLocal));
        assertTrue(t.symbols().subList(t.firstNonLocal(), t.size()).stream().noneMatch(ElfSymbol::isLocal));
        assertEquals(m.section(".text").orElseThrow().index(), m.section(".rela.text").orElseThrow().info());
        assertEquals(t.section().index(), m.section(".rela.text").orElseThrow().link());

        Tools.compile(dir, "main", """
                #include <stdio.h>
                extern void hello(void);
                extern const char *get_msg(void);
                int main(void) { hello(); puts(get_msg()); return 0; }
                """, "-O2");
        Tools.check(dir, "ld", "-r", "-o", "hello-r.o", "hello.o");
        Tools.check(dir, "gcc", "-o", "prog", "main.o", "hello-r.o");
        assertEquals("hello from the builder\nhello from the builder\n", Tools.check(dir, dir.resolve("prog").toString()));
    }

    @Test
    void danglingReferencesAreRefusedOrDroppedPerOption() {
        final ElfSection text = ElfSection.ofProgBits(".text", SectionFlag.maskOf(SHF_ALLOC, SHF_EXECINSTR), 16, CODE);
        final ElfSymbol f = ElfSymbol.of("f", STB_GLOBAL, STT_FUNC, STV_DEFAULT, text, 0, 12);
        final ElfSection data = ElfSection.ofProgBits(".data", SectionFlag.maskOf(SHF_ALLOC, SHF_WRITE), 8, new byte[8]);
        final ElfWriteException e = assertThrows(ElfWriteException.class, () -> Elf.of().build(b -> b.withSection(data)
                .withSymbol(f).withRelocation(data, Relocation.of(0, R_X86_64_64, f, 0))));
        assertTrue(e.getMessage().contains("symbol f is defined in section .text, which is not written"), e.getMessage());
        final ElfModel m = Elf.of().parse(Elf.of(Elf.DanglingReferencesOption.DROP_DANGLING_REFERENCES)
                .build(b -> b.withSection(data).withSymbol(f).withRelocation(data, Relocation.of(0, R_X86_64_64, f, 0))));
        assertTrue(m.symbolTable().isEmpty(), "nothing left to need a symbol table");
        assertTrue(m.relocationSections().isEmpty(), "an empty relocation section is not written");
        final ElfWriteException outside = assertThrows(ElfWriteException.class, () -> Elf.of().build(b -> b
                .withSection(data).withRelocation(data, Relocation.of(8, R_X86_64_64, null, 0))));
        assertTrue(outside.getMessage().contains("outside section .data"), outside.getMessage());
    }
}
