package org.xsplice.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Breadth beyond the test's own C: members of the system's {@code libc.a} (hand-written asm,
 * TLS and IFUNC relocations, objects without symbols) read and written back are the same per
 * {@code readelf -aW}, apart from file offsets.
 */
class LibcArchiveRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void everyTwentiethMemberRoundTrips() throws Exception {
        final Path libc = Path.of(Tools.check(dir, "gcc", "-print-file-name=libc.a").strip());
        assertTrue(Files.isRegularFile(libc), "libc.a from libc6-dev: " + libc);
        final List<String> names = Tools.check(dir, "ar", "t", libc.toString()).lines()
                .filter(n -> n.endsWith(".o")).distinct().sorted().toList();
        assertTrue(names.size() > 500, "members: " + names.size());
        final List<String> cmd = new ArrayList<>(List.of("ar", "x", libc.toString()));
        for (int i = 0; i < names.size(); i += 20) {
            cmd.add(names.get(i));
        }
        Tools.check(dir, cmd.toArray(String[]::new));
        final List<Path> members = cmd.subList(3, cmd.size()).stream().map(dir::resolve).toList();
        int checked = 0;
        for (final Path o : members) {
            final Path rt = dir.resolve(o.getFileName() + ".rt");
            Files.write(rt, Elf.of().transform(Elf.of().parse(o), ElfTransform.ACCEPT_ALL));
            assertEquals(Readelf.normalised(dir, o), Readelf.normalised(dir, rt), o.getFileName().toString());
            checked++;
        }
        assertTrue(checked > 25);
    }
}
