package org.xsplice.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.elf.BuildId;
import org.xsplice.xen.image.EmbeddedSymbolTable;
import org.xsplice.xen.image.XenImage;
import org.xsplice.xen.image.internal.Elf32Wrapper;
import org.xsplice.xen.image.XenSymbol;
import org.xsplice.xen.lab.CommandResult;
import org.xsplice.xen.lab.Scenario;
import org.xsplice.xen.lab.ScenarioResult;
import org.xsplice.xen.lab.XenLab;
import org.xsplice.xen.lab.XenLabException;

/**
 * Real Xen: Debian 12's Xen 4.17 booted under QEMU (three boots). The first checks the lab itself
 * and that the symbols and build-id decoded in Java from the distribution's {@code xen.gz} are
 * exactly what the running hypervisor reports. The second runs the project's libxenctrl binding
 * in dom0 on the jlink'ed runtime, side by side with Debian's {@code xl} and
 * {@code xen-livepatch}, including a full upload/apply/revert/unload of a payload built on the
 * host against the decoded symbols, and the hypervisor's refusals of its variants. The third
 * checks that a boot past its limit is killed and reports the serial console.
 */
class RealXenTest
{
    /** Rendezvous deadline 2 s: a loaded host running TCG can miss Xen's default 30 ms (EBUSY). */
    private static final String PROBE = XenLab.JAVA_LAUNCHER + " org.xsplice.xen.ctrl.XenCtrlProbe --timeout 2000 ";

    @TempDir
    static Path dir;

    private static XenLab lab;
    private static XenImage image;

    @BeforeAll
    static void prepare() throws Exception
    {
        final long t0 = System.nanoTime();
        lab = XenLab.open();
        System.out.printf("xenlab: prepared in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, lab.artifacts());
        image = XenImage.read(lab.artifacts().xenGz());
    }

    @Test
    void embeddedSymbolsAndBuildIdAreWhatTheRunningHypervisorReports() throws Exception
    {
        final Path file = Files.write(dir.resolve("blob.bin"), new byte[] { 1, 2, 3, (byte) 0xff });
        final ScenarioResult r = boot(Scenario.named("symbols")
            .file(file, "/root/blob.bin")
            .command("cat /proc/xen/xensyms")
            .command("xl info")
            .command("od -An -tx1 /sys/hypervisor/properties/buildid | tr -d ' \\n'")
            .command("sha256sum < /root/blob.bin")
            .command("echo to-stdout; echo to-stderr >&2; exit 7")
            .build());

        final List<String> live = Tools.lines(expectOk(r.command(0)).output());
        final List<String> decoded = image.symbols().stream().map(XenSymbol::xensymsLine).toList();
        assertEquals(live.size(), decoded.size(), "number of symbols");
        for (int i = 0; i < live.size(); i++)
        {
            assertEquals(live.get(i), decoded.get(i), "symbol " + i);
        }
        assertTrue(live.size() > 5000, "a real hypervisor has thousands of symbols: " + live.size());
        assertTrue(image.symbols().stream().anyMatch(s -> s.name().contains("#")), "statics are file#sym");

        final String xlInfo = expectOk(r.command(1)).output();
        assertEquals(image.buildId().hex(), field(xlInfo, "build_id"));
        assertEquals(image.buildId().hex(), expectOk(r.command(2)).output().trim());

        final String hostSum = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                                                            .digest(Files.readAllBytes(file)));
        assertEquals(hostSum + "  -", expectOk(r.command(3)).trimmed());
        assertEquals(7, r.command(4).exitCode());
        assertEquals("to-stdout\nto-stderr\n", r.command(4).output());
    }

    @Test
    void libxenctrlBindingDrivesLivepatchOnRealXen() throws Exception
    {
        final XenSymbol target = image.symbol("xen_extra_version").orElseThrow();
        final BuildId xen = image.buildId();
        final byte[] other = xen.bytes();
        other[0] ^= 0x5a;
        final BuildId wrong = new BuildId(other);
        final byte[] first5 = imageBytes(lab.artifacts().xenGz(), target.address(), 5);
        final byte[] notFirst5 = first5.clone();
        notFirst5[4] ^= 0x01;
        final Path payloads = Files.createDirectories(dir.resolve("payloads"));
        final Path hello = new Payload("hello", "Hello World", new byte[0], xen, xen).build(payloads, target);
        for (final Payload p : List.of(
                 new Payload("expect", "Hello Expectations", first5, xen, xen),
                 new Payload("bad_expect", "Hello Bad Expectations", notFirst5, xen, xen),
                 new Payload("no_xen_depends", "Hello No Xen Depends", new byte[0], null, xen),
                 new Payload("wrong_xen_depends", "Hello Wrong Xen", new byte[0], wrong, xen),
                 new Payload("wrong_depends", "Hello Wrong Depends", new byte[0], xen, wrong)))
        {
            p.build(payloads, target);
        }
        final Path garbage = Files.writeString(dir.resolve("garbage.livepatch"), "not an ELF file\n");
        // The JVM starts slowly in an emulated dom0: each probe run does several operations.
        final ScenarioResult r = boot(Scenario.named("xenctrl")
            .javaClasspath(projectClasspath())
            .file(hello, "/root/hello.livepatch")
            .file(payloads, "/root/payloads")
            .file(garbage, "/root/garbage.livepatch")
            .command("xl info; xen-livepatch list")                                                   // 0
            .command(PROBE + "info + get hello + upload garbage /root/garbage.livepatch"
                     + " + upload hello /root/hello.livepatch + list")                                // 1
            .command("xen-livepatch upload garbage /root/garbage.livepatch")                          // 2
            .command("xen-livepatch list")                                                            // 3
            .command(PROBE + "apply hello + list")                                                    // 4
            .command("xl info; xen-livepatch list")                                                   // 5
            .command(PROBE + "revert hello + get hello")                                              // 6
            .command("xl info; xen-livepatch list")                                                   // 7
            .command(PROBE + "unload hello + list + get hello")                                       // 8
            .command("xen-livepatch list")                                                            // 9
            .command(PROBE + "upload no_xen_depends /root/payloads/no_xen_depends.livepatch"          // 10
                     + " + upload wrong_xen_depends /root/payloads/wrong_xen_depends.livepatch"
                     + " + upload bad_expect /root/payloads/bad_expect.livepatch + apply bad_expect"
                     + " + unload bad_expect"
                     + " + upload expect /root/payloads/expect.livepatch + apply expect + revert expect"
                     + " + unload expect"
                     + " + upload wrong_depends /root/payloads/wrong_depends.livepatch + apply wrong_depends"
                     + " + apply wrong_depends --nodeps + revert wrong_depends + unload wrong_depends + list")
            .command("for p in no_xen_depends wrong_xen_depends; do"                                  // 11
                     + " xen-livepatch upload $p /root/payloads/$p.livepatch; echo \"rc=$?\"; done")
            .build());

        // Version and build-id through FFM equal what xl reads; nothing is loaded for either tool.
        final String xlInfo = expectOk(r.command(0)).output();
        final String probe = r.command(1).output();
        assertEquals(field(xlInfo, "xen_version"), field(probe, "xen_version"));
        assertEquals(field(xlInfo, "xen_extra"), field(probe, "xen_extra"));
        assertEquals(".7", field(probe, "xen_extra"));
        assertEquals(field(xlInfo, "build_id"), field(probe, "build_id"));
        assertEquals(image.buildId().hex(), field(probe, "build_id"));
        assertTrue(xlInfo.endsWith("Nothing to list\n"), xlInfo);
        // Errors carry errno names; the hypervisor refuses garbage with EINVAL for both tools.
        assertTrue(probe.contains("\nerror: xc_livepatch_get(hello) failed: ENOENT"), probe);
        assertTrue(probe.contains("\nerror: xc_livepatch_upload(garbage) failed: EINVAL"), probe);
        assertEquals(1, r.command(2).exitCode());
        assertTrue(r.command(2).output().contains("Error 22: Invalid argument"), r.command(2).output());
        // The upload through FFM worked: both listings show the payload CHECKED.
        assertEquals(0, r.command(1).exitCode(), probe);
        assertTrue(probe.endsWith("livepatch_payloads     : 1\nhello CHECKED\n"), probe);
        assertTrue(expectOk(r.command(3)).output().matches("(?s).*\\nhello +\\| CHECKED +\\|.*"),
                   r.command(3).output());

        // Apply: the hypervisor's xen_extra_version() now returns the payload's string.
        assertEquals("hello APPLIED\nlivepatch_payloads     : 1\nhello APPLIED", expectOk(r.command(4)).trimmed());
        assertEquals("Hello World", field(expectOk(r.command(5)).output(), "xen_extra"));
        assertTrue(r.command(5).output().matches("(?s).*\\nhello +\\| APPLIED +\\|.*"), r.command(5).output());
        // Revert restores the original, unload leaves nothing.
        assertEquals("hello CHECKED\nhello CHECKED", expectOk(r.command(6)).trimmed());
        assertEquals(".7", field(expectOk(r.command(7)).output(), "xen_extra"));
        assertTrue(r.command(7).output().matches("(?s).*\\nhello +\\| CHECKED +\\|.*"), r.command(7).output());
        assertEquals("livepatch_payloads     : 0\nerror: xc_livepatch_get(hello) failed: ENOENT (No such file or "
                     + "directory)", r.command(8).trimmed());
        assertEquals("Nothing to list", expectOk(r.command(9)).trimmed());

        // Refusals, each with the hypervisor's errno, and the same for Debian's tool.
        final List<String> refusals = Tools.lines(r.command(10).output());
        assertEquals(List.of(
            "error: xc_livepatch_upload(no_xen_depends) failed: EINVAL (Invalid argument)",
            "error: xc_livepatch_upload(wrong_xen_depends) failed: EINVAL (Invalid argument)",
            // Xen 4.17 compares expectations when the apply is requested, before any rendezvous.
            "error: xc_livepatch_apply(bad_expect) failed: EINVAL (Invalid argument)",
            "expect APPLIED",
            "expect CHECKED",
            // .livepatch.depends is checked at apply, and NODEPS skips exactly that check.
            "error: xc_livepatch_apply(wrong_depends) failed: EINVAL (Invalid argument)",
            "wrong_depends APPLIED",
            "wrong_depends CHECKED",
            "livepatch_payloads     : 0"), refusals);
        assertEquals(0, r.command(10).exitCode());
        final String debian = r.command(11).output();
        assertEquals(2, debian.split("Error 22: Invalid argument", -1).length - 1, debian);
        assertEquals(2, debian.split("rc=1\n", -1).length - 1, debian);
    }

    @Test
    void aBootPastItsLimitIsKilledAndReportsTheSerialConsole()
    {
        final long start = System.nanoTime();
        final XenLabException e = assertThrows(XenLabException.class, () -> lab.boot(Scenario.named("hang")
            .command("sleep 3600")
            .timeout(Duration.ofSeconds(30))
            .build()));
        final double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 60, "killed at its limit, not later: " + seconds + " s");
        assertTrue(e.getMessage().startsWith("scenario hang exceeded its limit of PT30S"), e.getMessage());
        // The tail of the serial console comes with the failure: Xen's own boot messages.
        assertTrue(e.getMessage().contains("(XEN)"), e.getMessage());
        assertTrue(e.log().orElseThrow().endsWith("serial.log"), e.log().toString());
    }

    private static ScenarioResult boot(final Scenario s)
    {
        final ScenarioResult r = lab.boot(s);
        System.out.printf("xenlab: boot %s took %.1f s (serial log %s)%n", s.name(), r.wallTime().toMillis() / 1e3,
                          r.serialLog());
        return r;
    }

    private static CommandResult expectOk(final CommandResult c)
    {
        assertEquals(0, c.exitCode(), () -> c.command() + " failed:\n" + c.output());
        return c;
    }

    /** {@return the value of an {@code xl info}-style {@code key : value} line} */
    private static String field(final String text, final String key)
    {
        for (final String line : Tools.lines(text))
        {
            final int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(key))
            {
                return line.substring(colon + 1).trim();
            }
        }
        throw new AssertionError("no " + key + " in\n" + text);
    }

    /** The project's own classes this test runs with: the module and its xsplice dependencies. */
    private static List<Path> projectClasspath()
    {
        final List<Path> out = new ArrayList<>();
        for (final String e : System.getProperty("java.class.path").split(File.pathSeparator))
        {
            final Path p = Path.of(e);
            if (p.toString().contains("xsplice-") && !p.endsWith("test-classes") && Files.exists(p))
            {
                out.add(p);
            }
        }
        assertTrue(out.stream().anyMatch(p -> p.toString().contains("xsplice-xen")), out::toString);
        return out;
    }

    /** {@return {@code n} bytes of the image at a hypervisor address, read from the ELF32 wrapper} */
    private static byte[] imageBytes(final Path xenGz, final long address, final int n) throws Exception
    {
        final byte[] wrapper;
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(xenGz)))
        {
            wrapper = in.readAllBytes();
        }
        for (final Elf32Wrapper.Segment s : Elf32Wrapper.parse(wrapper).loads())
        {
            final long start = EmbeddedSymbolTable.X86_64_ORIGIN + s.physicalAddress();
            if (address >= start && address + n <= start + s.bytes().limit())
            {
                final byte[] out = new byte[n];
                s.bytes().get((int) (address - start), out);
                return out;
            }
        }
        throw new AssertionError("address 0x" + Long.toHexString(address) + " is in no segment");
    }

    /**
     * Payloads written by hand for the booted image: each replaces {@code xen_extra_version()} at
     * the address and with the size decoded from the distribution's {@code xen.gz}. Compiled with
     * gcc against the project's payload header, linked with {@code ld -r --build-id}, the
     * depends notes added with objcopy.
     *
     * @param name       file name (without {@code .livepatch}); also the payload's name in Xen
     * @param text       what the replacement returns, so each variant has its own build-id
     * @param expect     expected first bytes of the old function, or none
     * @param xenDepends {@code .livepatch.xen_depends}, or null to leave the section out
     * @param depends    {@code .livepatch.depends}
     */
    record Payload(String name, String text, byte[] expect, BuildId xenDepends, BuildId depends)
    {
        Path build(final Path parent, final XenSymbol target) throws Exception
        {
            final Path dir = Files.createDirectories(parent.resolve(name));
            final StringBuilder expectInit = new StringBuilder();
            if (expect.length > 0)
            {
                expectInit.append("    .expect = { .enabled = 1, .len = ").append(expect.length).append(", .data = { ");
                for (final byte b : expect)
                {
                    expectInit.append(String.format("0x%02x, ", b & 0xff));
                }
                expectInit.append("} },\n");
            }
            Files.writeString(dir.resolve("hello.c"), """
                #include <xsplice/livepatch.h>
                static const char hello_text[] = "%s";
                const char *xsplice_hello_world(void) { return hello_text; }
                static const struct livepatch_func XSPLICE_SECTION(".livepatch.funcs") xsplice_hello_func = {
                    .name = "xen_extra_version",
                    .new_addr = (void *)xsplice_hello_world,
                    .old_addr = (void *)OLD_ADDR,
                    .new_size = NEW_SIZE,
                    .old_size = OLD_SIZE,
                    .version = LIVEPATCH_PAYLOAD_VERSION,
                %s};
                """.formatted(text, expectInit));
            final Path include = Path.of(System.getProperty("user.dir")).getParent()
                .resolve("xsplice-build/src/main/resources/include");
            final List<String> cc = List.of("gcc", "-c", "-O2", "-fpie", "-fno-asynchronous-unwind-tables",
                "-fcf-protection=none", "-mno-red-zone", "-fno-stack-protector", "-ffreestanding", "-I" + include,
                "-DOLD_ADDR=0x" + Long.toHexString(target.address()) + "UL", "-DOLD_SIZE=" + target.size());
            // The replacement's size is known once compiled: build once to measure, then for real.
            run(dir, cc, "-DNEW_SIZE=0", "-o", "measure.o", "hello.c");
            long size = -1;
            for (final String line : Tools.lines(Tools.check(dir, "nm", "-S", "measure.o")))
            {
                final String[] f = line.trim().split("\\s+");
                if (f.length == 4 && f[3].equals("xsplice_hello_world"))
                {
                    size = Long.parseLong(f[1], 16);
                }
            }
            assertTrue(size > 0, "size of xsplice_hello_world");
            run(dir, cc, "-DNEW_SIZE=" + size, "-o", "hello.o", "hello.c");
            Tools.check(dir, "ld", "-r", "--build-id=sha1", "-o", "linked.o", "hello.o");
            final List<String> objcopy = new ArrayList<>(List.of("objcopy"));
            Files.write(dir.resolve("depends.bin"), buildIdNote(depends));
            objcopy.addAll(List.of("--add-section", ".livepatch.depends=depends.bin",
                                   "--set-section-flags", ".livepatch.depends=alloc,readonly"));
            if (null != xenDepends)
            {
                Files.write(dir.resolve("xen_depends.bin"), buildIdNote(xenDepends));
                objcopy.addAll(List.of("--add-section", ".livepatch.xen_depends=xen_depends.bin",
                                       "--set-section-flags", ".livepatch.xen_depends=alloc,readonly"));
            }
            final Path out = parent.resolve(name + ".livepatch");
            objcopy.addAll(List.of("linked.o", out.toString()));
            Tools.check(dir, objcopy.toArray(String[]::new));
            return out;
        }

        private static void run(final Path dir, final List<String> base, final String... more) throws Exception
        {
            final List<String> cmd = new ArrayList<>(base);
            cmd.addAll(List.of(more));
            Tools.check(dir, cmd.toArray(String[]::new));
        }

        /** An ELF note: namesz 4, descsz, type 3 (NT_GNU_BUILD_ID), "GNU\0", the id. */
        private static byte[] buildIdNote(final BuildId id)
        {
            final byte[] d = id.bytes();
            final ByteBuffer b = ByteBuffer.allocate(16 + ((d.length + 3) & ~3)).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(4).putInt(d.length).putInt(3).put("GNU\0".getBytes(StandardCharsets.US_ASCII)).put(d);
            return b.array();
        }
    }
}
