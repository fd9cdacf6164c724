package org.xsplice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.cli.build.XspliceBuildCommand;
import org.xsplice.cli.build.XspliceBuildCommandTest;
import org.xsplice.cli.build.XspliceBuildCommandTest.Run;
import org.xsplice.cli.expert.XenXspliceCommand;
import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.payload.Errno;
import org.xsplice.payload.LivepatchFunc;
import org.xsplice.payload.PayloadSections;
import org.xsplice.xen.image.XenImage;
import org.xsplice.xen.image.XenSymbol;
import org.xsplice.xen.lab.CommandResult;
import org.xsplice.xen.lab.Scenario;
import org.xsplice.xen.lab.ScenarioResult;
import org.xsplice.xen.lab.XenLab;

/**
 * Payloads built by {@code xsplice-build cfile --target xen.gz} for Debian's stock Xen 4.17, and
 * the offline {@code xen-xsplice check --target xen.gz}, proven on the real hypervisor in one
 * boot of the lab. Only Debian's {@code xen-livepatch} and {@code xl} run in dom0 (no JVM there),
 * so the boot costs little more than the boot itself.
 * <ul>
 *   <li>The regression payloads (hello_world, bye_world stacked on it, replace_world with
 *       old_addr 0, nop on {@code xen_minor_version}) loaded with {@code xen-livepatch load}
 *       change what {@code xl info} reports, and revert/unload restore it.</li>
 *   <li>For a set of good and bad payloads, the verdict of {@code check --target xen.gz} on the
 *       host (accept, or the errno) equals what Xen returns for the same upload and apply.</li>
 * </ul>
 */
class RealXenPayloadTest {
    private static final Path EXAMPLES = Path.of("../examples/livepatch").toAbsolutePath().normalize();
    /**
     * Debian's tools by their real path: {@code /usr/sbin/xl} and {@code xen-livepatch} are
     * wrappers that pick {@code /usr/lib/xen-MAJOR.MINOR} from the running hypervisor's version,
     * and the nop payload changes the minor version they would ask for.
     */
    private static final String ENV = "for B in /usr/lib/xen-4.*/bin; do break; done\n";
    /**
     * {@code xen-livepatch} with retries for what an emulated CPU causes: Xen's 30 ms rendezvous
     * missed ("Error 16", "Timed out on semaphore" in Xen's log) or the tool's 60 ms wait too short
     * (EAGAIN, or a bare "failed": the action goes on and a retry finds it done). Any other
     * "Error N" is the hypervisor's verdict and is kept. Debian's tool exits with a status that
     * is not always the errno (2 after an EBUSY apply), so the status here is the N of the
     * "Error N" it printed, or 0.
     */
    private static final String LP = ENV + """
            n=0
            while :; do
              out=$("$B/xen-livepatch" "$@" 2>&1); rc=$?
              n=$((n + 1))
              err=$(printf '%s\\n' "$out" | sed -n 's/^Error \\([0-9]*\\):.*/\\1/p' | head -n 1)
              if [ $rc != 0 ] && [ $n -lt 40 ]; then
                case "$err" in 11|16|"") sleep 0.3; continue ;; esac
              fi
              break
            done
            printf '%s\\n' "$out"
            if [ $rc = 0 ]; then exit 0; fi
            exit ${err:-1}
            """;

    @TempDir
    static Path dir;

    private static XenLab lab;
    private static Path xenGz;
    private static XenImage image;

    @BeforeAll
    static void prepare() throws Exception {
        lab = XenLab.open();
        xenGz = lab.artifacts().xenGz();
        final long t0 = System.nanoTime();
        image = XenImage.read(xenGz);
        System.out.printf("xenlab: %s decoded in %.2f s%n", xenGz, (System.nanoTime() - t0) / 1e9);
    }

    /** One case of the agreement table: payloads uploaded in order, each applied after its upload if asked. */
    record Case(String name, List<Path> payloads, boolean apply) {
    }

    /** A verdict: 0, or the errno, for the upload and (when it was tried) the apply. */
    record Verdict(int upload, int apply) {
        @Override
        public String toString() {
            return "upload " + name(upload) + (apply < 0 ? "" : ", apply " + name(apply));
        }

        private static String name(final int errno) {
            return 0 == errno ? "OK" : Errno.nameOf(errno);
        }
    }

    @Test
    void payloadsBuiltForTheStockImageRunOnRealXenAndCheckAgreesWithIt() throws Exception {
        final Path p = Files.createDirectories(dir.resolve("p"));
        final Path hello = cfile(EXAMPLES.resolve("hello_world.c"), p.resolve("hello_world.livepatch"));
        final Path bye = cfile(EXAMPLES.resolve("bye_world.c"), p.resolve("bye_world.livepatch"),
                "--depends-file", hello.toString());
        final Path replace = cfile(EXAMPLES.resolve("replace_world.c"), p.resolve("replace_world.livepatch"));
        final Path nop = cfile(EXAMPLES.resolve("nop.c"), p.resolve("nop.livepatch"));
        final List<Case> cases = agreementCases(p, hello, bye, replace, nop);

        final Scenario.Builder s = Scenario.named("payloads").file(p, "/root/p")
                .file(Files.writeString(dir.resolve("lp"), LP), "/root/lp")
                .file(Files.writeString(dir.resolve("env"), ENV), "/root/env");
        // The regression payloads through Debian's tool (commands 0..5), each followed by what xl reports.
        final String xl = "$B/xl info | grep -E ";
        final String list = "$B/xen-livepatch list";
        s.command(". /root/env; sh /root/lp load /root/p/hello_world.livepatch || exit;"
                  + xl + "'^xen_(minor|extra)'; $B/xl dmesg | grep -F 'hello_world: '")               // 0
         .command(". /root/env; sh /root/lp load /root/p/bye_world.livepatch || exit;"
                  + xl + "'^xen_extra'; " + list)                                                    // 1
         .command(". /root/env; sh /root/lp upload replace_world /root/p/replace_world.livepatch || exit;"
                  + " sh /root/lp replace replace_world || exit; " + xl + "'^xen_extra'; " + list)   // 2
         .command(". /root/env; sh /root/lp revert replace_world || exit; " + xl + "'^xen_extra';"
                  + " for n in replace_world bye_world hello_world; do sh /root/lp unload $n || exit; done; "
                  + "$B/xl dmesg | grep -F 'hello_world: '; " + list)                                 // 3
         .command(". /root/env; sh /root/lp load /root/p/nop.livepatch || exit; " + xl + "'^xen_(minor|extra)';"
                  + " xen-livepatch list >/dev/null 2>&1; echo \"wrapper rc=$?\"")                    // 4
         .command(". /root/env; sh /root/lp revert nop && sh /root/lp unload nop || exit; "
                  + xl + "'^xen_(minor|extra)'; " + list);                                           // 5
        final int first = 6;
        // One command per case: each step prints "STEP NAME rc=ERRNO", then the case cleans up.
        final Map<Case, Integer> commandOf = new LinkedHashMap<>();
        for (final Case c : cases) {
            final StringBuilder sh = new StringBuilder(". /root/env\nuploaded=\napplied=\n");
            final List<String> names = c.payloads().stream().map(RealXenPayloadTest::baseName).toList();
            for (int i = 0; i < names.size(); i++) {
                final String n = names.get(i);
                sh.append("sh /root/lp upload ").append(n).append(" /root/p/").append(c.payloads().get(i).getFileName())
                  .append(" >/dev/null 2>&1; rc=$?; echo \"upload ").append(n).append(" rc=$rc\"\n")
                  .append("[ $rc = 0 ] && uploaded=\"").append(n).append(" $uploaded\"\n");
                if (c.apply()) {
                    sh.append("if [ $rc = 0 ]; then sh /root/lp apply ").append(n)
                      .append(" >/dev/null 2>&1; rc=$?; echo \"apply ").append(n).append(" rc=$rc\"\n")
                      .append("  [ $rc = 0 ] && applied=\"").append(n).append(" $applied\"\nfi\n");
                }
            }
            // Leave nothing behind for the next case: revert what was applied, newest first, then unload.
            sh.append("for n in $applied; do sh /root/lp revert $n >/dev/null 2>&1; done\n")
              .append("for n in $uploaded; do sh /root/lp unload $n >/dev/null 2>&1; done\n");
            s.command(sh.toString());
            commandOf.put(c, first + commandOf.size());
        }
        s.command(". /root/env; " + list);
        final ScenarioResult r = lab.boot(s.timeout(Duration.ofMinutes(8)).build());
        System.out.printf("xenlab: boot %s took %.1f s (serial log %s)%n", "payloads", r.wallTime().toMillis() / 1e3,
                r.serialLog());

        // hello_world: xen_extra_version() replaced; bye_world stacked on it replaces it again.
        final String helloOut = expectOk(r.command(0));
        assertEquals("Hello World", field(helloOut, "xen_extra"));
        assertEquals("17", field(helloOut, "xen_minor"));
        // Its load hook ran inside Xen's rendezvous; "Hello World" itself needed its .ex_table
        // fixup (else it answers "no fixup"), and Xen accepted its bug frame (.bug_frames.1).
        assertTrue(helloOut.contains("hello_world: load hook executing"), helloOut);
        assertFalse(helloOut.contains("unload hook"), helloOut);
        final String byeOut = expectOk(r.command(1));
        assertEquals("Bye World", field(byeOut, "xen_extra"));
        assertTrue(byeOut.matches("(?s).*\\nhello_world +\\| APPLIED.*\\nbye_world +\\| APPLIED.*"), byeOut);
        // REPLACE reverts both and applies replace_world (old_addr 0: Xen found the function by name).
        final String replaceOut = expectOk(r.command(2));
        assertEquals("Hello Again", field(replaceOut, "xen_extra"));
        assertTrue(replaceOut.matches("(?s).*\\nhello_world +\\| CHECKED.*\\nbye_world +\\| CHECKED"
                + ".*\\nreplace_world +\\| APPLIED.*"), replaceOut);
        final String revertOut = expectOk(r.command(3));
        assertEquals(".7", field(revertOut, "xen_extra"));
        assertTrue(revertOut.contains("hello_world: unload hook executing"), revertOut);
        assertTrue(revertOut.endsWith("Nothing to list\n"), revertOut);
        // nop: the mov of the minor version is gone, xen_minor is whatever %eax held (Debian's
        // wrappers, which pick /usr/lib/xen-4.MINOR, then fail); revert restores 17.
        final String nopOut = expectOk(r.command(4));
        System.out.print("xenlab: with nop applied:\n" + nopOut);
        assertNotEquals("17", field(nopOut, "xen_minor"), nopOut);
        assertEquals(".7", field(nopOut, "xen_extra"));
        final String nopRevertOut = expectOk(r.command(5));
        assertEquals("17", field(nopRevertOut, "xen_minor"));
        assertTrue(nopRevertOut.endsWith("Nothing to list\n"), nopRevertOut);

        // The agreement table: the offline check against xen.gz and the real hypervisor.
        final StringBuilder table = new StringBuilder();
        final List<String> disagreements = new ArrayList<>();
        for (final Map.Entry<Case, Integer> e : commandOf.entrySet()) {
            final Case c = e.getKey();
            final List<Verdict> offline = check(c);
            final CommandResult out = r.command(e.getValue());
            final List<Verdict> real = new ArrayList<>();
            for (final Path f : c.payloads()) {
                final int up = step(out.output(), "upload", baseName(f));
                real.add(new Verdict(up, c.apply() && 0 == up ? step(out.output(), "apply", baseName(f)) : -1));
            }
            for (int i = 0; i < c.payloads().size(); i++) {
                final String line = String.format("| %-22s | %-18s | %-30s | %-30s |", c.name(),
                        baseName(c.payloads().get(i)), offline.get(i), real.get(i));
                table.append(line).append('\n');
                if (!offline.get(i).equals(real.get(i))) {
                    disagreements.add(line);
                }
            }
        }
        System.out.print("check --target xen.gz vs Xen 4.17.7:\n" + table);
        final CommandResult last = r.command(first + commandOf.size());
        assertTrue(last.output().endsWith("Nothing to list\n"), "the cases left: " + last.output());
        assertEquals(List.of(), disagreements, "offline check and real Xen disagree:\n" + table);
        // The table is not trivially all-OK: it has refusals of several kinds, at upload and at apply.
        final String all = table.toString();
        for (final String errno : List.of("upload EINVAL", "upload ENOENT", "upload EEXIST", "upload EOPNOTSUPP",
                "apply EINVAL")) {
            assertTrue(all.contains(errno), errno + " in\n" + all);
        }
    }

    /** The good and bad payloads whose verdicts are compared. */
    private static List<Case> agreementCases(final Path p, final Path hello, final Path bye, final Path replace,
                                             final Path nop) throws Exception {
        final XenSymbol extra = image.symbol("xen_extra_version").orElseThrow();
        final byte[] first5 = image.bytes(extra.address(), 5).orElseThrow();
        final byte[] notFirst5 = first5.clone();
        notFirst5[4] ^= 1;
        final byte[] other = image.buildId().bytes();
        other[0] ^= 0x5a;
        final BuildId wrong = new BuildId(other);

        final Path noXenDepends = objcopy(hello, p.resolve("no_xen_depends.livepatch"),
                "--remove-section", PayloadSections.XEN_DEPENDS);
        final Path note = Files.write(dir.resolve("wrong.note"), buildIdNote(wrong));
        final Path wrongXenDepends = objcopy(hello, p.resolve("wrong_xen_depends.livepatch"),
                "--update-section", PayloadSections.XEN_DEPENDS + "=" + note);
        final Path wrongDepends = cfile(source("wrong_depends", """
                static const char wrong_depends_text[] = "Wrong Depends";
                const char *xen_wrong_depends(void) { return wrong_depends_text; }
                XSPLICE_PATCH(xen_extra_version, xen_wrong_depends);
                """), p.resolve("wrong_depends.livepatch"), "--depends", wrong.hex());
        final Path unknown = cfile(source("unknown_symbol", """
                extern const char *xsplice_not_in_xen(void);
                const char *xen_unknown_world(void) { return xsplice_not_in_xen(); }
                XSPLICE_PATCH(xen_extra_version, xen_unknown_world);
                """), p.resolve("unknown_symbol.livepatch"));
        // A static of the hypervisor by Xen's file#name, and one that does not exist.
        final Path staticSym = cfile(source("static_symbol", """
                extern const char kernel_extra[] XSPLICE_SYMBOL("common/kernel.c#extra");
                const char *xen_static_world(void) { return kernel_extra; }
                XSPLICE_PATCH(xen_extra_version, xen_static_world);
                """), p.resolve("static_symbol.livepatch"));
        final Path staticUnknown = cfile(source("static_unknown", """
                extern const char kernel_nothing[] XSPLICE_SYMBOL("common/kernel.c#no_such_static");
                const char *xen_static_unknown(void) { return kernel_nothing; }
                XSPLICE_PATCH(xen_extra_version, xen_static_unknown);
                """), p.resolve("static_unknown.livepatch"));
        // Xen 4.17 counts statics as new symbols: the second payload's shared_text collides.
        final Path dupA = cfile(source("dup_static_a", """
                static const char shared_text[] = "Static A";
                const char *xen_static_a(void) { return shared_text; }
                XSPLICE_PATCH(xen_extra_version, xen_static_a);
                """), p.resolve("dup_static_a.livepatch"));
        final Path dupB = cfile(source("dup_static_b", """
                static const char shared_text[] = "Static B";
                const char *xen_static_b(void) { return shared_text; }
                XSPLICE_PATCH(xen_extra_version, xen_static_b);
                """), p.resolve("dup_static_b.livepatch"));
        final Path dupGlobal = cfile(source("dup_global", """
                static const char dup_global_text[] = "Dup Global";
                const char *xen_dup_global(void) { return dup_global_text; }
                int xen_major_version(void) { return 5; }
                XSPLICE_PATCH(xen_extra_version, xen_dup_global);
                """), p.resolve("dup_global.livepatch"));
        final Path expectOk = cfile(source("expect_ok", """
                static const char expect_ok_text[] = "Expect OK";
                const char *xen_expect_ok(void) { return expect_ok_text; }
                XSPLICE_PATCH_EXPECT(xen_extra_version, xen_expect_ok, %s);
                """.formatted(bytes(first5))), p.resolve("expect_ok.livepatch"));
        final Path expectBad = cfile(source("expect_bad", """
                static const char expect_bad_text[] = "Expect Bad";
                const char *xen_expect_bad(void) { return expect_bad_text; }
                XSPLICE_PATCH_EXPECT(xen_extra_version, xen_expect_bad, %s);
                """.formatted(bytes(notFirst5))), p.resolve("expect_bad.livepatch"));
        // Hooks: a load hook Xen runs at upload (an indirect call: ENDBR64 under CET-IBT), and
        // two pre-apply hooks where Xen allows one.
        final Path hookLoad = cfile(source("hook_load", """
                static const char hook_load_text[] = "Hook Load";
                static int hook_load_calls;
                static void hook_load_fn(void) { hook_load_calls++; }
                const char *xen_hook_load(void) { return hook_load_text; }
                XSPLICE_PATCH(xen_extra_version, xen_hook_load);
                XSPLICE_LOAD_HOOK(hook_load_fn);
                """), p.resolve("hook_load.livepatch"));
        final Path hookTwice = cfile(source("hook_twice", """
                static const char hook_twice_text[] = "Hook Twice";
                static int pre_a(livepatch_payload_t *p) { (void)p; return 0; }
                static int pre_b(livepatch_payload_t *p) { (void)p; return 0; }
                const char *xen_hook_twice(void) { return hook_twice_text; }
                XSPLICE_PATCH(xen_extra_version, xen_hook_twice);
                XSPLICE_PREAPPLY_HOOK(pre_a);
                XSPLICE_PREAPPLY_HOOK(pre_b);
                """), p.resolve("hook_twice.livepatch"));
        final Path funcsV1 = withFuncsVersion(hello, p.resolve("funcs_v1.livepatch"), LivepatchFunc.V1);

        return List.of(
                new Case("bye_world on hello", List.of(hello, bye), true),
                new Case("replace_world", List.of(replace), true),
                new Case("nop", List.of(nop), true),
                new Case("no xen_depends", List.of(noXenDepends), false),
                new Case("wrong xen_depends", List.of(wrongXenDepends), false),
                new Case("wrong depends", List.of(wrongDepends), true),
                new Case("unknown symbol", List.of(unknown), false),
                new Case("file#static symbol", List.of(staticSym), false),
                new Case("unknown file#static", List.of(staticUnknown), false),
                new Case("same static twice", List.of(dupA, dupB), false),
                new Case("global clash", List.of(dupGlobal), false),
                new Case("expectation ok", List.of(expectOk), true),
                new Case("expectation wrong", List.of(expectBad), true),
                new Case("load hook", List.of(hookLoad), true),
                new Case("two preapply hooks", List.of(hookTwice), false),
                new Case("funcs version 1", List.of(funcsV1), false));
    }

    /** {@return the offline verdicts: {@code xen-xsplice check --target xen.gz [--apply] FILE...}} */
    private static List<Verdict> check(final Case c) {
        final List<String> args = new ArrayList<>(List.of("check", "--target", xenGz.toString()));
        if (c.apply()) {
            args.add("--apply");
        }
        c.payloads().forEach(f -> args.add(f.toString()));
        final Run run = XspliceBuildCommandTest.run(new XenXspliceCommand(System.getenv()), args.toArray(String[]::new));
        final List<Verdict> out = new ArrayList<>();
        for (final Path f : c.payloads()) {
            final int up = run.out().contains(f + ": OK (") ? 0 : errno(run.err(), "check " + f + " failed: ");
            int ap = -1;
            if (c.apply() && 0 == up) {
                ap = run.out().contains(f + ": apply OK") ? 0 : errno(run.err(), "check " + f + " failed at apply: ");
            }
            out.add(new Verdict(up, ap));
        }
        return out;
    }

    /** {@return the errno dom0 printed for a step: {@code STEP NAME rc=N}} */
    private static int step(final String output, final String step, final String name) {
        final String prefix = step + " " + name + " rc=";
        return output.lines().filter(l -> l.startsWith(prefix)).map(l -> Integer.parseInt(l.substring(prefix.length())))
                .findFirst().orElseThrow(() -> new AssertionError("no '" + prefix + "' in\n" + output));
    }

    private static String expectOk(final CommandResult c) {
        assertEquals(0, c.exitCode(), () -> c.command() + ":\n" + c.output());
        return c.output();
    }

    private static int errno(final String err, final String prefix) {
        final int at = err.indexOf(prefix);
        assertTrue(at >= 0, "no '" + prefix + "' in:\n" + err);
        final String name = err.substring(at + prefix.length(), err.indexOf(':', at + prefix.length()));
        return Errno.valueOf(name).number();
    }

    /** {@return the payload {@code xsplice-build cfile SRC --target xen.gz -o OUT ...} made} */
    private static Path cfile(final Path src, final Path out, final String... more) {
        final List<String> args = new ArrayList<>(List.of("cfile", src.toString(), "--target", xenGz.toString(),
                "-o", out.toString()));
        args.addAll(List.of(more));
        final Run r = XspliceBuildCommandTest.run(new XspliceBuildCommand(), args.toArray(String[]::new));
        assertEquals(0, r.exit(), () -> "cfile " + src + ":\n" + r.err() + r.out());
        return out;
    }

    private static Path source(final String name, final String body) throws IOException {
        return Files.writeString(dir.resolve(name + ".c"), "#include <xsplice/livepatch.h>\n" + body);
    }

    private static String bytes(final byte[] b) {
        final List<String> out = new ArrayList<>();
        for (final byte x : b) {
            out.add(String.format("0x%02x", x & 0xff));
        }
        return String.join(", ", out);
    }

    private static Path objcopy(final Path in, final Path out, final String... args) throws Exception {
        final List<String> cmd = new ArrayList<>(List.of("objcopy"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of(in.toString(), out.toString()));
        final Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String o = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(pr.waitFor(60, TimeUnit.SECONDS) && 0 == pr.exitValue(), String.join(" ", cmd) + ": " + o);
        return out;
    }

    /** A copy of {@code in} whose every {@code livepatch_func} has {@code version}. */
    private static Path withFuncsVersion(final Path in, final Path out, final int version) throws IOException {
        final byte[] b = Files.readAllBytes(in);
        final ElfModel m = Elf.of().parse(b);
        final ElfSection funcs = m.section(PayloadSections.FUNCS).orElseThrow();
        for (long off = 0; off < funcs.size(); off += LivepatchFunc.V2_SIZE) {
            b[(int) (funcs.offset() + off + LivepatchFunc.VERSION_OFFSET)] = (byte) version;
        }
        return Files.write(out, b);
    }

    /** An ELF note: namesz 4, descsz, type 3 (NT_GNU_BUILD_ID), "GNU\0", the id. */
    private static byte[] buildIdNote(final BuildId id) {
        final byte[] d = id.bytes();
        final ByteBuffer b = ByteBuffer.allocate(16 + ((d.length + 3) & ~3)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4).putInt(d.length).putInt(3).put("GNU\0".getBytes(StandardCharsets.US_ASCII)).put(d);
        return b.array();
    }

    private static String baseName(final Path f) {
        return f.getFileName().toString().replaceFirst("\\.livepatch$", "");
    }

    /** {@return the value of an {@code xl info}-style {@code key : value} line} */
    private static String field(final String text, final String key) {
        return text.lines().filter(l -> l.contains(":") && l.substring(0, l.indexOf(':')).trim().equals(key))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst()
                .orElseThrow(() -> new AssertionError("no " + key + " in\n" + text));
    }
}
