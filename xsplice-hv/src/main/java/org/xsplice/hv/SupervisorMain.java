package org.xsplice.hv;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.xsplice.hv.control.RunDirectory;

/**
 * The supervisor process that {@code xsplice-hv start} launches in its own session:
 * {@code SupervisorMain --name N --cpus C --workload W --run-dir D --binary B [--attach PID]}. It runs until
 * the hypervisor stops or crashes; exit status 0 after a stop, 3 after a crash.
 */
public final class SupervisorMain {
    private SupervisorMain() {
    }

    public static void main(final String[] args) {
        final Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        try {
            final Supervisor.Config config = new Supervisor.Config(o.get("--name"), Integer.parseInt(o.getOrDefault("--cpus", "4")),
                    o.getOrDefault("--workload", "normal"), new RunDirectory(Path.of(o.get("--run-dir"))), Path.of(o.get("--binary")), false);
            final Supervisor s = o.containsKey("--attach") ? Supervisor.attach(config, Long.parseLong(o.get("--attach")))
                    : Supervisor.start(config);
            System.err.println("xsplice-hv: hypervisor " + o.get("--name") + " running (pid " + s.hypervisor().pid() + ", "
                    + s.hypervisor().cpus() + " CPUs)");
            final ExitStatus st = s.terminated().join();
            s.drain(java.time.Duration.ofSeconds(3));
            System.exit(st.crashed() ? ExitStatus.PANIC : 0);
        } catch (final Exception e) {
            System.err.println("xsplice-hv: supervisor of " + o.get("--name") + " failed: " + e.getMessage());
            System.exit(1);
        }
    }
}
