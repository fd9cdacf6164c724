package org.xsplice.sign;

/**
 * What a hypervisor (or the toolstack acting for it) does with a payload's signature.
 * The policy is chosen when the hypervisor starts, together with its {@link Keyring}.
 * Whatever the policy, a payload whose build-id or signing certificate is on the keyring's
 * {@link RevocationList} is refused: revocation means "never load this".
 */
public enum Policy {
    /**
     * Signatures are not checked; only the revocation list is applied. Payloads load
     * as unsigned. This is Xen's behaviour (it never checks) and the default when the
     * hypervisor is started without a keyring.
     */
    OFF,
    /**
     * A missing or untrusted signature (no signature, unknown signer, expired or
     * not-yet-valid certificate, wrong key usage, unsupported algorithm) is logged loudly
     * and the payload loads marked unsigned. Evidence of tampering (a bad or malformed
     * signature) and revocation are still refused: a payload that was signed and then
     * changed is never loaded, as Linux does for modules even without enforcement. Bytes that are not a
     * well-formed ELF object are refused too (the loader would refuse them anyway).
     */
    WARN,
    /** Only payloads with a valid signature from a trusted, unrevoked certificate load. */
    REQUIRE
}
