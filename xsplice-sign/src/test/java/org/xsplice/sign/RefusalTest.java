package org.xsplice.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;

/** Every refusal, with its errno and message, under each policy. */
class RefusalTest {
    private static final byte[] UNSIGNED = Fixtures.read(Fixtures.PAYLOAD);
    private static final byte[] SIGNED = Fixtures.RSA.signer().sign(UNSIGNED);
    private static final Keyring RSA = Fixtures.RSA.keyring();

    static Verification.Rejected rejected(final Verification v, final Reason reason, final String errno,
                                          final int value, final String... words) {
        final Verification.Rejected r = assertInstanceOf(Verification.Rejected.class, v, v::describe);
        assertEquals(reason, r.reason(), r::describe);
        assertEquals(errno, r.errnoName());
        assertEquals(value, r.errno());
        for (final String w : words) {
            assertTrue(r.message().contains(w), () -> "'" + w + "' not in: " + r.message());
        }
        assertFalse(r.message().contains("internal error"), r.message());
        return r;
    }

    @Test
    void unsignedUnderRequireIsRefusedUnderWarnLoadsUnderOffLoads() {
        rejected(PayloadVerifier.verify(UNSIGNED, RSA, Policy.REQUIRE), Reason.NO_SIGNATURE, "EKEYREJECTED", 129,
                "not signed", ".note.xsplice.sig section is empty");
        final Verification.Unsigned warned = assertInstanceOf(Verification.Unsigned.class,
                PayloadVerifier.verify(UNSIGNED, RSA, Policy.WARN));
        assertEquals(Optional.of(Reason.NO_SIGNATURE), warned.failure());
        assertEquals(SignVerifyTest.readelfBuildId(Fixtures.PAYLOAD), warned.buildId().orElseThrow());
        final Verification.Unsigned off = assertInstanceOf(Verification.Unsigned.class,
                PayloadVerifier.verify(SIGNED, RSA, Policy.OFF));
        assertEquals(Optional.empty(), off.failure());
        rejected(PayloadVerifier.verify(Fixtures.read(Fixtures.PAYLOAD_WITHOUT_SECTION), RSA, Policy.REQUIRE),
                Reason.NO_SIGNATURE, "EKEYREJECTED", 129, "has no .note.xsplice.sig section");
    }

    @Test
    void changedPayloadIsABadSignatureEvenUnderWarn() {
        final ElfSection text = Elf.of().parse(SIGNED).section(".text.new_do_domctl").orElseThrow();
        final byte[] patched = SIGNED.clone();
        patched[(int) text.offset()] ^= 0x01;
        for (final Policy p : new Policy[] {Policy.REQUIRE, Policy.WARN}) {
            rejected(PayloadVerifier.verify(patched, RSA, p), Reason.BAD_SIGNATURE, "EKEYREJECTED", 129,
                    "signature by O=xsplice,CN=xsplice test RSA (RSA-3072/SHA-256) does not match the payload");
        }
        assertInstanceOf(Verification.Unsigned.class, PayloadVerifier.verify(patched, RSA, Policy.OFF));
    }

    @Test
    void keyringErrorsNameTheFile() throws Exception {
        final Path dir = java.nio.file.Files.createDirectories(Fixtures.DIR.resolve("bad-keyring"));
        java.nio.file.Files.writeString(dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        final SigningException e = assertThrows(SigningException.class, () -> Keyring.load(dir));
        assertTrue(e.getMessage().contains("broken.pem") && e.getMessage().contains("not an X.509 certificate"), e.getMessage());
        final SigningException missing = assertThrows(SigningException.class, () -> Keyring.load(dir.resolve("absent")));
        assertTrue(missing.getMessage().contains("cannot read keyring directory"), missing.getMessage());
        final SigningException key = assertThrows(SigningException.class,
                () -> PayloadSigner.readPrivateKey(Fixtures.RSA.cert()));
        assertTrue(key.getMessage().contains("no private key in PEM file"), key.getMessage());
    }

    @Test
    void untrustedKeyIsUnknownSigner() {
        final byte[] byEc = Fixtures.EC.signer().sign(UNSIGNED);
        rejected(PayloadVerifier.verify(byEc, RSA, Policy.REQUIRE), Reason.UNKNOWN_SIGNER, "ENOKEY", 126,
                "CN=xsplice test EC", "is not in the keyring (1 trusted certificates)");
        rejected(PayloadVerifier.verify(byEc, Keyring.empty(), Policy.REQUIRE), Reason.UNKNOWN_SIGNER, "ENOKEY", 126);
        final Verification.Unsigned warned = assertInstanceOf(Verification.Unsigned.class,
                PayloadVerifier.verify(byEc, RSA, Policy.WARN));
        assertEquals(Optional.of(Reason.UNKNOWN_SIGNER), warned.failure());
    }

    @Test
    void certificateImpersonatingATrustedOneIsUnknownSigner() {
        // Same subject, issuer and serial as the trusted RSA certificate, another key.
        final byte[] byTwin = Fixtures.RSA_TWIN.signer().sign(UNSIGNED);
        rejected(PayloadVerifier.verify(byTwin, RSA, Policy.REQUIRE), Reason.UNKNOWN_SIGNER, "ENOKEY", 126,
                "differs from the trusted certificate with the same issuer and serial");
    }

    @Test
    void expiredAndNotYetValidCertificates() {
        final Instant notAfter = Fixtures.RSA.certificate().getNotAfter().toInstant();
        final Instant notBefore = Fixtures.RSA.certificate().getNotBefore().toInstant();
        rejected(PayloadVerifier.verify(SIGNED, RSA, Policy.REQUIRE, notAfter.plus(Fixtures.DAY)),
                Reason.CERTIFICATE_EXPIRED, "EKEYEXPIRED", 127, "expired on " + notAfter, "not valid now");
        rejected(PayloadVerifier.verify(SIGNED, RSA, Policy.REQUIRE, notBefore.minus(Fixtures.DAY)),
                Reason.CERTIFICATE_NOT_YET_VALID, "EKEYEXPIRED", 127, "is valid from " + notBefore);

        // A certificate that expired before today (made with BouncyCastle: openssl 3.0 cannot back-date).
        final Instant now = Instant.now();
        final Fixtures.Pki old = Fixtures.bcCertificate("expired", now.minus(Fixtures.DAY.multipliedBy(400)),
                now.minus(Fixtures.DAY.multipliedBy(35)));
        final byte[] byOld = old.signer().sign(UNSIGNED, now.minus(Fixtures.DAY.multipliedBy(40)));
        rejected(PayloadVerifier.verify(byOld, old.keyring(), Policy.REQUIRE), Reason.CERTIFICATE_EXPIRED,
                "EKEYEXPIRED", 127, "CN=expired", "not valid now");
        assertInstanceOf(Verification.Unsigned.class, PayloadVerifier.verify(byOld, old.keyring(), Policy.WARN));

        // Valid now, but the signature claims a time before the certificate existed.
        final Fixtures.Pki fresh = Fixtures.bcCertificate("fresh", now.minus(Fixtures.DAY), now.plus(Fixtures.DAY));
        final byte[] backdated = fresh.signer().sign(UNSIGNED, now.minus(Fixtures.DAY.multipliedBy(10)));
        rejected(PayloadVerifier.verify(backdated, fresh.keyring(), Policy.REQUIRE), Reason.CERTIFICATE_NOT_YET_VALID,
                "EKEYEXPIRED", 127, "not valid at its signing time");
    }

    @Test
    void wrongKeyUsage() {
        rejected(PayloadVerifier.verify(Fixtures.NO_DIGITAL_SIGNATURE.signer().sign(UNSIGNED),
                Fixtures.NO_DIGITAL_SIGNATURE.keyring(), Policy.REQUIRE), Reason.WRONG_KEY_USAGE, "EKEYREJECTED", 129,
                "key usage extension without digitalSignature");
        rejected(PayloadVerifier.verify(Fixtures.SERVER_AUTH_ONLY.signer().sign(UNSIGNED),
                Fixtures.SERVER_AUTH_ONLY.keyring(), Policy.REQUIRE), Reason.WRONG_KEY_USAGE, "EKEYREJECTED", 129,
                "extended key usage without codeSigning", "1.3.6.1.5.5.7.3.1");
    }

    @Test
    void revokedBuildIdAndCertificateNeverLoadWhateverThePolicy() {
        final String buildId = SignVerifyTest.readelfBuildId(Fixtures.PAYLOAD);
        final Keyring byId = RSA.withRevocations(RevocationList.parse("# withdrawn\nbuild-id " + buildId.toUpperCase() + "\n", "test"));
        final String fp = Fixtures.ok("openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
                Fixtures.RSA.cert().toString()).out().strip().replaceFirst("^.*=", "");
        final Keyring byCert = RSA.withRevocations(RevocationList.parse("cert-sha256 " + fp, "test"));
        for (final Policy p : Policy.values()) {
            rejected(PayloadVerifier.verify(SIGNED, byId, p), Reason.REVOKED, "EKEYREVOKED", 128,
                    "build-id " + buildId, "revocation list");
            rejected(PayloadVerifier.verify(UNSIGNED, byId, p), Reason.REVOKED, "EKEYREVOKED", 128);
            rejected(PayloadVerifier.verify(SIGNED, byCert, p), Reason.REVOKED, "EKEYREVOKED", 128,
                    "signing certificate", fp.replace(":", "").toLowerCase());
        }
    }

    @Test
    void truncatedOrExtendedFilesAreRefused() {
        final ElfSection sig = section(SIGNED);
        for (final int cut : new int[] {1, 4, 19, 20, 100, 600}) {
            // The signature section now reaches past the end of the file: the ELF toolkit says where.
            for (final Policy p : new Policy[] {Policy.REQUIRE, Policy.WARN}) {
                rejected(PayloadVerifier.verify(Arrays.copyOf(SIGNED, SIGNED.length - cut), RSA, p),
                        Reason.MALFORMED_PAYLOAD, "EINVAL", 22, "section " + sig.index() + " sh_offset/sh_size",
                        "inside the file of " + (SIGNED.length - cut) + " bytes");
            }
        }
        rejected(PayloadVerifier.verify(Arrays.copyOf(SIGNED, 100), RSA, Policy.REQUIRE), Reason.MALFORMED_PAYLOAD,
                "EINVAL", 22, "malformed ELF");
        // Bytes appended after the note: the signature no longer ends the file.
        rejected(PayloadVerifier.verify(Arrays.copyOf(SIGNED, SIGNED.length + 4), RSA, Policy.REQUIRE),
                Reason.MALFORMED_SIGNATURE, "EBADMSG", 74, "must end the file");
        // A note cut short inside its section (descsz smaller than what follows).
        final int o = (int) sig.offset();
        final int descsz = java.nio.ByteBuffer.wrap(SIGNED).order(ByteOrder.LITTLE_ENDIAN).getInt(o + 4);
        rejected(PayloadVerifier.verify(patchInt(SIGNED, o + 4, descsz - 8), RSA, Policy.WARN),
                Reason.MALFORMED_SIGNATURE, "EBADMSG", 74, "does not fill the section (truncated or padded note)");
    }

    @Test
    void malformedNotesAreRefusedWithTheFieldAndOffset() {
        final ElfSection sig = section(SIGNED);
        final int o = (int) sig.offset();
        rejected(PayloadVerifier.verify(patchInt(SIGNED, o, 9), RSA, Policy.REQUIRE), Reason.MALFORMED_SIGNATURE,
                "EBADMSG", 74, "namesz 9");
        rejected(PayloadVerifier.verify(patchInt(SIGNED, o + 4, 12), RSA, Policy.REQUIRE), Reason.MALFORMED_SIGNATURE,
                "EBADMSG", 74, "descsz 12", "does not fill the section");
        rejected(PayloadVerifier.verify(patchInt(SIGNED, o + 8, 3), RSA, Policy.REQUIRE), Reason.MALFORMED_SIGNATURE,
                "EBADMSG", 74, "note type 0x3 at offset", "expected 0x58534947");
        final byte[] owner = SIGNED.clone();
        owner[o + 12] = 'X';
        rejected(PayloadVerifier.verify(owner, RSA, Policy.REQUIRE), Reason.MALFORMED_SIGNATURE, "EBADMSG", 74,
                "is not \"xsplice\"");
        // A note whose descriptor is not CMS at all, correctly framed.
        final byte[] garbage = SIGNED.clone();
        Arrays.fill(garbage, o + 20, garbage.length, (byte) 0x5a);
        rejected(PayloadVerifier.verify(garbage, RSA, Policy.REQUIRE), Reason.MALFORMED_SIGNATURE, "EBADMSG", 74,
                "CMS signature does not parse");
    }

    @Test
    void twoSignatureSectionsAreRefused() {
        final Path c = Fixtures.write("two.c", ("int f(void) { return 1; }\n"
                + "asm(\".section .note.xsplice.sig,\\\"\\\",@note,unique,1\\n.previous\");\n"
                + "asm(\".section .note.xsplice.sig,\\\"\\\",@note,unique,2\\n.previous\");\n").getBytes());
        final Path o = Fixtures.DIR.resolve("two.o");
        Fixtures.ok("gcc", "-c", "-o", o.toString(), c.toString());
        final byte[] two = Fixtures.read(o);
        rejected(PayloadVerifier.verify(two, RSA, Policy.REQUIRE), Reason.MALFORMED_SIGNATURE, "EBADMSG", 74,
                "2 .note.xsplice.sig sections");
        final SigningException e = assertThrows(SigningException.class, () -> Fixtures.RSA.signer().sign(two));
        assertTrue(e.getMessage().contains("2 .note.xsplice.sig sections"), e.getMessage());
    }

    @Test
    void hostileInputNeverThrows() {
        for (final byte[] b : new byte[][] {new byte[0], new byte[64], "\u007fELF".getBytes(), new byte[PayloadVerifier.MAX_SIGNED_PAYLOAD + 1]}) {
            for (final Policy p : Policy.values()) {
                final Verification v = PayloadVerifier.verify(b, RSA, p);
                assertFalse(v instanceof Verification.Verified);
                assertFalse(v.describe().contains("internal error"), v.describe());
            }
            rejected(PayloadVerifier.verify(b, RSA, Policy.REQUIRE), Reason.MALFORMED_PAYLOAD, "EINVAL", 22);
        }
    }

    @Test
    void signerRefusesWhatItCannotSign() {
        final SigningException notElf = assertThrows(SigningException.class, () -> Fixtures.RSA.signer().sign(new byte[10]));
        assertTrue(notElf.getMessage().contains("malformed ELF"), notElf.getMessage());
        final SigningException broken = assertThrows(SigningException.class,
                () -> Fixtures.RSA.signer().sign(Arrays.copyOf(SIGNED, SIGNED.length + 4)));
        assertTrue(broken.getMessage().contains("existing signature is malformed"), broken.getMessage());
        final SigningException mismatch = assertThrows(SigningException.class,
                () -> PayloadSigner.of(Fixtures.key(Fixtures.RSA_TWIN), Fixtures.RSA.certificate()));
        assertTrue(mismatch.getMessage().contains("does not belong to certificate"), mismatch.getMessage());
        final Path k = Fixtures.DIR.resolve("rsa1024-key.pem");
        final Path crt = Fixtures.DIR.resolve("rsa1024-cert.pem");
        Fixtures.ok("openssl", "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", k.toString(), "-out",
                crt.toString(), "-days", "1", "-subj", "/CN=weak");
        final SigningException small = assertThrows(SigningException.class, () -> PayloadSigner.fromPem(k, crt));
        assertTrue(small.getMessage().contains("accepted: RSA 2048"), small.getMessage());
    }

    @Test
    void revocationListSyntaxErrorsNameTheLine() {
        final SigningException e = assertThrows(SigningException.class,
                () -> RevocationList.parse("build-id abcd\nserial 1234\n", "revoked.txt"));
        assertTrue(e.getMessage().startsWith("revoked.txt:2: unknown entry kind 'serial'"), e.getMessage());
        final SigningException hex = assertThrows(SigningException.class,
                () -> RevocationList.parse("build-id xyz\n", "r"));
        assertTrue(hex.getMessage().contains("r:1: 'xyz' is not hex"), hex.getMessage());
        assertEquals(Set.of("abcd"), RevocationList.parse("build-id AB:CD # comment\n\n", "r").buildIds());
    }

    static ElfSection section(final byte[] signed) {
        final ElfModel m = Elf.of().parse(signed);
        return m.section(".note.xsplice.sig").orElseThrow();
    }

    static byte[] patchInt(final byte[] b, final int at, final int value) {
        final byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
        return c;
    }
}
