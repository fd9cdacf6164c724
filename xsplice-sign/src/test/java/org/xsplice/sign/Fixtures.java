package org.xsplice.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Real inputs for the tests, made once per JVM: payload objects compiled with gcc and linked
 * with {@code ld -r --build-id=sha1}, and keys and certificates made by {@code openssl}.
 */
final class Fixtures {
    /** Result of a finished process. */
    record Run(int exit, String out, String err) {
        String all() {
            return out + err;
        }
    }

    /** A key and its certificate, as files and as objects. */
    record Pki(String name, Path key, Path cert, X509Certificate certificate) {
        PayloadSigner signer() {
            return PayloadSigner.fromPem(key, cert);
        }

        Keyring keyring() {
            return Keyring.of(certificate);
        }
    }

    static final Path DIR;
    static final Pki RSA;
    static final Pki EC;
    static final Pki ED25519;
    /** Self-signed with the same subject and serial as {@link #RSA}, another key. */
    static final Pki RSA_TWIN;
    /** keyUsage without digitalSignature. */
    static final Pki NO_DIGITAL_SIGNATURE;
    /** extendedKeyUsage serverAuth only. */
    static final Pki SERVER_AUTH_ONLY;
    /** keyUsage digitalSignature and extendedKeyUsage codeSigning: what a careful operator makes. */
    static final Pki CODE_SIGNING;
    /** A signed payload with an empty signature section, linked with ld -r --build-id=sha1. */
    static final Path PAYLOAD;
    /** The same code without a signature section. */
    static final Path PAYLOAD_WITHOUT_SECTION;

    static {
        try {
            DIR = Files.createTempDirectory("xsplice-sign-test");
            Runtime.getRuntime().addShutdownHook(new Thread(Fixtures::deleteDir));
            RSA = openssl("rsa", "rsa:3072", "/CN=xsplice test RSA/O=xsplice", "1001");
            EC = openssl("ec", "ec", "/CN=xsplice test EC", "1002", "-pkeyopt", "ec_paramgen_curve:P-256");
            ED25519 = openssl("ed25519", "ed25519", "/CN=xsplice test Ed25519", "1003");
            RSA_TWIN = openssl("rsa-twin", "rsa:3072", "/CN=xsplice test RSA/O=xsplice", "1001");
            NO_DIGITAL_SIGNATURE = openssl("no-ds", "ec", "/CN=xsplice key encipherment only", "1004",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-addext", "keyUsage=critical,keyAgreement");
            SERVER_AUTH_ONLY = openssl("server", "ec", "/CN=xsplice TLS server", "1005",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-addext", "extendedKeyUsage=serverAuth");
            CODE_SIGNING = openssl("codesign", "ed25519", "/CN=xsplice code signing", "1006",
                    "-addext", "keyUsage=critical,digitalSignature", "-addext", "extendedKeyUsage=codeSigning");
            PAYLOAD = payload("payload", true);
            PAYLOAD_WITHOUT_SECTION = payload("plain", false);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Fixtures() {
    }

    private static void deleteDir() {
        try (var files = Files.walk(DIR)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException e) {
            // Best effort: a leftover temporary directory is harmless.
        }
    }

    static Run run(final Path dir, final String... cmd) {
        try {
            final Path out = Files.createTempFile(DIR, "out", ".txt");
            final Path err = Files.createTempFile(DIR, "err", ".txt");
            final Process p = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", cmd));
            }
            return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static Run ok(final String... cmd) {
        final Run r = run(DIR, cmd);
        assertEquals(0, r.exit(), () -> String.join(" ", cmd) + " failed:\n" + r.all());
        return r;
    }

    private static Pki openssl(final String name, final String newkey, final String subject, final String serial,
                               final String... extra) {
        final Path key = DIR.resolve(name + "-key.pem");
        final Path cert = DIR.resolve(name + "-cert.pem");
        final List<String> cmd = new ArrayList<>(List.of("openssl", "req", "-x509", "-newkey", newkey,
                "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "30",
                "-subj", subject, "-set_serial", serial));
        cmd.addAll(List.of(extra));
        ok(cmd.toArray(String[]::new));
        return new Pki(name, key, cert, Keyring.readCertificates(cert).getFirst());
    }

    /**
     * {@return a certificate made with BouncyCastle for {@code key}, valid from {@code from} to
     * {@code to} (openssl 3.0 cannot date a certificate in the past)}
     */
    static Pki bcCertificate(final String name, final Instant from, final Instant to) {
        try {
            final KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            final KeyPair kp = g.generateKeyPair();
            final X500Name dn = new X500Name("CN=" + name);
            final X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    new JcaX509v3CertificateBuilder(dn, BigInteger.valueOf(from.getEpochSecond()), Date.from(from),
                            Date.from(to), dn, kp.getPublic()).build(new JcaContentSignerBuilder("Ed25519").build(kp.getPrivate())));
            final Path certFile = DIR.resolve(name + "-cert.pem");
            Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
            final Path keyFile = DIR.resolve(name + "-key.pem");
            Files.writeString(keyFile, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
            return new Pki(name, keyFile, certFile, cert);
        } catch (final Exception e) {
            throw new AssertionError(e);
        }
    }

    static PrivateKey key(final Pki pki) {
        return PayloadSigner.readPrivateKey(pki.key());
    }

    private static String pem(final String type, final byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /**
     * A payload-like object: replacement functions, a livepatch_func-style table with
     * relocations, read-only data, a build-id, and (if asked) the empty signature section the
     * build adds for xsplice-sign.
     */
    private static Path payload(final String name, final boolean withSignatureSection) throws IOException {
        final Path c = DIR.resolve(name + ".c");
        Files.writeString(c, """
                struct func { const char *name; void *new_addr; void *old_addr;
                              unsigned int new_size, old_size; unsigned char version, pad[39], expect[32]; };
                extern int do_domctl(int);
                static const char greeting[] = "hello from a patched hypervisor";
                int new_do_domctl(int op) { return op == 42 ? -22 : do_domctl(op) + greeting[0]; }
                __attribute__((section(".livepatch.funcs"), used))
                static const struct func funcs[] = { { "do_domctl", (void *)new_do_domctl, 0, 32, 64, 2 } };
                """ + (withSignatureSection
                ? "asm(\".pushsection .note.xsplice.sig,\\\"\\\",@note\\n.balign 4\\n.popsection\");\n" : ""));
        final Path o = DIR.resolve(name + ".tmp.o");
        final Path out = DIR.resolve(name + ".o");
        ok("gcc", "-c", "-O2", "-ffunction-sections", "-fdata-sections", "-fno-pic", "-mcmodel=kernel", "-o",
                o.toString(), c.toString());
        ok("ld", "-r", "--build-id=sha1", "-o", out.toString(), o.toString());
        return out;
    }

    static byte[] read(final Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(final String name, final byte[] bytes) {
        try {
            return Files.write(DIR.resolve(name), bytes);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final Duration DAY = Duration.ofDays(1);
}
