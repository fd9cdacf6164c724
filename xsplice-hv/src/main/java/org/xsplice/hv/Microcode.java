package org.xsplice.hv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

/**
 * A microcode update in Intel's format (SDM vol. 3, "Microcode Update Format"): a 48-byte
 * header (header version 1, update revision, date, processor signature, checksum, loader
 * revision 1, flags, data size, total size) followed by the data; the dwords of the whole
 * update sum to 0. The reference hypervisor has no real microcode: loading one sets every
 * pCPU's revision at a rendezvous (Xen: {@code XENPF_microcode_update}, applied under
 * stop_machine), which {@code xl info} shows.
 *
 * @param revision the update revision
 * @param size     the total size in bytes
 */
public record Microcode(long revision, int size) {
    private static final int HEADER = 48;
    private static final int DEFAULT_DATA = 2000;

    /**
     * Checks and reads an update.
     *
     * @throws PayloadException EINVAL naming the field and offset that is wrong
     */
    public static Microcode parse(final byte[] file) {
        if (file.length < HEADER) {
            throw new PayloadException(Errno.EINVAL, "microcode: " + file.length + " bytes, shorter than the 48-byte header");
        }
        final ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (1 != b.getInt(0)) {
            throw new PayloadException(Errno.EINVAL, "microcode: header version at offset 0x0 is " + b.getInt(0) + ", expected 1");
        }
        if (1 != b.getInt(20)) {
            throw new PayloadException(Errno.EINVAL, "microcode: loader revision at offset 0x14 is " + b.getInt(20) + ", expected 1");
        }
        final int data = 0 == b.getInt(28) ? DEFAULT_DATA : b.getInt(28);
        final int total = 0 == b.getInt(28) ? DEFAULT_DATA + HEADER : b.getInt(32);
        if (total < HEADER + data || total % 4 != 0 || total > file.length) {
            throw new PayloadException(Errno.EINVAL, "microcode: total size at offset 0x20 is " + total + " (data " + data
                    + ", file " + file.length + " bytes)");
        }
        int sum = 0;
        for (int i = 0; i < total; i += 4) {
            sum += b.getInt(i);
        }
        if (0 != sum) {
            throw new PayloadException(Errno.EINVAL, String.format("microcode: checksum mismatch (dwords sum to 0x%08x, expected 0)", sum));
        }
        return new Microcode(Integer.toUnsignedLong(b.getInt(4)), total);
    }

    /** {@return an update with this revision and {@code dataSize} bytes of data (tests, demos)} */
    public static byte[] make(final int revision, final int dataSize) {
        final ByteBuffer b = ByteBuffer.allocate(HEADER + dataSize).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 1).putInt(4, revision).putInt(8, 0x11242026).putInt(12, 0x000906ea).putInt(20, 1)
                .putInt(28, dataSize).putInt(32, HEADER + dataSize);
        for (int i = HEADER; i < HEADER + dataSize; i += 4) {
            b.putInt(i, i * 0x9e3779b1);
        }
        int sum = 0;
        for (int i = 0; i < HEADER + dataSize; i += 4) {
            sum += b.getInt(i);
        }
        b.putInt(16, -sum);
        return b.array();
    }
}
