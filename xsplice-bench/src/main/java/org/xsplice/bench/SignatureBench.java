package org.xsplice.bench;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.xsplice.sign.Keyring;
import org.xsplice.sign.PayloadSigner;
import org.xsplice.sign.PayloadVerifier;
import org.xsplice.sign.Policy;
import org.xsplice.sign.Verification;

/**
 * Signature verification of a 2 MiB payload (what the hypervisor does at every UPLOAD under
 * policy warn or require), and signing it. The payload is a real object: gcc compiles 2 MiB of
 * read-only data with the empty signature section, {@code ld -r --build-id=sha1} links it.
 *
 * {@snippet lang=sh :
 * java -jar xsplice-bench/target/benchmarks.jar SignatureBench
 * }
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SignatureBench {
    /** The payload's size before signing: the loader's 2 MiB limit, less room for the signature. */
    static final int PAYLOAD_BYTES = PayloadVerifier.MAX_PAYLOAD - 8 * 1024;

    @Param({"RSA-3072", "Ed25519"})
    public String key;

    private byte[] unsigned;
    private byte[] signed;
    private PayloadSigner signer;
    private Keyring keyring;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        final KeyPairGenerator g;
        final String sigAlg;
        if ("RSA-3072".equals(key)) {
            g = KeyPairGenerator.getInstance("RSA");
            g.initialize(3072);
            sigAlg = "SHA256withRSA";
        } else {
            g = KeyPairGenerator.getInstance("Ed25519");
            sigAlg = "Ed25519";
        }
        final KeyPair kp = g.generateKeyPair();
        final Instant now = Instant.now();
        final X500Name dn = new X500Name("CN=xsplice bench " + key);
        final X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                dn, BigInteger.ONE, Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))),
                dn, kp.getPublic()).build(new JcaContentSignerBuilder(sigAlg).build(kp.getPrivate())));
        signer = PayloadSigner.of(kp.getPrivate(), cert);
        keyring = Keyring.of(cert);
        unsigned = compilePayload(PAYLOAD_BYTES);
        signed = signer.sign(unsigned);
        final Verification v = PayloadVerifier.verify(signed, keyring, Policy.REQUIRE);
        if (!(v instanceof Verification.Verified)) {
            throw new IllegalStateException("benchmark payload does not verify: " + v.describe());
        }
        System.out.println("\npayload " + unsigned.length + " bytes, signed " + signed.length + " bytes (" + key + ")");
    }

    @Benchmark
    public Verification verify() {
        return PayloadVerifier.verify(signed, keyring, Policy.REQUIRE);
    }

    @Benchmark
    public byte[] sign() {
        return signer.sign(signed);
    }

    /** {@return an ET_REL object of about {@code size} bytes with an empty .note.xsplice.sig} */
    static byte[] compilePayload(final int size) throws IOException, InterruptedException {
        final Path dir = Files.createTempDirectory("xsplice-bench-sign");
        try {
            final Path c = dir.resolve("big.c");
            // Sized so that the linked object (headers, symbols, build-id) stays under the limit.
            Files.writeString(c, "const unsigned char blob[" + (size - 4096) + "] __attribute__((used)) = { 1, 2, 3 };\n"
                    + "int f(void) { return blob[7]; }\n"
                    + "asm(\".pushsection .note.xsplice.sig,\\\"\\\",@note\\n.balign 4\\n.popsection\");\n");
            run(dir, "gcc", "-c", "-O2", "-o", "big.tmp.o", "big.c");
            run(dir, "ld", "-r", "--build-id=sha1", "-o", "big.o", "big.tmp.o");
            return Files.readAllBytes(dir.resolve("big.o"));
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void run(final Path dir, final String... cmd) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(cmd).directory(dir.toFile()).inheritIO().start();
        if (!p.waitFor(2, TimeUnit.MINUTES) || 0 != p.exitValue()) {
            throw new IOException(String.join(" ", cmd) + " failed");
        }
    }
}
