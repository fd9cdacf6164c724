package org.xsplice.xen.lab;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.xsplice.xen.image.XenImage;

/**
 * The lab's timing harness ({@code bench/xenlab-timings.sh}): prints how long preparing the
 * cache takes (cold when the cache directory is new), how long a boot that runs one trivial
 * command takes, how long the JVM takes to start in dom0, and how long reading the
 * distribution's {@code xen.gz} takes on the host.
 *
 * <pre>
 * XenLabTimings CACHE_DIR BOOTS CLASSPATH
 * </pre>
 */
public final class XenLabTimings
{
    private XenLabTimings()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length != 3)
        {
            System.err.println("usage: XenLabTimings CACHE_DIR BOOTS CLASSPATH");
            System.exit(1);
        }
        final Path cache = Path.of(args[0]);
        final int boots = Integer.parseInt(args[1]);
        final boolean cold = !Files.exists(cache);
        long t = System.nanoTime();
        final XenLab lab = XenLab.open(cache);
        System.out.printf("prepare (%s cache): %.1f s%n", cold ? "cold" : "warm", seconds(t));
        t = System.nanoTime();
        XenLab.open(cache);
        System.out.printf("prepare (warm cache): %.1f s%n", seconds(t));

        final double[] boot = new double[boots];
        for (int i = 0; i < boots; i++)
        {
            final ScenarioResult r = lab.boot(Scenario.named("timing").command("xl info >/dev/null").build());
            boot[i] = r.wallTime().toMillis() / 1e3;
        }
        System.out.printf("boot, one command (%d boots): min %.1f s, median %.1f s, max %.1f s%n", boots,
                          min(boot), median(boot), max(boot));

        final List<Path> cp = new ArrayList<>();
        for (final String e : args[2].split(File.pathSeparator))
        {
            cp.add(Path.of(e));
        }
        final ScenarioResult jvm = lab.boot(Scenario.named("timing-jvm").javaClasspath(cp)
            .command("busybox time -f %e " + XenLab.JAVA_LAUNCHER + " -version 2>&1 | tail -n 1")
            .command("busybox time -f %e " + XenLab.JAVA_LAUNCHER
                     + " org.xsplice.xen.ctrl.XenCtrlProbe info 2>&1 | tail -n 1")
            .build());
        System.out.printf("boot with the Java runtime and two JVM runs: %.1f s%n", jvm.wallTime().toMillis() / 1e3);
        System.out.printf("JVM in dom0: java -version %s s, XenCtrlProbe info %s s%n",
                          jvm.command(0).trimmed(), jvm.command(1).trimmed());

        final double[] read = new double[25];
        for (int i = 0; i < read.length; i++)
        {
            t = System.nanoTime();
            XenImage.read(lab.artifacts().xenGz());
            read[i] = seconds(t) * 1e3;
        }
        System.out.printf("XenImage.read(xen.gz), %d runs: first %.1f ms, median %.1f ms%n", read.length, read[0],
                          median(Arrays.copyOfRange(read, 5, read.length)));
    }

    private static double seconds(final long start)
    {
        return (System.nanoTime() - start) / 1e9;
    }

    private static double median(final double[] v)
    {
        final double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(final double[] v)
    {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(final double[] v)
    {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }
}
