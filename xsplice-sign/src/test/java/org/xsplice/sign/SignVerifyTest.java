package org.xsplice.sign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.asn1.cms.SignerInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;

/** Signing and verifying real payloads with keys made by openssl, checked by openssl, readelf and ld. */
class SignVerifyTest {

    static Stream<Arguments> keys() {
        return Stream.of(Arguments.of(Fixtures.RSA, "RSA-3072/SHA-256"), Arguments.of(Fixtures.EC, "ECDSA-P256/SHA-256"),
                Arguments.of(Fixtures.ED25519, "Ed25519"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("keys")
    void signsAndVerifiesWithOpensslKeys(final Fixtures.Pki pki, final String algorithm) {
        final byte[] unsigned = Fixtures.read(Fixtures.PAYLOAD);
        final Instant when = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        final byte[] signed = pki.signer().sign(unsigned, when);

        final Verification v = PayloadVerifier.verify(signed, pki.keyring(), Policy.REQUIRE);
        final Verification.Verified ok = assertInstanceOf(Verification.Verified.class, v, v::describe);
        assertEquals(algorithm, ok.algorithm());
        assertEquals(when, ok.signingTime());
        assertEquals(pki.certificate().getSerialNumber(), ok.signer().serial());
        assertTrue(ok.signer().subject().contains("CN=xsplice test"), ok.signer().subject());
        assertEquals(readelfBuildId(Fixtures.PAYLOAD), ok.buildId().orElseThrow());

        final SignatureInfo shown = PayloadVerifier.inspect(signed).orElseThrow();
        assertEquals(algorithm, shown.algorithm());
        assertEquals(ok.signer(), shown.signer());
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("keys")
    void opensslVerifiesTheExtractedSignatureOverTheCanonicalBytes(final Fixtures.Pki pki, final String algorithm)
            throws Exception {
        final byte[] signed = pki.signer().sign(Fixtures.read(Fixtures.PAYLOAD));
        final PayloadVerifier.Detached d = PayloadVerifier.detach(signed).orElseThrow();
        final Path content = Fixtures.write(pki.name() + "-content.bin", d.content());
        final Path sig = Fixtures.write(pki.name() + "-sig.der", d.signature());
        final byte[] changed = d.content().clone();
        changed[changed.length / 2] ^= 1;
        final Path bad = Fixtures.write(pki.name() + "-content-bad.bin", changed);
        if (!"Ed25519".equals(algorithm)) {
            final Fixtures.Run good = opensslCmsVerify(sig, content, pki.cert());
            assertEquals(0, good.exit(), good::all);
            assertTrue(good.err().contains("Verification successful"), good::all);
            // The same check must fail once a byte of the canonical content changes.
            final Fixtures.Run refused = opensslCmsVerify(sig, bad, pki.cert());
            assertNotEquals(0, refused.exit(), refused::all);
            return;
        }
        // OpenSSL's CMS code cannot verify Ed25519 SignedData (openssl/openssl#11915, #32248:
        // it passes a digest to PureEdDSA). Check the RFC 8419 construction with its primitives:
        // messageDigest = SHA-512(content), and Ed25519 over the DER of the signed attributes.
        final SignerInfo si = SignerInfo.getInstance(SignedData.getInstance(
                ContentInfo.getInstance(d.signature()).getContent()).getSignerInfos().getObjectAt(0));
        final Path attrs = Fixtures.write("ed-attrs.der", si.getAuthenticatedAttributes().getEncoded(ASN1Encoding.DER));
        final Path value = Fixtures.write("ed-sig.bin", si.getEncryptedDigest().getOctets());
        final Path pub = Fixtures.write("ed-pub.pem", Fixtures.ok("openssl", "x509", "-pubkey", "-noout", "-in",
                pki.cert().toString()).out().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        final Fixtures.Run verified = Fixtures.ok("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub.toString(),
                "-rawin", "-in", attrs.toString(), "-sigfile", value.toString());
        assertTrue(verified.out().contains("Signature Verified Successfully"), verified::all);
        byte[] messageDigest = null;
        for (final var e : si.getAuthenticatedAttributes()) {
            final Attribute a = Attribute.getInstance(e);
            if (CMSAttributes.messageDigest.equals(a.getAttrType())) {
                messageDigest = ASN1OctetString.getInstance(a.getAttrValues().getObjectAt(0)).getOctets();
            }
        }
        final Path digest = Fixtures.DIR.resolve("ed-content.sha512");
        Fixtures.ok("openssl", "dgst", "-sha512", "-binary", "-out", digest.toString(), content.toString());
        assertArrayEquals(Fixtures.read(digest), messageDigest);
        Fixtures.ok("openssl", "dgst", "-sha512", "-binary", "-out", digest.toString(), bad.toString());
        assertFalse(java.util.Arrays.equals(Fixtures.read(digest), messageDigest));
    }

    private static Fixtures.Run opensslCmsVerify(final Path sig, final Path content, final Path ca) {
        return Fixtures.run(Fixtures.DIR, "openssl", "cms", "-verify", "-binary", "-inform", "DER",
                "-in", sig.toString(), "-content", content.toString(), "-CAfile", ca.toString(),
                "-purpose", "any", "-out", "/dev/null");
    }

    @Test
    void signedPayloadIsAValidObjectForReadelfAndLd() {
        final byte[] signed = Fixtures.RSA.signer().sign(Fixtures.read(Fixtures.PAYLOAD));
        final Path file = Fixtures.write("readelf-signed.o", signed);
        final Fixtures.Run readelf = Fixtures.ok("readelf", "-aW", file.toString());
        assertFalse(readelf.all().contains("Warning") || readelf.all().contains("Error"), readelf::all);
        assertTrue(readelf.out().contains("Displaying notes found in: .note.xsplice.sig"), readelf::out);
        assertTrue(readelf.out().contains("xsplice") && readelf.out().contains("Unknown note type: (0x58534947)"), readelf::out);

        final Path relinked = Fixtures.DIR.resolve("relinked.o");
        final Fixtures.Run ld = Fixtures.ok("ld", "-r", "-o", relinked.toString(), file.toString());
        assertEquals("", ld.all());
        final Fixtures.Run again = Fixtures.ok("readelf", "-aW", relinked.toString());
        assertFalse(again.all().contains("Warning") || again.all().contains("Error"), again::all);
    }

    @Test
    void payloadWithoutTheSectionIsRewrittenByTheElfWriterThenSigned() {
        final Path plain = Fixtures.PAYLOAD_WITHOUT_SECTION;
        final byte[] signed = Fixtures.ED25519.signer().sign(Fixtures.read(plain));
        final Verification v = PayloadVerifier.verify(signed, Fixtures.ED25519.keyring(), Policy.REQUIRE);
        final Verification.Verified ok = assertInstanceOf(Verification.Verified.class, v, v::describe);
        assertEquals(readelfBuildId(plain), ok.buildId().orElseThrow());
        final Path file = Fixtures.write("rewritten-signed.o", signed);
        final Fixtures.Run readelf = Fixtures.ok("readelf", "-aW", file.toString());
        assertFalse(readelf.all().contains("Warning") || readelf.all().contains("Error"), readelf::all);
        Fixtures.ok("ld", "-r", "-o", Fixtures.DIR.resolve("rewritten-relinked.o").toString(), file.toString());
        // The rewrite keeps the code, its symbols and its relocations.
        assertEquals(symbolsAndRelocations(plain), symbolsAndRelocations(file));
        // Signing the result again only replaces the tail: no second rewrite.
        final byte[] again = Fixtures.ED25519.signer().sign(signed);
        assertArrayEquals(PayloadVerifier.detach(signed).orElseThrow().content(), PayloadVerifier.detach(again).orElseThrow().content());
    }

    /** readelf's view of symbols (name, type, binding, section name) and relocations (type, symbol, addend), without indices. */
    private static List<String> symbolsAndRelocations(final Path file) {
        final ElfModel m = Elf.of().parse(Fixtures.read(file));
        final java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (final var s : m.symbols()) {
            if (!s.name().isEmpty()) {
                out.add(s.name() + " " + s.type() + " " + s.binding() + " " + s.section().map(ElfSection::name).orElse("-"));
            }
        }
        for (final var r : m.relocationSections()) {
            for (final var x : r.relocations()) {
                out.add(r.target().map(ElfSection::name).orElse("?") + "+" + x.offset() + " " + x.type() + " "
                        + x.symbol().map(ElfSymbol::name).orElse("-") + " " + x.addend());
            }
        }
        java.util.Collections.sort(out);
        return out;
    }

    @Test
    void resigningReplacesTheSignature() {
        final byte[] unsigned = Fixtures.read(Fixtures.PAYLOAD);
        final byte[] byRsa = Fixtures.RSA.signer().sign(unsigned);
        final byte[] byEd = Fixtures.ED25519.signer().sign(byRsa);
        final byte[] byEdAgain = Fixtures.ED25519.signer().sign(byEd);

        for (final byte[] s : List.of(byRsa, byEd, byEdAgain)) {
            final ElfModel m = Elf.of().parse(s);
            assertEquals(1, m.sections().stream().filter(x -> ".note.xsplice.sig".equals(x.name())).count());
        }
        assertInstanceOf(Verification.Verified.class, PayloadVerifier.verify(byEd, Fixtures.ED25519.keyring(), Policy.REQUIRE));
        final Verification old = PayloadVerifier.verify(byEd, Fixtures.RSA.keyring(), Policy.REQUIRE);
        assertEquals(Reason.UNKNOWN_SIGNER, assertInstanceOf(Verification.Rejected.class, old).reason());
        // Every signature covers the same canonical bytes; only the tail differs.
        final byte[] canonical = PayloadVerifier.detach(byRsa).orElseThrow().content();
        assertArrayEquals(canonical, PayloadVerifier.detach(byEd).orElseThrow().content());
        assertArrayEquals(canonical, PayloadVerifier.detach(byEdAgain).orElseThrow().content());
        assertEquals(byEd.length, byEdAgain.length);
    }

    @Test
    void canonicalBytesAreTheUnsignedPayloadWithTheSectionHeaderNormalised() {
        final byte[] unsigned = Fixtures.read(Fixtures.PAYLOAD);
        final byte[] signed = Fixtures.EC.signer().sign(unsigned);
        final byte[] canonical = PayloadVerifier.detach(signed).orElseThrow().content();
        final ElfModel before = Elf.of().parse(unsigned);
        final ElfModel after = Elf.of().parse(canonical);
        assertEquals(before.sections().size(), after.sections().size());
        for (final ElfSection s : before.sections()) {
            final ElfSection t = after.section(s.index());
            assertEquals(s.name(), t.name());
            if (!".note.xsplice.sig".equals(s.name())) {
                assertEquals(s.offset(), t.offset());
                assertArrayEquals(s.bytes(), t.bytes(), s.name());
            } else {
                assertEquals(0, t.offset());
                assertEquals(0, t.size());
                assertEquals(4, t.alignment());
            }
        }
        final ElfSection sig = Elf.of().parse(signed).section(".note.xsplice.sig").orElseThrow();
        assertEquals(canonical.length, sig.offset());
        assertEquals(signed.length, sig.offset() + sig.size());
    }

    @Test
    void signsAtTheGivenTimeAndShowsIt() {
        final Instant t = Instant.parse("2026-01-02T03:04:05Z");
        final Fixtures.Pki longLived = Fixtures.bcCertificate("long-lived", t.minus(Fixtures.DAY), t.plus(Fixtures.DAY.multipliedBy(3650)));
        final byte[] signed = longLived.signer().sign(Fixtures.read(Fixtures.PAYLOAD), t);
        assertEquals(t, PayloadVerifier.inspect(signed).orElseThrow().signingTime());
        assertTrue(PayloadVerifier.inspect(Fixtures.read(Fixtures.PAYLOAD)).isEmpty());
    }

    @Test
    void codeSigningCertificateWithKeyUsageVerifies() {
        final byte[] signed = Fixtures.CODE_SIGNING.signer().sign(Fixtures.read(Fixtures.PAYLOAD));
        final Verification v = PayloadVerifier.verify(signed, Fixtures.CODE_SIGNING.keyring(), Policy.REQUIRE);
        assertInstanceOf(Verification.Verified.class, v, v::describe);
    }

    @Test
    void keyringDirectoryTrustsEveryCertificateInIt() throws Exception {
        final Path dir = java.nio.file.Files.createDirectories(Fixtures.DIR.resolve("keyring"));
        java.nio.file.Files.copy(Fixtures.EC.cert(), dir.resolve("ec.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        java.nio.file.Files.copy(Fixtures.ED25519.cert(), dir.resolve("ed.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        java.nio.file.Files.writeString(dir.resolve("README"), "not a certificate, not read");
        final Keyring ring = Keyring.load(dir);
        assertEquals(2, ring.trusted().size());
        final byte[] payload = Fixtures.read(Fixtures.PAYLOAD);
        assertInstanceOf(Verification.Verified.class, PayloadVerifier.verify(Fixtures.EC.signer().sign(payload), ring, Policy.REQUIRE));
        assertInstanceOf(Verification.Verified.class, PayloadVerifier.verify(Fixtures.ED25519.signer().sign(payload), ring, Policy.REQUIRE));
    }

    static String readelfBuildId(final Path file) {
        // Not ok(): readelf -n exits 1 on an empty note section (the unsigned placeholder).
        final Matcher m = Pattern.compile("Build ID: ([0-9a-f]+)").matcher(Fixtures.run(Fixtures.DIR, "readelf", "-n",
                file.toString()).out());
        assertTrue(m.find());
        HexFormat.of().parseHex(m.group(1));
        return m.group(1);
    }
}
