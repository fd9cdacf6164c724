package org.xsplice.build.link;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.xsplice.build.cpayload.CPayloadMaker;
import org.xsplice.build.tree.BuildException;
import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.SectionFlag;
import org.xsplice.elf.SectionType;
import org.xsplice.payload.ModInfo;
import org.xsplice.payload.PayloadSections;

/**
 * Links the differ's payload parts into one payload: the parts and a {@code .modinfo} object are
 * combined with {@code ld -r}, then the C payload maker's note and link step
 * ({@link CPayloadMaker#finish}) checks the entries, adds the two depends notes and links with
 * {@code ld -r --build-id=sha1}, so both ways of making payloads finish them the same way.
 */
public final class PayloadLinker {
    private PayloadLinker() {
    }

    /** {@return an object holding only {@code .modinfo} (name and builder)} */
    public static byte[] modinfoObject(final String name) {
        final byte[] modinfo = new ModInfo(List.of(new ModInfo.Entry("name", name),
                new ModInfo.Entry("builder", "xsplice-build"))).encode();
        return Elf.of().build(b -> b.withSection(ElfSection.of(PayloadSections.MODINFO, SectionType.Known.SHT_PROGBITS,
                SectionFlag.maskOf(SectionFlag.SHF_ALLOC), 1, 0, modinfo)));
    }

    /**
     * Links {@code parts} into the payload {@code out}.
     *
     * @param target  the hypervisor binary (for xen_depends and the entries' checks)
     * @param depends what the payload stacks on; empty: the target
     * @return the payload's build-id
     */
    public static BuildId link(final List<Path> parts, final String name, final ElfModel target,
                               final Optional<BuildId> depends, final Path work, final Path out) throws IOException {
        final Path info = work.resolve("modinfo.o");
        Files.write(info, modinfoObject(name));
        final Path combined = work.resolve("combined.o");
        final List<String> cmd = new ArrayList<>(List.of("ld", "-r", "-o", combined.toString()));
        parts.forEach(p -> cmd.add(p.toString()));
        cmd.add(info.toString());
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new BuildException("combining the payload parts failed (" + String.join(" ", cmd) + "):\n" + output);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildException("combining the payload parts interrupted");
        }
        return CPayloadMaker.finish(Elf.of().parse(combined), target, depends, out);
    }
}
