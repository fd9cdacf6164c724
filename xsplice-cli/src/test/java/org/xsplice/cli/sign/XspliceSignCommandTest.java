package org.xsplice.cli.sign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real {@code bin/xsplice-sign} launcher on a gcc-built payload with openssl-made keys. */
class XspliceSignCommandTest {
    @TempDir
    static Path dir;
    static Path payload;

    record Run(int exit, String out, String err) {
    }

    static Run run(final String... cmd) throws IOException, InterruptedException {
        final Path out = Files.createTempFile(dir, "out", ".txt");
        final Path err = Files.createTempFile(dir, "err", ".txt");
        final ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        // The launcher runs the classes this test was built with, not an installed jar.
        pb.environment().put("XSPLICE_CLASSPATH", System.getProperty("java.class.path"));
        final Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", cmd));
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static Run ok(final String... cmd) throws IOException, InterruptedException {
        final Run r = run(cmd);
        assertEquals(0, r.exit(), () -> String.join(" ", cmd) + "\n" + r.out() + r.err());
        return r;
    }

    static String tool() {
        return Path.of(System.getProperty("user.dir")).getParent().resolve("bin/xsplice-sign").toString();
    }

    @BeforeAll
    static void build() throws Exception {
        Files.writeString(dir.resolve("fix.c"), """
                extern int do_domctl(int);
                int new_do_domctl(int op) { return op == 42 ? -22 : do_domctl(op); }
                asm(".pushsection .note.xsplice.sig,\\"\\",@note\\n.balign 4\\n.popsection");
                """);
        ok("gcc", "-c", "-O2", "-o", "fix.tmp.o", "fix.c");
        ok("ld", "-r", "--build-id=sha1", "-o", "fix.o", "fix.tmp.o");
        payload = dir.resolve("fix.o");
        for (final String name : List.of("a", "b")) {
            ok("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", name + "-key.pem", "-out", name + "-cert.pem", "-days", "30", "-subj", "/CN=signer " + name);
            Files.createDirectories(dir.resolve("ring-" + name));
            Files.copy(dir.resolve(name + "-cert.pem"), dir.resolve("ring-" + name).resolve("trusted.pem"));
        }
    }

    @Test
    void signsVerifiesShowsAndRefuses() throws Exception {
        final Run signed = ok(tool(), "--key", "a-key.pem", "--cert", "a-cert.pem", "fix.o", "-o", "fix-signed.o");
        assertTrue(signed.out().contains("fix-signed.o: signed by CN=signer a (ECDSA-P256/SHA-256)"), signed.out());

        final Run verified = ok(tool(), "--verify", "--keyring", "ring-a", "fix-signed.o");
        assertTrue(verified.out().contains("fix-signed.o: OK: signed by CN=signer a"), verified.out());
        assertTrue(verified.out().contains("build-id "), verified.out());

        final Run untrusted = run(tool(), "--verify", "--keyring", "ring-b", "fix-signed.o");
        assertEquals(1, untrusted.exit());
        assertTrue(untrusted.err().contains("ENOKEY (126): signer CN=signer a"), untrusted.err());

        final Run unsigned = run(tool(), "--verify", "--keyring", "ring-a", "fix.o");
        assertEquals(1, unsigned.exit());
        assertTrue(unsigned.err().contains("EKEYREJECTED (129): payload is not signed"), unsigned.err());

        final String buildId = verified.out().replaceFirst("(?s).*build-id ([0-9a-f]+).*", "$1").strip();
        Files.writeString(dir.resolve("revoked.txt"), "build-id " + buildId + "\n");
        final Run revoked = run(tool(), "--verify", "--keyring", "ring-a", "--revoked", "revoked.txt", "fix-signed.o");
        assertEquals(1, revoked.exit());
        assertTrue(revoked.err().contains("EKEYREVOKED (128): payload build-id " + buildId), revoked.err());

        final Run shown = ok(tool(), "--show", "fix-signed.o", "--detach", "fix-signed");
        for (final String line : List.of("signer:        CN=signer a", "issuer:        CN=signer a",
                "algorithm:     ECDSA-P256/SHA-256", "build-id:      " + buildId, "signing time:  ")) {
            assertTrue(shown.out().contains(line), shown.out());
        }
        final Run openssl = ok("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "fix-signed.p7s",
                "-content", "fix-signed.bin", "-CAfile", "a-cert.pem", "-purpose", "any", "-out", "/dev/null");
        assertTrue(openssl.err().contains("Verification successful"), openssl.err());

        assertEquals(1, run(tool(), "--show", "fix.o").exit());
    }

    @Test
    void signsInPlaceAndResigningReplaces() throws Exception {
        Files.copy(payload, dir.resolve("inplace.o"));
        ok(tool(), "--key", "a-key.pem", "--cert", "a-cert.pem", "inplace.o");
        final byte[] byA = Files.readAllBytes(dir.resolve("inplace.o"));
        ok(tool(), "--key", "b-key.pem", "--cert", "b-cert.pem", "inplace.o");
        ok(tool(), "--verify", "--keyring", "ring-b", "inplace.o");
        assertEquals(1, run(tool(), "--verify", "--keyring", "ring-a", "inplace.o").exit());
        ok(tool(), "--key", "a-key.pem", "--cert", "a-cert.pem", "inplace.o");
        ok(tool(), "--verify", "--keyring", "ring-a", "inplace.o");
        final Run readelf = ok("readelf", "-SW", "inplace.o");
        assertEquals(1, readelf.out().lines().filter(l -> l.contains(".note.xsplice.sig")).count(), readelf.out());
        // ECDSA signatures vary in length by a byte or two; the payload part never changes.
        assertArrayEquals(java.util.Arrays.copyOf(byA, 256), java.util.Arrays.copyOf(Files.readAllBytes(dir.resolve("inplace.o")), 256));
    }

    @Test
    void errorsAndUsage() throws Exception {
        final Run wrongKey = run(tool(), "--key", "b-key.pem", "--cert", "a-cert.pem", "fix.o", "-o", "x.o");
        assertEquals(1, wrongKey.exit());
        assertTrue(wrongKey.err().contains("private key does not belong to certificate CN=signer a"), wrongKey.err());
        assertTrue(Files.notExists(dir.resolve("x.o")));
        assertEquals(2, run(tool(), "--verify", "fix.o").exit());
        assertEquals(2, run(tool(), "--show", "--verify", "--keyring", "ring-a", "fix.o").exit());
        final List<String> noMode = new ArrayList<>(List.of(tool(), "fix.o"));
        assertEquals(2, run(noMode.toArray(String[]::new)).exit());
    }
}
