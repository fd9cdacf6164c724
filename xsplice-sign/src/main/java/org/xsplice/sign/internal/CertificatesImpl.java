package org.xsplice.sign.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.x500.X500Name;
import org.xsplice.sign.SignerIdentity;

/** Certificate facts used by signing, verification and display. */
public final class CertificatesImpl {
    private CertificatesImpl() {
    }

    /** {@return SHA-256 of the certificate's DER encoding, lower-case hex} */
    public static String fingerprint(final X509Certificate cert) {
        try {
            return fingerprint(cert.getEncoded());
        } catch (final CertificateEncodingException e) {
            // A certificate object built from parsed DER always re-encodes.
            throw new IllegalStateException("certificate cannot be encoded", e);
        }
    }

    /** {@return SHA-256 of {@code der}, lower-case hex} */
    public static String fingerprint(final byte[] der) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * {@return {@code name} as RFC 4514 text, or a placeholder if it does not decode}
     * Names from a signature are untrusted input: BouncyCastle decodes their strings lazily and
     * throws on invalid UTF-8.
     */
    public static String name(final X500Name name) {
        try {
            return name.toString();
        } catch (final RuntimeException e) {
            return "<undecodable name: " + e.getMessage() + ">";
        }
    }

    /** {@return how an operator sees {@code cert}} */
    public static SignerIdentity identity(final X509Certificate cert) {
        return new SignerIdentity(
                cert.getSubjectX500Principal().getName(X500Principal.RFC2253),
                cert.getIssuerX500Principal().getName(X500Principal.RFC2253),
                cert.getSerialNumber(),
                fingerprint(cert),
                cert.getNotBefore().toInstant(),
                cert.getNotAfter().toInstant());
    }
}
