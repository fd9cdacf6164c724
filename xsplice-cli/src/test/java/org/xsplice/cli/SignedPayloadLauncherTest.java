package org.xsplice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The signing path through the real launchers: {@code xsplice-build cfile --sign-key},
 * {@code xen-xsplice upload --require-signature} (the toolstack's own check, which also
 * protects a hypervisor that cannot check) and a reference hypervisor started with
 * {@code --signature-policy require}.
 */
class SignedPayloadLauncherTest {
    private static final String HELLO = """
            #include <xsplice/livepatch.h>
            const char *signed_hello(void) { return "signed"; }
            XSPLICE_PATCH(xen_extra_version, signed_hello);
            """;

    @TempDir
    Path dir;
    private Launchers launchers;

    @BeforeEach
    void setUp() throws Exception {
        launchers = Launchers.in(dir, "sig");
        Files.createDirectories(dir.resolve("keyring"));
        final Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-days", "7",
                "-subj", "/CN=xsplice test signer", "-keyout", "key.pem", "-out", "keyring/cert.pem")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && 0 == p.exitValue());
        Files.writeString(dir.resolve("hello.c"), HELLO);
    }

    @AfterEach
    void stop() throws Exception {
        launchers.tool("xsplice-hv", "stop", "--name", launchers.name());
    }

    @Test
    void signedPayloadsPassUnsignedOnesAreRefusedBeforeUpload() throws Exception {
        final String target = Launchers.BINARY.toString();
        Launchers.Result r = launchers.tool("xsplice-build", "cfile", "hello.c", "--target", target, "-o", "plain.livepatch");
        assertEquals(0, r.code(), r.toString());
        r = launchers.tool("xsplice-build", "cfile", "hello.c", "--target", target, "-o", "signed.livepatch",
                "--sign-key", "key.pem", "--sign-cert", "keyring/cert.pem");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("signed by CN=xsplice test signer"), r.out());

        // The toolstack refuses before anything is sent: no hypervisor is running yet.
        r = launchers.tool("xen-xsplice", "upload", "--require-signature", "--keyring", "keyring", "plain", "plain.livepatch");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("xen-xsplice: upload plain failed: EKEYREJECTED: payload 'plain' refused by the "
                + "signature policy (require)"), r.err());
        r = launchers.tool("xl", "livepatch", "load", "--require-signature", "--keyring", "keyring", "plain.livepatch");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("xl: payload 'plain' refused by the signature policy (require)"), r.err());
        assertTrue(r.err().endsWith(" (EKEYREJECTED)\n"), r.err());

        assertEquals(0, launchers.tool("xsplice-hv", "start", "--name", launchers.name(), "--cpus", "2",
                "--signature-policy", "require", "--keyring", "keyring").code());
        r = launchers.tool("xen-xsplice", "upload", "plain", "plain.livepatch");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("EKEYREJECTED"), r.err());
        r = launchers.tool("xen-xsplice", "upload", "--require-signature", "--keyring", "keyring", "hello", "signed.livepatch");
        assertEquals(0, r.code(), r.toString());
        r = launchers.tool("xen-xsplice", "list");
        assertTrue(r.out().startsWith(" ID                                     | status     | metadata | signature\n"), r.out());
        assertTrue(r.out().matches("(?s).*\nhello +\\| CHECKED +\\| +\\| signed by CN=xsplice test signer.*"), r.out());
        assertEquals(0, launchers.tool("xl", "info").code());
    }
}
