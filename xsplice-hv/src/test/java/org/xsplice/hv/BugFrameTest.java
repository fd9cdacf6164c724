package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The C core's bug frames and alternatives through the real trap path: {@code xen-syms
 * --selftest KIND} takes one bug frame on the boot CPU before it reports ready. WARN and
 * run_in_exception_handler continue (the hypervisor comes up); BUG and ASSERT crash with Xen's
 * report and exit status 3. Alternatives follow the CPU's features and {@code --cpuid no-NAME}.
 */
class BugFrameTest {
    private record Run(int status, String console) {
    }

    /** Runs xen-syms until it says it is ready (then stops it) or exits by itself. */
    private static Run boot(final String... options) throws Exception {
        final List<String> cmd = new ArrayList<>(List.of(HvTestSupport.image().file().toString(), "--cpus", "1",
                "--workload", "idle"));
        cmd.addAll(List.of(options));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final StringBuilder out = new StringBuilder();
        final byte[] buf = new byte[8192];
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        try (var in = p.getInputStream()) {
            while (System.nanoTime() < end) {
                final int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (out.toString().contains("ready: 1 CPUs")) {
                    p.destroy();
                    break;
                }
            }
        }
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "xen-syms ended");
        return new Run(out.toString().contains("ready: 1 CPUs") ? 0 : p.exitValue(), out.toString());
    }

    @Test
    void warnPrintsFileLineAndTraceThenContinues() throws Exception {
        final Run r = boot("--selftest", "warn");
        assertEquals(0, r.status(), r.console());
        final Matcher m = Pattern.compile("\\(XEN\\) Xen WARN at arch/x86/setup.c:(\\d+)\n").matcher(r.console());
        assertTrue(m.find(), r.console());
        assertTrue(r.console().contains("RIP:    e008:[<"), r.console());
        assertTrue(r.console().contains("] R setup.c#selftest+0x"), "symbolised trace: " + r.console());
        assertTrue(r.console().contains("] F main+0x"), "caller in the trace: " + r.console());
        assertTrue(r.console().indexOf("selftest: warn continued") > m.end(), r.console());
        assertFalse(r.console().contains("Panic"), r.console());
    }

    @Test
    void runInExceptionHandlerCallsTheFunctionThenContinues() throws Exception {
        final Run r = boot("--selftest", "run_fn");
        assertEquals(0, r.status(), r.console());
        assertTrue(r.console().contains("selftest: run_in_exception_handler called with rip 0x"), r.console());
        assertTrue(r.console().contains("selftest: run_fn continued"), r.console());
    }

    @Test
    void bugCrashesWithXensReport() throws Exception {
        final Run r = boot("--selftest", "bug");
        assertEquals(3, r.status(), r.console());
        assertTrue(Pattern.compile("Xen BUG at arch/x86/setup.c:\\d+\n").matcher(r.console()).find(), r.console());
        assertTrue(r.console().contains("] R setup.c#selftest+0x"), r.console());
        assertTrue(Pattern.compile("Panic on CPU 0:\n\\(XEN\\) Xen BUG at arch/x86/setup.c:\\d+").matcher(r.console()).find(),
                r.console());
        assertFalse(r.console().contains("selftest: bug continued"), r.console());
    }

    @Test
    void assertCrashesNamingThePredicate() throws Exception {
        final Run r = boot("--selftest", "assert");
        assertEquals(3, r.status(), r.console());
        assertTrue(Pattern.compile("Assertion 'boot_cpus == 0' failed at arch/x86/setup.c:\\d+\n").matcher(r.console()).find(),
                r.console());
        assertTrue(r.console().contains("Panic on CPU 0:"), r.console());
    }

    @Test
    void alternativesFollowTheFeaturesAndTheCpuidOption() throws Exception {
        final boolean popcnt = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo")).contains(" popcnt");
        final Run host = boot();
        final Matcher m = Pattern.compile("alternatives: (\\d+) of (\\d+) applied").matcher(host.console());
        assertTrue(m.find(), host.console());
        final int total = Integer.parseInt(m.group(2));
        assertTrue(total >= 2, "the tree has alternatives: " + host.console());
        assertEquals(popcnt ? total : 0, Integer.parseInt(m.group(1)), host.console());
        final Run off = boot("--cpuid", "no-popcnt");
        assertTrue(off.console().contains("CPUID: feature popcnt disabled on the command line"), off.console());
        assertTrue(off.console().contains("alternatives: 0 of " + total + " applied"), off.console());
    }
}
