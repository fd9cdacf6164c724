package org.xsplice.cli.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import org.xsplice.elf.BuildId;
import org.xsplice.xen.image.EmbeddedSymbolTable;
import org.xsplice.xen.image.XenImage;
import org.xsplice.xen.image.XenSymbol;
import org.xsplice.xen.image.internal.Elf32Wrapper;

/**
 * Payloads for a distribution's {@code xen.gz}, compiled on the host with gcc against the
 * project's payload header: each replaces (or NOPs) one hypervisor function at the address and
 * with the size decoded from the image, linked with {@code ld -r --build-id}, its depends notes
 * added with objcopy.
 */
final class XenPayloads {
    private final Path dir;
    private final XenImage image;
    private final byte[] wrapper;

    XenPayloads(final Path dir, final Path xenGz) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.image = XenImage.read(xenGz);
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(xenGz))) {
            this.wrapper = in.readAllBytes();
        }
    }

    XenImage image() {
        return image;
    }

    /**
     * One payload.
     *
     * @param name       file name without {@code .livepatch}; the payload's name in Xen
     * @param function   the hypervisor function replaced
     * @param text       what the replacement returns (a string function), or null for NOP mode
     * @param nops       NOP mode: how many bytes to overwrite
     * @param expect     expected first bytes of the old function, or none
     * @param xenDepends {@code .livepatch.xen_depends}, or null to leave the section out
     * @param depends    {@code .livepatch.depends}
     */
    record Spec(String name, String function, String text, int nops, byte[] expect, BuildId xenDepends,
                BuildId depends) {
    }

    /** {@return n bytes of the image at a hypervisor address} */
    byte[] bytes(final long address, final int n) {
        for (final Elf32Wrapper.Segment s : Elf32Wrapper.parse(wrapper).loads()) {
            final long start = EmbeddedSymbolTable.X86_64_ORIGIN + s.physicalAddress();
            if (address >= start && address + n <= start + s.bytes().limit()) {
                final byte[] out = new byte[n];
                s.bytes().get((int) (address - start), out);
                return out;
            }
        }
        throw new AssertionError("address 0x" + Long.toHexString(address) + " is in no segment");
    }

    XenSymbol symbol(final String name) {
        return image.symbol(name).orElseThrow(() -> new AssertionError("no symbol " + name + " in the image"));
    }

    /** Builds a payload; {@return its file} */
    Path build(final Spec p) throws Exception {
        final XenSymbol target = symbol(p.function());
        final Path work = Files.createDirectories(dir.resolve("work-" + p.name()));
        final StringBuilder expect = new StringBuilder();
        if (p.expect().length > 0) {
            expect.append("    .expect = { .enabled = 1, .len = ").append(p.expect().length).append(", .data = { ");
            for (final byte b : p.expect()) {
                expect.append(String.format("0x%02x, ", b & 0xff));
            }
            expect.append("} },\n");
        }
        final String fn = p.name() + "_fn";
        final String replacement = null == p.text() ? "" : """
                static const char %1$s_text[] = "%2$s";
                const char *%3$s(void) { return %1$s_text; }
                """.formatted(p.name(), p.text(), fn);
        Files.writeString(work.resolve("p.c"), """
                #include <xsplice/livepatch.h>
                %s
                static const struct livepatch_func XSPLICE_SECTION(".livepatch.funcs") %s_func = {
                    .name = "%s",
                    .new_addr = %s,
                    .old_addr = (void *)OLD_ADDR,
                    .new_size = NEW_SIZE,
                    .old_size = OLD_SIZE,
                    .version = LIVEPATCH_PAYLOAD_VERSION,
                %s};
                """.formatted(replacement, p.name(), p.function(), null == p.text() ? "0" : "(void *)" + fn, expect));
        final Path include = Path.of(System.getProperty("xsplice.home"))
                .resolve("xsplice-build/src/main/resources/include");
        final List<String> cc = List.of("gcc", "-c", "-O2", "-fpie", "-fno-asynchronous-unwind-tables",
                "-fcf-protection=none", "-mno-red-zone", "-fno-stack-protector", "-ffreestanding", "-I" + include,
                "-DOLD_ADDR=0x" + Long.toHexString(target.address()) + "UL", "-DOLD_SIZE=" + target.size());
        long size = p.nops();
        if (null != p.text()) {
            // The replacement's size is known once compiled: build once to measure, then for real.
            run(work, cc, "-DNEW_SIZE=0", "-o", "measure.o", "p.c");
            size = -1;
            for (final String line : run(work, List.of("nm", "-S", "measure.o")).lines().toList()) {
                final String[] f = line.trim().split("\\s+");
                if (f.length == 4 && f[3].equals(fn)) {
                    size = Long.parseLong(f[1], 16);
                }
            }
            assertTrue(size > 0, "size of " + fn);
        }
        run(work, cc, "-DNEW_SIZE=" + size, "-o", "p.o", "p.c");
        run(work, List.of("ld", "-r", "--build-id=sha1", "-o", "linked.o", "p.o"));
        final List<String> objcopy = new ArrayList<>(List.of("objcopy"));
        Files.write(work.resolve("depends.bin"), buildIdNote(p.depends()));
        objcopy.addAll(List.of("--add-section", ".livepatch.depends=depends.bin",
                "--set-section-flags", ".livepatch.depends=alloc,readonly"));
        if (null != p.xenDepends()) {
            Files.write(work.resolve("xen_depends.bin"), buildIdNote(p.xenDepends()));
            objcopy.addAll(List.of("--add-section", ".livepatch.xen_depends=xen_depends.bin",
                    "--set-section-flags", ".livepatch.xen_depends=alloc,readonly"));
        }
        final Path out = dir.resolve(p.name() + ".livepatch");
        objcopy.addAll(List.of("linked.o", out.toString()));
        run(work, objcopy);
        return out;
    }

    private static String run(final Path dir, final List<String> base, final String... more) throws Exception {
        final List<String> cmd = new ArrayList<>(base);
        cmd.addAll(List.of(more));
        final Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), () -> cmd + " failed:\n" + out);
        return out;
    }

    /** An ELF note: namesz 4, descsz, type 3 (NT_GNU_BUILD_ID), "GNU\0", the id. */
    private static byte[] buildIdNote(final BuildId id) {
        final byte[] d = id.bytes();
        final ByteBuffer b = ByteBuffer.allocate(16 + ((d.length + 3) & ~3)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4).putInt(d.length).putInt(3).put("GNU\0".getBytes(StandardCharsets.US_ASCII)).put(d);
        return b.array();
    }
}
