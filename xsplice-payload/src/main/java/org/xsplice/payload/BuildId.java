package org.xsplice.payload;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A GNU build-id: the SHA-1 (20 bytes, as {@code ld --build-id=sha1} writes) or any other
 * length the note carries. Compared by content.
 *
 * @param bytes the id's bytes
 */
public record BuildId(byte[] bytes) {
    /** The most bytes a build-id may have (Xen's limit is a page; real ids are 16 to 32). */
    public static final int MAX_LENGTH = 64;

    public BuildId {
        if (bytes.length == 0 || bytes.length > MAX_LENGTH) {
            throw new PayloadException(Errno.EINVAL, "build-id of " + bytes.length + " bytes, expected 1.." + MAX_LENGTH);
        }
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** {@return the id parsed from hex, as {@code xl info} prints it} */
    public static BuildId ofHex(final String hex) {
        try {
            return new BuildId(HexFormat.of().parseHex(hex.strip()));
        } catch (IllegalArgumentException e) {
            throw new PayloadException(Errno.EINVAL, "not a hex build-id: '" + hex + "'", e);
        }
    }

    /** {@return lower-case hex, as {@code xl info} and {@code readelf -n} print it} */
    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof BuildId(final byte[] other) && Arrays.equals(bytes, other);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return hex();
    }
}
