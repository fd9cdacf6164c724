package org.xsplice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.Elf;

/**
 * The real launchers, {@code bin/xsplice-hv} and {@code bin/xl}, run as processes against the
 * classes this build just made (XSPLICE_CLASSPATH), with a private run directory.
 */
class HvLauncherTest {
    private static final Path HOME = Path.of(System.getProperty("xsplice.home")).toAbsolutePath().normalize();
    private static final Path BINARY = Path.of(System.getProperty("xsplice.hv.binary")).toAbsolutePath().normalize();

    @TempDir
    Path run;

    private final String name = "cli-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 6);

    record Result(int code, String out, String err) {
    }

    private Result tool(final Map<String, String> extraEnv, final String tool, final String... args) throws Exception {
        final List<String> cmd = new java.util.ArrayList<>(List.of(HOME.resolve("bin").resolve(tool).toString()));
        cmd.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(cmd);
        final Map<String, String> env = pb.environment();
        env.put("XSPLICE_CLASSPATH", System.getProperty("java.class.path"));
        env.put("XSPLICE_RUN_DIR", run.toString());
        env.put("XSPLICE_HV_BINARY", BINARY.toString());
        env.put("XSPLICE_JAVA_HOME", System.getProperty("java.home"));
        env.remove("XSPLICE_HV");
        env.putAll(extraEnv);
        final Path out = run.resolve("out-" + UUID.randomUUID());
        final Path err = run.resolve("err-" + UUID.randomUUID());
        final Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        return new Result(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
                java.nio.file.Files.readString(err, StandardCharsets.UTF_8));
    }

    private Result tool(final String tool, final String... args) throws Exception {
        return tool(Map.of(), tool, args);
    }

    @AfterEach
    void stop() throws Exception {
        tool("xsplice-hv", "stop", "--name", name);
    }

    @Test
    void startInfoDmesgDebugKeysSymbolStop() throws Exception {
        Result r = tool("xsplice-hv", "start", "--name", name, "--cpus", "4");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("hypervisor " + name + " started"), r.out());

        r = tool("xsplice-hv", "start", "--name", name);
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("xsplice-hv: hypervisor " + name + " is already running (pid "), r.err());

        final Map<String, String> sel = Map.of("XSPLICE_HV", name);
        r = tool(sel, "xl", "info");
        assertEquals(0, r.code(), r.toString());
        final Map<String, String> info = new HashMap<>();
        final Matcher m = Pattern.compile("(?m)^(\\w+) +: (.*)$").matcher(r.out());
        while (m.find()) {
            info.put(m.group(1), m.group(2));
        }
        final ElfModel elf = Elf.of().parse(BINARY);
        assertEquals(elf.buildId().orElseThrow().hex(), info.get("build_id"));
        assertEquals("4", info.get("nr_cpus"));
        assertEquals("-xsplice", info.get("xen_extra"));
        assertTrue(r.out().startsWith("host                   : "), r.out());

        // Without XSPLICE_HV, the only one running is the default.
        assertEquals(0, tool("xl", "debug-keys", "h").code());
        r = tool("xl", "dmesg");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("(XEN) Hypervisor '" + name + "' ready"), r.out());
        assertTrue(r.out().contains("key 'x' (ascii '78') => print livepatch info"), r.out());
        assertEquals(0, tool("xl", "dmesg", "-c").code());
        assertEquals("", tool("xl", "dmesg").out());

        r = tool("xl", "symbol", "do_domctl+0xf");
        assertEquals(0, r.code(), r.toString());
        final String addr = r.out().strip();
        assertTrue(addr.matches("0x[0-9a-f]{16}"), addr);
        r = tool("xl", "symbol", addr);
        assertTrue(r.out().strip().matches("<do_domctl>\\+0xf/0x[0-9a-f]+"), r.out());
        r = tool("xl", "symbol", "no_such_symbol");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("xl: ") && r.err().endsWith("unknown symbol 'no_such_symbol' (ENOENT)\n"), r.err());

        r = tool("xsplice-hv", "list");
        assertTrue(r.out().matches("(?s).*" + Pattern.quote(name) + " +running +\\d+ +4.*"), r.out());

        r = tool("xsplice-hv", "stop", "--name", name);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("hypervisor " + name + " stopped"), r.out());
        r = tool("xsplice-hv", "stop", "--name", name);
        assertEquals(1, r.code());
        assertEquals("xsplice-hv: hypervisor " + name + " is not running\n", r.err());
        r = tool(sel, "xl", "info");
        assertEquals(1, r.code());
        assertEquals("xl: no hypervisor named " + name + " is running (ESRCH)\n", r.err());
    }
}
