package org.xsplice.elf.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.Optional;

import org.xsplice.elf.ElfSection;
import org.xsplice.elf.SectionType;

/** A section made by the user or derived from another; the writer assigns index and offset. */
public final class UnboundSectionImpl implements ElfSection {
    private static final byte[] EMPTY = new byte[0];

    private final ElfSection origin;
    private final String name;
    private final SectionType type;
    private final long flags;
    private final long alignment;
    private final long entrySize;
    /** Null means "the origin's contents" (a rename or flag change keeps them without a copy). */
    private final byte[] data;
    private final long size;

    private UnboundSectionImpl(final ElfSection origin, final String name, final SectionType type, final long flags,
                               final long alignment, final long entrySize, final byte[] data, final long size) {
        this.origin = origin;
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
        if (alignment < 0 || (0 != alignment && 0 != (alignment & (alignment - 1)))) {
            throw new IllegalArgumentException("section " + name + ": alignment " + alignment + " is not 0 or a power of two");
        }
        if (size < 0) {
            throw new IllegalArgumentException("section " + name + ": negative size " + size);
        }
        this.flags = flags;
        this.alignment = alignment;
        this.entrySize = entrySize;
        this.data = data;
        this.size = size;
    }

    /** Creates a section; {@code data} is owned by the new section (null for NOBITS). */
    public static UnboundSectionImpl create(final String name, final SectionType type, final long flags,
                                            final long alignment, final long entrySize, final byte[] data,
                                            final long size) {
        if (SectionType.Known.SHT_NOBITS == type) {
            return new UnboundSectionImpl(null, name, type, flags, alignment, entrySize, EMPTY, size);
        }
        return new UnboundSectionImpl(null, name, type, flags, alignment, entrySize, Objects.requireNonNull(data), size);
    }

    /** Derives a section from {@code origin}; null {@code data} keeps the origin's contents. */
    public static UnboundSectionImpl derive(final ElfSection origin, final String name, final SectionType type,
                                            final long flags, final long alignment, final long entrySize,
                                            final byte[] data, final long size) {
        return new UnboundSectionImpl(Objects.requireNonNull(origin, "origin"), name, type, flags, alignment,
                entrySize, data, size);
    }

    /** Whether the contents are the origin's (a rename or flag change). */
    boolean keepsOriginContents() {
        return null == data && null != origin;
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
        return 0;
    }

    @Override
    public long offset() {
        return -1;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int link() {
        return 0;
    }

    @Override
    public int info() {
        return 0;
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
        return -1;
    }

    @Override
    public ByteBuffer contents() {
        if (SectionType.Known.SHT_NOBITS == type) {
            return ByteBuffer.wrap(EMPTY).order(ByteOrder.LITTLE_ENDIAN);
        }
        if (null == data) {
            return origin.contents();
        }
        return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public Optional<ElfSection> origin() {
        return Optional.ofNullable(origin);
    }

    @Override
    public String toString() {
        return "ElfSection[" + name + ", " + type.name() + ", unbound]";
    }
}
