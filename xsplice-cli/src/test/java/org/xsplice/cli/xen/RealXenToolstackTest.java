package org.xsplice.cli.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.cli.Cli;
import org.xsplice.cli.sign.XspliceSignCommand;
import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.xen.image.XenSymbol;
import org.xsplice.xen.lab.CommandResult;
import org.xsplice.xen.lab.Scenario;
import org.xsplice.xen.lab.ScenarioResult;
import org.xsplice.xen.lab.Toolstack;
import org.xsplice.xen.lab.XenLab;

/**
 * The xsplice toolstack in dom0 on Debian 12's Xen 4.17 under QEMU (two boots): the project's
 * {@code xl} and {@code xen-xsplice}, shipped as a jlink'ed runtime with a class-data archive in
 * {@code /opt/xsplice}, drive the real hypervisor through libxenctrl (backend detected from
 * {@code /proc/xen/capabilities}), next to Debian's {@code xl} and {@code xen-livepatch}, which
 * observe the result. Payloads are built on the host for the distribution's {@code xen.gz}.
 */
class RealXenToolstackTest {
    private static final String BIN = Toolstack.BIN;
    private static final String XL = BIN + "/xl";
    private static final String XX = BIN + "/xen-xsplice";
    /** Rendezvous deadline 2 s (ns): a loaded host running TCG can miss Xen's default 30 ms (EBUSY). */
    private static final String T = " --timeout 2000000000";
    private static final String P = "/root/p/";

    @TempDir
    static Path dir;

    private static XenLab lab;
    private static XenPayloads payloads;
    private static Toolstack tools;

    @BeforeAll
    static void prepare() throws Exception {
        final long t0 = System.nanoTime();
        lab = XenLab.open();
        System.out.printf("xenlab: prepared in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, lab.artifacts());
        payloads = new XenPayloads(dir.resolve("p"), lab.artifacts().xenGz());
        tools = new Toolstack(cliClasspath(),
                Map.of("xl", "org.xsplice.cli.xl.XlCommand", "xen-xsplice", "org.xsplice.cli.expert.XenXspliceCommand"),
                // On the host the Xen backend fails at loading libxenctrl, after loading what it needs.
                List.of("xen-xsplice", "--backend", "xen", "list"));
    }

    @Test
    void xlLivepatchLoadsStacksReplacesAndRevertsOnRealXen() throws Exception {
        final BuildId xen = payloads.image().buildId();
        final Path hello = payloads.build(spec("hello_world", "Hello World", xen, xen));
        final BuildId helloId = Elf.of().parse(hello).buildId().orElseThrow();
        payloads.build(spec("bye_world", "Bye World", xen, helloId));
        payloads.build(spec("replace_world", "Hello Again", xen, xen));
        final XenSymbol minor = payloads.symbol("xen_minor_version");
        // xen_minor_version is [endbr64] mov $17,%eax; ret: NOPing the 5-byte mov (Xen skips an
        // ENDBR64 itself) makes it return whatever its caller left in %eax.
        final byte[] head = payloads.bytes(minor.address(), 9);
        final int mov = Arrays.equals(Arrays.copyOf(head, 4), new byte[] {(byte) 0xf3, 0x0f, 0x1e, (byte) 0xfa}) ? 4 : 0;
        assertEquals("b811000000", java.util.HexFormat.of().formatHex(head, mov, mov + 5), "xen_minor_version's mov");
        payloads.build(new XenPayloads.Spec("nop", "xen_minor_version", null, 5, new byte[0], xen, xen));

        final ScenarioResult r = boot(Scenario.named("toolstack-xl")
                .toolstack(tools)
                .file(dir.resolve("p"), "/root/p")
                // -Xshare:on: the JVM must map the archive made on the host, or refuse to start.
                .command("XSPLICE_JAVA_OPTS=-Xshare:on " + XL + " livepatch list")                              // 0
                .command(XL + " livepatch load " + P + "hello_world.livepatch" + T)                              // 1
                .command("xl info; xen-livepatch list")                                                         // 2
                .command(XL + " livepatch load " + P + "bye_world.livepatch" + T)                                // 3
                .command("xl info | grep xen_extra")                                                            // 4
                .command(XL + " livepatch replace " + P + "replace_world.livepatch" + T)                         // 5
                .command("xl info | grep xen_extra; xen-livepatch list")                                        // 6
                .command(XL + " livepatch revert replace_world" + T)                                            // 7
                .command("xl info | grep xen_extra; for p in replace_world bye_world hello_world; do "
                        + XL + " livepatch unload $p || echo rc=$?; done; xen-livepatch list")                   // 8
                .command(XL + " livepatch load " + P + "bye_world.livepatch" + T)                                // 9
                .command(XL + " livepatch list")                                                                // 10
                .command(XL + " livepatch load " + P + "nop.livepatch" + T + "; xl info | grep xen_minor")       // 11
                .command(XL + " livepatch revert nop" + T + " && " + XL + " livepatch unload nop;"
                        + " xl info | grep xen_minor; xen-livepatch list")                                      // 12
                .build());

        assertEquals("Nothing to list", ok(r, 0).strip());
        assertEquals("Uploading " + P + "hello_world.livepatch... completed\nPerforming apply:. completed\n", ok(r, 1));
        assertEquals("Hello World", field(ok(r, 2), "xen_extra"));
        assertTrue(r.command(2).output().matches("(?s).*\nhello_world +\\| APPLIED +\\|.*"), r.command(2).output());
        // bye_world depends on hello_world's build-id: it stacks on top.
        ok(r, 3);
        assertEquals("Bye World", field(ok(r, 4), "xen_extra"));
        // REPLACE reverts both and applies replace_world in one rendezvous.
        assertEquals("Uploading " + P + "replace_world.livepatch... completed\nPerforming replace:. completed\n", ok(r, 5));
        assertEquals("Hello Again", field(ok(r, 6), "xen_extra"));
        assertTrue(r.command(6).output().matches("(?s).*\nhello_world +\\| CHECKED +\\|.*\nbye_world +\\| CHECKED +\\|"
                + ".*\nreplace_world +\\| APPLIED +\\|.*"), r.command(6).output());
        assertEquals("Performing revert:. completed\n", ok(r, 7));
        // Revert restores the original; unload leaves nothing.
        assertEquals(".7", field(ok(r, 8), "xen_extra"));
        assertTrue(r.command(8).output().endsWith("Performing unload: completed\n".repeat(3) + "Nothing to list\n"),
                r.command(8).output());
        // Without hello_world, bye_world's dependency is missing: apply is refused, the upload undone.
        assertEquals(1, r.command(9).exitCode(), r.command(9).output());
        assertTrue(r.command(9).output().contains("Performing apply: failed\n"), r.command(9).output());
        assertTrue(r.command(9).output().contains("EINVAL"), r.command(9).output());
        assertEquals("Nothing to list", ok(r, 10).strip());
        // NOP mode on xen_minor_version: the minor version is no longer 17, until reverted.
        assertNotEquals("17", field(ok(r, 11), "xen_minor"), r.command(11).output());
        assertEquals("17", field(ok(r, 12), "xen_minor"));
        assertTrue(r.command(12).output().endsWith("Nothing to list\n"), r.command(12).output());
    }

    @Test
    void xenXspliceRefusalsSignaturesAndSideBySideWithXenLivepatch() throws Exception {
        final BuildId xen = payloads.image().buildId();
        final byte[] other = xen.bytes();
        other[0] ^= 0x5a;
        final BuildId wrong = new BuildId(other);
        final byte[] first5 = payloads.bytes(payloads.symbol("xen_extra_version").address(), 5);
        final byte[] notFirst5 = first5.clone();
        notFirst5[4] ^= 0x01;
        payloads.build(spec("hello_world", "Hello World", xen, xen));
        payloads.build(new XenPayloads.Spec("no_xen_depends", "xen_extra_version", "No Xen Depends", 0, new byte[0],
                null, xen));
        payloads.build(spec("wrong_xen_depends", "Wrong Xen", wrong, xen));
        payloads.build(new XenPayloads.Spec("expect", "xen_extra_version", "Expectations", 0, first5, xen, xen));
        payloads.build(new XenPayloads.Spec("bad_expect", "xen_extra_version", "Bad Expect", 0, notFirst5, xen, xen));
        final Path unsigned = payloads.build(spec("signed_hello", "Hello Signed", xen, xen));
        // Sign on the host; a copy with one byte of the replacement's text changed is tampered with.
        final Path keys = Files.createDirectories(dir.resolve("keys"));
        Files.createDirectories(keys.resolve("keyring"));
        final Process ssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-days", "7",
                "-subj", "/CN=xsplice dom0 signer", "-keyout", "key.pem", "-out", "keyring/cert.pem")
                .directory(keys.toFile()).redirectErrorStream(true).start();
        ssl.getInputStream().readAllBytes();
        assertTrue(ssl.waitFor(120, TimeUnit.SECONDS) && 0 == ssl.exitValue(), "openssl");
        final Path plain = Files.copy(unsigned, dir.resolve("p/plain.livepatch"));
        assertEquals(0, Cli.commandLine(new XspliceSignCommand()).execute("--key", keys.resolve("key.pem").toString(),
                "--cert", keys.resolve("keyring/cert.pem").toString(), unsigned.toString()));
        final byte[] signed = Files.readAllBytes(unsigned);
        final int at = indexOf(signed, "Hello Signed".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        signed[at] = 'J';
        Files.write(dir.resolve("p/tampered.livepatch"), signed);
        assertTrue(Files.exists(plain));

        final String sig = " --require-signature --keyring /root/keyring ";
        final String debianLists = "xen-livepatch list > /tmp/d-";
        final ScenarioResult r = boot(Scenario.named("toolstack-expert")
                .toolstack(tools)
                .file(dir.resolve("p"), "/root/p")
                .file(keys.resolve("keyring"), "/root/keyring")
                .command(XX + " upload no_xen_depends " + P + "no_xen_depends.livepatch")                        // 0
                .command(XX + " upload wrong_xen_depends " + P + "wrong_xen_depends.livepatch")                  // 1
                .command(XX + " load " + P + "expect.livepatch" + T + " && xl info | grep xen_extra")            // 2
                .command(XX + " revert expect" + T + " && " + XX + " unload expect")                            // 3
                .command(XX + " load " + P + "bad_expect.livepatch" + T)                                        // 4
                .command(XX + " upload" + sig + "plain " + P + "plain.livepatch")                                // 5
                .command(XX + " upload" + sig + "tampered " + P + "tampered.livepatch")                          // 6
                .command(XX + " upload" + sig + "signed_hello " + P + "signed_hello.livepatch"
                        + " && xen-livepatch list && " + XX + " unload signed_hello")                            // 7
                // The same operations, first with Debian's tool (30 ms deadline: retried), then with ours.
                .command("set -e; xen-livepatch upload hello_world " + P + "hello_world.livepatch; "
                        + debianLists + "1; for i in 1 2 3 4 5 6 7 8; do xen-livepatch apply hello_world && break;"
                        + " sleep 1; done; " + debianLists + "2; xl info | grep xen_extra; "
                        + XX + " list > /tmp/o-2; diff -u /tmp/d-2 /tmp/o-2; "
                        + "for i in 1 2 3 4 5 6 7 8; do xen-livepatch revert hello_world && break; sleep 1; done; "
                        + debianLists + "3; xen-livepatch unload hello_world; " + debianLists + "4; "
                        + "cat /tmp/d-1 /tmp/d-2 /tmp/d-3 /tmp/d-4 > /tmp/debian")                               // 8
                .command("set -e; " + XX + " upload hello_world " + P + "hello_world.livepatch; "
                        + debianLists + "1; " + XX + " list > /tmp/o-1; diff -u /tmp/d-1 /tmp/o-1; "
                        + XX + " apply hello_world" + T + "; " + debianLists + "2; xl info | grep xen_extra; "
                        + XX + " revert hello_world" + T + "; " + debianLists + "3; "
                        + XX + " unload hello_world; " + debianLists + "4; "
                        + "cat /tmp/d-1 /tmp/d-2 /tmp/d-3 /tmp/d-4 > /tmp/ours; diff -u /tmp/debian /tmp/ours;"
                        + " cat /tmp/ours")                                                                     // 9
                .build());

        // Xen refuses these at upload with EINVAL only; the reason is on its console.
        for (final int i : new int[] {0, 1}) {
            assertEquals(1, r.command(i).exitCode(), r.command(i).output());
        }
        assertTrue(r.command(0).output().startsWith("xen-xsplice: upload no_xen_depends failed: EINVAL: "),
                r.command(0).output());
        assertTrue(r.command(1).output().startsWith("xen-xsplice: upload wrong_xen_depends failed: EINVAL: "),
                r.command(1).output());
        // Expectations: the image's own first bytes pass; one byte off, apply is refused and the upload undone.
        assertEquals("Expectations", field(ok(r, 2), "xen_extra"));
        ok(r, 3);
        assertEquals(1, r.command(4).exitCode(), r.command(4).output());
        assertTrue(r.command(4).output().contains("Performing apply: failed\nPerforming unload: completed\n"),
                r.command(4).output());
        assertTrue(r.command(4).output().contains("xen-xsplice: load " + P + "bad_expect.livepatch failed: EINVAL"),
                r.command(4).output());
        // Xen verifies no signatures: the toolstack does, before upload, with the reference hypervisor's words.
        assertEquals(1, r.command(5).exitCode(), r.command(5).output());
        assertTrue(r.command(5).output().startsWith("xen-xsplice: upload plain failed: EKEYREJECTED: payload 'plain' "
                + "refused by the signature policy (require)"), r.command(5).output());
        assertEquals(1, r.command(6).exitCode(), r.command(6).output());
        assertTrue(r.command(6).output().startsWith("xen-xsplice: upload tampered failed: "), r.command(6).output());
        assertTrue(r.command(6).output().contains("refused by the signature policy (require)"), r.command(6).output());
        assertTrue(ok(r, 7).matches("(?s)Uploading .*completed\n.*\nsigned_hello +\| CHECKED +\|.*"),
                r.command(7).output());
        // Side by side: the same states, and xen-xsplice's table is xen-livepatch's, byte for byte.
        final String debian = ok(r, 8);
        assertEquals("Hello World", field(debian, "xen_extra"));
        final String ours = ok(r, 9);
        assertEquals("Hello World", field(ours, "xen_extra"));
        assertTrue(ours.contains("hello_world                             | CHECKED    | \n"), ours);
        assertTrue(ours.contains("hello_world                             | APPLIED    | \n"), ours);
        assertTrue(ours.endsWith("Nothing to list\n"), ours);
    }

    private static int indexOf(final byte[] hay, final byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    private static XenPayloads.Spec spec(final String name, final String text, final BuildId xen,
                                         final BuildId depends) {
        return new XenPayloads.Spec(name, "xen_extra_version", text, 0, new byte[0], xen, depends);
    }

    private static ScenarioResult boot(final Scenario s) {
        final ScenarioResult r = lab.boot(s);
        System.out.printf("xenlab: boot %s took %.1f s (serial log %s)%n", s.name(), r.wallTime().toMillis() / 1e3,
                r.serialLog());
        for (final CommandResult c : r.commands()) {
            System.out.printf("--- %s -> %d%n%s", c.command(), c.exitCode(), c.output());
        }
        return r;
    }

    private static String ok(final ScenarioResult r, final int i) {
        final CommandResult c = r.command(i);
        assertEquals(0, c.exitCode(), () -> c.command() + " failed:\n" + c.output());
        return c.output();
    }

    /** {@return the value of an {@code xl info}-style {@code key : value} line} */
    private static String field(final String text, final String key) {
        for (final String line : text.lines().toList()) {
            final int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                return line.substring(colon + 1).trim();
            }
        }
        throw new AssertionError("no " + key + " in\n" + text);
    }

    /** The CLI's run-time class path from the test's: the project's classes, picocli, BouncyCastle. */
    private static List<Path> cliClasspath() {
        final List<Path> out = new ArrayList<>();
        for (final String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            final Path p = Path.of(e);
            final String f = p.getFileName().toString();
            final boolean project = p.toString().contains("xsplice-") && !p.endsWith("test-classes");
            if (Files.exists(p) && (project || f.startsWith("picocli-") || f.startsWith("bc"))) {
                out.add(p);
            }
        }
        assertTrue(out.stream().anyMatch(p -> p.toString().contains("xsplice-cli")), out::toString);
        return out;
    }
}
