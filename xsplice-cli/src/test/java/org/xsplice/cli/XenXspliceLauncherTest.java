package org.xsplice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code xsplice-build cfile}, {@code xen-xsplice check} (offline) and {@code xen-xsplice
 * upload | list | unload} against a running reference hypervisor, through the real launchers.
 */
class XenXspliceLauncherTest {
    private static final Path HOME = Launchers.HOME;
    private static final Path BINARY = Launchers.BINARY;
    private static final String HELLO = """
            #include <xsplice/livepatch.h>
            extern const char xen_extra[];
            extern unsigned int xen_major_version(void);
            static char buf[32];
            const char *cli_hello(void)
            {
                buf[0] = 'H';
                buf[1] = '0' + xen_major_version();
                buf[2] = xen_extra[0];
                return buf;
            }
            XSPLICE_PATCH(xen_extra_version, cli_hello);
            XSPLICE_MODINFO(version, "2.1");
            """;

    @TempDir
    Path dir;

    private final String name = "xx-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 6);

    private Launchers.Result tool(final String tool, final String... args) throws Exception {
        return new Launchers(dir, name).tool(tool, args);
    }

    @AfterEach
    void stop() throws Exception {
        tool("xsplice-hv", "stop", "--name", name);
    }

    @Test
    void makeCheckUploadListUnload() throws Exception {
        Files.writeString(dir.resolve("hello.c"), HELLO);
        Launchers.Result r = tool("xsplice-build", "cfile", "hello.c", "--target", BINARY.toString(), "-o", "hello.livepatch");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("hello.livepatch: build-id "), r.out());

        r = tool("xen-xsplice", "check", "hello.livepatch", "--target", BINARY.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("hello.livepatch: OK (hello, 1 function"), r.out());
        assertTrue(r.out().contains("    xen_extra_version patch 0x"), r.out());

        final byte[] bad = Files.readAllBytes(dir.resolve("hello.livepatch"));
        bad[4] = 1;
        Files.write(dir.resolve("bad.livepatch"), bad);
        r = tool("xen-xsplice", "check", "bad.livepatch", "--target", BINARY.toString());
        assertEquals(1, r.code(), r.toString());
        assertEquals("xen-xsplice: check bad.livepatch failed: EOPNOTSUPP: ELF header e_ident[EI_CLASS] at offset 0x4 is 1,"
                + " expected 2 (ELFCLASS64)\n", r.err());

        assertEquals(0, tool("xsplice-hv", "start", "--name", name, "--cpus", "2").code());
        r = tool("xen-xsplice", "list");
        assertEquals(0, r.code(), r.toString());
        assertEquals("Nothing to list\n", r.out());

        r = tool("xen-xsplice", "upload", "hello", "hello.livepatch");
        assertEquals(0, r.code(), r.toString());
        assertEquals("Uploading hello.livepatch... completed\n", r.out());
        r = tool("xen-xsplice", "upload", "hello", "hello.livepatch");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("xen-xsplice: upload hello failed: EEXIST: a payload named 'hello' is already loaded"),
                r.err());
        r = tool("xen-xsplice", "upload", "bad", "bad.livepatch");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("xen-xsplice: upload bad failed: EOPNOTSUPP: ELF header e_ident[EI_CLASS]"), r.err());

        r = tool("xen-xsplice", "list");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith(" ID                                     | status     | metadata\n"), r.out());
        assertTrue(r.out().matches("(?s).*\nhello +\\| CHECKED +\\| version=2\\.1\n"), r.out());

        r = tool("xen-xsplice", "unload", "hello");
        assertEquals(0, r.code(), r.toString());
        assertEquals("Unloading hello... completed\n", r.out());
        r = tool("xen-xsplice", "unload", "hello");
        assertEquals(1, r.code(), r.toString());
        assertEquals("Unloading hello... ", r.out(), "the progress is shown before the refusal");
        assertTrue(r.err().startsWith("xen-xsplice: unload hello failed: ENOENT: no payload named 'hello' is loaded"),
                r.err());
        assertEquals("Nothing to list\n", tool("xen-xsplice", "list").out());
        assertEquals(0, tool("xl", "info").code());
    }
}
