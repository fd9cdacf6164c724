package org.xsplice.xen.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.xen.Tools;
import org.xsplice.xen.lab.internal.CpioWriter;
import org.xsplice.xen.lab.internal.ResultDisk;

/** The lab's two file formats without a boot: the initramfs layer (checked by GNU cpio) and the result disk. */
class CpioAndResultDiskTest
{
    @TempDir
    Path dir;

    @Test
    void cpioArchiveExtractsWithGnuCpio() throws Exception
    {
        final Path tree = Files.createDirectories(dir.resolve("tree/sub"));
        Files.writeString(tree.resolve("a.txt"), "alpha");
        final Path tool = Files.writeString(dir.resolve("tree/run.sh"), "#!/bin/sh\necho hi\n");
        assertTrue(tool.toFile().setExecutable(true));
        final byte[] odd = new byte[] { 0, 1, 2, 3, 4, 5, 6 };
        final Path archive = dir.resolve("x.cpio");
        try (OutputStream out = Files.newOutputStream(archive); CpioWriter w = new CpioWriter(out))
        {
            w.file("/lab/cmd/001", "echo 1\n".getBytes(StandardCharsets.UTF_8), false);
            w.copy(dir.resolve("tree"), "/opt/t");
            w.file("/deep/er/odd.bin", odd, false);
        }
        assertEquals(0, Files.size(archive) % 4, "newc entries are 4-byte aligned");
        final Path out = Files.createDirectories(dir.resolve("out"));
        Tools.check(out, "sh", "-c", "cpio -i --quiet --no-absolute-filenames < " + archive);
        assertEquals("echo 1\n", Files.readString(out.resolve("lab/cmd/001")));
        assertEquals("alpha", Files.readString(out.resolve("opt/t/sub/a.txt")));
        assertTrue(Files.isExecutable(out.resolve("opt/t/run.sh")));
        assertArrayEquals(odd, Files.readAllBytes(out.resolve("deep/er/odd.bin")));
        final List<String> listing = Tools.lines(Tools.check(dir, "sh", "-c", "cpio -t --quiet < " + archive));
        assertTrue(listing.indexOf("deep") < listing.indexOf("deep/er/odd.bin"), "parents come first: " + listing);
        assertThrows(IllegalArgumentException.class, () -> new CpioWriter(OutputStream.nullOutputStream())
            .file("relative/path", new byte[0], false));
    }

    @Test
    void aLinkToAFileIsCopiedAsTheFileALinkToADirectoryIsRefused() throws Exception
    {
        // jlink links one module's legal notices to another's: the runtime image has such links.
        final Path tree = Files.createDirectories(dir.resolve("legal/java.base"));
        Files.writeString(tree.resolve("LICENSE"), "the licence");
        Files.createDirectories(dir.resolve("legal/java.sql"));
        Files.createSymbolicLink(dir.resolve("legal/java.sql/LICENSE"), Path.of("../java.base/LICENSE"));
        final Path archive = dir.resolve("l.cpio");
        try (OutputStream out = Files.newOutputStream(archive); CpioWriter w = new CpioWriter(out))
        {
            w.copy(dir.resolve("legal"), "/jre/legal");
        }
        final Path out = Files.createDirectories(dir.resolve("out"));
        Tools.check(out, "sh", "-c", "cpio -i --quiet --no-absolute-filenames < " + archive);
        assertFalse(Files.isSymbolicLink(out.resolve("jre/legal/java.sql/LICENSE")));
        assertEquals("the licence", Files.readString(out.resolve("jre/legal/java.sql/LICENSE")));

        Files.createSymbolicLink(dir.resolve("legal/all"), Path.of("java.base"));
        final java.io.IOException e = assertThrows(java.io.IOException.class, () ->
        {
            try (CpioWriter w = new CpioWriter(OutputStream.nullOutputStream()))
            {
                w.copy(dir.resolve("legal"), "/jre/legal");
            }
        });
        assertTrue(e.getMessage().contains("legal/all"), e.getMessage());
    }

    @Test
    void resultDiskYieldsFinishedCommandsAndNamesBadRecords() throws Exception
    {
        final Path disk = dir.resolve("results.img");
        final String body = "XENLAB-RESULTS 1\nXENLAB-CMD 0 0 6\nsetup\n\nXENLAB-CMD 1 3 0\n\nXENLAB-DONE\n";
        Files.write(disk, java.util.Arrays.copyOf(body.getBytes(StandardCharsets.US_ASCII), 4096));
        final ResultDisk.Contents c = ResultDisk.read(disk);
        assertTrue(c.done());
        assertEquals(List.of(new ResultDisk.Entry(0, 0, "setup\n"), new ResultDisk.Entry(1, 3, "")), c.entries());

        // A boot cut short: the zero-filled rest is not a record.
        Files.write(disk, java.util.Arrays.copyOf("XENLAB-RESULTS 1\nXENLAB-CMD 0 0 2\nok\n".getBytes(
            StandardCharsets.US_ASCII), 4096));
        final ResultDisk.Contents partial = ResultDisk.read(disk);
        assertFalse(partial.done());
        assertEquals(1, partial.entries().size());

        Files.write(disk, "XENLAB-RESULTS 1\nXENLAB-CMD 1 0 900\nshort\n".getBytes(StandardCharsets.US_ASCII));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResultDisk.read(disk));
        assertTrue(e.getMessage().contains("record 1 at offset 17 claims 900 bytes"), e.getMessage());
    }

    @Test
    void scenariosAreValidatedWhenBuilt()
    {
        assertThrows(IllegalArgumentException.class, () -> Scenario.named("bad name").command("true").build());
        assertThrows(IllegalArgumentException.class, () -> Scenario.named("empty").build());
        final Scenario s = Scenario.named("ok").command("true").timeout(Duration.ofSeconds(90)).build();
        assertEquals(Duration.ofSeconds(90), s.timeout());
        assertFalse(s.javaRuntime());
        assertThrows(IllegalArgumentException.class, () -> new Scenario("cp", List.of("true"), List.of(), false,
                                                                        List.of(dir), Duration.ofMinutes(1)));
    }
}
