package org.xsplice.sign;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.xsplice.elf.ElfFormatException;
import org.xsplice.elf.ElfWriteException;
import org.xsplice.elf.ObjectType;
import org.xsplice.elf.SectionFlag;
import org.xsplice.sign.internal.AlgorithmImpl;
import org.xsplice.sign.internal.CertificatesImpl;
import org.xsplice.sign.internal.CmsImpl;
import org.xsplice.sign.internal.LayoutImpl;
import org.xsplice.sign.internal.MalformedException;

/**
 * Signs payloads with one private key and its X.509 certificate (RSA of 2048 bits or more,
 * EC P-256 or Ed25519, as {@code openssl req -x509 -newkey ...} makes them).
 *
 * {@snippet :
 * PayloadSigner signer = PayloadSigner.fromPem(Path.of("key.pem"), Path.of("cert.pem"));
 * byte[] signed = signer.sign(Files.readAllBytes(Path.of("fix.livepatch")));
 * }
 * Signing a signed payload replaces its signature: the payload keeps exactly one.
 * A signer is immutable and may be shared between threads.
 */
public final class PayloadSigner {
    private final PrivateKey key;
    private final X509Certificate cert;
    private final AlgorithmImpl algorithm;

    private PayloadSigner(final PrivateKey key, final X509Certificate cert, final AlgorithmImpl algorithm) {
        this.key = key;
        this.cert = cert;
        this.algorithm = algorithm;
    }

    /**
     * {@return a signer for {@code key} and {@code cert}}
     *
     * @throws SigningException if the key type is not accepted or the key does not belong to the certificate
     */
    public static PayloadSigner of(final PrivateKey key, final X509Certificate cert) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(cert, "cert");
        final SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(cert.getPublicKey().getEncoded());
        final AlgorithmImpl alg = AlgorithmImpl.forKey(spki).orElseThrow(() -> new SigningException(
                "certificate " + CertificatesImpl.identity(cert).subject() + ": " + AlgorithmImpl.describeKey(spki)));
        try {
            // A key that is not the certificate's would produce payloads nobody can verify: say so now.
            final byte[] probe = "xsplice key check".getBytes(StandardCharsets.US_ASCII);
            final Signature s = Signature.getInstance(alg.jcaSignatureName());
            s.initSign(key);
            s.update(probe);
            final byte[] sig = s.sign();
            s.initVerify(cert.getPublicKey());
            s.update(probe);
            if (!s.verify(sig)) {
                throw new SigningException("private key does not belong to certificate "
                        + CertificatesImpl.identity(cert).subject());
            }
        } catch (final GeneralSecurityException e) {
            throw new SigningException("private key (" + key.getAlgorithm() + ") cannot sign for certificate "
                    + CertificatesImpl.identity(cert).subject() + " (" + alg.name() + "): " + e.getMessage(), e);
        }
        return new PayloadSigner(key, cert, alg);
    }

    /**
     * {@return a signer for a PEM private key (unencrypted PKCS#8, or traditional RSA/EC) and
     * the first certificate in a PEM file}
     *
     * @throws SigningException naming the file that cannot be read or used
     */
    public static PayloadSigner fromPem(final Path keyFile, final Path certFile) {
        final List<X509Certificate> certs = Keyring.readCertificates(certFile);
        return of(readPrivateKey(keyFile), certs.getFirst());
    }

    /** {@return the signing certificate} */
    public SignerIdentity identity() {
        return CertificatesImpl.identity(cert);
    }

    /** {@return the algorithm name, e.g. {@code "Ed25519"}} */
    public String algorithm() {
        return algorithm.name();
    }

    /** {@return {@code payload} signed now; see {@link #sign(byte[], Instant)}} */
    public byte[] sign(final byte[] payload) {
        return sign(payload, Instant.now());
    }

    /**
     * {@return {@code payload} with a signature made at {@code signingTime}}
     * A payload with an empty {@code .note.xsplice.sig} section (the build's placeholder, see
     * {@code docs/payload-format.md}) keeps its bytes and gains the signature at its end; one
     * holding an earlier signature has it replaced; one without the section is first rewritten
     * by the ELF toolkit's writer with the empty section added.
     *
     * @throws SigningException if the payload is not an ELF relocatable object, has several
     *         signature sections, or an earlier signature whose layout is broken
     */
    public byte[] sign(final byte[] payload, final Instant signingTime) {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(signingTime, "signingTime");
        LayoutImpl.Payload p;
        try {
            p = LayoutImpl.read(payload);
            if (p.signature().isEmpty()) {
                if (ObjectType.Known.ET_REL != p.model().type()) {
                    throw new SigningException("cannot sign: payload is " + p.model().type().name() + ", not ET_REL, and has no "
                            + LayoutImpl.SECTION + " section to hold the signature");
                }
                // One rewrite by the toolkit's writer; from then on signing only patches and appends.
                p = LayoutImpl.read(LayoutImpl.withEmptySection(p.model()));
            }
        } catch (final ElfFormatException | ElfWriteException | MalformedException e) {
            throw new SigningException("cannot sign: " + e.getMessage(), e);
        }
        final byte[] canonical;
        if (p.signed()) {
            try {
                LayoutImpl.signatureDer(p);
            } catch (final MalformedException e) {
                throw new SigningException("cannot re-sign: the existing signature is malformed: " + e.getMessage(), e);
            }
            canonical = LayoutImpl.canonical(p).toByteArray();
        } else {
            if (p.signature().get().has(SectionFlag.SHF_ALLOC)) {
                throw new SigningException("cannot sign: " + LayoutImpl.SECTION + " is SHF_ALLOC; the signature must not be loaded");
            }
            canonical = LayoutImpl.canonicalOfUnsigned(p);
        }
        if (canonical.length + (long) CmsImpl.MAX_DER_BYTES > PayloadVerifier.MAX_SIGNED_PAYLOAD) {
            throw new SigningException("cannot sign: payload of " + canonical.length + " bytes exceeds "
                    + PayloadVerifier.MAX_PAYLOAD + " bytes");
        }
        final byte[] der;
        try {
            der = CmsImpl.sign(out -> out.write(canonical), key, cert, algorithm, signingTime);
        } catch (final OperatorCreationException | CMSException | IOException | GeneralSecurityException e) {
            throw new SigningException("signing failed (" + algorithm.name() + "): " + e.getMessage(), e);
        }
        if (der.length > CmsImpl.MAX_DER_BYTES) {
            throw new SigningException("signature of " + der.length + " bytes exceeds " + CmsImpl.MAX_DER_BYTES);
        }
        return LayoutImpl.seal(canonical, p.headerOffset(), der);
    }

    /**
     * {@return the private key in a PEM file}
     *
     * @throws SigningException if the file cannot be read, is encrypted, or holds no private key
     */
    public static PrivateKey readPrivateKey(final Path file) {
        try {
            if (Files.size(file) > Keyring.MAX_CERT_FILE_BYTES) {
                throw new SigningException(file + ": too large for a private key");
            }
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
                final JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
                for (Object o = pem.readObject(); null != o; o = pem.readObject()) {
                    switch (o) {
                        case PrivateKeyInfo info -> {
                            return conv.getPrivateKey(info);
                        }
                        case PEMKeyPair pair -> {
                            return conv.getKeyPair(pair).getPrivate();
                        }
                        case PKCS8EncryptedPrivateKeyInfo _ -> throw new SigningException(file
                                + ": private key is encrypted; decrypt it first (openssl pkey -in KEY -out PLAIN.pem)");
                        default -> {
                            // EC PARAMETERS and other blocks before the key: skip.
                        }
                    }
                }
            }
            throw new SigningException(file + ": no private key in PEM file");
        } catch (final IOException | RuntimeException e) {
            if (e instanceof SigningException se) {
                throw se;
            }
            throw new SigningException(file + ": cannot read private key: " + e.getMessage(), e);
        }
    }
}
