package org.xsplice.cli.bench;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.xsplice.cli.Dom0ImageCommand;
import org.xsplice.xen.lab.ScenarioResult;
import org.xsplice.xen.lab.Scenario;
import org.xsplice.xen.lab.Toolstack;
import org.xsplice.xen.lab.XenLab;

/**
 * Timing harness of the dom0 toolstack ({@code bench/dom0-toolstack-timings.sh}): one lab boot
 * that starts {@code xen-xsplice list} on real Xen several times, as shipped (AOT cache,
 * interpreter) and with each choice undone, plus a bare {@code java -version}; prints the
 * seconds {@code busybox time} measured in dom0 for each (median of the runs).
 *
 * <pre>
 * Dom0ToolstackTimings RUNS CLASSPATH
 * </pre>
 */
public final class Dom0ToolstackTimings {
    private static final String LIST = Toolstack.tool("xen-xsplice") + " list";
    private static final String[][] VARIANTS = {
        {"java -version (runtime alone)", "/opt/xsplice/jre/bin/java -Xint -version"},
        {"xen-xsplice list, as shipped (AOT cache, -Xint)", LIST},
        {"xen-xsplice list, no AOT cache", "XSPLICE_JAVA_OPTS=-XX:AOTMode=off " + LIST},
        {"xen-xsplice list, JIT C1 instead of -Xint", "XSPLICE_JAVA_OPTS='-Xmixed -XX:TieredStopAtLevel=1' " + LIST},
    };

    private Dom0ToolstackTimings() {
    }

    public static void main(final String[] args) {
        if (args.length != 2) {
            System.err.println("usage: Dom0ToolstackTimings RUNS CLASSPATH");
            System.exit(1);
        }
        final int runs = Integer.parseInt(args[0]);
        final List<Path> cp = new ArrayList<>();
        for (final String e : args[1].split(File.pathSeparator)) {
            cp.add(Path.of(e));
        }
        final Scenario.Builder b = Scenario.named("timing-toolstack").toolstack(Dom0ImageCommand.toolstack(cp))
                .timeout(java.time.Duration.ofMinutes(30));
        for (int i = 0; i < runs; i++) {
            for (final String[] v : VARIANTS) {
                // busybox time prints the elapsed seconds last, on stderr.
                b.command("busybox time -f %e sh -c \"" + v[1].replace("\"", "\\\"") + " >/dev/null 2>&1\" 2>&1 | tail -n 1");
            }
        }
        final ScenarioResult r = XenLab.open().boot(b.build());
        System.out.printf("boot with %d JVM runs: %.1f s%n", runs * VARIANTS.length, r.wallTime().toMillis() / 1e3);
        for (int v = 0; v < VARIANTS.length; v++) {
            final double[] s = new double[runs];
            for (int i = 0; i < runs; i++) {
                s[i] = Double.parseDouble(r.command(i * VARIANTS.length + v).trimmed());
            }
            java.util.Arrays.sort(s);
            System.out.printf("%-50s median %5.1f s (min %.1f, max %.1f, %d runs)%n", VARIANTS[v][0], s[runs / 2], s[0],
                    s[runs - 1], runs);
        }
    }
}
