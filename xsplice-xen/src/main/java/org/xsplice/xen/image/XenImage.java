package org.xsplice.xen.image;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfFormatException;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ProgramHeader;
import org.xsplice.elf.SegmentType;
import org.xsplice.xen.image.internal.Elf32Wrapper;

/**
 * A stock Xen hypervisor image read directly: its GNU build-id and the symbol table it embeds
 * (see {@link EmbeddedSymbolTable}), which is what payloads are checked and built against when a
 * distribution ships no {@code xen-syms}. The symbols are a plain record list in the shape the
 * hypervisor side uses (name, address, size, type) and equal what {@code /proc/xen/xensyms}
 * shows in dom0 of the booted image.
 *
 * <p>Reads {@code xen.gz} (gzip), the {@code xen} multiboot ELF32 wrapper it contains, and an
 * ELF64 {@code xen-syms}.
 *
 * @param format  the container the symbols were read from
 * @param gzip    whether the file was gzip-compressed
 * @param buildId the image's GNU build-id (what {@code xl info} reports as {@code build_id})
 * @param symbols every symbol in table order, i.e. sorted by address
 * @param memory  the image's loaded bytes at their hypervisor addresses (code and initialised data)
 */
public record XenImage(Format format, boolean gzip, BuildId buildId, List<XenSymbol> symbols, List<Segment> memory)
{
    /** Largest decompressed image accepted: Xen images are a few MiB. */
    private static final int MAX_IMAGE = 256 << 20;

    /** The container of the hypervisor image. */
    public enum Format
    {
        /** The ELF32 i386 wrapper multiboot loaders boot ({@code xen}, inside {@code xen.gz}). */
        MULTIBOOT_ELF32,
        /** The ELF64 {@code xen-syms} the build links before wrapping. */
        XEN_SYMS_ELF64
    }

    /**
     * Loaded bytes of the image.
     *
     * @param address the hypervisor virtual address of the first byte
     * @param bytes   the file's bytes of the segment (read-only)
     */
    public record Segment(long address, ByteBuffer bytes)
    {
        public Segment
        {
            bytes = bytes.slice().asReadOnlyBuffer();
        }
    }

    public XenImage
    {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(buildId, "buildId");
        symbols = List.copyOf(symbols);
        memory = List.copyOf(memory);
    }

    /**
     * {@return {@code length} bytes of the image at hypervisor address {@code address}, as they are
     * when the image has just booted; empty when no segment holds all of them (e.g. {@code .bss})}
     */
    public Optional<byte[]> bytes(final long address, final int length)
    {
        for (final Segment s : memory)
        {
            final long off = address - s.address();
            if (length >= 0 && off >= 0 && off + length <= s.bytes().limit())
            {
                final byte[] out = new byte[length];
                s.bytes().get((int) off, out);
                return Optional.of(out);
            }
        }
        return Optional.empty();
    }

    /**
     * Reads an image file; x86-64 Xen 4.14 or later (origin {@link EmbeddedSymbolTable#X86_64_ORIGIN}).
     *
     * @throws XenImageFormatException if it is not a Xen image this reader knows, naming where
     */
    public static XenImage read(final Path file) throws IOException
    {
        return parse(Files.readAllBytes(file));
    }

    /** Parses image bytes with the x86-64 origin; see {@link #read(Path)}. */
    public static XenImage parse(final byte[] bytes)
    {
        return parse(bytes, EmbeddedSymbolTable.X86_64_ORIGIN);
    }

    /**
     * Parses image bytes.
     *
     * @param origin {@code SYMBOLS_ORIGIN}: the address the table's offsets are relative to (x86's
     *               {@code XEN_VIRT_START}); for the ELF32 wrapper also the distance between the
     *               physical load address and the link address
     * @throws XenImageFormatException if it is not a Xen image this reader knows, naming where
     */
    public static XenImage parse(final byte[] bytes, final long origin)
    {
        final boolean gzip = bytes.length >= 2 && (byte) 0x1f == bytes[0] && (byte) 0x8b == bytes[1];
        final byte[] image = gzip ? gunzip(bytes) : bytes;
        if (image.length < 4 || 0x7f != image[0] || 'E' != image[1] || 'L' != image[2] || 'F' != image[3])
        {
            throw new XenImageFormatException("e_ident", 0, "neither gzip nor ELF: not a Xen image");
        }
        if (Elf32Wrapper.is(image))
        {
            return fromWrapper(image, gzip, origin);
        }
        return fromElf64(image, gzip, origin);
    }

    /** {@return the first symbol called {@code name}: a global name or a {@code file#static} one} */
    public Optional<XenSymbol> symbol(final String name)
    {
        Objects.requireNonNull(name, "name");
        return symbols.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    private static XenImage fromWrapper(final byte[] image, final boolean gzip, final long origin)
    {
        final Elf32Wrapper w = Elf32Wrapper.parse(image);
        final BuildId id = w.buildId().orElseThrow(() -> new XenImageFormatException("ELF32 PT_NOTE segments", 0,
            "no GNU build-id note"));
        XenImageFormatException first = null;
        for (final Elf32Wrapper.Segment s : w.loads())
        {
            try
            {
                final List<XenSymbol> symbols = EmbeddedSymbolTable.decode(s.bytes(), origin + s.physicalAddress(),
                                                                            origin);
                final List<Segment> memory = new ArrayList<>();
                for (final Elf32Wrapper.Segment l : w.loads())
                {
                    memory.add(new Segment(origin + l.physicalAddress(), l.bytes()));
                }
                return new XenImage(Format.MULTIBOOT_ELF32, gzip, id, symbols, memory);
            }
            catch (final XenImageFormatException e)
            {
                first = preferred(first, located(e, s.offset()));
            }
        }
        throw first;
    }

    private static XenImage fromElf64(final byte[] image, final boolean gzip, final long origin)
    {
        final ElfModel elf;
        final BuildId id;
        try
        {
            elf = Elf.of().parse(image);
            id = elf.buildId().orElseThrow(() -> new XenImageFormatException("ELF64 notes", 0, "no GNU build-id"));
        }
        catch (final ElfFormatException e)
        {
            throw new XenImageFormatException("ELF64 image (" + e.field() + ")", e.offset(),
                "neither a Xen ELF32 wrapper nor a readable ELF64 xen-syms: " + e.getMessage(), e);
        }
        XenImageFormatException first = null;
        for (final ProgramHeader ph : elf.programHeaders())
        {
            if (SegmentType.Known.PT_LOAD != ph.type() || 0 == ph.fileSize())
            {
                continue;
            }
            if (ph.offset() + ph.fileSize() > image.length)
            {
                throw new XenImageFormatException("ELF64 PT_LOAD", ph.offset(), "segment extends past the file");
            }
            try
            {
                final ByteBuffer seg = ByteBuffer.wrap(image, (int) ph.offset(), (int) ph.fileSize());
                return new XenImage(Format.XEN_SYMS_ELF64, gzip, id,
                                    EmbeddedSymbolTable.decode(seg, ph.virtualAddress(), origin),
                                    loads(elf, image));
            }
            catch (final XenImageFormatException e)
            {
                first = preferred(first, located(e, ph.offset()));
            }
        }
        throw null != first ? first
            : new XenImageFormatException("ELF64 program headers", 0, "no loadable segment holds a symbol table");
    }

    /** Every loadable segment of an ELF64 image with its file bytes. */
    private static List<Segment> loads(final ElfModel elf, final byte[] image)
    {
        final List<Segment> out = new ArrayList<>();
        for (final ProgramHeader ph : elf.programHeaders())
        {
            if (SegmentType.Known.PT_LOAD == ph.type() && ph.fileSize() > 0
                && ph.offset() + ph.fileSize() <= image.length)
            {
                out.add(new Segment(ph.virtualAddress(), ByteBuffer.wrap(image, (int) ph.offset(),
                                                                          (int) ph.fileSize())));
            }
        }
        return out;
    }

    /** A malformed table says more than a segment without one. */
    private static XenImageFormatException preferred(final XenImageFormatException kept,
                                                     final XenImageFormatException next)
    {
        return null == kept || (EmbeddedSymbolTable.ABSENT.equals(kept.structure())
                                && !EmbeddedSymbolTable.ABSENT.equals(next.structure())) ? next : kept;
    }

    /** Turns a segment-relative offset into a file offset. */
    private static XenImageFormatException located(final XenImageFormatException e, final long segmentOffset)
    {
        return new XenImageFormatException(e.structure(), segmentOffset + e.offset(), e.problem(), e);
    }

    private static byte[] gunzip(final byte[] bytes)
    {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes)))
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length * 3);
            final byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0)
            {
                if (out.size() + n > MAX_IMAGE)
                {
                    throw new XenImageFormatException("gzip stream", 0, "decompresses to more than " + MAX_IMAGE
                                                      + " bytes");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
        catch (final IOException e)
        {
            throw new XenImageFormatException("gzip stream", 0, "cannot decompress: " + e.getMessage(), e);
        }
    }
}
