package org.xsplice.build.tree;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Builds a source tree out of place and captures every object it compiles. The defaults fit the
 * reference hypervisor ({@code make O=<dir>}, objects {@code <dir>/**.o} named by their path
 * relative to it, as Xen names them); another tree gives its own make command and variables.
 *
 * @param make     the build command, run in the tree with {@code O=<out>} and {@code -jN} appended
 * @param vars     extra {@code NAME=value} make variables (compile flags, pinned version strings)
 * @param jobs     parallel jobs
 * @param progress where progress lines go (a no-op when quiet)
 */
public record TreeBuilder(List<String> make, List<String> vars, int jobs, Consumer<String> progress) {

    /** Version strings pinned in both builds so files carrying dates or hosts do not differ spuriously. */
    public static final List<String> PINNED = List.of("XEN_COMPILE_DATE=xsplice-build", "XEN_COMPILE_BY=xsplice",
            "XEN_COMPILE_DOMAIN=xsplice", "XEN_CHANGESET=xsplice-build");

    public TreeBuilder {
        make = List.copyOf(make);
        vars = List.copyOf(vars);
    }

    /** {@return a copy of {@code src} at {@code dest} (which must not exist)} */
    public static Path copy(final Path src, final Path dest) throws IOException {
        Files.createDirectories(dest.getParent());
        run(List.of("cp", "-a", src.toString() + "/.", dest.toString()), null, "copying " + src);
        return dest;
    }

    /** Applies a unified diff to {@code tree} with {@code patch -p1}, or throws with patch's own message. */
    public static void applyPatch(final Path tree, final Path patch) throws IOException {
        run(List.of("patch", "-p1", "--batch", "--forward", "--fuzz=0", "--no-backup-if-mismatch", "-d", tree.toString(), "-i",
                patch.toAbsolutePath().toString()), null, "applying " + patch.getFileName());
    }

    /**
     * Builds {@code tree} into {@code out}.
     *
     * @return every object under {@code out}, by path relative to it
     */
    public Map<String, Path> build(final Path tree, final Path out, final String what) throws IOException {
        Files.createDirectories(out);
        final List<String> cmd = new ArrayList<>(make);
        cmd.add("-j" + jobs);
        cmd.add("O=" + out.toAbsolutePath());
        cmd.addAll(vars);
        progress.accept("  BUILD   " + what + " (" + String.join(" ", make) + " -j" + jobs + ")");
        final long t0 = System.nanoTime();
        run(cmd, tree, "building " + what);
        final Map<String, Path> objects = objects(out);
        progress.accept(String.format("  BUILT   %s: %d objects in %.1f s", what, objects.size(),
                (System.nanoTime() - t0) / 1e9));
        return objects;
    }

    /** {@return the objects under {@code dir}, by relative path} */
    public static Map<String, Path> objects(final Path dir) throws IOException {
        final Map<String, Path> objects = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(p -> p.toString().endsWith(".o") && Files.isRegularFile(p))
                    .forEach(p -> objects.put(dir.relativize(p).toString(), p));
        }
        return objects;
    }

    private static void run(final List<String> cmd, final Path dir, final String what) throws IOException {
        final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (null != dir) {
            pb.directory(dir.toFile());
        }
        pb.environment().put("LC_ALL", "C");
        final Process p = pb.start();
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new BuildException(what + " failed (" + String.join(" ", cmd) + "):\n" + tail(output));
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroy();
            throw new BuildException(what + " interrupted");
        }
    }

    private static String tail(final String s) {
        final String[] lines = s.split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 30), lines.length));
    }
}
