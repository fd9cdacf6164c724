package org.xsplice.sign;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Objects;

/**
 * The certificate a payload was signed with, as shown to an operator.
 *
 * @param subject the subject's distinguished name (RFC 4514)
 * @param issuer the issuer's distinguished name (RFC 4514)
 * @param serial the certificate's serial number
 * @param sha256Fingerprint SHA-256 of the certificate's DER encoding, lower-case hex without
 *        separators (what {@code openssl x509 -fingerprint -sha256} prints, in another spelling)
 * @param notBefore start of the validity period
 * @param notAfter end of the validity period
 */
public record SignerIdentity(String subject, String issuer, BigInteger serial, String sha256Fingerprint,
                             Instant notBefore, Instant notAfter) {
    public SignerIdentity {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(serial, "serial");
        Objects.requireNonNull(sha256Fingerprint, "sha256Fingerprint");
        Objects.requireNonNull(notBefore, "notBefore");
        Objects.requireNonNull(notAfter, "notAfter");
    }

    /** {@return the serial number in hex, as openssl prints it} */
    public String serialHex() {
        return serial.toString(16);
    }
}
