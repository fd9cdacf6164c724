package org.xsplice.sign;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Random mutations of signed payloads (several bytes at once, header and note fields set to
 * edge values, truncation, insertion, DER lengths) never make the verifier throw and never
 * verify; the reasons met are counted in the statistics jqwik prints.
 */
class HostileInputTest {
    private static final byte[] UNSIGNED = Fixtures.read(Fixtures.PAYLOAD);
    private static final byte[][] SIGNED = {Fixtures.RSA.signer().sign(UNSIGNED), Fixtures.EC.signer().sign(UNSIGNED),
        Fixtures.ED25519.signer().sign(UNSIGNED)};
    private static final Keyring RING = new Keyring(java.util.List.of(Fixtures.RSA.certificate(),
            Fixtures.EC.certificate(), Fixtures.ED25519.certificate()), RevocationList.EMPTY);
    private static final long[] EDGES = {0, 1, 3, 4, 0x7f, 0x80, 0xff, 0x7fffffffL, 0x80000000L, 0xffffffffL,
        Long.MAX_VALUE, -1, -20};

    @Property(tries = 1500)
    void mutatedSignedPayloadsAreRefusedWithoutThrowing(@ForAll @IntRange(min = 0, max = 2) final int key,
                                                        @ForAll @IntRange(min = 0, max = 5) final int kind,
                                                        @ForAll final long seed) {
        final byte[] original = SIGNED[key];
        final byte[] m = mutate(original, kind, new Random(seed));
        if (Arrays.equals(m, original)) {
            return;
        }
        for (final Policy p : Policy.values()) {
            final Verification v = PayloadVerifier.verify(m, RING, p);
            assertFalse(v instanceof Verification.Verified, v::describe);
            assertFalse(v.describe().contains("internal error"), v::describe);
            if (Policy.REQUIRE == p) {
                Statistics.collect(assertInstanceOf(Verification.Rejected.class, v).reason());
            }
        }
    }

    private static byte[] mutate(final byte[] s, final int kind, final Random r) {
        final ByteBuffer b = ByteBuffer.wrap(s.clone()).order(ByteOrder.LITTLE_ENDIAN);
        final int sigOffset = s.length - (int) RefusalTest.section(s).size();
        final int shdr = (int) (b.getLong(0x28) + 64L * RefusalTest.section(s).index());
        switch (kind) {
            case 0 -> { // a few random bytes anywhere
                for (int i = 1 + r.nextInt(8); i > 0; i--) {
                    b.put(r.nextInt(s.length), (byte) r.nextInt(256));
                }
            }
            case 1 -> { // a field of the signature's section header set to an edge value
                final int field = new int[] {4, 8, 16, 24, 32, 40, 44, 48, 56}[r.nextInt(9)];
                final long v = EDGES[r.nextInt(EDGES.length)];
                if (field == 4 || field == 40 || field == 44) {
                    b.putInt(shdr + field, (int) v);
                } else {
                    b.putLong(shdr + field, v);
                }
            }
            case 2 -> b.putInt(sigOffset + 4 * r.nextInt(3), (int) EDGES[r.nextInt(EDGES.length)]); // note header
            case 3 -> { // cut anywhere
                return Arrays.copyOf(s, r.nextInt(s.length));
            }
            case 4 -> { // bytes inserted into the CMS structure
                final int at = sigOffset + 20 + r.nextInt(s.length - sigOffset - 20);
                final byte[] extra = new byte[1 + r.nextInt(16)];
                r.nextBytes(extra);
                final byte[] out = new byte[s.length + extra.length];
                System.arraycopy(s, 0, out, 0, at);
                System.arraycopy(extra, 0, out, at, extra.length);
                System.arraycopy(s, at, out, at + extra.length, s.length - at);
                return out;
            }
            default -> { // a DER length or tag byte in the first part of the CMS structure
                final int at = sigOffset + 20 + r.nextInt(Math.min(64, s.length - sigOffset - 20));
                b.put(at, (byte) new int[] {0x00, 0x30, 0x31, 0x80, 0x81, 0x82, 0x84, 0xa0, 0xff}[r.nextInt(9)]);
            }
        }
        return b.array();
    }
}
