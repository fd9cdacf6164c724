package org.xsplice.xen.lab;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import org.xsplice.xen.lab.internal.JavaRuntimeImage;
import org.xsplice.xen.lab.internal.ToolstackImage;

/**
 * The project's tools as dom0 gets them: the class path packed as jars in
 * {@code /opt/xsplice/lib}, one launcher per tool in {@code /opt/xsplice/bin} running the
 * jlink'ed runtime, and an ahead-of-time cache made on the host from one training run, so that
 * each start in the emulated dom0 maps the classes loaded and linked instead of loading them from
 * the jars.
 *
 * @param classpath the class path (directories are packed as jars named after their module)
 * @param launchers tool name to main class, e.g. {@code xl -> org.xsplice.cli.xl.XlCommand}
 * @param training  the arguments of the training run: a tool name, then its arguments (its exit
 *                  code does not matter: the classes it loaded are what counts)
 */
public record Toolstack(List<Path> classpath, Map<String, String> launchers, List<String> training)
{
    /** Where the launchers are in dom0. */
    public static final String BIN = "/opt/xsplice/bin";
    /** Where the jars and the archive are in dom0. */
    public static final String LIB = "/opt/xsplice/lib";
    /** Extra JVM options a launcher passes, e.g. {@code -XX:AOTMode=on} to insist on the AOT cache. */
    public static final String JAVA_OPTS_ENV = "XSPLICE_JAVA_OPTS";

    public Toolstack
    {
        classpath = List.copyOf(classpath);
        launchers = Map.copyOf(new TreeMap<>(launchers));
        training = List.copyOf(training);
        if (classpath.isEmpty() || launchers.isEmpty())
        {
            throw new IllegalArgumentException("a toolstack needs a class path and at least one launcher");
        }
        for (final String tool : launchers.keySet())
        {
            if (!tool.matches("[A-Za-z0-9._-]+"))
            {
                throw new IllegalArgumentException("tool name must be [A-Za-z0-9._-]+: " + tool);
            }
        }
        if (training.isEmpty() || !launchers.containsKey(training.getFirst()))
        {
            throw new IllegalArgumentException("the training run must start with a tool name: " + training);
        }
        Objects.requireNonNull(launchers.get(training.getFirst()));
    }

    /**
     * The image on the host: what a dom0 gets under {@code /opt/xsplice}.
     *
     * @param jre the jlink'ed runtime ({@code /opt/xsplice/jre})
     * @param lib the jars and the AOT cache ({@code /opt/xsplice/lib}); the jars' mtime is 0, as the cache expects
     * @param bin the launchers ({@code /opt/xsplice/bin})
     */
    public record Image(Path jre, Path lib, Path bin)
    {
    }

    /**
     * Builds (or finds cached in {@code cacheDir}) the runtime and these tools for dom0.
     *
     * @throws IOException if jlink or the training run fails
     */
    public Image build(final Path cacheDir) throws IOException
    {
        final Path root = ToolstackImage.cpio(cacheDir, this).resolveSibling("root");
        return new Image(JavaRuntimeImage.home(cacheDir), root.resolve("lib"), root.resolve("bin"));
    }

    /** {@return the path of a tool's launcher in dom0} */
    public static String tool(final String name)
    {
        return BIN + "/" + name;
    }
}
