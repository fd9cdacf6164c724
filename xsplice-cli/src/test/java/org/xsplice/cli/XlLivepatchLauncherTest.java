package org.xsplice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hello-world hot-patch end to end through the real launchers, as the demo shows it: a
 * hypervisor running its workload, {@code xl info}, {@code xl livepatch load}, {@code xl info},
 * revert, {@code xl info} restored, unload; then stacking and REPLACE with {@code xen-xsplice}.
 */
class XlLivepatchLauncherTest {
    private static final Path HOME = Launchers.HOME;
    private static final Path BINARY = Launchers.BINARY;
    /** 1 s instead of Xen's 30 ms: the CI host shares two cores between pCPU threads and builds. */
    private static final String TIMEOUT = "1000000000";

    @TempDir
    Path dir;

    private final String name = "xl-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 6);

    private Launchers.Result tool(final String tool, final String... args) throws Exception {
        return new Launchers(dir, name).tool(tool, args);
    }

    private String xenExtra() throws Exception {
        final Launchers.Result r = tool("xl", "info");
        assertEquals(0, r.code(), r.toString());
        final Matcher m = Pattern.compile("(?m)^xen_extra +: (.*)$").matcher(r.out());
        assertTrue(m.find(), r.out());
        return m.group(1);
    }

    private void build(final String c, final String... more) throws Exception {
        final List<String> args = new ArrayList<>(List.of("cfile", HOME.resolve("examples/livepatch/" + c + ".c").toString(),
                "--target", BINARY.toString(), "-o", c + ".livepatch"));
        args.addAll(List.of(more));
        final Launchers.Result r = tool("xsplice-build", args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
    }

    @AfterEach
    void stop() throws Exception {
        tool("xsplice-hv", "stop", "--name", name);
    }

    @Test
    void helloWorldLoadRevertUnloadThenStackAndReplace() throws Exception {
        build("hello_world");
        build("bye_world", "--depends-file", "hello_world.livepatch");
        build("replace_world");
        assertEquals(0, tool("xsplice-hv", "start", "--name", name, "--cpus", "4").code());
        final String before = xenExtra();
        assertEquals("-xsplice", before);

        Launchers.Result r = tool("xl", "livepatch", "load", "hello_world.livepatch", "--timeout", TIMEOUT);
        assertEquals(0, r.code(), r.toString());
        assertEquals("Uploading hello_world.livepatch... completed\nApplying hello_world... completed\n", r.out());
        assertEquals("Hello World", xenExtra());
        r = tool("xl", "dmesg");
        assertTrue(r.out().contains("(XEN) hello_world: load hook executing\n"), "the load hook ran on the master: " + r.out());
        r = tool("xl", "livepatch", "list");
        assertTrue(r.out().matches("(?s).*\nhello_world +\\| APPLIED +\\| version=1\\.0\n"), r.out());
        r = tool("xl", "livepatch", "unload", "hello_world");
        assertEquals(2, r.code(), "EBUSY is 'retry': " + r);
        assertEquals("Unloading hello_world... ", r.out(), "the progress is shown before the refusal");
        assertTrue(r.err().startsWith("xl: ") && r.err().endsWith(" (EBUSY)\n"), "xl's words: " + r.err());

        r = tool("xl", "livepatch", "revert", "hello_world", "--timeout", TIMEOUT);
        assertEquals(0, r.code(), r.toString());
        assertEquals("Reverting hello_world... completed\n", r.out());
        assertEquals(before, xenExtra());
        assertEquals(0, tool("xl", "livepatch", "unload", "hello_world").code());
        assertEquals("Nothing to list\n", tool("xl", "livepatch", "list").out());

        // bye_world alone: its dependency (hello_world's build-id) is not the top: refused, unloaded again.
        r = tool("xen-xsplice", "load", "bye_world.livepatch", "--timeout", TIMEOUT);
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("EINVAL: payload 'bye_world' depends on build-id"), r.err());
        assertEquals("Nothing to list\n", tool("xen-xsplice", "list").out());

        assertEquals(0, tool("xen-xsplice", "load", "hello_world.livepatch", "--timeout", TIMEOUT).code());
        assertEquals(0, tool("xen-xsplice", "load", "bye_world.livepatch", "--timeout", TIMEOUT).code());
        assertEquals("Bye World", xenExtra());
        r = tool("xen-xsplice", "revert", "hello_world", "--timeout", TIMEOUT);
        assertEquals(2, r.code(), "only the top reverts: " + r);
        r = tool("xl", "livepatch", "replace", "replace_world.livepatch", "--timeout", TIMEOUT);
        assertEquals(0, r.code(), r.toString());
        assertEquals("Hello Again", xenExtra());
        r = tool("xen-xsplice", "revert", "replace_world", "--timeout", TIMEOUT);
        assertEquals(0, r.code(), r.toString());
        assertEquals(before, xenExtra());
        for (final String p : List.of("hello_world", "bye_world", "replace_world")) {
            assertEquals(0, tool("xen-xsplice", "unload", p).code(), p);
        }

        // The expert tool step by step: upload, apply (refused on depends, then --nodeps), revert,
        // apply, replace, revert, unload.
        for (final String p : List.of("hello_world", "bye_world", "replace_world")) {
            assertEquals(0, tool("xen-xsplice", "upload", p, p + ".livepatch").code(), p);
        }
        r = tool("xen-xsplice", "apply", "bye_world", "--timeout", TIMEOUT);
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("EINVAL: payload 'bye_world' depends on build-id"), r.err());
        r = tool("xen-xsplice", "apply", "--nodeps", "bye_world", "--timeout", TIMEOUT);
        assertEquals(0, r.code(), r.toString());
        assertEquals("Applying bye_world... completed\n", r.out());
        assertEquals("Bye World", xenExtra());
        assertEquals(0, tool("xen-xsplice", "revert", "bye_world", "--timeout", TIMEOUT).code());
        assertEquals(0, tool("xen-xsplice", "apply", "hello_world", "--timeout", TIMEOUT).code());
        assertEquals("Hello World", xenExtra());
        r = tool("xen-xsplice", "replace", "replace_world", "--timeout", TIMEOUT);
        assertEquals(0, r.code(), r.toString());
        assertEquals("Replacing all live patches with replace_world... completed\n", r.out());
        assertEquals("Hello Again", xenExtra());
        r = tool("xen-xsplice", "list");
        assertTrue(r.out().matches("(?s).*\nhello_world +\\| CHECKED .*\nreplace_world +\\| APPLIED .*"), r.out());
        assertEquals(0, tool("xen-xsplice", "revert", "replace_world", "--timeout", TIMEOUT).code());
        assertEquals(before, xenExtra());
        for (final String p : List.of("hello_world", "bye_world", "replace_world")) {
            assertEquals(0, tool("xen-xsplice", "unload", p).code(), p);
        }

        // A data object changed by a load hook, restored by the unload hook.
        build("extra_data");
        assertEquals(0, tool("xl", "livepatch", "load", "extra_data.livepatch", "--timeout", TIMEOUT).code());
        assertEquals("Data World", xenExtra());
        assertEquals(0, tool("xl", "livepatch", "revert", "extra_data", "--timeout", TIMEOUT).code());
        assertEquals(before, xenExtra());
        assertEquals(0, tool("xl", "livepatch", "unload", "extra_data").code());
        // An apply hook that applies nothing: the load fails, nothing is patched, the payload is unloaded again.
        build("action_hooks_noapply");
        r = tool("xl", "livepatch", "load", "action_hooks_noapply.livepatch", "--timeout", TIMEOUT);
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().endsWith("\nApplying action_hooks_noapply... failed\nUnloading action_hooks_noapply... completed\n"),
                r.toString());
        assertEquals("Error 22: Invalid argument\n", r.err(), "xen-livepatch's words, on the error stream");
        assertEquals(before, xenExtra());
        r = tool("xl", "dmesg");
        assertTrue(r.out().contains("(XEN) action_hooks_noapply: apply hook: not applying xen_extra_version\n"), r.toString());
        assertEquals("Nothing to list\n", tool("xl", "livepatch", "list").out());

        // The rendezvous's second user: a microcode update, every CPU's revision in xl info.
        Files.write(dir.resolve("ucode.bin"), org.xsplice.hv.Microcode.make(0x77, 1024));
        r = tool("xen-xsplice", "ucode", "ucode.bin", "--timeout", TIMEOUT);
        assertEquals(0, r.code(), r.toString());
        assertEquals("Loading microcode ucode.bin: revision 0x77 on every CPU\n", r.out());
        assertTrue(tool("xl", "info").out().contains("\nucode_revision         : 0x77 0x77 0x77 0x77\n"));
    }
}
