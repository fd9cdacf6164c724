package org.xsplice.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

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
        Tools.check(dir, "ar", "x", libc.toString());
        final List<Path> members;
        try (Stream<Path> s = Files.list(dir)) {
            members = s.filter(p -> p.toString().endsWith(".o")).sorted().toList();
        }
        assertTrue(members.size() > 500, "members: " + members.size());
        int checked = 0;
        for (int i = 0; i < members.size(); i += 20) {
            final Path o = members.get(i);
            final Path rt = dir.resolve(o.getFileName() + ".rt");
            Files.write(rt, Elf.of().transform(Elf.of().parse(o), ElfTransform.ACCEPT_ALL));
            assertEquals(Readelf.normalised(dir, o), Readelf.normalised(dir, rt), o.getFileName().toString());
            checked++;
        }
        assertTrue(checked > 25);
    }
}
