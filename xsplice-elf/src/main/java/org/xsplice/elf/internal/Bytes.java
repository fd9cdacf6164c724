package org.xsplice.elf.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import org.xsplice.elf.ElfFormatException;

/**
 * Little-endian reads from the file array. Callers check ranges against the file length with
 * field names before reading; the checks here are the backstop that keeps a missed check from
 * surfacing as an {@code IndexOutOfBoundsException}.
 */
final class Bytes {
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private Bytes() {
    }

    static int u8(final byte[] b, final long off) {
        check(b, off, 1);
        return b[(int) off] & 0xff;
    }

    static int u16(final byte[] b, final long off) {
        check(b, off, 2);
        return (short) I16.get(b, (int) off) & 0xffff;
    }

    /** An unsigned 32-bit field as a long. */
    static long u32(final byte[] b, final long off) {
        check(b, off, 4);
        return (int) I32.get(b, (int) off) & 0xffffffffL;
    }

    static int i32(final byte[] b, final long off) {
        check(b, off, 4);
        return (int) I32.get(b, (int) off);
    }

    /** A 64-bit field; unsigned values above {@code Long.MAX_VALUE} come back negative. */
    static long u64(final byte[] b, final long off) {
        check(b, off, 8);
        return (long) I64.get(b, (int) off);
    }

    private static void check(final byte[] b, final long off, final int n) {
        if (off < 0 || off > b.length - n) {
            throw new ElfFormatException("data", off, n + " bytes inside the file of " + b.length + " bytes",
                    "a read past the end");
        }
    }

    /** Whether {@code [off, off + size)} lies inside a file of {@code length} bytes (both read as unsigned). */
    static boolean inside(final long off, final long size, final long length) {
        return off >= 0 && size >= 0 && off <= length && size <= length - off;
    }

    static String hex(final long v) {
        return "0x" + Long.toHexString(v);
    }
}
