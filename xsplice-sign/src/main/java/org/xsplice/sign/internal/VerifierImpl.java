package org.xsplice.sign.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.cert.X509CertificateHolder;
import org.xsplice.elf.ElfFormatException;
import org.xsplice.sign.Keyring;
import org.xsplice.sign.PayloadVerifier;
import org.xsplice.sign.Policy;
import org.xsplice.sign.Reason;
import org.xsplice.sign.SignatureInfo;
import org.xsplice.sign.SignerIdentity;
import org.xsplice.sign.SigningException;
import org.xsplice.sign.Verification;

/**
 * The verification pipeline. Stages, each ending the run with a verdict when it fails:
 * size bound, ELF and signature section located, build-id revocation, policy off, signature
 * present, note layout, CMS shape, certificate revocation, signer in keyring, algorithm
 * allowed, signature value, validity now and at signing time, key usage.
 */
public final class VerifierImpl {
    /** Extended key usage id-kp-codeSigning (RFC 5280 4.2.1.12). */
    static final String EKU_CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
    /** KeyUsage bit 0 (RFC 5280 4.2.1.3). */
    static final int KU_DIGITAL_SIGNATURE = 0;

    private VerifierImpl() {
    }

    /** A verdict reached before the last stage. */
    private static final class Verdict extends Exception {
        final transient Verification verification;

        Verdict(final Verification verification) {
            super(null, null, false, false);
            this.verification = verification;
        }
    }

    public static Verification verify(final byte[] bytes, final Keyring keyring, final Policy policy, final Instant now) {
        try {
            return run(bytes, keyring, policy, now);
        } catch (final Verdict v) {
            return v.verification;
        } catch (final RuntimeException e) {
            // Last line of defence for hostile input: a bug in a parser must refuse, not crash the caller.
            final StackTraceElement[] at = e.getStackTrace();
            return decide(policy, Reason.MALFORMED_SIGNATURE, "internal error while verifying ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + (at.length > 0 ? " at " + at[0] : "") + ")", Optional.empty());
        }
    }

    private static Verification run(final byte[] bytes, final Keyring keyring, final Policy policy, final Instant now)
            throws Verdict {
        if (bytes.length > PayloadVerifier.MAX_SIGNED_PAYLOAD) {
            throw fail(policy, Reason.MALFORMED_PAYLOAD, "payload of " + bytes.length + " bytes exceeds the "
                    + PayloadVerifier.MAX_SIGNED_PAYLOAD + " a signed payload may have", Optional.empty());
        }
        final LayoutImpl.Payload p;
        try {
            p = LayoutImpl.read(bytes);
        } catch (final ElfFormatException e) {
            throw fail(policy, Reason.MALFORMED_PAYLOAD, "cannot locate a signature: " + e.getMessage(), Optional.empty());
        } catch (final MalformedException e) {
            throw fail(policy, Reason.MALFORMED_SIGNATURE, e.getMessage(), Optional.empty());
        }
        final Optional<String> buildId = p.buildId();
        if (buildId.isPresent() && keyring.revocations().revokesBuildId(buildId.get())) {
            throw new Verdict(new Verification.Rejected(Reason.REVOKED,
                    "payload build-id " + buildId.get() + " is on the revocation list"));
        }
        if (Policy.OFF == policy) {
            revokedSignerUnderOff(p, keyring);
            return new Verification.Unsigned(Optional.empty(), "signature policy is off: signature not checked", buildId);
        }
        if (!p.signed()) {
            throw fail(policy, Reason.NO_SIGNATURE, p.signature().isPresent()
                    ? "payload is not signed (its " + LayoutImpl.SECTION + " section is empty)"
                    : "payload is not signed (it has no " + LayoutImpl.SECTION + " section)", buildId);
        }
        final CmsImpl.Parsed cms;
        try {
            cms = CmsImpl.parse(LayoutImpl.signatureDer(p));
        } catch (final MalformedException e) {
            throw fail(policy, Reason.MALFORMED_SIGNATURE, "malformed signature: " + e.getMessage(), buildId);
        }
        final byte[] embedded = cms.certificateDer();
        final String fingerprint = CertificatesImpl.fingerprint(embedded);
        if (keyring.revocations().revokesCertificate(fingerprint)) {
            throw new Verdict(new Verification.Rejected(Reason.REVOKED, "signing certificate " + CertificatesImpl.name(cms.certificate().getSubject())
                    + " (sha256 " + fingerprint + ") is on the revocation list"));
        }
        final X509Certificate trusted = findTrusted(keyring.trusted(), embedded, cms, fingerprint, policy, buildId);
        final SignerIdentity who = CertificatesImpl.identity(trusted);
        final X509CertificateHolder holder = holder(trusted);
        final AlgorithmImpl alg = AlgorithmImpl.forKey(holder.getSubjectPublicKeyInfo()).orElseThrow(() -> fail(policy,
                Reason.UNSUPPORTED_ALGORITHM, "signer " + who.subject() + ": "
                        + AlgorithmImpl.describeKey(holder.getSubjectPublicKeyInfo()), buildId));
        if (!alg.digest().equals(cms.digest().getAlgorithm()) || !absentOrNull(cms.digest().getParameters())
                || !alg.signatureAlgorithms().contains(cms.signatureAlgorithm().getAlgorithm())) {
            throw fail(policy, Reason.UNSUPPORTED_ALGORITHM, "signature uses digest " + cms.digest().getAlgorithm()
                    + " and algorithm " + cms.signatureAlgorithm().getAlgorithm() + "; signer " + who.subject()
                    + " must use " + alg.name(), buildId);
        }
        if (!CmsImpl.verify(cms, LayoutImpl.canonical(p), trusted.getPublicKey())) {
            throw fail(policy, Reason.BAD_SIGNATURE, "signature by " + who.subject() + " (" + alg.name()
                    + ") does not match the payload: the payload or its signature was changed after signing", buildId);
        }
        checkValidity(who, now, "now", policy, buildId);
        checkValidity(who, cms.signingTime(), "at its signing time", policy, buildId);
        checkKeyUsage(trusted, who, policy, buildId);
        return new Verification.Verified(who, alg.name(), cms.signingTime(), buildId);
    }

    private static void revokedSignerUnderOff(final LayoutImpl.Payload p, final Keyring keyring) throws Verdict {
        if (!p.signed() || keyring.revocations().certificates().isEmpty()) {
            return;
        }
        try {
            final CmsImpl.Parsed cms = CmsImpl.parse(LayoutImpl.signatureDer(p));
            final String fp = CertificatesImpl.fingerprint(cms.certificateDer());
            if (keyring.revocations().revokesCertificate(fp)) {
                throw new Verdict(new Verification.Rejected(Reason.REVOKED, "signing certificate "
                        + CertificatesImpl.name(cms.certificate().getSubject()) + " (sha256 " + fp + ") is on the revocation list"));
            }
        } catch (final MalformedException e) {
            // Policy off: an unreadable signature is not examined further.
        }
    }

    private static X509Certificate findTrusted(final List<X509Certificate> trusted, final byte[] embedded,
                                               final CmsImpl.Parsed cms, final String fingerprint,
                                               final Policy policy, final Optional<String> buildId) throws Verdict {
        for (final X509Certificate c : trusted) {
            if (Arrays.equals(encoded(c), embedded)) {
                return c;
            }
        }
        final String who = CertificatesImpl.name(cms.certificate().getSubject()) + " (issuer " + CertificatesImpl.name(cms.certificate().getIssuer()) + ", serial "
                + cms.certificate().getSerialNumber().toString(16) + ", sha256 " + fingerprint + ")";
        for (final X509Certificate c : trusted) {
            final X509CertificateHolder h = holder(c);
            if (h.getIssuer().toASN1Primitive().equals(cms.sid().getName().toASN1Primitive()) && h.getSerialNumber().equals(cms.sid().getSerialNumber().getValue())) {
                throw fail(policy, Reason.UNKNOWN_SIGNER, "certificate in the signature, " + who
                        + ", differs from the trusted certificate with the same issuer and serial", buildId);
            }
        }
        throw fail(policy, Reason.UNKNOWN_SIGNER, "signer " + who + " is not in the keyring ("
                + trusted.size() + " trusted certificates)", buildId);
    }

    private static void checkValidity(final SignerIdentity who, final Instant t, final String when, final Policy policy,
                                      final Optional<String> buildId) throws Verdict {
        if (t.isAfter(who.notAfter())) {
            throw fail(policy, Reason.CERTIFICATE_EXPIRED, "signing certificate " + who.subject() + " expired on "
                    + who.notAfter() + "; it is not valid " + when + " (" + t + ")", buildId);
        }
        if (t.isBefore(who.notBefore())) {
            throw fail(policy, Reason.CERTIFICATE_NOT_YET_VALID, "signing certificate " + who.subject() + " is valid from "
                    + who.notBefore() + "; it is not valid " + when + " (" + t + ")", buildId);
        }
    }

    private static void checkKeyUsage(final X509Certificate cert, final SignerIdentity who, final Policy policy,
                                      final Optional<String> buildId) throws Verdict {
        final boolean[] ku = cert.getKeyUsage();
        if (null != ku && (ku.length <= KU_DIGITAL_SIGNATURE || !ku[KU_DIGITAL_SIGNATURE])) {
            throw fail(policy, Reason.WRONG_KEY_USAGE, "signing certificate " + who.subject()
                    + " has a key usage extension without digitalSignature", buildId);
        }
        final List<String> eku;
        try {
            eku = cert.getExtendedKeyUsage();
        } catch (final CertificateParsingException e) {
            throw fail(policy, Reason.WRONG_KEY_USAGE, "signing certificate " + who.subject()
                    + " has an unreadable extended key usage: " + e.getMessage(), buildId);
        }
        if (null != eku && !eku.contains(EKU_CODE_SIGNING)) {
            throw fail(policy, Reason.WRONG_KEY_USAGE, "signing certificate " + who.subject()
                    + " has an extended key usage without codeSigning (" + String.join(", ", eku) + ")", buildId);
        }
    }

    private static Verdict fail(final Policy policy, final Reason reason, final String message,
                                final Optional<String> buildId) {
        return new Verdict(decide(policy, reason, message, buildId));
    }

    private static Verification decide(final Policy policy, final Reason reason, final String message,
                                       final Optional<String> buildId) {
        return switch (policy) {
            case REQUIRE -> new Verification.Rejected(reason, message);
            case WARN -> reason.fatalUnderWarn() ? new Verification.Rejected(reason, message)
                    : new Verification.Unsigned(Optional.of(reason), message, buildId);
            case OFF -> new Verification.Unsigned(Optional.empty(), "signature policy is off: " + message, buildId);
        };
    }

    private static boolean absentOrNull(final ASN1Encodable params) {
        return null == params || DERNull.INSTANCE.equals(params);
    }

    public static Optional<SignatureInfo> inspect(final byte[] bytes) {
        final LayoutImpl.Payload p = readForTools(bytes);
        if (!p.signed()) {
            return Optional.empty();
        }
        try {
            final CmsImpl.Parsed cms = CmsImpl.parse(LayoutImpl.signatureDer(p));
            final X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(cms.certificateDer()));
            final String alg = AlgorithmImpl.forKey(cms.certificate().getSubjectPublicKeyInfo())
                    .map(AlgorithmImpl::name).orElse("unsupported");
            return Optional.of(new SignatureInfo(CertificatesImpl.identity(cert), alg, cms.signingTime(), p.buildId(),
                    cms.contentInfo().getEncoded().length));
        } catch (final MalformedException | CertificateException | IOException e) {
            throw new SigningException("malformed signature: " + e.getMessage(), e);
        }
    }

    public static Optional<PayloadVerifier.Detached> detach(final byte[] bytes) {
        final LayoutImpl.Payload p = readForTools(bytes);
        if (!p.signed()) {
            return Optional.empty();
        }
        try {
            final byte[] der = LayoutImpl.signatureDer(p);
            return Optional.of(new PayloadVerifier.Detached(LayoutImpl.canonical(p).toByteArray(), der));
        } catch (final MalformedException e) {
            throw new SigningException("malformed signature: " + e.getMessage(), e);
        }
    }

    private static LayoutImpl.Payload readForTools(final byte[] bytes) {
        if (bytes.length > PayloadVerifier.MAX_SIGNED_PAYLOAD) {
            throw new SigningException("payload of " + bytes.length + " bytes exceeds " + PayloadVerifier.MAX_SIGNED_PAYLOAD);
        }
        try {
            return LayoutImpl.read(bytes);
        } catch (final ElfFormatException | MalformedException e) {
            throw new SigningException(e.getMessage(), e);
        }
    }

    private static byte[] encoded(final X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (final java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("a parsed certificate re-encodes", e);
        }
    }

    private static X509CertificateHolder holder(final X509Certificate c) {
        try {
            return new X509CertificateHolder(encoded(c));
        } catch (final IOException e) {
            throw new IllegalStateException("a parsed certificate re-parses", e);
        }
    }
}
