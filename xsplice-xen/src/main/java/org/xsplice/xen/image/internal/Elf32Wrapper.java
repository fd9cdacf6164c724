package org.xsplice.xen.image.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.xsplice.elf.BuildId;
import org.xsplice.xen.image.XenImageFormatException;

/**
 * The ELF32 wrapper x86 Xen boots from ({@code xen}, or {@code xen.gz} gunzipped): the build
 * converts the 64-bit {@code xen-syms} into a 32-bit i386 executable so that multiboot loaders
 * (GRUB, QEMU's {@code -kernel}) can load it. It has one {@code PT_LOAD} segment holding the
 * whole image at its physical load address (2 MiB) and one {@code PT_NOTE} segment with the
 * GNU build-id; section headers are vestigial and not read. The project's ELF toolkit models
 * ELF64 only, hence this small reader of the few ELF32 fields that matter (gABI "ELF Header",
 * "Program Header"; 32-bit layouts).
 *
 * @param loads  the {@code PT_LOAD} segments
 * @param notes  the {@code PT_NOTE} segments
 */
public record Elf32Wrapper(List<Segment> loads, List<Segment> notes)
{
    private static final int PT_LOAD = 1;
    private static final int PT_NOTE = 4;
    private static final int EM_386 = 3;
    private static final int NT_GNU_BUILD_ID = 3;
    private static final int PHDR_SIZE = 32;

    /**
     * A segment: {@code p_offset}, {@code p_paddr}, {@code p_filesz} and its file bytes.
     */
    public record Segment(long offset, long physicalAddress, ByteBuffer bytes)
    {
    }

    /** {@return whether {@code image} starts like an ELF32 little-endian file} */
    public static boolean is(final byte[] image)
    {
        return image.length >= 52 && 0x7f == image[0] && 'E' == image[1] && 'L' == image[2] && 'F' == image[3]
            && 1 == image[4];
    }

    /**
     * @throws XenImageFormatException for a header or program header that is not a Xen wrapper's
     */
    public static Elf32Wrapper parse(final byte[] image)
    {
        if (!is(image))
        {
            throw new XenImageFormatException("ELF32 header", 0, "not an ELF32 file");
        }
        final ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (1 != image[5])
        {
            throw new XenImageFormatException("ELF32 header e_ident[EI_DATA]", 5, "expected little-endian (1), found "
                                              + image[5]);
        }
        final int machine = Short.toUnsignedInt(b.getShort(18));
        if (EM_386 != machine)
        {
            throw new XenImageFormatException("ELF32 header e_machine", 18, "expected EM_386 (3), found " + machine);
        }
        final long phoff = Integer.toUnsignedLong(b.getInt(28));
        final int phentsize = Short.toUnsignedInt(b.getShort(42));
        final int phnum = Short.toUnsignedInt(b.getShort(44));
        if (PHDR_SIZE != phentsize || phnum == 0 || phoff + (long) phnum * PHDR_SIZE > image.length)
        {
            throw new XenImageFormatException("ELF32 header e_phoff/e_phentsize/e_phnum", 28, String.format(
                "program headers (offset %d, %d x %d bytes) do not fit in %d bytes", phoff, phnum, phentsize,
                image.length));
        }
        final List<Segment> loads = new ArrayList<>();
        final List<Segment> notes = new ArrayList<>();
        for (int i = 0; i < phnum; i++)
        {
            final int at = (int) phoff + i * PHDR_SIZE;
            final int type = b.getInt(at);
            if (PT_LOAD != type && PT_NOTE != type)
            {
                continue;
            }
            final long offset = Integer.toUnsignedLong(b.getInt(at + 4));
            final long paddr = Integer.toUnsignedLong(b.getInt(at + 12));
            final long filesz = Integer.toUnsignedLong(b.getInt(at + 16));
            if (offset + filesz > image.length)
            {
                throw new XenImageFormatException("ELF32 program header " + i, at, String.format(
                    "segment [0x%x, 0x%x) lies outside the %d-byte file", offset, offset + filesz, image.length));
            }
            final Segment s = new Segment(offset, paddr,
                ByteBuffer.wrap(image, (int) offset, (int) filesz).slice().order(ByteOrder.LITTLE_ENDIAN));
            (PT_LOAD == type ? loads : notes).add(s);
        }
        if (loads.isEmpty())
        {
            throw new XenImageFormatException("ELF32 program headers", phoff, "no PT_LOAD segment");
        }
        return new Elf32Wrapper(List.copyOf(loads), List.copyOf(notes));
    }

    /** {@return the GNU build-id from the {@code PT_NOTE} segments, if one is there} */
    public Optional<BuildId> buildId()
    {
        for (final Segment s : notes)
        {
            final ByteBuffer n = s.bytes().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int p = 0;
            while (p + 12 <= n.limit())
            {
                final int namesz = n.getInt(p);
                final int descsz = n.getInt(p + 4);
                final int type = n.getInt(p + 8);
                final int name = p + 12;
                final int desc = name + align4(namesz);
                if (namesz < 0 || descsz < 0 || desc + (long) descsz > n.limit())
                {
                    throw new XenImageFormatException("ELF32 PT_NOTE entry", s.offset() + p,
                        "name size " + namesz + " and descriptor size " + descsz + " overrun the segment");
                }
                final byte[] owner = new byte[Math.max(0, namesz - 1)];
                n.get(name, owner);
                if (NT_GNU_BUILD_ID == type && "GNU".equals(new String(owner, StandardCharsets.US_ASCII)))
                {
                    final byte[] id = new byte[descsz];
                    n.get(desc, id);
                    return Optional.of(new BuildId(id));
                }
                p = desc + align4(descsz);
            }
        }
        return Optional.empty();
    }

    private static int align4(final int v)
    {
        return (v + 3) & ~3;
    }
}
