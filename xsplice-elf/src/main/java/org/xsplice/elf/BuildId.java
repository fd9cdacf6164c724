package org.xsplice.elf;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A GNU build-id: the descriptor of an {@code NT_GNU_BUILD_ID} note of owner {@code "GNU"}
 * (usually the 20 bytes of a SHA-1 over the linked file), as {@code readelf -n} shows it.
 *
 * @param bytes the id
 */
public record BuildId(byte[] bytes) {
    /** Copies the id. */
    public BuildId {
        bytes = bytes.clone();
    }

    /** {@return the build-id whose hex form is {@code hex}, e.g. {@code "4c1f..."}} */
    public static BuildId parse(final String hex) {
        return new BuildId(HexFormat.of().parseHex(hex));
    }

    /** {@return a copy of the id} */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** {@return the id in lower-case hex, as {@code readelf -n} prints it} */
    public String hex() {
        return hex(bytes);
    }

    static String hex(final byte[] b) {
        return HexFormat.of().formatHex(b);
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
