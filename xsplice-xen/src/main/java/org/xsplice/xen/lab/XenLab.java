package org.xsplice.xen.lab;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.xsplice.xen.lab.internal.CpioWriter;
import org.xsplice.xen.lab.internal.JavaRuntimeImage;
import org.xsplice.xen.lab.internal.ResultDisk;
import org.xsplice.xen.lab.internal.ToolstackImage;

/**
 * The project's real-Xen lab: Debian 12's Xen 4.17 booted under {@code qemu-system-x86_64} with
 * TCG, a Debian kernel as PV dom0 and a cached initramfs, one boot per {@link Scenario}.
 *
 * <pre>
 *  host (JUnit)                                 cache: ~/.cache/xsplice/xenlab/&lt;versions&gt;/
 *   XenLab.boot(scenario)                        xen, xen.gz, vmlinuz, rootfs.cpio.zst
 *     | initrd = rootfs.cpio.zst + [jre.cpio] + scenario.cpio (/lab/cmd/NNN, files)
 *     v
 *  qemu-system-x86_64 -accel tcg ---- serial --&gt; serial.log (Xen + dom0 console)
 *     | multiboot: xen, modules vmlinuz + initrd
 *     v
 *  Xen 4.17 --&gt; dom0 Linux --&gt; /init: xenfs, xenstored, xen-init-dom0, run /lab/cmd/* in order
 *                                    results --&gt; virtio disk results.img --&gt; CommandResult list
 * </pre>
 *
 * <p>{@link #open()} prepares the artefacts (installing host packages with apt-get, downloading the
 * hypervisor and kernel packages, debootstrapping dom0) the first time and reuses them after; a
 * file lock makes concurrent callers wait for one build. Every boot has a hard time limit and a
 * failure carries the tail of the serial console. Needs root (debootstrap, chroot) for the first
 * preparation.
 */
public final class XenLab
{
    /** Where the project's Java runtime image appears in dom0 when a scenario asks for it. */
    public static final String JAVA_HOME = JavaRuntimeImage.GUEST_HOME;

    /**
     * Runs the JVM in dom0 with the scenario's {@link Scenario.Builder#javaClasspath class path}:
     * {@code java-xsplice MAIN ARGS...}. Flags favour start-up time, which dominates under TCG.
     */
    public static final String JAVA_LAUNCHER = "/opt/xsplice/bin/java-xsplice";

    /** Overrides the cache directory. */
    public static final String CACHE_ENV = "XSPLICE_XENLAB_CACHE";

    private static final Duration PREPARE_TIMEOUT = Duration.ofMinutes(30);
    private static final String[] SCRIPTS = { "xenlab-prepare.sh", "xenlab-init.sh" };
    private static final String XEN_ARGS =
        "console=com1 com1=115200 dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all";
    private static final String DOM0_ARGS = "console=hvc0 earlyprintk=xen rdinit=/init panic=-1 quiet";
    /** Run directories kept for their serial logs. */
    private static final int KEPT_RUNS = 30;
    /** The result disk: plenty for command output (xensyms is about 0.4 MB). */
    private static final long RESULT_DISK_BYTES = 64L << 20;

    private final Path cache;
    private final LabArtifacts artifacts;

    private XenLab(final Path cache, final LabArtifacts artifacts)
    {
        this.cache = cache;
        this.artifacts = artifacts;
    }

    /** {@return the lab, prepared in the default cache directory} */
    public static XenLab open()
    {
        final String env = System.getenv(CACHE_ENV);
        final Path dir = null != env && !env.isEmpty()
            ? Path.of(env)
            : Path.of(System.getProperty("user.home"), ".cache", "xsplice", "xenlab");
        return open(dir);
    }

    /**
     * Prepares (or finds cached) artefacts in {@code cacheDir}.
     *
     * @throws XenLabException if the preparation script fails; the message carries its log
     */
    public static XenLab open(final Path cacheDir)
    {
        Objects.requireNonNull(cacheDir, "cacheDir");
        try
        {
            Files.createDirectories(cacheDir);
            final Path scripts = installScripts(cacheDir.toAbsolutePath());
            // One log per caller: concurrent callers wait on the script's lock, each with its own output.
            final Path log = Files.createTempFile(cacheDir, "prepare-", ".log");
            final Path stdout = Files.createTempFile(cacheDir, "prepare-", ".out");
            final Process p = new ProcessBuilder("bash", scripts.resolve(SCRIPTS[0]).toString(),
                                                 cacheDir.toAbsolutePath().toString())
                .redirectError(log.toFile())
                .redirectOutput(stdout.toFile())
                .start();
            if (!p.waitFor(PREPARE_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
            {
                p.destroyForcibly().waitFor();
                throw failure("preparing the lab timed out after " + PREPARE_TIMEOUT, log, null);
            }
            if (0 != p.exitValue())
            {
                throw failure("preparing the lab failed (exit " + p.exitValue() + ")", log, null);
            }
            final String out = Files.readString(stdout, StandardCharsets.UTF_8);
            final String marker = "XENLAB_DIR=";
            final String dirLine = out.lines().filter(l -> l.startsWith(marker)).reduce((_, b) -> b)
                .orElseThrow(() -> failure("preparation printed no " + marker, log, null));
            Files.delete(stdout);
            Files.delete(log);
            final Path dir = Path.of(dirLine.substring(marker.length()));
            final Properties v = new Properties();
            try (var in = Files.newBufferedReader(dir.resolve("versions.env")))
            {
                v.load(in);
            }
            return new XenLab(cacheDir.toAbsolutePath(), new LabArtifacts(dir, dir.resolve("xen"),
                dir.resolve("xen.gz"), dir.resolve("vmlinuz"), dir.resolve("rootfs.cpio.zst"),
                v.getProperty("XEN_VERSION"), v.getProperty("KERNEL_PACKAGE"), v.getProperty("KERNEL_VERSION")));
        }
        catch (final IOException e)
        {
            throw new XenLabException("preparing the lab in " + cacheDir + ": " + e.getMessage(), null, e);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new XenLabException("interrupted while preparing the lab", null, e);
        }
    }

    /** {@return the cached hypervisor, kernel and initramfs this lab boots} */
    public LabArtifacts artifacts()
    {
        return artifacts;
    }

    /**
     * Boots Xen once and runs the scenario's commands in dom0.
     *
     * @return every command's output and exit code, in order
     * @throws XenLabException if the boot exceeds its time limit, dom0 did not come up, or the
     *                         commands did not all finish; the message ends with the serial console
     */
    public ScenarioResult boot(final Scenario scenario)
    {
        Objects.requireNonNull(scenario, "scenario");
        final Path run;
        try
        {
            final Path runs = Files.createDirectories(cache.resolve("runs"));
            prune(runs);
            run = Files.createTempDirectory(runs, scenario.name() + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-")));
        }
        catch (final IOException e)
        {
            throw new XenLabException("cannot create a run directory in " + cache + ": " + e.getMessage(), null, e);
        }
        final Path serial = run.resolve("serial.log");
        try
        {
            final Path initrd = run.resolve("initrd.img");
            final Path disk = run.resolve("results.img");
            writeInitrd(scenario, initrd);
            try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw"))
            {
                f.setLength(RESULT_DISK_BYTES);
            }
            final List<String> cmd = List.of("qemu-system-x86_64",
                "-accel", "tcg", "-cpu", "max,-smap", "-m", "2048", "-smp", "2",
                "-nodefaults", "-display", "none", "-no-reboot",
                "-serial", "file:" + serial,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-kernel", artifacts.xen().toString(), "-append", XEN_ARGS,
                "-initrd", qemuList(artifacts.kernel() + " " + DOM0_ARGS) + "," + qemuList(initrd.toString()),
                "-drive", "file=" + qemuList(disk.toString()) + ",format=raw,if=virtio");
            final long start = System.nanoTime();
            final Process qemu = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(run.resolve("qemu.log").toFile()).start();
            final boolean exited = qemu.waitFor(scenario.timeout().toMillis(), TimeUnit.MILLISECONDS);
            final Duration wall = Duration.ofNanos(System.nanoTime() - start);
            if (!exited)
            {
                qemu.destroyForcibly().waitFor();
                throw failure("scenario " + scenario.name() + " exceeded its limit of " + scenario.timeout(), serial,
                              null);
            }
            final ResultDisk.Contents contents;
            try
            {
                contents = ResultDisk.read(disk);
            }
            catch (final IllegalArgumentException e)
            {
                throw failure("scenario " + scenario.name() + ": " + e.getMessage() + " (qemu exit "
                              + qemu.exitValue() + ")", serial, e);
            }
            if (contents.entries().isEmpty())
            {
                throw failure("scenario " + scenario.name() + ": dom0 reported nothing (qemu exit "
                              + qemu.exitValue() + ")", serial, null);
            }
            final CommandResult setup = new CommandResult("<dom0 setup>", contents.entries().get(0).exitCode(),
                                                          contents.entries().get(0).output());
            if (0 != setup.exitCode())
            {
                throw failure("scenario " + scenario.name() + ": dom0 setup failed (exit " + setup.exitCode()
                              + "):\n" + setup.output(), serial, null);
            }
            final List<CommandResult> results = new ArrayList<>();
            for (int i = 1; i < contents.entries().size(); i++)
            {
                final ResultDisk.Entry e = contents.entries().get(i);
                if (e.id() != i)
                {
                    throw failure("scenario " + scenario.name() + ": result " + i + " carries id " + e.id(), serial,
                                  null);
                }
                results.add(new CommandResult(scenario.commands().get(i - 1), e.exitCode(), e.output()));
            }
            if (!contents.done() || results.size() != scenario.commands().size())
            {
                throw failure("scenario " + scenario.name() + ": only " + results.size() + " of "
                              + scenario.commands().size() + " commands finished (qemu exit " + qemu.exitValue()
                              + ")", serial, null);
            }
            // The images are large and rebuilt per boot; the logs stay for inspection.
            Files.deleteIfExists(initrd);
            Files.deleteIfExists(disk);
            return new ScenarioResult(scenario.name(), setup, results, serial, wall);
        }
        catch (final IOException e)
        {
            throw failure("scenario " + scenario.name() + ": " + e.getMessage(), serial, e);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw failure("scenario " + scenario.name() + " interrupted", serial, e);
        }
    }

    /** Builds the initramfs of one boot: the cached dom0 archive, the runtime, the scenario. */
    private void writeInitrd(final Scenario scenario, final Path initrd) throws IOException
    {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(initrd), 1 << 20))
        {
            long size = Files.copy(artifacts.rootfs(), out);
            // Linux finds a following archive only at a 4-byte boundary after the compressed one.
            size = pad(out, size);
            if (scenario.javaRuntime())
            {
                size += Files.copy(JavaRuntimeImage.cpio(cache), out);
                size = pad(out, size);
            }
            if (scenario.toolstack().isPresent())
            {
                size += Files.copy(ToolstackImage.cpio(cache, scenario.toolstack().get()), out);
                size = pad(out, size);
            }
            final CpioWriter cpio = new CpioWriter(out);
            int id = 1;
            for (final String command : scenario.commands())
            {
                cpio.file(String.format("/lab/cmd/%03d", id++), (command + "\n").getBytes(StandardCharsets.UTF_8),
                          false);
            }
            final List<String> cp = new ArrayList<>();
            for (final Path entry : scenario.classpath())
            {
                final String guest = String.format("/opt/xsplice/lib/%02d%s", cp.size(),
                                                   Files.isDirectory(entry) ? "" : ".jar");
                cpio.copy(entry, guest);
                cp.add(guest);
            }
            if (scenario.javaRuntime())
            {
                cpio.file(JAVA_LAUNCHER, ("#!/bin/sh\nexec " + JAVA_HOME + "/bin/java -XX:+UseSerialGC "
                    + "-XX:TieredStopAtLevel=1 -Xshare:auto --enable-native-access=ALL-UNNAMED -cp '"
                    + String.join(":", cp) + "' \"$@\"\n").getBytes(StandardCharsets.UTF_8), true);
            }
            for (final Scenario.GuestFile f : scenario.files())
            {
                if (!Files.exists(f.host()))
                {
                    throw new IOException("file for dom0 does not exist: " + f.host());
                }
                cpio.copy(f.host(), f.guest());
            }
            cpio.close();
        }
    }

    /** Keeps the newest {@link #KEPT_RUNS} run directories (serial logs) and removes the rest. */
    private static void prune(final Path runs) throws IOException
    {
        final List<Path> all;
        try (var list = Files.list(runs))
        {
            all = list.filter(Files::isDirectory).sorted(java.util.Comparator.comparing((Path p) ->
            {
                try
                {
                    return Files.getLastModifiedTime(p);
                }
                catch (final IOException e)
                {
                    throw new UncheckedIOException(e);
                }
            }).reversed()).toList();
        }
        for (final Path old : all.subList(Math.min(KEPT_RUNS, all.size()), all.size()))
        {
            try (var walk = Files.walk(old))
            {
                for (final Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList())
                {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static long pad(final OutputStream out, final long size) throws IOException
    {
        final long padded = (size + 511) & ~511L;
        out.write(new byte[(int) (padded - size)]);
        return padded;
    }

    /** QEMU splits option lists at commas; a literal comma is written twice. */
    private static String qemuList(final String s)
    {
        return s.replace(",", ",,");
    }

    private static Path installScripts(final Path cacheDir) throws IOException
    {
        final Path dir = cacheDir.resolve("scripts");
        Files.createDirectories(dir);
        for (final String name : SCRIPTS)
        {
            final byte[] body;
            try (var in = XenLab.class.getResourceAsStream(name))
            {
                if (null == in)
                {
                    throw new IOException("resource " + name + " missing from the xsplice-xen jar");
                }
                body = in.readAllBytes();
            }
            final Path target = dir.resolve(name);
            if (Files.exists(target) && java.util.Arrays.equals(Files.readAllBytes(target), body))
            {
                continue;
            }
            // Concurrent JVMs may install at once: each writes its own file and renames it into place.
            final Path tmp = Files.createTempFile(dir, name, ".tmp");
            Files.write(tmp, body);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }

    private static XenLabException failure(final String message, final Path log, final Throwable cause)
    {
        return new XenLabException(message + "\n--- last lines of " + log + " ---\n" + tail(log, 60), log, cause);
    }

    static String tail(final Path log, final int lines)
    {
        if (null == log || !Files.exists(log))
        {
            return "(no log)";
        }
        try
        {
            final List<String> all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8)
                .replace("\r", "").lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }
}
