package org.xsplice.xen.lab.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * The Java runtime dom0 runs the project with: a jlink'ed image of the running JDK holding the
 * modules the project's tools need ({@link #MODULES}), packed as an uncompressed cpio archive rooted at
 * {@code /opt/xsplice/jre} that the lab appends to a boot's initramfs. jlink already compresses
 * the class data, so the archive is not compressed again.
 *
 * <p>Cached in the lab's cache directory, keyed by the JDK's home and version and the jlink
 * options; a file lock (plus a JVM-wide monitor, since file locks are per process) lets one caller
 * build it while others wait.
 */
public final class JavaRuntimeImage
{
    /** Where the image appears in dom0. */
    public static final String GUEST_HOME = "/opt/xsplice/jre";

    /**
     * FFM lives in java.base; the rest is what jdeps reports for the toolstack's class path:
     * BouncyCastle (signature checks) needs java.logging, java.naming and java.sql, the reference
     * hypervisor's control client jdk.net. picocli needs only java.base.
     */
    private static final List<String> MODULES = List.of("java.base", "java.logging", "java.naming", "java.sql",
                                                        "jdk.net");
    private static final List<String> OPTIONS = List.of("--strip-debug", "--no-header-files", "--no-man-pages",
        "--compress=zip-6", "--generate-cds-archive");

    private JavaRuntimeImage()
    {
    }

    /** {@return the cpio archive of the runtime image, built on first use} */
    public static synchronized Path cpio(final Path cacheDir) throws IOException
    {
        final Path archive = cacheDir.resolve("jre-" + key()).resolve("jre.cpio");
        return cached(archive, cpio -> {
            final Path image = archive.resolveSibling("image");
            deleteTree(image);
            jlink(image);
            cpio.copy(image, GUEST_HOME);
        });
    }

    /** What fills a cached archive: stages its files, then writes them to {@code cpio}. */
    interface ArchiveContent
    {
        void write(CpioWriter cpio) throws IOException;
    }

    /**
     * {@return {@code archive}, written by {@code content} unless it exists} Built under a lock file
     * beside it, into a temporary file moved into place: one process builds while the others wait,
     * and none sees half an archive.
     */
    static Path cached(final Path archive, final ArchiveContent content) throws IOException
    {
        if (Files.exists(archive))
        {
            return archive;
        }
        final Path dir = Files.createDirectories(archive.getParent());
        try (FileChannel lockFile = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE,
                                                     StandardOpenOption.WRITE);
             FileLock _ = lockFile.lock())
        {
            if (Files.exists(archive))
            {
                return archive;
            }
            final Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20);
                 CpioWriter cpio = new CpioWriter(out))
            {
                content.write(cpio);
            }
            Files.move(tmp, archive);
            return archive;
        }
    }

    /** {@return the runtime image on the host (the same bits as in dom0), built on first use} */
    public static synchronized Path home(final Path cacheDir) throws IOException
    {
        final Path image = cpio(cacheDir).resolveSibling("image");
        if (!Files.isExecutable(image.resolve("bin/java")))
        {
            throw new IOException("runtime image " + image + " is incomplete; remove " + image.getParent()
                                  + " to rebuild it");
        }
        return image;
    }

    /** {@return the key of this runtime: changes when the JDK, the modules or the jlink options do} */
    public static String version()
    {
        return key();
    }

    private static void jlink(final Path image) throws IOException
    {
        final ToolProvider jlink = ToolProvider.findFirst("jlink")
            .orElseThrow(() -> new IOException("jlink is not available in " + System.getProperty("java.home")
                                               + " (a full JDK 25 is needed to build the dom0 runtime)"));
        final StringWriter log = new StringWriter();
        final String[] args = Stream.of(
                List.of("--add-modules", String.join(",", MODULES), "--output", image.toString()), OPTIONS)
            .flatMap(List::stream).toArray(String[]::new);
        final int rc;
        try (PrintWriter w = new PrintWriter(log))
        {
            rc = jlink.run(w, w, args);
        }
        if (0 != rc)
        {
            throw new IOException("jlink " + String.join(" ", args) + " failed (" + rc + "):\n" + log);
        }
    }

    private static String key()
    {
        try
        {
            final MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((System.getProperty("java.home") + "\n" + Runtime.version() + "\n" + MODULES + "\n" + OPTIONS)
                          .getBytes(StandardCharsets.UTF_8));
            return Runtime.version().feature() + "-" + HexFormat.of().formatHex(md.digest(), 0, 6);
        }
        catch (final NoSuchAlgorithmException e)
        {
            throw new AssertionError("SHA-256 is mandatory in every JDK", e);
        }
    }

    static void deleteTree(final Path root) throws IOException
    {
        if (!Files.exists(root))
        {
            return;
        }
        try (Stream<Path> walk = Files.walk(root))
        {
            for (final Path p : walk.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(p);
            }
        }
    }
}
