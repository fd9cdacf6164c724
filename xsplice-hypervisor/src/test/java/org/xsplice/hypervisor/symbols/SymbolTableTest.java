package org.xsplice.hypervisor.symbols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.elf.Elf;
import org.xsplice.payload.Errno;

/** Symbol tables read from a real linked program with two statics of the same name in two files. */
class SymbolTableTest {
    @TempDir
    static Path dir;

    private static SymbolTable table;

    @BeforeAll
    static void build() throws Exception {
        Files.writeString(dir.resolve("one.c"), """
                static int helper(int x) { return x * 3 + 1; }
                int one(int x) { return helper(x) + helper(x + 1); }
                """);
        Files.writeString(dir.resolve("two.c"), """
                static int helper(int x) { return x * 5 - 2; }
                int two(int x) { return helper(x) ^ helper(x - 1); }
                int counter[16];
                int main(int argc, char **argv) { (void)argv; return one(argc) + two(argc) + counter[argc]; }
                """);
        final Process p = new ProcessBuilder("gcc", "-O2", "-fno-inline", "-ffunction-sections", "-fdata-sections", "-no-pie",
                "-Wl,--build-id=sha1", "one.c", "two.c", "-o", "prog").directory(dir.toFile()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        table = SymbolTable.fromElf(Elf.of().parse(dir.resolve("prog")), Optional.empty());
    }

    @Test
    void staticsAreNamedByTheirFile() {
        final Symbol a = table.lookup("one.c#helper").orElseThrow();
        final Symbol b = table.lookup("two.c#helper").orElseThrow();
        assertTrue(a.address() != b.address());
        assertEquals(Symbol.Kind.FUNCTION, a.kind());
        assertFalse(table.lookup("helper").isPresent(), "a static is not reachable by its plain name (Xen's dl_sym)");
        final SymbolException e = assertThrows(SymbolException.class, () -> table.find("helper"));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("one.c#helper") && e.getMessage().contains("two.c#helper"), e.getMessage());
        assertEquals(Symbol.Kind.OBJECT, table.lookup("counter").orElseThrow().kind());
        assertEquals(64, table.lookup("counter").orElseThrow().size());
    }

    @Test
    void addressesSymboliseBothWays() {
        final Symbol one = table.lookup("one").orElseThrow();
        final long addr = table.resolve("one+0x3");
        assertEquals(one.address() + 3, addr);
        final SymbolLocation l = table.symbolize(addr).orElseThrow();
        assertEquals("one+0x3/0x" + Long.toHexString(one.size()), l.toString());
        assertEquals("<one>+0x3/0x" + Long.toHexString(one.size()), l.bracketed());
        // What Xen prints can be pasted back.
        assertEquals(addr, table.resolve(l.bracketed()));
        assertEquals(addr, table.resolve("0x" + Long.toHexString(addr)));
        final long helper = table.resolve("two.c#helper+2");
        assertTrue(table.symbolize(helper).orElseThrow().toString().startsWith("two.c#helper+0x2/"));
        assertEquals(table.lookup("counter").orElseThrow().address() + 8, table.resolve("counter+8"));
        assertTrue(table.symbolize(0x10).isEmpty());
        assertTrue(table.symbolize(one.address() + one.size()).map(s -> !s.symbol().name().equals("one")).orElse(true),
                "the end of a function is not inside it");
    }

    @Test
    void unknownAndMalformedExpressionsAreTypedErrors() {
        assertEquals(Errno.ENOENT, assertThrows(SymbolException.class, () -> table.resolve("no_such_thing")).errno());
        assertEquals(Errno.EINVAL, assertThrows(SymbolException.class, () -> table.resolve("one+0xzz")).errno());
        assertEquals(Errno.EINVAL, assertThrows(SymbolException.class, () -> table.resolve("  ")).errno());
    }

    @Test
    void payloadSymbolsChainAfterTheHypervisorsAndSayWhereTheyComeFrom() {
        final Symbol fn = new Symbol("xen_extra_version", 0x7000_0000L, 0x10, Symbol.Kind.FUNCTION, Optional.empty(),
                Optional.of("hello_world"));
        final SymbolTable chained = SymbolTable.chain(List.of(table, SymbolTable.of(List.of(fn))));
        assertEquals("xen_extra_version+0x4/0x10 [hello_world]", chained.symbolize(0x7000_0004L).orElseThrow().toString());
        assertEquals(table.lookup("one"), chained.lookup("one"), "the hypervisor is asked first");
        assertEquals(0x7000_0000L, chained.resolve("xen_extra_version"));
        // Inside a large hypervisor object (the reserved area), the payload's own symbol wins.
        final Symbol area = Symbol.global("xsplice_payload_area", 0x6000_0000L, 0x4000_0000L, Symbol.Kind.OBJECT);
        final SymbolTable withArea = SymbolTable.chain(List.of(SymbolTable.of(List.of(area)), SymbolTable.of(List.of(fn))));
        assertEquals("xen_extra_version+0x4/0x10 [hello_world]", withArea.symbolize(0x7000_0004L).orElseThrow().toString());
        assertEquals("xsplice_payload_area+0x10000020/0x40000000", withArea.symbolize(0x7000_0020L).orElseThrow().toString());
    }
}
