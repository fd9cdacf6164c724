package org.xsplice.sign;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

import org.xsplice.sign.internal.VerifierImpl;

/**
 * Checks a payload's signature on its raw bytes, before anything else reads them.
 *
 * {@snippet :
 * switch (PayloadVerifier.verify(bytes, keyring, policy)) {
 *     case Verification.Verified v -> log.info(name + ": " + v.describe());
 *     case Verification.Unsigned u -> log.warn(name + ": loading UNSIGNED: " + u.message());
 *     case Verification.Rejected r -> { return -r.errno(); } // r.message() says why
 * }
 * }
 * Verification never throws for any input: malformed, truncated or hostile bytes give
 * {@link Verification.Rejected} (or {@link Verification.Unsigned} where the policy allows).
 * The work is bounded: at most {@link #MAX_SIGNED_PAYLOAD} bytes are looked at, the CMS
 * structure is at most 64 KiB, and one digest runs over the payload. Verification keeps no
 * state: concurrent calls are safe.
 */
public final class PayloadVerifier {
    /** Largest payload without its signature: the loader's limit (Xen's 2 MiB). */
    public static final int MAX_PAYLOAD = 2 * 1024 * 1024;
    /** Largest signed payload the verifier reads: a payload, a note header and a 64 KiB CMS structure. */
    public static final int MAX_SIGNED_PAYLOAD = MAX_PAYLOAD + 20 + 64 * 1024;

    private PayloadVerifier() {
    }

    /** {@return the verdict on {@code payload} now; see {@link #verify(byte[], Keyring, Policy, Instant)}} */
    public static Verification verify(final byte[] payload, final Keyring keyring, final Policy policy) {
        return verify(payload, keyring, policy, Instant.now());
    }

    /**
     * {@return the verdict on {@code payload} under {@code policy}, with {@code now} as the
     * current time for certificate validity}
     */
    public static Verification verify(final byte[] payload, final Keyring keyring, final Policy policy,
                                      final Instant now) {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(keyring, "keyring");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(now, "now");
        return VerifierImpl.verify(payload, keyring, policy, now);
    }

    /**
     * {@return what the payload's signature claims, without checking trust or the signature
     * value; empty if the payload is unsigned}
     *
     * @throws SigningException if the payload or its signature note is malformed
     */
    public static Optional<SignatureInfo> inspect(final byte[] payload) {
        return VerifierImpl.inspect(Objects.requireNonNull(payload, "payload"));
    }

    /**
     * The two inputs of an independent check:
     * {@code openssl cms -verify -binary -inform DER -in signature -content content -CAfile cert.pem}.
     *
     * @param content the canonical bytes the signature covers
     * @param signature the CMS SignedData, DER
     */
    public record Detached(byte[] content, byte[] signature) {
    }

    /**
     * {@return the canonical bytes and the CMS structure of a signed payload; empty if unsigned}
     *
     * @throws SigningException if the payload or its signature note is malformed
     */
    public static Optional<Detached> detach(final byte[] payload) {
        return VerifierImpl.detach(Objects.requireNonNull(payload, "payload"));
    }
}
