package org.xsplice.xen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs real tools (gcc, ld, nm, cpio) for the tests. */
public final class Tools
{
    private Tools()
    {
    }

    /** Runs {@code cmd} in {@code dir}; fails the test on a non-zero exit. {@return its standard output} */
    public static String check(final Path dir, final String... cmd) throws IOException, InterruptedException
    {
        final Path out = Files.createTempFile(dir, "out", ".txt");
        final Path err = Files.createTempFile(dir, "err", ".txt");
        final Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
            .redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", cmd));
        }
        final String o = Files.readString(out, StandardCharsets.ISO_8859_1);
        final String e = Files.readString(err, StandardCharsets.ISO_8859_1);
        Files.delete(out);
        Files.delete(err);
        if (0 != p.exitValue())
        {
            throw new AssertionError(String.join(" ", cmd) + " -> exit " + p.exitValue() + "\n" + e + o);
        }
        return o;
    }

    /** {@return the lines of {@code text}} */
    public static List<String> lines(final String text)
    {
        return text.lines().toList();
    }
}
