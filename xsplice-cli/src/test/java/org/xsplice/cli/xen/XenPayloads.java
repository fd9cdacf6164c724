package org.xsplice.cli.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.xsplice.cli.Cli;
import org.xsplice.cli.build.XspliceBuildCommand;
import org.xsplice.elf.BuildId;
import org.xsplice.xen.image.XenImage;
import org.xsplice.xen.image.XenSymbol;

import picocli.CommandLine;

/**
 * Payloads for a distribution's {@code xen.gz}, built the way a user builds them:
 * {@code xsplice-build cfile FILE.c --target xen.gz}. Variants Xen must refuse (no or another
 * {@code .livepatch.xen_depends}) are made from a built payload with objcopy.
 */
final class XenPayloads {
    private static final Path EXAMPLES = Path.of(System.getProperty("xsplice.home")).resolve("examples/livepatch");

    private final Path dir;
    private final Path xenGz;
    private final XenImage image;

    XenPayloads(final Path dir, final Path xenGz) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.xenGz = xenGz;
        this.image = XenImage.read(xenGz);
    }

    XenImage image() {
        return image;
    }

    /** {@return the first {@code n} bytes of a hypervisor function, from the image} */
    byte[] bytes(final String function, final int n) {
        final XenSymbol s = image.symbol(function).orElseThrow(() -> new AssertionError("no " + function));
        return image.bytes(s.address(), n).orElseThrow(() -> new AssertionError(function + " is in no segment"));
    }

    /** Builds {@code examples/livepatch/NAME.c}; {@return the payload NAME.livepatch} */
    Path example(final String name, final String... more) throws Exception {
        return cfile(name, Files.readString(EXAMPLES.resolve(name + ".c")), more);
    }

    /** Builds a payload from C source with {@code xsplice-build cfile}; {@return NAME.livepatch} */
    Path cfile(final String name, final String source, final String... more) throws Exception {
        final Path c = Files.writeString(dir.resolve(name + ".c"), source);
        final Path out = dir.resolve(name + ".livepatch");
        final List<String> args = new ArrayList<>(List.of("cfile", c.toString(), "--target", xenGz.toString(),
                "-o", out.toString()));
        args.addAll(List.of(more));
        final StringWriter log = new StringWriter();
        final CommandLine cl = Cli.commandLine(new XspliceBuildCommand());
        cl.setOut(new PrintWriter(log, true));
        cl.setErr(new PrintWriter(log, true));
        assertEquals(0, cl.execute(args.toArray(String[]::new)), () -> "xsplice-build " + args + ":\n" + log);
        return out;
    }

    /** {@return a copy of {@code payload} named {@code name} without {@code .livepatch.xen_depends}} */
    Path withoutXenDepends(final Path payload, final String name) throws Exception {
        final Path out = dir.resolve(name + ".livepatch");
        objcopy("--remove-section", ".livepatch.xen_depends", payload.toString(), out.toString());
        return out;
    }

    /** {@return a copy of {@code payload} named {@code name} whose {@code .livepatch.xen_depends} is {@code id}} */
    Path withXenDepends(final Path payload, final String name, final BuildId id) throws Exception {
        final Path note = Files.write(dir.resolve(name + ".note"), buildIdNote(id));
        final Path out = dir.resolve(name + ".livepatch");
        objcopy("--update-section", ".livepatch.xen_depends=" + note, payload.toString(), out.toString());
        return out;
    }

    private void objcopy(final String... args) throws Exception {
        final List<String> cmd = new ArrayList<>(List.of("objcopy"));
        cmd.addAll(List.of(args));
        final Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), () -> cmd + " failed:\n" + out);
    }

    /** An ELF note: namesz 4, descsz, type 3 (NT_GNU_BUILD_ID), "GNU\0", the id. */
    private static byte[] buildIdNote(final BuildId id) {
        final byte[] d = id.bytes();
        final ByteBuffer b = ByteBuffer.allocate(16 + ((d.length + 3) & ~3)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4).putInt(d.length).putInt(3).put("GNU\0".getBytes(StandardCharsets.US_ASCII)).put(d);
        return b.array();
    }
}
