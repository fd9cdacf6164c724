package org.xsplice.payload;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One entry of {@code .livepatch.funcs}: Xen's {@code struct livepatch_func}.
 *
 * <p>Pointer fields are the raw 64-bit values; in a payload object they are usually 0 and
 * filled by {@code R_X86_64_64} relocations, which the loader applies before it decodes.
 *
 * <pre>
 * v2, 104 bytes                           v1, 64 bytes
 *   0  name      u64 (char *)               0  name      u64
 *   8  new_addr  u64 (0 = NOP mode)         8  new_addr  u64
 *  16  old_addr  u64 (0 = look up name)    16  old_addr  u64
 *  24  new_size  u32                        24  new_size  u32
 *  28  old_size  u32                        28  old_size  u32
 *  32  version   u8 (= 2)                   32  version   u8 (= 1)
 *  33  _pad[39]                             33  opaque[31]
 *  72  expect: u8 enabled:1,len:5,rsv:2
 *  73          u8 data[31]
 * </pre>
 *
 * @param name        the name pointer
 * @param newAddr     the replacement function, or 0 to write NOPs
 * @param oldAddr     the function to replace, or 0 to resolve {@code name} at load time
 * @param newSize     size of the replacement, or the number of NOPs
 * @param oldSize     size of the function being replaced
 * @param version     layout version: 1 or 2
 * @param expectation bytes the old function must start with, if enabled
 */
public record LivepatchFunc(long name, long newAddr, long oldAddr, int newSize, int oldSize, int version,
                            Optional<Expectation> expectation) {

    public static final int V1 = 1;
    public static final int V2 = 2;
    public static final int V1_SIZE = 64;
    public static final int V2_SIZE = 104;
    /** Offsets of the pointer fields, where the relocations go. */
    public static final int NAME_OFFSET = 0;
    public static final int NEW_ADDR_OFFSET = 8;
    public static final int OLD_ADDR_OFFSET = 16;
    public static final int VERSION_OFFSET = 32;
    public static final int EXPECT_OFFSET = 72;
    /** The longest run of NOPs a NOP-mode entry may ask for. */
    public static final int MAX_NOP_SIZE = 31;
    /** {@code jmp rel32}. */
    public static final int JMP_SIZE = 5;
    /** {@code endbr64}, which the jump must follow when present. */
    public static final int ENDBR64_SIZE = 4;

    public LivepatchFunc {
        if (version != V1 && version != V2) {
            throw new PayloadException(Errno.EOPNOTSUPP, "livepatch_func version " + version + ", expected 1 or 2");
        }
        if (version == V1 && expectation.isPresent()) {
            throw new PayloadException(Errno.EINVAL, "livepatch_func version 1 has no expectation field");
        }
    }

    /** {@return the encoded size of an entry of {@code version}} */
    public static int sizeOf(final int version) {
        return switch (version) {
            case V1 -> V1_SIZE;
            case V2 -> V2_SIZE;
            default -> throw new PayloadException(Errno.EOPNOTSUPP,
                    "livepatch_func version " + version + ", expected 1 or 2");
        };
    }

    /** {@return whether this entry writes NOPs instead of a jump} */
    public boolean isNop() {
        return newAddr == 0;
    }

    /**
     * Decodes every entry of a {@code .livepatch.funcs} section whose relocations were applied.
     * The layout comes from the first entry's version byte; all entries must share it.
     *
     * @throws PayloadException EINVAL for a size that is no multiple of the entry size or an
     *                          empty section, EOPNOTSUPP for an unknown version
     */
    public static List<LivepatchFunc> decodeAll(final byte[] section) {
        if (section.length == 0) {
            throw new PayloadException(Errno.EINVAL, "section " + PayloadSections.FUNCS + " is empty");
        }
        if (section.length <= VERSION_OFFSET) {
            throw new PayloadException(Errno.EINVAL, "section " + PayloadSections.FUNCS + " has size "
                    + section.length + ", expected a multiple of " + V2_SIZE);
        }
        final int version = Byte.toUnsignedInt(section[VERSION_OFFSET]);
        final int size = sizeOf(version);
        if (section.length % size != 0) {
            throw new PayloadException(Errno.EINVAL, "section " + PayloadSections.FUNCS + " has size "
                    + section.length + ", expected a multiple of " + size + " (livepatch_func v" + version + ")");
        }
        final List<LivepatchFunc> out = new ArrayList<>(section.length / size);
        for (int off = 0; off < section.length; off += size) {
            out.add(decode(section, off, off / size));
        }
        return List.copyOf(out);
    }

    /**
     * {@link #decodeAll(byte[])} for a hypervisor that may know only one layout ({@code only}
     * present, as Xen 4.17.3+ knows only 2): it sizes the section by that layout and refuses
     * any other version.
     *
     * @throws PayloadException EINVAL for a size that is no non-zero multiple of that layout,
     *                          EOPNOTSUPP for an entry of another version
     */
    public static List<LivepatchFunc> decodeAll(final byte[] section, final OptionalInt only) {
        if (only.isPresent()) {
            final int version = only.getAsInt();
            final int size = sizeOf(version);
            if (0 == section.length || 0 != section.length % size) {
                throw new PayloadException(Errno.EINVAL, "section " + PayloadSections.FUNCS + " has size "
                        + section.length + ", expected a non-zero multiple of " + size + " (livepatch_func v"
                        + version + ")");
            }
            for (int off = 0; off < section.length; off += size) {
                final int v = Byte.toUnsignedInt(section[off + VERSION_OFFSET]);
                if (v != version) {
                    throw new PayloadException(Errno.EOPNOTSUPP, PayloadSections.FUNCS + "[" + off / size
                            + "]: version " + v + ", this hypervisor accepts only " + version);
                }
            }
        }
        return decodeAll(section);
    }

    private static LivepatchFunc decode(final byte[] section, final int off, final int index) {
        final ByteBuffer b = ByteBuffer.wrap(section).order(ByteOrder.LITTLE_ENDIAN);
        final int version = Byte.toUnsignedInt(section[off + VERSION_OFFSET]);
        final String where = PayloadSections.FUNCS + "[" + index + "] at offset 0x" + Integer.toHexString(off);
        if (version != V1 && version != V2) {
            throw new PayloadException(Errno.EOPNOTSUPP, where + ": version " + version + ", expected 1 or 2");
        }
        Optional<Expectation> expect = Optional.empty();
        if (version == V2) {
            for (int i = off + VERSION_OFFSET + 1; i < off + EXPECT_OFFSET; i++) {
                if (section[i] != 0) {
                    throw new PayloadException(Errno.EINVAL, where + ": _pad byte at struct offset " + (i - off) + " is not zero");
                }
            }
            final int bits = Byte.toUnsignedInt(section[off + EXPECT_OFFSET]);
            final boolean enabled = (bits & 1) != 0;
            final int len = (bits >>> 1) & 0x1f;
            if ((bits >>> 6) != 0) {
                throw new PayloadException(Errno.EINVAL, where + ": expect.rsv bits are not zero");
            }
            if (enabled) {
                if (len == 0) {
                    throw new PayloadException(Errno.EINVAL, where + ": expectation enabled with length 0");
                }
                expect = Optional.of(new Expectation(
                        Arrays.copyOfRange(section, off + EXPECT_OFFSET + 1, off + EXPECT_OFFSET + 1 + len)));
            }
        }
        return new LivepatchFunc(b.getLong(off + NAME_OFFSET), b.getLong(off + NEW_ADDR_OFFSET),
                b.getLong(off + OLD_ADDR_OFFSET), b.getInt(off + 24), b.getInt(off + 28), version, expect);
    }

    /** {@return the entry's bytes in its version's layout} */
    public byte[] encode() {
        final byte[] out = new byte[sizeOf(version)];
        final ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(NAME_OFFSET, name).putLong(NEW_ADDR_OFFSET, newAddr).putLong(OLD_ADDR_OFFSET, oldAddr)
                .putInt(24, newSize).putInt(28, oldSize);
        out[VERSION_OFFSET] = (byte) version;
        expectation.ifPresent(e -> {
            out[EXPECT_OFFSET] = (byte) (1 | (e.length() << 1));
            System.arraycopy(e.bytes(), 0, out, EXPECT_OFFSET + 1, e.length());
        });
        return out;
    }

    /**
     * Checks the fields that need no knowledge of the hypervisor, as Xen does at upload.
     * Address-dependent checks (old_size against the symbol, the ±2 GiB distance, ENDBR64)
     * belong to the loader.
     *
     * @param displayName the function's name, for messages
     * @throws PayloadException EINVAL with the field at fault
     */
    public void checkFields(final String displayName) {
        final String where = "livepatch_func '" + displayName + "'";
        if (version != V2) {
            throw new PayloadException(Errno.EOPNOTSUPP, where + ": version " + version
                    + " is not supported for loading, expected 2");
        }
        if (oldSize == 0) {
            throw new PayloadException(Errno.EINVAL, where + ": old_size is 0");
        }
        if (isNop()) {
            if (Integer.compareUnsigned(newSize, MAX_NOP_SIZE) > 0) {
                throw new PayloadException(Errno.EINVAL, where + ": NOP mode with new_size " + Integer.toUnsignedString(newSize)
                        + ", at most " + MAX_NOP_SIZE + " NOPs allowed");
            }
            if (Integer.compareUnsigned(oldSize, newSize) < 0) {
                throw new PayloadException(Errno.EINVAL, where + ": NOP mode with new_size " + newSize
                        + " larger than old_size " + oldSize);
            }
        } else if (Integer.compareUnsigned(oldSize, JMP_SIZE) < 0) {
            throw new PayloadException(Errno.EINVAL, where + ": old_size " + oldSize + " is too small for a "
                    + JMP_SIZE + "-byte jump");
        }
    }
}
