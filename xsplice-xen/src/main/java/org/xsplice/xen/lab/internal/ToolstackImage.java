package org.xsplice.xen.lab.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.xsplice.xen.lab.Toolstack;

/**
 * Builds the {@code /opt/xsplice} part of dom0 for a {@link Toolstack}: jars, launchers and an
 * ahead-of-time cache (JDK 25's AOT cache, JEP 483/514: the classes loaded and linked by a
 * training run, java.base's included), packed as a cpio archive that follows the runtime's.
 *
 * <pre>
 *  host: cache/toolstack-&lt;key&gt;/root/            dom0: /opt/xsplice/
 *          lib/NN-&lt;module&gt;.jar  (mtime 0)              lib/NN-&lt;module&gt;.jar  (cpio mtime 0)
 *          lib/xsplice.aot  &lt;── training run of the      lib/xsplice.aot
 *          bin/&lt;tool&gt;          jlink'ed java on the host   bin/&lt;tool&gt; ──► /opt/xsplice/jre/bin/java
 * </pre>
 *
 * <p>The cache is made on the host with the very runtime image dom0 gets, and the launchers' JVM
 * options: the JVM accepts it when the class path has the same jars in the same order (it may
 * live under another directory) and each jar has the size and modification time it had at
 * training time. The initramfs gives every file mtime 0, so the host's jars get mtime 0 first.
 * An AOT cache rather than a dynamic CDS archive: the latter cannot hold picocli (compiled for an
 * old class-file version) and, laid over jlink's base archive, makes the JVM print an error about
 * {@code --enable-native-access} on every start. Cached by a hash of the runtime's key, the class
 * path's contents, the launchers and the training run.
 */
public final class ToolstackImage
{
    /**
     * The JVM options of every launcher and of the training run (the cache needs the same ones).
     * Interpreter only: a tool runs for a moment, and under QEMU's TCG the JIT compilers cost more
     * than they save; C1 once died there with an internal error (relocInfo_x86.cpp:110) while
     * patching a call site.
     */
    static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xint", "--enable-native-access=ALL-UNNAMED");
    private static final String ARCHIVE = "xsplice.aot";
    private static final long TRAINING_LIMIT_SECONDS = 300;
    /** Toolstack directories kept in the cache. */
    private static final int KEPT = 3;

    private ToolstackImage()
    {
    }

    /** {@return the cpio archive of {@code /opt/xsplice} (without the runtime) for these tools} */
    public static synchronized Path cpio(final Path cacheDir, final Toolstack tools) throws IOException
    {
        final Path dir = cacheDir.resolve("toolstack-" + key(tools));
        return JavaRuntimeImage.cached(dir.resolve("toolstack.cpio"), cpio -> {
            prune(cacheDir, dir);
            final Path root = dir.resolve("root");
            JavaRuntimeImage.deleteTree(root);
            final Path lib = Files.createDirectories(root.resolve("lib"));
            final Path bin = Files.createDirectories(root.resolve("bin"));
            final List<String> jars = jars(tools.classpath(), lib);
            train(JavaRuntimeImage.home(cacheDir), tools, lib, jars, dir.resolve("training.log"));
            final String guestClasspath = String.join(":", jars.stream().map(j -> Toolstack.LIB + "/" + j).toList());
            for (final Map.Entry<String, String> t : tools.launchers().entrySet())
            {
                final Path launcher = bin.resolve(t.getKey());
                Files.writeString(launcher, "#!/bin/sh\n"
                    + "# " + t.getKey() + " on the project's runtime, with the class data archived at build time.\n"
                    + "exec " + JavaRuntimeImage.GUEST_HOME + "/bin/java " + String.join(" ", JVM_OPTIONS)
                    + " -XX:AOTCache=" + Toolstack.LIB + "/" + ARCHIVE + " $" + Toolstack.JAVA_OPTS_ENV
                    + " -cp " + guestClasspath + " " + t.getValue() + " \"$@\"\n", StandardCharsets.UTF_8);
                if (!launcher.toFile().setExecutable(true, false))
                {
                    throw new IOException("cannot make " + launcher + " executable");
                }
            }
            cpio.copy(lib, Toolstack.LIB);
            cpio.copy(bin, Toolstack.BIN);
        });
    }

    /** Copies or packs each class path entry into {@code lib} as {@code NN-name.jar}; {@return their names} */
    private static List<String> jars(final List<Path> classpath, final Path lib) throws IOException
    {
        final List<String> names = new ArrayList<>();
        for (final Path entry : classpath)
        {
            final String name = String.format("%02d-%s.jar", names.size(), moduleName(entry));
            final Path jar = lib.resolve(name);
            if (Files.isDirectory(entry))
            {
                pack(entry, jar);
            }
            else if (Files.isRegularFile(entry))
            {
                Files.copy(entry, jar);
            }
            else
            {
                throw new IOException("class path entry does not exist: " + entry);
            }
            // dom0 sees mtime 0 (the initramfs carries none); the archive records the jar's mtime.
            Files.setLastModifiedTime(jar, FileTime.fromMillis(0));
            names.add(name);
        }
        return names;
    }

    /** Runs the training command once with the host's copy of the runtime, writing the AOT cache at exit. */
    private static void train(final Path javaHome, final Toolstack tools, final Path lib, final List<String> jars,
                              final Path log) throws IOException
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(javaHome.resolve("bin/java").toString());
        cmd.addAll(JVM_OPTIONS);
        cmd.add("-XX:AOTCacheOutput=" + lib.resolve(ARCHIVE));
        cmd.add("-cp");
        cmd.add(String.join(":", jars.stream().map(j -> lib.resolve(j).toString()).toList()));
        cmd.add(tools.launchers().get(tools.training().getFirst()));
        cmd.addAll(tools.training().subList(1, tools.training().size()));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try
        {
            if (!p.waitFor(TRAINING_LIMIT_SECONDS, TimeUnit.SECONDS))
            {
                p.destroyForcibly().waitFor();
                throw new IOException("training run " + cmd + " exceeded " + TRAINING_LIMIT_SECONDS + " s");
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during the training run", e);
        }
        if (!Files.isRegularFile(lib.resolve(ARCHIVE)))
        {
            throw new IOException("training run " + cmd + " (exit " + p.exitValue() + ") wrote no archive:\n"
                                  + Files.readString(log, StandardCharsets.UTF_8));
        }
    }

    /** Packs a class directory into a jar, entries in name order. */
    private static void pack(final Path dir, final Path jar) throws IOException
    {
        final List<Path> files;
        try (Stream<Path> walk = Files.walk(dir))
        {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        try (JarOutputStream out = new JarOutputStream(new BufferedOutputStream(Files.newOutputStream(jar))))
        {
            for (final Path f : files)
            {
                out.putNextEntry(new JarEntry(dir.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    /** {@return a readable name: {@code xsplice-cli} for {@code .../xsplice-cli/target/classes}, else the file name} */
    private static String moduleName(final Path entry)
    {
        final Path abs = entry.toAbsolutePath().normalize();
        final String file = abs.getFileName().toString();
        if (Files.isDirectory(abs) && "classes".equals(file) && null != abs.getParent()
            && null != abs.getParent().getParent())
        {
            return abs.getParent().getParent().getFileName().toString();
        }
        return file.replaceFirst("\\.jar$", "");
    }

    private static String key(final Toolstack tools) throws IOException
    {
        try
        {
            final MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((JavaRuntimeImage.version() + "\n" + JVM_OPTIONS + "\n" + ARCHIVE + "\n" + tools.launchers() + "\n"
                       + tools.training() + "\n").getBytes(StandardCharsets.UTF_8));
            for (final Path entry : tools.classpath())
            {
                md.update(("entry " + moduleName(entry) + "\n").getBytes(StandardCharsets.UTF_8));
                if (Files.isDirectory(entry))
                {
                    final List<Path> files;
                    try (Stream<Path> walk = Files.walk(entry))
                    {
                        files = walk.filter(Files::isRegularFile).sorted().toList();
                    }
                    for (final Path f : files)
                    {
                        md.update((entry.relativize(f) + "\n").getBytes(StandardCharsets.UTF_8));
                        md.update(Files.readAllBytes(f));
                    }
                }
                else
                {
                    md.update(Files.readAllBytes(entry));
                }
            }
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        }
        catch (final NoSuchAlgorithmException e)
        {
            throw new AssertionError("SHA-256 is mandatory in every JDK", e);
        }
    }

    /** Keeps the newest {@link #KEPT} toolstack directories: each change of the tools makes a new one. */
    private static void prune(final Path cacheDir, final Path keep) throws IOException
    {
        final List<Path> old;
        try (Stream<Path> list = Files.list(cacheDir))
        {
            old = list.filter(p -> p.getFileName().toString().startsWith("toolstack-") && !p.equals(keep))
                .sorted(Comparator.comparing(ToolstackImage::modified).reversed()).toList();
        }
        for (final Path p : old.subList(Math.min(KEPT - 1, old.size()), old.size()))
        {
            JavaRuntimeImage.deleteTree(p);
        }
    }

    private static FileTime modified(final Path p)
    {
        try
        {
            return Files.getLastModifiedTime(p);
        }
        catch (final IOException e)
        {
            return FileTime.fromMillis(0);
        }
    }
}
