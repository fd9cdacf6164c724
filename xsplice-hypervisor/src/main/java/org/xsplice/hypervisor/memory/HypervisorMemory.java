package org.xsplice.hypervisor.memory;

import java.io.IOException;

/**
 * The running hypervisor's memory, addressed as the hypervisor sees it. The loader writes
 * payload images through it and the rendezvous driver reads and writes its state block.
 * Writes reach read-only and executable pages too (the reference hypervisor's implementation
 * goes through {@code /proc/PID/mem}), so text is never made writable to be patched.
 *
 * <p>Ordering: each call completes before it returns, and calls from one thread take effect
 * in program order, with a full barrier between them (see the reference hypervisor's
 * {@code include/public/xsplice.h}). Values are little-endian.
 */
public interface HypervisorMemory {
    /**
     * Reads {@code length} bytes at {@code address}.
     *
     * @throws IOException naming the address when it is not mapped
     */
    byte[] read(long address, int length) throws IOException;

    /** Writes {@code bytes} at {@code address}, all or nothing as far as the kernel allows. */
    void write(long address, byte[] bytes) throws IOException;

    /** {@return the 8-byte value at {@code address}} */
    long readLong(long address) throws IOException;

    /** Stores an 8-byte value with one write (not torn on x86-64 when aligned). */
    void writeLong(long address, long value) throws IOException;

    /** {@return the 4-byte value at {@code address}} */
    int readInt(long address) throws IOException;

    /** Stores a 4-byte value with one write. */
    void writeInt(long address, int value) throws IOException;

    /** {@return the NUL-terminated string at {@code address}, at most {@code max} bytes, UTF-8} */
    default String readCString(final long address, final int max) throws IOException {
        final byte[] b = read(address, max);
        int n = 0;
        while (n < b.length && 0 != b[n]) {
            n++;
        }
        return new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }
}
