package org.xsplice.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

/** Small files that claim huge tables: a typed error, without allocating what they claim. */
class LimitsTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** A 100-byte ELF64 x86-64 header with the given section table fields. */
    private static byte[] header(final long shoff, final int shnum, final int shstrndx) {
        final ByteBuffer b = ByteBuffer.allocate(100).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(16, (short) 1).putShort(18, (short) 62).putInt(20, 1).putLong(40, shoff).putShort(52, (short) 64)
                .putShort(58, (short) 64).putShort(60, (short) shnum).putShort(62, (short) shstrndx);
        return b.array();
    }

    private static ElfFormatException rejectCheaply(final byte[] file) {
        final long before = THREADS.getCurrentThreadAllocatedBytes();
        final ElfFormatException e = assertThrows(ElfFormatException.class, () -> Elf.of().parse(file).validate());
        final long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 1 << 20, "allocated " + allocated + " bytes for a " + file.length + "-byte file");
        return e;
    }

    @Test
    void hugeSectionCount() {
        final ElfFormatException e = rejectCheaply(header(36, 0xfeff, 0));
        assertEquals("e_shnum", e.field());
        assertEquals(60, e.offset());
        assertTrue(e.getMessage().contains("expected section headers inside the file of 100 bytes"), e.getMessage());
    }

    @Test
    void hugeExtendedSectionCount() {
        final byte[] f = header(36, 0, 0);
        // Section 0 starts at 36; its sh_size (at 36 + 32) holds the extended count.
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(68, 1L << 40);
        final ElfFormatException e = rejectCheaply(f);
        assertEquals("section 0 sh_size (extended e_shnum)", e.field());
        assertEquals(68, e.offset());
    }

    @Test
    void sectionOffsetBeyondTheFile() {
        final ElfFormatException e = rejectCheaply(header(1L << 62, 1, 0));
        assertEquals("e_shoff", e.field());
    }

    @Test
    void notElf() {
        final byte[] f = header(0, 0, 0);
        f[1] = 'X';
        assertEquals("e_ident[EI_MAG0..3]", rejectCheaply(f).field());
        assertEquals("Elf64_Ehdr", rejectCheaply(new byte[10]).field());
        final byte[] be = header(0, 0, 0);
        be[5] = 2;
        final ElfFormatException e = rejectCheaply(be);
        assertEquals(5, e.offset());
        assertEquals("1 (ELFDATA2LSB)", e.expected());
        assertEquals("2", e.found());
    }

    @Test
    void headerOnlyFileIsAnEmptyModel() {
        final ElfModel m = Elf.of().parse(header(0, 0, 0)).validate();
        assertTrue(m.sections().isEmpty());
        assertTrue(m.symbols().isEmpty());
        assertTrue(m.buildId().isEmpty());
    }
}
