package org.xsplice.elf.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

import org.xsplice.elf.ElfSection;
import org.xsplice.elf.SectionType;

/** A section read from a file; its contents are a view of the file's array. */
public final class BoundSectionImpl implements ElfSection {
    private final ElfModelImpl model;
    private final int index;
    private final String name;
    private final SectionType type;
    private final long flags;
    private final long address;
    private final long offset;
    private final long size;
    private final int link;
    private final int info;
    private final long alignment;
    private final long entrySize;

    BoundSectionImpl(final ElfModelImpl model, final int index, final String name, final SectionType type,
                     final long flags, final long address, final long offset, final long size, final int link,
                     final int info, final long alignment, final long entrySize) {
        this.model = model;
        this.index = index;
        this.name = name;
        this.type = type;
        this.flags = flags;
        this.address = address;
        this.offset = offset;
        this.size = size;
        this.link = link;
        this.info = info;
        this.alignment = alignment;
        this.entrySize = entrySize;
    }

    /** {@return the model this section belongs to} */
    public ElfModelImpl model() {
        return model;
    }

    /** Whether the section has bytes in the file (not NULL or NOBITS). */
    boolean hasFileData() {
        return SectionType.Known.SHT_NOBITS != type && SectionType.Known.SHT_NULL != type;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public SectionType type() {
        return type;
    }

    @Override
    public long flags() {
        return flags;
    }

    @Override
    public long address() {
        return address;
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int link() {
        return link;
    }

    @Override
    public int info() {
        return info;
    }

    @Override
    public long alignment() {
        return alignment;
    }

    @Override
    public long entrySize() {
        return entrySize;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public ByteBuffer contents() {
        if (!hasFileData()) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        // Bounds were checked when the section headers were decoded.
        return ByteBuffer.wrap(model.bytes(), (int) offset, (int) size).slice().asReadOnlyBuffer()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public byte[] bytes() {
        if (!hasFileData()) {
            return new byte[0];
        }
        final byte[] a = new byte[(int) size];
        System.arraycopy(model.bytes(), (int) offset, a, 0, a.length);
        return a;
    }

    @Override
    public Optional<ElfSection> origin() {
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "ElfSection[" + index + " " + name + ", " + type.name() + "]";
    }
}
