package org.xsplice.build.link;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.xsplice.build.tree.BuildException;
import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfNote;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.SectionFlag;
import org.xsplice.elf.SectionType;
import org.xsplice.payload.ModInfo;
import org.xsplice.payload.PayloadSections;

/**
 * Links payload parts into one payload: adds the two depends notes and {@code .modinfo}, then
 * {@code ld -r --build-id=sha1} (as livepatch-build-tools does), so the payload's own build-id is
 * a hash of its contents.
 */
public final class PayloadLinker {
    private PayloadLinker() {
    }

    /** {@return the object carrying {@code .livepatch.xen_depends}, {@code .livepatch.depends} and {@code .modinfo}} */
    public static byte[] notesObject(final BuildId xenDepends, final BuildId depends, final String name) {
        final long ro = SectionFlag.maskOf(SectionFlag.SHF_ALLOC);
        final byte[] modinfo = new ModInfo(List.of(new ModInfo.Entry("name", name),
                new ModInfo.Entry("builder", "xsplice-build"))).encode();
        return Elf.of().build(b -> b
                .withNotes(PayloadSections.XEN_DEPENDS, ElfNote.buildId(xenDepends.bytes()))
                .withNotes(PayloadSections.DEPENDS, ElfNote.buildId(depends.bytes()))
                .withSection(ElfSection.of(PayloadSections.MODINFO, SectionType.Known.SHT_PROGBITS, ro, 1, 0, modinfo)));
    }

    /**
     * Links {@code parts} and the notes into {@code out}.
     *
     * @return the payload's build-id
     */
    public static BuildId link(final List<Path> parts, final byte[] notes, final Path work, final Path out)
            throws IOException {
        final Path n = work.resolve("depends-notes.o");
        Files.write(n, notes);
        final List<String> cmd = new ArrayList<>(List.of("ld", "-r", "--build-id=sha1", "-o", out.toString()));
        parts.forEach(p -> cmd.add(p.toString()));
        cmd.add(n.toString());
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new BuildException("linking the payload failed (" + String.join(" ", cmd) + "):\n" + output);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildException("linking the payload interrupted");
        }
        final ElfModel m = Elf.of().parse(out);
        return m.section(PayloadSections.BUILD_ID).flatMap(s -> m.notes(s).stream().filter(ElfNote::isBuildId)
                        .findFirst()).map(x -> new BuildId(x.descriptor()))
                .orElseThrow(() -> new BuildException(out + ": ld wrote no " + PayloadSections.BUILD_ID));
    }
}
