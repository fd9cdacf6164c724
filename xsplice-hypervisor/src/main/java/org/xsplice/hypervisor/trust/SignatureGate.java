package org.xsplice.hypervisor.trust;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;
import org.xsplice.sign.Keyring;
import org.xsplice.sign.PayloadVerifier;
import org.xsplice.sign.Policy;
import org.xsplice.sign.RevocationList;
import org.xsplice.sign.Verification;

/**
 * The first thing UPLOAD does with a payload's bytes: check its signature against the
 * keyring the hypervisor was started with, under its policy, before the loader reads a single
 * ELF field. See {@code docs/security.md}.
 *
 * @param keyring the trusted certificates and the revocation list
 * @param policy  {@code OFF}, {@code WARN} or {@code REQUIRE}
 */
public record SignatureGate(Keyring keyring, Policy policy) {

    public SignatureGate {
        Objects.requireNonNull(keyring, "keyring");
        Objects.requireNonNull(policy, "policy");
    }

    /** {@return a gate that lets every payload through, signed or not (revocations still apply)} */
    public static SignatureGate off() {
        return new SignatureGate(Keyring.empty(), Policy.OFF);
    }

    /**
     * {@return a gate over the certificates in {@code keyringDir} (none if absent) and the
     * revocation list in {@code revoked} (none if absent)}
     */
    public static SignatureGate load(final Optional<Path> keyringDir, final Optional<Path> revoked, final Policy policy) {
        final Keyring ring = keyringDir.map(Keyring::load).orElseGet(Keyring::empty);
        return new SignatureGate(revoked.map(r -> ring.withRevocations(RevocationList.load(r))).orElse(ring), policy);
    }

    /**
     * Checks a payload before it is loaded.
     *
     * @return the verification: {@link Verification.Verified}, or {@link Verification.Unsigned}
     *         when the policy lets an untrusted payload load (the caller must say so loudly)
     * @throws PayloadException with the verifier's errno ({@code EKEYREJECTED}, {@code ENOKEY},
     *                          {@code EKEYEXPIRED}, {@code EKEYREVOKED}, {@code EBADMSG}, ...)
     *                          and why, when the payload must not load
     */
    public Verification admit(final String name, final byte[] bytes) {
        final Verification v = PayloadVerifier.verify(bytes, keyring, policy);
        if (v instanceof Verification.Rejected r) {
            throw new PayloadException(Errno.of(r.errno()).orElse(Errno.EKEYREJECTED),
                    "payload '" + name + "' refused by the signature policy (" + policy.name().toLowerCase() + "): "
                            + r.message());
        }
        return v;
    }
}
