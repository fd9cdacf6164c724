package org.xsplice.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real launchers in {@code bin/} as processes, against the classes under test
 * ({@code XSPLICE_CLASSPATH}), a private run directory and one named reference hypervisor.
 *
 * @param dir    working directory of the tools; the run directory lives under it
 * @param name   the hypervisor the tools talk to ({@code XSPLICE_HV})
 * @param binary the hypervisor image {@code xsplice-hv start} runs ({@code XSPLICE_HV_BINARY})
 */
record Launchers(Path dir, String name, Path binary) {
    static final Path HOME = Path.of(System.getProperty("xsplice.home")).toAbsolutePath().normalize();
    static final Path BINARY = Path.of(System.getProperty("xsplice.hv.binary")).toAbsolutePath().normalize();

    /** A tool's exit code and output. */
    record Result(int code, String out, String err) {
    }

    /** Tools talking to hypervisor {@code name}, started from the reference hypervisor's default image. */
    Launchers(final Path dir, final String name) {
        this(dir, name, BINARY);
    }

    static Launchers in(final Path dir, final String prefix) {
        return in(dir, prefix, BINARY);
    }

    /** Tools for a hypervisor running {@code binary}, e.g. a scenario's base-tree build. */
    static Launchers in(final Path dir, final String prefix, final Path binary) {
        return new Launchers(dir, prefix + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 6),
                binary);
    }

    Result tool(final String tool, final String... args) throws Exception {
        final List<String> cmd = new ArrayList<>(List.of(HOME.resolve("bin").resolve(tool).toString()));
        cmd.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        final Map<String, String> env = pb.environment();
        env.put("XSPLICE_CLASSPATH", System.getProperty("java.class.path"));
        env.put("XSPLICE_RUN_DIR", dir.resolve("run").toString());
        env.put("XSPLICE_HV_BINARY", binary.toString());
        env.put("XSPLICE_JAVA_HOME", System.getProperty("java.home"));
        env.put("XSPLICE_HV", name);
        final Path out = dir.resolve("out-" + UUID.randomUUID());
        final Path err = dir.resolve("err-" + UUID.randomUUID());
        final Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
