package org.xsplice.cli.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.cli.Cli;
import org.xsplice.cli.Dom0ImageCommand;
import org.xsplice.cli.expert.XenXspliceCommand;
import org.xsplice.elf.BuildId;
import org.xsplice.xen.lab.CommandResult;
import org.xsplice.xen.lab.Scenario;
import org.xsplice.xen.lab.ScenarioResult;
import org.xsplice.xen.lab.Toolstack;
import org.xsplice.xen.lab.XenLab;

import picocli.CommandLine;

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
    /**
     * Debian's xl itself: /usr/sbin/xl is a wrapper that looks for the tools of version
     * xen_major.xen_minor, which the nop payload changes.
     */
    private static final String XL_INFO = "/usr/lib/xen-4.17/bin/xl info";
    /** Idle, a boot takes 1-2 minutes; a JVM start in the emulated dom0 costs 4 s idle and 40 s when the host is busy. */
    private static final Duration BOOT_LIMIT = Duration.ofMinutes(15);
    /**
     * Debian's {@code xen-livepatch ACTION NAME}, tried up to 8 times: it asks for Xen's default
     * 30 ms rendezvous, which a loaded host running TCG can miss (EBUSY, "try again").
     */
    private static final String DL = "dl() { for i in 1 2 3 4 5 6 7 8; do xen-livepatch \"$@\" && return 0; sleep 1;"
            + " done; return 1; }; dl ";

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
        tools = Dom0ImageCommand.toolstack(cliClasspath());
    }

    @Test
    void xlLivepatchLoadsStacksReplacesAndRevertsOnRealXen() throws Exception {
        final Path hello = payloads.example("hello_world");
        payloads.example("bye_world", "--depends-file", hello.toString());
        payloads.example("replace_world");
        // xen_minor_version is [endbr64] mov $17,%eax; ret: nop.c NOPs the 5-byte mov (Xen skips an
        // ENDBR64 itself), so it returns whatever its caller left in %eax.
        final byte[] head = payloads.bytes("xen_minor_version", 9);
        final int mov = Arrays.equals(Arrays.copyOf(head, 4), new byte[] {(byte) 0xf3, 0x0f, 0x1e, (byte) 0xfa}) ? 4 : 0;
        assertEquals("b811000000", HexFormat.of().formatHex(head, mov, mov + 5), "xen_minor_version's mov");
        payloads.example("nop");

        final ScenarioResult r = boot(Scenario.named("toolstack-xl")
                .toolstack(tools)
                .file(dir.resolve("p"), "/root/p")
                // -XX:AOTMode=on: the JVM must use the AOT cache made on the host, or refuse to start.
                .command("XSPLICE_JAVA_OPTS=-XX:AOTMode=on " + XL + " livepatch list")                              // 0
                .command(XL + " livepatch load " + P + "hello_world.livepatch" + T)                              // 1
                .command("xl info; xen-livepatch list")                                                         // 2
                .command(XL + " livepatch load " + P + "bye_world.livepatch" + T)                                // 3
                .command("xl info | grep xen_extra")                                                            // 4
                .command(XL + " livepatch replace " + P + "replace_world.livepatch" + T)                         // 5
                .command("xl info | grep xen_extra; xen-livepatch list")                                        // 6
                .command(XL + " livepatch revert replace_world" + T)                                            // 7
                .command("xl info | grep xen_extra; " + XL + " livepatch unload replace_world; "
                        + DL + "unload bye_world; " + DL + "unload hello_world; xen-livepatch list")              // 8
                .command(XL + " livepatch load " + P + "bye_world.livepatch" + T)                                // 9
                .command("xen-livepatch list")                                                                  // 10
                .command(XL + " livepatch load " + P + "nop.livepatch" + T + "; " + XL_INFO + " | grep xen_minor;"
                        + " echo ours; " + XL + " info")                                                        // 11
                .command(XL + " livepatch revert nop" + T + " && " + DL + "unload nop;"
                        + " " + XL_INFO + " | grep xen_minor; xen-livepatch list")                              // 12
                .timeout(BOOT_LIMIT)
                .build());

        assertEquals("Nothing to list", ok(r, 0).strip());
        assertEquals("Uploading " + P + "hello_world.livepatch... completed\nApplying hello_world... completed\n", ok(r, 1));
        assertEquals("Hello World", field(ok(r, 2), "xen_extra"));
        assertTrue(r.command(2).output().matches("(?s).*\nhello_world +\\| APPLIED +\\|.*"), r.command(2).output());
        // bye_world depends on hello_world's build-id: it stacks on top.
        ok(r, 3);
        assertEquals("Bye World", field(ok(r, 4), "xen_extra"));
        // REPLACE reverts both and applies replace_world in one rendezvous.
        assertEquals("Uploading " + P + "replace_world.livepatch... completed\n"
                + "Replacing all live patches with replace_world... completed\n", ok(r, 5));
        assertEquals("Hello Again", field(ok(r, 6), "xen_extra"));
        assertTrue(r.command(6).output().matches("(?s).*\nhello_world +\\| CHECKED +\\|.*\nbye_world +\\| CHECKED +\\|"
                + ".*\nreplace_world +\\| APPLIED +\\|.*"), r.command(6).output());
        assertEquals("Reverting replace_world... completed\n", ok(r, 7));
        // Revert restores the original; unload leaves nothing.
        assertEquals(".7", field(ok(r, 8), "xen_extra"));
        assertTrue(r.command(8).output().contains("\nUnloading replace_world... completed\n"), r.command(8).output());
        assertTrue(r.command(8).output().endsWith("Nothing to list\n"), r.command(8).output());
        // Without hello_world, bye_world's dependency is missing: apply is refused, the upload undone.
        assertEquals(1, r.command(9).exitCode(), r.command(9).output());
        assertTrue(r.command(9).output().contains("Applying bye_world... failed\n"), r.command(9).output());
        assertTrue(r.command(9).output().contains("EINVAL"), r.command(9).output());
        assertEquals("Nothing to list", ok(r, 10).strip());
        // NOP mode on xen_minor_version: the minor version is no longer 17, until reverted.
        final String[] debianOurs = ok(r, 11).split("ours\n");
        assertNotEquals("17", field(debianOurs[0], "xen_minor"), r.command(11).output());
        // Our xl info on Xen (xc_version) agrees with Debian's.
        assertEquals(field(debianOurs[0], "xen_minor"), field(debianOurs[1], "xen_minor"), r.command(11).output());
        assertEquals(payloads.image().buildId().hex(), field(debianOurs[1], "build_id"));
        assertEquals("17", field(ok(r, 12), "xen_minor"));
        assertTrue(r.command(12).output().endsWith("Nothing to list\n"), r.command(12).output());
    }

    @Test
    void xenXspliceRefusalsSignaturesAndSideBySideWithXenLivepatch() throws Exception {
        final BuildId xen = payloads.image().buildId();
        final byte[] other = xen.bytes();
        other[0] ^= 0x5a;
        final Path hello = payloads.example("hello_world");
        payloads.withoutXenDepends(hello, "no_xen_depends");
        payloads.withXenDepends(hello, "wrong_xen_depends", new BuildId(other));
        final byte[] first5 = payloads.bytes("xen_extra_version", 5);
        final byte[] notFirst5 = first5.clone();
        notFirst5[4] ^= 0x01;
        payloads.cfile("expect", replacement("expect", "Expectations", first5));
        payloads.cfile("bad_expect", replacement("bad_expect", "Bad Expect", notFirst5));
        // Signed on the host by xsplice-build; the same source unsigned, and a signed copy with one
        // byte of the replacement's text changed (tampered with).
        final Path keys = Files.createDirectories(dir.resolve("keys"));
        Files.createDirectories(keys.resolve("keyring"));
        final Process ssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-days", "7",
                "-subj", "/CN=xsplice dom0 signer", "-keyout", "key.pem", "-out", "keyring/cert.pem")
                .directory(keys.toFile()).redirectErrorStream(true).start();
        ssl.getInputStream().readAllBytes();
        assertTrue(ssl.waitFor(120, TimeUnit.SECONDS) && 0 == ssl.exitValue(), "openssl");
        final String signedSource = replacement("signed_hello", "Hello Signed", new byte[0]);
        payloads.cfile("plain", signedSource);
        final Path signedPayload = payloads.cfile("signed_hello", signedSource,
                "--sign-key", keys.resolve("key.pem").toString(), "--sign-cert", keys.resolve("keyring/cert.pem").toString());
        final byte[] signed = Files.readAllBytes(signedPayload);
        signed[indexOf(signed, "Hello Signed".getBytes(StandardCharsets.US_ASCII))] = 'J';
        Files.write(dir.resolve("p/tampered.livepatch"), signed);

        final String sig = " --require-signature --keyring /root/keyring ";
        final String debianLists = "xen-livepatch list > /tmp/d-";
        final ScenarioResult r = boot(Scenario.named("toolstack-expert")
                .toolstack(tools)
                .file(dir.resolve("p"), "/root/p")
                .file(keys.resolve("keyring"), "/root/keyring")
                .command(XX + " upload no_xen_depends " + P + "no_xen_depends.livepatch")                        // 0
                .command(XX + " upload wrong_xen_depends " + P + "wrong_xen_depends.livepatch")                  // 1
                .command(XX + " load " + P + "expect.livepatch" + T + " && xl info | grep xen_extra")            // 2
                .command(DL + "revert expect && " + DL + "unload expect")                                       // 3
                .command(XX + " load " + P + "bad_expect.livepatch" + T)                                        // 4
                .command(XL + " livepatch load" + sig + P + "plain.livepatch")                                   // 5
                .command(XX + " upload" + sig + "tampered " + P + "tampered.livepatch")                          // 6
                .command(XX + " upload" + sig + "signed_hello " + P + "signed_hello.livepatch"
                        + " && xen-livepatch list && " + DL + "unload signed_hello")                            // 7
                // The same operations, first with Debian's tool (30 ms deadline: retried), then with ours.
                .command("set -e; xen-livepatch upload hello_world " + P + "hello_world.livepatch; "
                        + debianLists + "1; " + DL + "apply hello_world; " + debianLists + "2; xl info | grep xen_extra; "
                        + XX + " list > /tmp/o-2; diff -u /tmp/d-2 /tmp/o-2; "
                        + DL + "revert hello_world; "
                        + debianLists + "3; xen-livepatch unload hello_world; " + debianLists + "4; "
                        + "cat /tmp/d-1 /tmp/d-2 /tmp/d-3 /tmp/d-4 > /tmp/debian")                               // 8
                .command("set -e; " + XX + " upload hello_world " + P + "hello_world.livepatch; "
                        + debianLists + "1; " + XX + " list > /tmp/o-1; diff -u /tmp/d-1 /tmp/o-1; "
                        + XX + " apply hello_world" + T + "; " + debianLists + "2; xl info | grep xen_extra; "
                        + XX + " revert hello_world" + T + "; " + debianLists + "3; "
                        + XX + " unload hello_world; " + debianLists + "4; "
                        + "cat /tmp/d-1 /tmp/d-2 /tmp/d-3 /tmp/d-4 > /tmp/ours; diff -u /tmp/debian /tmp/ours;"
                        + " cat /tmp/ours")                                                                     // 9
                .timeout(BOOT_LIMIT)
                .build());

        // Xen refuses these at upload with EINVAL only; the reason is on its console.
        for (final int i : new int[] {0, 1}) {
            assertEquals(1, r.command(i).exitCode(), r.command(i).output());
        }
        for (final String name : List.of("no_xen_depends", "wrong_xen_depends")) {
            final String out = r.command(name.startsWith("no") ? 0 : 1).output();
            assertTrue(out.startsWith("Uploading " + P + name + ".livepatch... failed\nxen-xsplice: upload " + name
                    + " failed: EINVAL: Invalid argument (xc_livepatch_upload; Xen logs its reason: xl dmesg)"), out);
        }
        // Expectations: the image's own first bytes pass; one byte off, apply is refused and the upload undone.
        assertEquals("Expectations", field(ok(r, 2), "xen_extra"));
        ok(r, 3);
        assertEquals(1, r.command(4).exitCode(), r.command(4).output());
        assertTrue(r.command(4).output().contains("Applying bad_expect... failed\nUnloading bad_expect... completed\n"),
                r.command(4).output());
        assertTrue(r.command(4).output().contains("xen-xsplice: load " + P + "bad_expect.livepatch failed: EINVAL"),
                r.command(4).output());
        // Xen verifies no signatures: the toolstack does, before upload, with the reference hypervisor's words.
        assertEquals(1, r.command(5).exitCode(), r.command(5).output());
        assertTrue(r.command(5).output().startsWith("xl: payload 'plain' refused by the signature policy (require): "
                + "payload is not signed"), r.command(5).output());
        assertTrue(r.command(5).output().endsWith(" (EKEYREJECTED)\n"), r.command(5).output());
        assertEquals(1, r.command(6).exitCode(), r.command(6).output());
        assertTrue(r.command(6).output().startsWith("xen-xsplice: upload tampered failed: EKEYREJECTED: payload "
                + "'tampered' refused by the signature policy (require): signature by CN=xsplice dom0 signer"),
                r.command(6).output());
        assertTrue(ok(r, 7).matches("(?s)Uploading .*completed\n.*\nsigned_hello +\\| CHECKED +\\|.*"),
                r.command(7).output());
        // Side by side: the same states, and xen-xsplice's table is xen-livepatch's, byte for byte.
        final String debian = ok(r, 8);
        assertEquals("Hello World", field(debian, "xen_extra"));
        final String ours = ok(r, 9);
        assertEquals("Hello World", field(ours, "xen_extra"));
        assertTrue(ours.contains("\nhello_world                             | CHECKED    | version=1.0\n"), ours);
        assertTrue(ours.contains("\nhello_world                             | APPLIED    | version=1.0\n"), ours);
        assertTrue(ours.endsWith("Nothing to list\n"), ours);

        // Offline, xen-xsplice check --target xen.gz gives the verdicts Xen gave in dom0.
        for (final String refused : List.of("no_xen_depends", "wrong_xen_depends")) {
            final String err = check(refused);
            assertTrue(err.startsWith("xen-xsplice: check " + payloadFile(refused) + " failed: EINVAL: "), err);
        }
        assertEquals("", check("hello_world"));
        assertEquals("", check("expect", "--apply"));
        final String bad = check("bad_expect", "--apply");
        assertTrue(bad.startsWith("xen-xsplice: check " + payloadFile("bad_expect") + " failed at apply: EINVAL: "), bad);
    }

    private static String payloadFile(final String name) {
        return dir.resolve("p").resolve(name + ".livepatch").toString();
    }

    /** Runs {@code xen-xsplice check --target xen.gz} on a payload; {@return its error output ("" when accepted)} */
    private static String check(final String name, final String... more) {
        final List<String> args = new ArrayList<>(List.of("check", "--target", lab.artifacts().xenGz().toString()));
        args.addAll(List.of(more));
        args.add(payloadFile(name));
        final StringWriter err = new StringWriter();
        final CommandLine cl = Cli.commandLine(new XenXspliceCommand(Map.of()));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        final int code = cl.execute(args.toArray(String[]::new));
        assertEquals(err.toString().isEmpty() ? 0 : 1, code, err::toString);
        return err.toString();
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

    /** {@return C source replacing xen_extra_version() by a function returning {@code text}, maybe with an expectation} */
    private static String replacement(final String name, final String text, final byte[] expect) {
        final StringBuilder bytes = new StringBuilder();
        for (final byte b : expect) {
            bytes.append(String.format(", 0x%02x", b & 0xff));
        }
        return """
                #include <xsplice/livepatch.h>
                static const char %1$s_text[] = "%2$s";
                const char *%1$s_fn(void) { return %1$s_text; }
                %3$s
                """.formatted(name, text, expect.length == 0
                ? "XSPLICE_PATCH(xen_extra_version, " + name + "_fn);"
                : "XSPLICE_PATCH_EXPECT(xen_extra_version, " + name + "_fn" + bytes + ");");
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
