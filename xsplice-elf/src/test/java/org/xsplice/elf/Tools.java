package org.xsplice.elf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real toolchain (gcc, ld, readelf, objdump) for the tests. */
final class Tools {
    private Tools() {
    }

    /** The result of a finished process. */
    record Result(int exit, String out, String err) {
    }

    static Result run(final Path dir, final String... cmd) throws IOException, InterruptedException {
        final ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        final Path out = Files.createTempFile(dir, "out", ".txt");
        final Path err = Files.createTempFile(dir, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        final Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", cmd));
        }
        final Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1),
                Files.readString(err, StandardCharsets.ISO_8859_1));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    /** Runs {@code cmd} and returns its standard output; fails on a non-zero exit or any stderr output. */
    static String check(final Path dir, final String... cmd) throws IOException, InterruptedException {
        final Result r = run(dir, cmd);
        if (0 != r.exit() || !r.err().isBlank()) {
            throw new AssertionError(String.join(" ", cmd) + " -> exit " + r.exit() + "\n" + r.err() + r.out());
        }
        return r.out();
    }

    /** Compiles {@code name}.c (written from {@code source}) to {@code name}.o with the given flags. */
    static Path compile(final Path dir, final String name, final String source, final String... flags)
            throws IOException, InterruptedException {
        final Path c = dir.resolve(name + ".c");
        Files.writeString(c, source);
        final List<String> cmd = new ArrayList<>(List.of("gcc", "-c", "-o", name + ".o", name + ".c"));
        cmd.addAll(List.of(flags));
        check(dir, cmd.toArray(String[]::new));
        return dir.resolve(name + ".o");
    }
}
