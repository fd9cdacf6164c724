package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.build.cpayload.CPayloadMaker;
import org.xsplice.build.cpayload.CPayloadOptions;
import org.xsplice.hv.control.ControlClient;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.hv.control.RunDirectory;
import org.xsplice.sign.PayloadSigner;
import org.xsplice.sign.Policy;

/**
 * Signature checking at UPLOAD on a running reference hypervisor: one started with policy
 * {@code require} and a keyring of one certificate, one with {@code warn}. Keys and
 * certificates are made by openssl in the test.
 */
class SignedUploadTest {
    @TempDir
    static Path tmp;
    private static RunDirectory run;
    private static Supervisor required;
    private static Supervisor warned;
    private static byte[] unsigned;
    private static byte[] signedByTrusted;
    private static byte[] signedByStranger;

    @BeforeAll
    static void start() throws Exception {
        final Path xen = HvTestSupport.image().file();
        final Path src = tmp.resolve("hv_hello.c");
        try (InputStream in = SignedUploadTest.class.getClassLoader().getResourceAsStream("payloads/hv_hello.c")) {
            Files.write(src, in.readAllBytes());
        }
        final Path out = tmp.resolve("hv_hello.livepatch");
        CPayloadMaker.make(new CPayloadOptions(src, xen, out, Optional.empty(), List.of()));
        unsigned = Files.readAllBytes(out);
        final Path keyring = Files.createDirectories(tmp.resolve("keyring"));
        key("trusted");
        key("stranger");
        Files.copy(tmp.resolve("trusted.crt"), keyring.resolve("trusted.pem"));
        signedByTrusted = PayloadSigner.fromPem(tmp.resolve("trusted.key"), tmp.resolve("trusted.crt")).sign(unsigned);
        signedByStranger = PayloadSigner.fromPem(tmp.resolve("stranger.key"), tmp.resolve("stranger.crt")).sign(unsigned);
        run = new RunDirectory(tmp.resolve("run"));
        required = Supervisor.start(new Supervisor.Config(HvTestSupport.uniqueName("sigreq"), 2, "normal", run, xen, true,
                new TrustSettings(Optional.of(keyring), Optional.empty(), Policy.REQUIRE).gate()));
        warned = Supervisor.start(new Supervisor.Config(HvTestSupport.uniqueName("sigwarn"), 2, "normal", run, xen, true,
                new TrustSettings(Optional.of(keyring), Optional.empty(), Policy.WARN).gate()));
    }

    private static void key(final String who) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-days", "30", "-subj", "/CN=" + who, "-keyout", tmp.resolve(who + ".key").toString(),
                "-out", tmp.resolve(who + ".crt").toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && 0 == p.exitValue(), "openssl req failed");
    }

    @AfterAll
    static void stop() throws IOException {
        for (final Supervisor s : new Supervisor[] {required, warned}) {
            if (null != s) {
                s.close();
            }
        }
    }

    private static <T extends Response> T call(final Supervisor s, final Request r, final Class<T> c) throws IOException {
        try (ControlClient client = ControlClient.connect(run, s.name())) {
            return c.cast(client.call(r, c));
        }
    }

    @Test
    void requireLoadsOnlyPayloadsSignedByTheKeyring() throws IOException {
        final NavigableMap<Long, Long> area = required.payloads().registry().area().freeRanges();
        final ControlException none = assertThrows(ControlException.class,
                () -> call(required, new Request.Upload("plain", unsigned), Response.PayloadStatus.class));
        assertEquals("EKEYREJECTED", none.errno());
        assertTrue(none.getMessage().contains("payload 'plain' refused by the signature policy (require)"), none.getMessage());

        final ControlException stranger = assertThrows(ControlException.class,
                () -> call(required, new Request.Upload("stranger", signedByStranger), Response.PayloadStatus.class));
        assertEquals("ENOKEY", stranger.errno());

        final byte[] tampered = signedByTrusted.clone();
        tampered[tampered.length / 3] ^= 0x20;
        final ControlException bad = assertThrows(ControlException.class,
                () -> call(required, new Request.Upload("tampered", tampered), Response.PayloadStatus.class));
        assertTrue(List.of("EKEYREJECTED", "EBADMSG").contains(bad.errno()), bad.errno() + ": " + bad.getMessage());

        // Refusals left nothing behind, and the hypervisor still serves.
        assertEquals(area, required.payloads().registry().area().freeRanges());
        assertTrue(call(required, new Request.ListPayloads(), Response.PayloadList.class).payloads().isEmpty());
        assertTrue(call(required, new Request.Info(), Response.InfoReply.class).fields().stream()
                .anyMatch(f -> f.key().equals("xen_extra")));

        final Response.PayloadStatus ok = call(required, new Request.Upload("signed", signedByTrusted), Response.PayloadStatus.class);
        assertEquals("CHECKED", ok.status());
        assertTrue(ok.signature().startsWith("signed by CN=trusted"), ok.signature());
        call(required, new Request.Unload("signed"), Response.Done.class);
        assertEquals(area, required.payloads().registry().area().freeRanges());
    }

    @Test
    void warnLoadsUnsignedPayloadsAndListSaysSo() throws IOException {
        final Response.PayloadStatus s = call(warned, new Request.Upload("plain", unsigned), Response.PayloadStatus.class);
        assertEquals("CHECKED", s.status());
        assertTrue(s.signature().startsWith("unsigned: "), s.signature());
        final Response.PayloadStatus listed = call(warned, new Request.ListPayloads(), Response.PayloadList.class).payloads().getFirst();
        assertEquals(s.signature(), listed.signature());
        // A broken signature is not "unsigned": warn refuses it too.
        final byte[] tampered = signedByTrusted.clone();
        tampered[100] ^= 1;
        final ControlException bad = assertThrows(ControlException.class,
                () -> call(warned, new Request.Upload("tampered", tampered), Response.PayloadStatus.class));
        assertTrue(List.of("EKEYREJECTED", "EBADMSG").contains(bad.errno()), bad.errno() + ": " + bad.getMessage());
        assertTrue(bad.getMessage().contains("refused by the signature policy (warn)"), bad.getMessage());
        call(warned, new Request.Unload("plain"), Response.Done.class);
    }
}
