package org.xsplice.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import org.xsplice.xen.lab.Toolstack;
import org.xsplice.xen.lab.XenLab;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code xsplice dom0-image DIR}: the toolstack for a Xen dom0 as a tree to unpack at {@code /}:
 * {@code DIR/opt/xsplice/jre} (a jlink'ed JDK 25 runtime), {@code lib} (this build's jars and an
 * AOT cache made by a training run) and {@code bin/xl}, {@code bin/xen-xsplice}. Copy it as is
 * ({@code tar} keeps the jars' modification time, which the AOT cache checks).
 */
@Command(name = "dom0-image", header = "Write the xsplice toolstack for a Xen dom0 (/opt/xsplice) under DIR.",
        mixinStandardHelpOptions = true)
public final class Dom0ImageCommand implements Callable<Integer> {
    /** The tools a dom0 gets; neither shadows the distribution's own {@code xl} in {@code /usr/sbin}. */
    private static final Map<String, String> LAUNCHERS = Map.of(
            "xl", "org.xsplice.cli.xl.XlCommand",
            "xen-xsplice", "org.xsplice.cli.expert.XenXspliceCommand");
    /** On the build host the Xen backend fails at loading libxenctrl, after loading what it needs. */
    private static final List<String> TRAINING = List.of("xen-xsplice", "--backend", "xen", "list");

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "where to write opt/xsplice (created)")
    Path out;

    @Option(names = "--cache", paramLabel = "DIR", description = "build cache (default: the real-Xen lab's, $"
            + XenLab.CACHE_ENV + " or ~/.cache/xsplice/xenlab)")
    Path cache;

    /** {@return the dom0 toolstack for a class path (this JVM's, or the tests' classes)} */
    public static Toolstack toolstack(final List<Path> classpath) {
        return new Toolstack(classpath, LAUNCHERS, TRAINING);
    }

    @Override
    public Integer call() throws IOException {
        final List<Path> cp = new ArrayList<>();
        for (final String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            cp.add(Path.of(e));
        }
        final Path dir = null != cache ? cache : defaultCache();
        final Toolstack.Image image = toolstack(cp).build(dir);
        final Path opt = out.resolve("opt/xsplice");
        copyTree(image.jre(), opt.resolve("jre"));
        copyTree(image.lib(), opt.resolve("lib"));
        copyTree(image.bin(), opt.resolve("bin"));
        spec.commandLine().getOut().printf("%s: /opt/xsplice/bin/xl and /opt/xsplice/bin/xen-xsplice for dom0 "
                + "(unpack at /; they need libxenctrl.so.4.17, e.g. Debian's xen-utils-4.17)%n", opt);
        return ExitCodes.OK;
    }

    private static Path defaultCache() {
        final String env = System.getenv(XenLab.CACHE_ENV);
        return null != env && !env.isEmpty() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "xsplice", "xenlab");
    }

    /** Copies a tree, times and modes kept; links to files become copies (jlink's legal notices). */
    private static void copyTree(final Path from, final Path to) throws IOException {
        final List<Path> all;
        try (Stream<Path> walk = Files.walk(from)) {
            all = walk.sorted().toList();
        }
        for (final Path p : all) {
            final Path target = to.resolve(from.relativize(p).toString());
            if (Files.isDirectory(p)) {
                Files.createDirectories(target);
            } else {
                Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
