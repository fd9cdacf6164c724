package org.xsplice.xen.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.build.cpayload.CPayloadTarget;
import org.xsplice.hypervisor.symbols.Symbol;
import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;
import org.xsplice.xen.Tools;
import org.xsplice.xen.offline.XenImageTarget;

/**
 * A stock image as a target, on wrappers linked by the real toolchain: symbols adapted to the
 * hypervisor side's {@link Symbol} ({@code file#name} split, kinds from the type letter), image
 * bytes at hypervisor addresses, the payload area after the image, and compiler flags chosen from
 * what the image links against (thunks, ENDBR64).
 */
class XenImageTargetTest
{
    private static final long ORIGIN = EmbeddedSymbolTable.X86_64_ORIGIN;

    @TempDir
    static Path dir;

    private static XenImageTarget plain;
    private static XenImageTarget hardened;

    @BeforeAll
    static void link() throws Exception
    {
        plain = target(dir.resolve("plain"), "\t.skip 16", List.of());
        // An image built with retpolines, return thunks and CET-IBT landing pads.
        hardened = target(dir.resolve("hardened"), "\t.byte 0xf3, 0x0f, 0x1e, 0xfa\n\t.skip 12", List.of(
            new SymbolTableAssembler.Entry("__x86_return_thunk", 'T', "__x86_return_thunk"),
            new SymbolTableAssembler.Entry("__x86_indirect_thunk_rax", 'T', "__x86_indirect_thunk_rax")));
    }

    /**
     * An ELF32 wrapper at 2 MiB linked in {@code d}: {@code xen_extra_version} (32 bytes, starting
     * {@code 48 8d 05 18 bb}), the static {@code common/kernel.c#extra}, and {@code do_livepatch_op}
     * starting with {@code first}, then the labels of {@code more}.
     */
    static XenImageTarget target(final Path d, final String first, final List<SymbolTableAssembler.Entry> more)
        throws Exception
    {
        final List<SymbolTableAssembler.Entry> entries = new java.util.ArrayList<>(List.of(
            new SymbolTableAssembler.Entry("_stext", 'T', "_stext"),
            new SymbolTableAssembler.Entry("xen_extra_version", 'T', "xen_extra_version"),
            new SymbolTableAssembler.Entry("common/kernel.c#extra", 'd', "l_extra"),
            new SymbolTableAssembler.Entry("do_livepatch_op", 'T', "do_livepatch_op")));
        final StringBuilder labels = new StringBuilder();
        for (final SymbolTableAssembler.Entry e : more)
        {
            entries.add(e);
            labels.append(e.label()).append(":\n\t.skip 8\n");
        }
        entries.add(new SymbolTableAssembler.Entry("_etext", 'T', "_etext"));
        Files.createDirectories(d);
        Files.writeString(d.resolve("syms.S"), """
            \t.text
            _stext:
            \t.skip 16
            xen_extra_version:
            \t.byte 0x48, 0x8d, 0x05, 0x18, 0xbb
            \t.skip 27
            l_extra:
            \t.skip 64
            do_livepatch_op:
            %s
            %s_etext:
            \t.skip 4
            """.formatted(first, labels) + SymbolTableAssembler.source(entries));
        Tools.check(d, "gcc", "-m32", "-c", "-DORIGIN=0", "-o", "syms32.o", "syms.S");
        Tools.check(d, "ld", "-m", "elf_i386", "-Ttext=0x200000", "--build-id=sha1", "-e", "_stext", "-o", "xen",
                    "syms32.o");
        return XenImageTarget.read(d.resolve("xen"));
    }

    @Test
    void symbolsAreTheHypervisorSidesWithStaticsSplitIntoFileAndName()
    {
        final Symbol extra = plain.symbols().lookup("common/kernel.c#extra").orElseThrow();
        assertEquals("extra", extra.name());
        assertEquals(Optional.of("common/kernel.c"), extra.file());
        assertEquals(Symbol.Kind.OBJECT, extra.kind());
        assertEquals(64, extra.size());
        final Symbol fn = plain.symbols().lookup("xen_extra_version").orElseThrow();
        assertEquals(Symbol.Kind.FUNCTION, fn.kind());
        assertEquals(ORIGIN + 0x200000 + 16, fn.address());
        assertEquals(32, fn.size(), "up to the next symbol");
        assertTrue(plain.symbols().lookup("extra").isEmpty(), "a static is found only by file#name");
        assertEquals(plain.image().buildId(), plain.buildId());

        final CPayloadTarget.TargetSymbol t = plain.symbol("common/kernel.c#extra").orElseThrow();
        assertEquals(extra.address(), t.address());
        assertTrue(plain.symbol("extra").isEmpty());
        assertTrue(plain.localSymbolsAreNew(), "Xen 4.17 counts a payload's statics as new symbols");
        assertTrue(plain.pinsOldAddress());
    }

    @Test
    void codeIsReadFromTheImageAndAnAddressOutsideItIsEfault()
    {
        final long at = plain.symbols().lookup("xen_extra_version").orElseThrow().address();
        assertEquals("488d0518bb", java.util.HexFormat.of().formatHex(plain.read(at, 5)));
        assertEquals("488d0518bb", java.util.HexFormat.of().formatHex(plain.code(at, 5).orElseThrow()));
        final PayloadException e = assertThrows(PayloadException.class, () -> plain.read(ORIGIN, 5));
        assertEquals(Errno.EFAULT, e.errno());
        assertTrue(e.getMessage().contains("0x" + Long.toHexString(ORIGIN)), e.getMessage());
        assertTrue(plain.code(ORIGIN, 5).isEmpty());
    }

    @Test
    void payloadAreaStartsAfterTheImageInXensGigabyte()
    {
        assertEquals(ORIGIN + 0x400000, plain.areaStart(), "the image ends below 4 MiB: next 2 MiB boundary");
        assertEquals((1L << 30) - 0x400000 - 0x200000, plain.areaSize());
    }

    @Test
    void compilerFlagsFollowWhatTheImageLinksAgainst()
    {
        final List<String> p = plain.cflags();
        assertTrue(p.containsAll(List.of("-mno-red-zone", "-mno-sse", "-fno-stack-protector", "-fcf-protection=none")), p::toString);
        assertFalse(p.stream().anyMatch(f -> f.contains("thunk")), p::toString);
        final List<String> h = hardened.cflags();
        assertTrue(h.containsAll(List.of("-mindirect-branch=thunk-extern", "-mindirect-branch-register",
                                         "-mfunction-return=thunk-extern", "-fcf-protection=branch")), h::toString);
    }
}
