package org.xsplice.sign.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.Set;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.asn1.cms.SignerInfo;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.CMSTypedData;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * The CMS SignedData (RFC 5652) inside the signature note: one shape only.
 *
 * <pre>
 * ContentInfo { signedData, SignedData {
 *   version 1, digestAlgorithms { D }, encapContentInfo { id-data, no content },
 *   certificates { signer's certificate }, no crls,
 *   signerInfos { SignerInfo { version 1, issuerAndSerialNumber, D,
 *     signedAttrs { contentType id-data, signingTime, messageDigest [, cmsAlgorithmProtect] },
 *     signatureAlgorithm, signature, no unsignedAttrs } } } }
 * </pre>
 * DER only: the parser re-encodes what it read and refuses anything that differs, so a
 * changed byte cannot hide in an alternative encoding or an unsigned field.
 *
 * <p>The cryptography runs on the JDK's providers (SHA-256/512 are intrinsified there,
 * which keeps a 2 MiB payload's digest in a few milliseconds); BouncyCastle does ASN.1 and CMS.
 */
public final class CmsImpl {
    /** Largest signature accepted: a 16384-bit RSA certificate and signature fit many times over. */
    public static final int MAX_DER_BYTES = 64 * 1024;

    private static final Set<ASN1ObjectIdentifier> REQUIRED_ATTRIBUTES =
            Set.of(CMSAttributes.contentType, CMSAttributes.signingTime, CMSAttributes.messageDigest);

    private CmsImpl() {
    }

    /** The bytes a signature covers, written without copying them (see {@link LayoutImpl}). */
    public interface Content {
        /** Writes the covered bytes in order. */
        void writeTo(OutputStream out) throws IOException;
    }

    /** A signature note's CMS content that passed the shape checks; not yet verified. */
    public record Parsed(ContentInfo contentInfo, X509CertificateHolder certificate,
                         IssuerAndSerialNumber sid, AlgorithmIdentifier digest,
                         AlgorithmIdentifier signatureAlgorithm, Instant signingTime) {
        /** {@return the embedded certificate's DER} */
        public byte[] certificateDer() {
            try {
                return certificate.getEncoded();
            } catch (final IOException e) {
                throw new IllegalStateException("a parsed certificate re-encodes", e);
            }
        }
    }

    /**
     * {@return the DER of a detached SignedData over {@code content}}
     *
     * @throws IllegalStateException if the JDK or BouncyCastle lacks the algorithm (a build problem)
     */
    public static byte[] sign(final Content content, final PrivateKey key, final X509Certificate cert,
                              final AlgorithmImpl alg, final Instant signingTime)
            throws OperatorCreationException, CertificateEncodingException, CMSException, IOException {
        final AttributeTable attrs = new AttributeTable(new Attribute(CMSAttributes.signingTime,
                new DERSet(new Time(Date.from(signingTime)))));
        final CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(attrs))
                .build(new JcaContentSignerBuilder(alg.jcaSignatureName()).build(key), cert));
        gen.addCertificate(new X509CertificateHolder(cert.getEncoded()));
        final CMSSignedData sd = gen.generate(typed(content), false);
        return sd.getEncoded(ASN1Encoding.DER);
    }

    /**
     * {@return {@code der} parsed and checked against the one accepted shape}
     *
     * @throws MalformedException naming the first field that is not as xsplice writes it
     */
    public static Parsed parse(final byte[] der) throws MalformedException {
        if (der.length > MAX_DER_BYTES) {
            throw new MalformedException("CMS signature of " + der.length + " bytes exceeds " + MAX_DER_BYTES);
        }
        try {
            final ContentInfo ci = ContentInfo.getInstance(ASN1Primitive.fromByteArray(der));
            if (!Arrays.equals(ci.getEncoded(ASN1Encoding.DER), der)) {
                throw new MalformedException("CMS signature is not in DER (distinguished) encoding");
            }
            if (!CMSObjectIdentifiers.signedData.equals(ci.getContentType())) {
                throw new MalformedException("CMS content type is " + ci.getContentType() + ", not signedData");
            }
            final SignedData sd = SignedData.getInstance(ci.getContent());
            expect(1 == sd.getVersion().intValueExact(), "SignedData version is " + sd.getVersion() + ", not 1");
            expect(null != sd.getDigestAlgorithms() && 1 == sd.getDigestAlgorithms().size(),
                    "SignedData must list exactly one digest algorithm");
            expect(CMSObjectIdentifiers.data.equals(sd.getEncapContentInfo().getContentType()),
                    "encapsulated content type is not id-data");
            expect(null == sd.getEncapContentInfo().getContent(), "signature is not detached (it carries content)");
            expect(null != sd.getCertificates() && 1 == sd.getCertificates().size(),
                    "SignedData must carry exactly the signer's certificate");
            expect(null == sd.getCRLs(), "SignedData carries CRLs");
            expect(1 == sd.getSignerInfos().size(), "SignedData must have exactly one SignerInfo");
            final Certificate cert = Certificate.getInstance(sd.getCertificates().getObjectAt(0));
            final SignerInfo si = SignerInfo.getInstance(sd.getSignerInfos().getObjectAt(0));
            expect(1 == si.getVersion().intValueExact(), "SignerInfo version is " + si.getVersion() + ", not 1");
            expect(!si.getSID().isTagged(), "SignerInfo identifies its signer by key identifier, not issuer and serial");
            final IssuerAndSerialNumber sid = IssuerAndSerialNumber.getInstance(si.getSID().getId());
            expect(sid.getName().toASN1Primitive().equals(cert.getIssuer().toASN1Primitive()) && sid.getSerialNumber().equals(cert.getSerialNumber()),
                    "SignerInfo names a signer other than the embedded certificate");
            expect(si.getDigestAlgorithm().equals(AlgorithmIdentifier.getInstance(sd.getDigestAlgorithms().getObjectAt(0))),
                    "SignerInfo digest algorithm differs from SignedData's");
            expect(null == si.getUnauthenticatedAttributes(), "SignerInfo has unsigned attributes");
            final Instant when = checkSignedAttributes(si.getAuthenticatedAttributes());
            return new Parsed(ci, new X509CertificateHolder(cert), sid, si.getDigestAlgorithm(),
                    si.getDigestEncryptionAlgorithm(), when);
        } catch (final IOException | RuntimeException e) {
            // BouncyCastle reports hostile ASN.1 with IOException, IllegalArgumentException,
            // IllegalStateException (ASN1ParsingException) or ClassCastException.
            throw new MalformedException("CMS signature does not parse: " + e.getClass().getSimpleName()
                    + ": " + e.getMessage(), e);
        }
    }

    private static Instant checkSignedAttributes(final ASN1Set attrs) throws MalformedException {
        expect(null != attrs, "SignerInfo has no signed attributes");
        final Set<ASN1ObjectIdentifier> seen = new HashSet<>();
        Instant when = null;
        for (final ASN1Encodable e : attrs) {
            final Attribute a = Attribute.getInstance(e);
            final ASN1ObjectIdentifier type = a.getAttrType();
            expect(seen.add(type), "signed attribute " + type + " appears twice");
            expect(REQUIRED_ATTRIBUTES.contains(type) || CMSAttributes.cmsAlgorithmProtect.equals(type),
                    "unexpected signed attribute " + type);
            expect(1 == a.getAttrValues().size(), "signed attribute " + type + " has " + a.getAttrValues().size() + " values");
            if (CMSAttributes.contentType.equals(type)) {
                expect(CMSObjectIdentifiers.data.equals(a.getAttrValues().getObjectAt(0)), "content-type attribute is not id-data");
            } else if (CMSAttributes.signingTime.equals(type)) {
                when = Time.getInstance(a.getAttrValues().getObjectAt(0)).getDate().toInstant();
            }
        }
        expect(seen.containsAll(REQUIRED_ATTRIBUTES), "signed attributes must include content-type, signing-time and message-digest");
        return when;
    }

    /**
     * {@return whether the signature in {@code parsed} is valid over {@code content} for {@code key}}
     * False covers every mismatch: digest, content type, algorithm protection, signature value.
     */
    public static boolean verify(final Parsed parsed, final Content content, final java.security.PublicKey key) {
        try {
            final CMSSignedData sd = new CMSSignedData(typed(content), parsed.contentInfo());
            final SignerInformation si = sd.getSignerInfos().getSigners().iterator().next();
            // Built from the bare key, not the certificate: validity is checked by the verifier
            // itself, against both the signing time and now, with its own messages.
            return si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(key));
        } catch (final CMSException | OperatorCreationException | RuntimeException e) {
            return false;
        }
    }

    private static CMSTypedData typed(final Content content) {
        return new CMSTypedData() {
            @Override
            public ASN1ObjectIdentifier getContentType() {
                return CMSObjectIdentifiers.data;
            }

            @Override
            public void write(final OutputStream out) throws IOException {
                content.writeTo(out);
            }

            @Override
            public Object getContent() {
                return content;
            }
        };
    }

    private static void expect(final boolean ok, final String what) throws MalformedException {
        if (!ok) {
            throw new MalformedException(what);
        }
    }
}
