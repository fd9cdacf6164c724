package org.xsplice.sign.internal;

import java.math.BigInteger;
import java.util.Optional;
import java.util.Set;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * The signature algorithms xsplice accepts, chosen by the signing certificate's key: each key
 * type has exactly one digest and one set of signature-algorithm identifiers, so nothing in
 * the CMS structure can pick a weaker combination.
 *
 * @param name shown to operators, e.g. {@code "RSA-3072/SHA-256"}
 * @param jcaSignatureName the JCA signature algorithm the signer uses
 * @param digest the CMS digest algorithm (RFC 5652 5.3 digestAlgorithm)
 * @param signatureAlgorithms the accepted CMS signatureAlgorithm identifiers
 */
public record AlgorithmImpl(String name, String jcaSignatureName, ASN1ObjectIdentifier digest,
                            Set<ASN1ObjectIdentifier> signatureAlgorithms) {

    /** Smallest RSA modulus accepted, in bits (NIST SP 800-57: 2048 is the floor until 2030). */
    public static final int MIN_RSA_BITS = 2048;
    /** Largest RSA modulus accepted: bounds the verifier's work on hostile certificates. */
    public static final int MAX_RSA_BITS = 16384;

    /**
     * {@return the algorithm for a certificate's key, or empty if the key is not RSA
     * (2048..16384 bits), EC P-256 or Ed25519}
     */
    public static Optional<AlgorithmImpl> forKey(final SubjectPublicKeyInfo spki) {
        final ASN1ObjectIdentifier kind = spki.getAlgorithm().getAlgorithm();
        if (PKCSObjectIdentifiers.rsaEncryption.equals(kind)) {
            final int bits;
            try {
                final BigInteger n = RSAPublicKey.getInstance(spki.parsePublicKey()).getModulus();
                bits = n.bitLength();
            } catch (final java.io.IOException | RuntimeException e) {
                return Optional.empty();
            }
            if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
                return Optional.empty();
            }
            // BouncyCastle writes rsaEncryption, openssl sha256WithRSAEncryption (RFC 5754 3.2 allows both).
            return Optional.of(new AlgorithmImpl("RSA-" + bits + "/SHA-256", "SHA256withRSA",
                    NISTObjectIdentifiers.id_sha256,
                    Set.of(PKCSObjectIdentifiers.rsaEncryption, PKCSObjectIdentifiers.sha256WithRSAEncryption)));
        }
        if (X9ObjectIdentifiers.id_ecPublicKey.equals(kind)
                && SECObjectIdentifiers.secp256r1.equals(spki.getAlgorithm().getParameters())) {
            return Optional.of(new AlgorithmImpl("ECDSA-P256/SHA-256", "SHA256withECDSA",
                    NISTObjectIdentifiers.id_sha256, Set.of(X9ObjectIdentifiers.ecdsa_with_SHA256)));
        }
        if (EdECObjectIdentifiers.id_Ed25519.equals(kind)) {
            // RFC 8419 3.1: with signed attributes, Ed25519 in CMS digests with SHA-512.
            return Optional.of(new AlgorithmImpl("Ed25519", "Ed25519",
                    NISTObjectIdentifiers.id_sha512, Set.of(EdECObjectIdentifiers.id_Ed25519)));
        }
        return Optional.empty();
    }

    /** {@return a short description of a key this class does not accept} */
    public static String describeKey(final SubjectPublicKeyInfo spki) {
        final ASN1ObjectIdentifier kind = spki.getAlgorithm().getAlgorithm();
        final String params = null == spki.getAlgorithm().getParameters() ? "" : " " + spki.getAlgorithm().getParameters();
        return "key " + kind.getId() + params + " (accepted: RSA " + MIN_RSA_BITS + ".." + MAX_RSA_BITS
                + " bits, EC P-256, Ed25519)";
    }
}
