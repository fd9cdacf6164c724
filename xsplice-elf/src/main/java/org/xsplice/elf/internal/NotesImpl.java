package org.xsplice.elf.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.xsplice.elf.ElfNote;

/** Encodes notes the way gas and ld do: 4-byte aligned name and descriptor. */
public final class NotesImpl {
    private NotesImpl() {
    }

    /** {@return the bytes of an {@code SHT_NOTE} section holding {@code notes}} */
    public static byte[] encode(final List<ElfNote> notes) {
        int size = 0;
        for (final ElfNote n : notes) {
            size += n.encodedSize();
        }
        final ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (final ElfNote n : notes) {
            final byte[] name = n.name().getBytes(StandardCharsets.ISO_8859_1);
            final byte[] desc = n.descriptor();
            b.putInt(name.length + 1).putInt(desc.length).putInt(n.type());
            b.put(name).put((byte) 0);
            b.position((b.position() + 3) & ~3);
            b.put(desc);
            b.position((b.position() + 3) & ~3);
        }
        return b.array();
    }
}
