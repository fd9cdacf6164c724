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
 * Runs the real launchers in {@code bin/} against the freshly built classes
 * ({@code XSPLICE_CLASSPATH}), with a private run directory and a named hypervisor.
 *
 * @param dir    working directory (and the run directory's parent)
 * @param hvName the hypervisor {@code $XSPLICE_HV} names
 */
record Launchers(Path dir, String hvName) {
    static final Path HOME = Path.of(System.getProperty("xsplice.home")).toAbsolutePath().normalize();
    static final Path BINARY = Path.of(System.getProperty("xsplice.hv.binary")).toAbsolutePath().normalize();

    /** What a launcher printed and returned. */
    record Result(int code, String out, String err) {
    }

    Result tool(final String tool, final String... args) throws Exception {
        final List<String> cmd = new ArrayList<>(List.of(HOME.resolve("bin").resolve(tool).toString()));
        cmd.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        final Map<String, String> env = pb.environment();
        env.put("XSPLICE_CLASSPATH", System.getProperty("java.class.path"));
        env.put("XSPLICE_RUN_DIR", dir.resolve("run").toString());
        env.put("XSPLICE_HV_BINARY", BINARY.toString());
        env.put("XSPLICE_JAVA_HOME", System.getProperty("java.home"));
        env.put("XSPLICE_HV", hvName);
        final Path out = dir.resolve("out-" + UUID.randomUUID());
        final Path err = dir.resolve("err-" + UUID.randomUUID());
        final Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
