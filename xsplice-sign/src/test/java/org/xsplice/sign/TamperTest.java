package org.xsplice.sign;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * No single changed byte anywhere in a signed payload verifies: every position of one signed
 * file (exhaustively), and a few hundred random positions and values for the other key types.
 */
class TamperTest {
    private static final byte[] UNSIGNED = Fixtures.read(Fixtures.PAYLOAD);

    @Test
    void everyByteOfAnRsaSignedPayloadIsCovered() {
        final byte[] signed = Fixtures.RSA.signer().sign(UNSIGNED);
        final List<Integer> all = new ArrayList<>();
        for (int i = 0; i < signed.length; i++) {
            all.add(i);
        }
        final int checked = tamper(signed, Fixtures.RSA.keyring(), all, new Random(1));
        assertTrue(checked == signed.length && checked > 2000, "checked " + checked);
    }

    @Test
    void randomBytesOfEcAndEd25519SignedPayloadsAreCovered() {
        for (final Fixtures.Pki pki : List.of(Fixtures.EC, Fixtures.ED25519)) {
            final byte[] signed = pki.signer().sign(UNSIGNED);
            final Random r = new Random(pki.name().hashCode());
            final List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                positions.add(r.nextInt(signed.length));
            }
            tamper(signed, pki.keyring(), positions, r);
        }
    }

    /** Changes each position by a random non-zero XOR; returns how many were checked. */
    private static int tamper(final byte[] signed, final Keyring ring, final List<Integer> positions, final Random r) {
        assertInstanceOf(Verification.Verified.class, PayloadVerifier.verify(signed, ring, Policy.REQUIRE));
        int n = 0;
        for (final int pos : positions) {
            final byte[] t = signed.clone();
            t[pos] ^= (byte) (1 + r.nextInt(255));
            final Verification v = PayloadVerifier.verify(t, ring, Policy.REQUIRE);
            final int at = pos;
            assertInstanceOf(Verification.Rejected.class, v, () -> "byte " + at + " changed and still " + v.describe());
            assertFalse(v.describe().contains("internal error"), v::describe);
            // Under warn a changed byte may at most load as unsigned (e.g. a cleared sh_size), never as signed.
            assertFalse(PayloadVerifier.verify(t, ring, Policy.WARN) instanceof Verification.Verified);
            n++;
        }
        return n;
    }
}
