package org.xsplice.xen.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.elf.BuildId;
import org.xsplice.xen.Tools;

/**
 * Reads images linked by the real toolchain: an ELF64 "xen-syms" at Xen's link address and an
 * ELF32 i386 wrapper at the 2 MiB load address, both carrying an embedded symbol table laid out
 * as Xen's build lays it out, and checks every name, type, address and size against {@code nm}.
 */
class XenImageTest
{
    private static final long ORIGIN = EmbeddedSymbolTable.X86_64_ORIGIN;

    @TempDir
    static Path dir;

    private static final List<SymbolTableAssembler.Entry> ENTRIES = List.of(
        new SymbolTableAssembler.Entry("_start", 'T', "_start"),
        new SymbolTableAssembler.Entry("_stext", 'T', "_stext"),
        new SymbolTableAssembler.Entry("head.o#multiboot1_header", 't', "l_mb1"),
        new SymbolTableAssembler.Entry("xen_extra_version", 'T', "xen_extra_version"),
        new SymbolTableAssembler.Entry("common/version.c#build_id_p", 'd', "l_bid"),
        new SymbolTableAssembler.Entry("do_livepatch_op", 'T', "do_livepatch_op"),
        new SymbolTableAssembler.Entry("_etext", 'T', "_etext"));

    private static final String TEXT = """
        \t.text
        \t.globl _start, _stext, xen_extra_version, do_livepatch_op, _etext
        _start:
        _stext:
        \t.skip 8
        l_mb1:
        \t.skip 16
        xen_extra_version:
        \t.skip 57
        l_bid:
        \t.skip 3
        do_livepatch_op:
        \t.byte 0xf3, 0x0f, 0x1e, 0xfa
        \t.skip 296
        _etext:
        \t.skip 4
        """;

    private static Path elf64;
    private static Path elf32;

    @BeforeAll
    static void link() throws Exception
    {
        Files.writeString(dir.resolve("syms.S"), TEXT + SymbolTableAssembler.source(ENTRIES));
        Tools.check(dir, "gcc", "-c", "-DORIGIN=0x" + Long.toHexString(ORIGIN), "-o", "syms64.o", "syms.S");
        Tools.check(dir, "ld", "-Ttext=0x" + Long.toHexString(ORIGIN + 0x200000), "--build-id=sha1", "-e", "_start",
                    "-o", "xen-syms", "syms64.o");
        Tools.check(dir, "gcc", "-m32", "-c", "-DORIGIN=0", "-o", "syms32.o", "syms.S");
        Tools.check(dir, "ld", "-m", "elf_i386", "-Ttext=0x200000", "--build-id=sha1", "-e", "_start", "-o", "xen",
                    "syms32.o");
        elf64 = dir.resolve("xen-syms");
        elf32 = dir.resolve("xen");
    }

    @Test
    void readsXenSymsElf64() throws Exception
    {
        final XenImage image = XenImage.read(elf64);
        assertEquals(XenImage.Format.XEN_SYMS_ELF64, image.format());
        assertEquals(buildId(elf64), image.buildId());
        assertEquals(expected(elf64, 0), image.symbols());
    }

    @Test
    void readsMultibootWrapperElf32AndItsGzip() throws Exception
    {
        final XenImage image = XenImage.read(elf32);
        assertEquals(XenImage.Format.MULTIBOOT_ELF32, image.format());
        assertEquals(buildId(elf32), image.buildId());
        // The wrapper's addresses are physical; the running hypervisor sees them above the origin.
        assertEquals(expected(elf32, ORIGIN), image.symbols());

        final Path gz = dir.resolve("xen.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz)))
        {
            out.write(Files.readAllBytes(elf32));
        }
        final XenImage fromGz = XenImage.read(gz);
        assertTrue(fromGz.gzip());
        assertEquals(image.symbols(), fromGz.symbols());
        assertEquals(image.buildId(), fromGz.buildId());
    }

    @Test
    void bytesAreReadAtHypervisorAddressesFromEveryContainer() throws Exception
    {
        final Path gz = dir.resolve("xen.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz)))
        {
            out.write(Files.readAllBytes(elf32));
        }
        final byte[] endbr = {(byte) 0xf3, 0x0f, 0x1e, (byte) 0xfa};
        for (final Path file : List.of(elf64, elf32, gz))
        {
            final XenImage image = XenImage.read(file);
            final long at = image.symbol("do_livepatch_op").orElseThrow().address();
            assertTrue(image.bytes(at, 4).isPresent(), () -> file + ": 0x" + Long.toHexString(at) + " in none of "
                + image.memory().stream().map(m -> Long.toHexString(m.address()) + "+" + m.bytes().limit()).toList());
            assertEquals(HexFormat.of().formatHex(endbr), HexFormat.of().formatHex(image.bytes(at, 4).orElseThrow()),
                         file.toString());
            assertEquals(HexFormat.of().formatHex(new byte[] {0, 0, 0, 0, (byte) 0xf3, 0x0f}),
                         HexFormat.of().formatHex(image.bytes(at - 4, 6).orElseThrow()));
            assertTrue(image.bytes(ORIGIN, 4).isEmpty(), "below the image: no bytes");
            assertTrue(image.bytes(at, 1 << 24).isEmpty(), "past the segment: no bytes");
        }
    }

    @Test
    void sizesAreDistancesToTheNextHigherAddress() throws Exception
    {
        final XenImage image = XenImage.read(elf64);
        // _start and _stext share an address: both end where the next symbol starts.
        assertEquals(8, image.symbol("_start").orElseThrow().size());
        assertEquals(8, image.symbol("_stext").orElseThrow().size());
        assertEquals(57, image.symbol("xen_extra_version").orElseThrow().size());
        assertEquals(ORIGIN + 0x200000 + 24, image.symbol("xen_extra_version").orElseThrow().address());
        assertEquals('t', image.symbol("head.o#multiboot1_header").orElseThrow().type());
        assertEquals("ffff82d040200018 T xen_extra_version",
                     image.symbol("xen_extra_version").orElseThrow().xensymsLine());
        assertEquals(0, image.symbols().getLast().size(), "the last symbol's end is not recorded");
    }

    @Test
    void wrongSegmentAddressIsCaughtByTheTablesOwnEntries() throws Exception
    {
        final XenImage good = XenImage.read(elf64);
        final XenSymbol names = good.symbol("symbols_offsets").orElseThrow();
        final byte[] file = Files.readAllBytes(elf64);
        // Decode the .rodata segment as if it were loaded 4 KiB higher than it is.
        final long rodataVaddr = names.address();
        final int fileOffset = indexOfTable(file);
        final XenImageFormatException e = assertThrows(XenImageFormatException.class,
            () -> EmbeddedSymbolTable.decode(ByteBuffer.wrap(file, fileOffset, file.length - fileOffset),
                                             rodataVaddr + 0x1000, ORIGIN));
        assertTrue(e.getMessage().contains("symbols_token_index"), e.getMessage());
        assertTrue(e.getMessage().contains("wrong segment address or origin"), e.getMessage());
    }

    @Test
    void unsortedOffsetsAreRefusedWithTheirOffset() throws Exception
    {
        final byte[] file = Files.readAllBytes(elf64);
        final int table = indexOfTable(file);
        final ByteBuffer b = ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        final int first = b.getInt(table);
        b.putInt(table, b.getInt(table + 12));
        b.putInt(table + 12, first);
        final XenImageFormatException e = assertThrows(XenImageFormatException.class, () -> XenImage.parse(file));
        assertEquals("symbols_offsets", e.structure());
        assertTrue(e.getMessage().contains("sorted by address"), e.getMessage());
    }

    @Test
    void imagesWithoutATableOrNotElfAreRefused() throws Exception
    {
        Files.writeString(dir.resolve("plain.S"), TEXT);
        Tools.check(dir, "gcc", "-c", "-o", "plain.o", "plain.S");
        Tools.check(dir, "ld", "-Ttext=0x" + Long.toHexString(ORIGIN + 0x200000), "--build-id=sha1", "-e", "_start",
                    "-o", "plain", "plain.o");
        final XenImageFormatException none = assertThrows(XenImageFormatException.class,
                                                          () -> XenImage.read(dir.resolve("plain")));
        assertTrue(none.getMessage().contains("no symbols_token_index"), none.getMessage());

        final XenImageFormatException text = assertThrows(XenImageFormatException.class,
            () -> XenImage.parse("not a hypervisor".getBytes()));
        assertTrue(text.getMessage().contains("e_ident"), text.getMessage());

        final byte[] wrapper = Files.readAllBytes(elf32);
        final byte[] cut = java.util.Arrays.copyOf(wrapper, 200);
        final XenImageFormatException truncated = assertThrows(XenImageFormatException.class,
                                                               () -> XenImage.parse(cut));
        assertTrue(truncated.getMessage().contains("outside the 200-byte file")
                   || truncated.getMessage().contains("do not fit"), truncated.getMessage());

        final byte[] gz = {(byte) 0x1f, (byte) 0x8b, 8, 0, 0, 0};
        assertEquals("gzip stream", assertThrows(XenImageFormatException.class, () -> XenImage.parse(gz)).structure());
    }

    /** Where {@code symbols_offsets} is in the file: the ELF64 file maps .rodata 1:1 from its segment. */
    private static int indexOfTable(final byte[] file) throws Exception
    {
        final String out = Tools.check(dir, "readelf", "-SW", elf64.toString());
        for (final String line : Tools.lines(out))
        {
            if (line.contains(" .rodata "))
            {
                final String[] f = line.substring(line.indexOf(".rodata")).trim().split("\\s+");
                return Integer.parseInt(f[3], 16);
            }
        }
        throw new AssertionError("no .rodata in\n" + out);
    }

    private static BuildId buildId(final Path file) throws Exception
    {
        final String out = Tools.check(dir, "readelf", "-n", file.toString());
        for (final String line : Tools.lines(out))
        {
            if (line.trim().startsWith("Build ID:"))
            {
                return BuildId.parse(line.trim().substring("Build ID:".length()).trim());
            }
        }
        throw new AssertionError("no build-id in\n" + out);
    }

    /** The symbols as nm places their labels, sized by the next higher address. */
    private static List<XenSymbol> expected(final Path file, final long bias) throws IOException, InterruptedException
    {
        final Map<String, Long> nm = new HashMap<>();
        for (final String line : Tools.lines(Tools.check(dir, "nm", file.toString())))
        {
            final String[] f = line.trim().split("\\s+");
            nm.put(f[2], Long.parseUnsignedLong(f[0], 16) + bias);
        }
        final List<SymbolTableAssembler.Entry> all = new ArrayList<>(ENTRIES);
        for (final String l : SymbolTableAssembler.TABLE_LABELS)
        {
            all.add(new SymbolTableAssembler.Entry(l, 'R', l));
        }
        final List<XenSymbol> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++)
        {
            final long a = nm.get(all.get(i).label());
            long size = 0;
            for (int j = i + 1; j < all.size(); j++)
            {
                final long n = nm.get(all.get(j).label());
                if (n > a)
                {
                    size = n - a;
                    break;
                }
            }
            out.add(new XenSymbol(all.get(i).name(), a, size, all.get(i).type()));
        }
        return out;
    }
}
