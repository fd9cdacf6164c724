package org.xsplice.payload;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The optional {@code expect} field of a v2 {@code livepatch_func}: the first bytes the old
 * function must have before it is patched. Encoded as one byte {@code enabled:1, len:5, rsv:2}
 * followed by 31 data bytes.
 *
 * @param bytes the expected bytes, 1 to 31 of them
 */
public record Expectation(byte[] bytes) {
    /** Encoded size: one bit-field byte and 31 data bytes. */
    public static final int SIZE = 32;
    /** The most bytes an expectation can hold. */
    public static final int MAX_LEN = 31;

    public Expectation {
        if (bytes.length == 0 || bytes.length > MAX_LEN) {
            throw new PayloadException(Errno.EINVAL,
                    "expectation of " + bytes.length + " bytes, expected 1.." + MAX_LEN);
        }
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** {@return the number of expected bytes} */
    public int length() {
        return bytes.length;
    }

    /** {@return whether {@code live} starts with the expected bytes} */
    public boolean matches(final byte[] live) {
        return live.length >= bytes.length && Arrays.equals(bytes, 0, bytes.length, live, 0, bytes.length);
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof Expectation(final byte[] other) && Arrays.equals(bytes, other);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "Expectation[" + HexFormat.ofDelimiter(" ").formatHex(bytes) + "]";
    }
}
