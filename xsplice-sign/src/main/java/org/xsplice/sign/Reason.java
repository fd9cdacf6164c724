package org.xsplice.sign;

/**
 * Why a payload's signature was not accepted, with the errno the hypervisor returns for it
 * (Linux numbering, the key-management family where one fits: {@code ENOKEY},
 * {@code EKEYEXPIRED}, {@code EKEYREVOKED}, {@code EKEYREJECTED}).
 */
public enum Reason {
    /** The payload carries no signature (no {@code .note.xsplice.sig}, or an empty one). */
    NO_SIGNATURE("EKEYREJECTED", 129, false),
    /** The signing certificate is not in the keyring. */
    UNKNOWN_SIGNER("ENOKEY", 126, false),
    /** The signature does not match the payload's bytes: the payload or the signature was changed. */
    BAD_SIGNATURE("EKEYREJECTED", 129, true),
    /** The signing certificate's notAfter is before now or before the signing time. */
    CERTIFICATE_EXPIRED("EKEYEXPIRED", 127, false),
    /** The signing certificate's notBefore is after now or after the signing time. */
    CERTIFICATE_NOT_YET_VALID("EKEYEXPIRED", 127, false),
    /** The certificate forbids code signing: no digitalSignature key usage, or an extended key usage without codeSigning. */
    WRONG_KEY_USAGE("EKEYREJECTED", 129, false),
    /** The signature uses an algorithm outside the allowed set (RSA >= 2048 + SHA-256, ECDSA P-256 + SHA-256, Ed25519). */
    UNSUPPORTED_ALGORITHM("ENOPKG", 65, false),
    /** The signature note or the CMS structure in it is truncated, malformed or not in the one shape xsplice-sign writes. */
    MALFORMED_SIGNATURE("EBADMSG", 74, true),
    /**
     * The payload is not an ELF object the signature can be located in (e.g. a file cut short:
     * its last section, the signature, then points past the end). The message carries the ELF
     * toolkit's diagnosis, the same the loader would give.
     */
    MALFORMED_PAYLOAD("EINVAL", 22, true),
    /** The payload's build-id or its signing certificate is on the revocation list. */
    REVOKED("EKEYREVOKED", 128, true);

    private final String errnoName;
    private final int errno;
    private final boolean fatalUnderWarn;

    Reason(final String errnoName, final int errno, final boolean fatalUnderWarn) {
        this.errnoName = errnoName;
        this.errno = errno;
        this.fatalUnderWarn = fatalUnderWarn;
    }

    /** {@return the errno's symbolic name, e.g. {@code "EKEYREJECTED"}} */
    public String errnoName() {
        return errnoName;
    }

    /** {@return the errno's value on Linux x86-64, e.g. 129 for EKEYREJECTED} */
    public int errno() {
        return errno;
    }

    /**
     * {@return whether {@link Policy#WARN} still refuses the payload for this reason}
     * True for evidence of tampering, for bytes that are not a well-formed object, and for
     * revocation; false for a mere lack of trust.
     */
    public boolean fatalUnderWarn() {
        return fatalUnderWarn;
    }
}
