package org.xsplice.hv;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.xsplice.hv.control.ControlClient;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.hv.control.RunDirectory;

/**
 * Starting, stopping and listing supervised hypervisors from another process (what
 * {@code xsplice-hv start|stop|list} do). A started supervisor runs in its own session and
 * outlives the command that started it.
 */
public final class Supervisors {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private Supervisors() {
    }

    /** One line of {@code xsplice-hv list}. */
    public record Entry(String name, String state, Optional<Long> pid, int cpus, String detail) {
    }

    /**
     * Starts a supervisor for {@code name} and waits until its socket answers. When a
     * hypervisor of that name still runs without its supervisor, the new supervisor attaches
     * to it instead of starting another.
     *
     * @return its answer to a ping
     * @throws ControlException EEXIST when one with that name is running
     */
    public static Response.Pong start(final RunDirectory run, final String name, final int cpus, final String workload,
                                      final Map<String, String> env) throws IOException {
        return start(run, name, cpus, workload, env, TrustSettings.OFF);
    }

    /**
     * Starts a hypervisor that checks payload signatures at upload as {@code trust} says.
     *
     * @see #start(RunDirectory, String, int, String, Map)
     */
    public static Response.Pong start(final RunDirectory run, final String name, final int cpus, final String workload,
                                      final Map<String, String> env, final TrustSettings trust) throws IOException {
        RunDirectory.checkName(name);
        if (cpus < 1 || cpus > HvLayout.NR_CPUS_MAX) {
            throw new ControlException("EINVAL", "--cpus must be between 1 and " + HvLayout.NR_CPUS_MAX);
        }
        final Optional<Response.Pong> running = ping(run, name);
        if (running.isPresent()) {
            throw new ControlException("EEXIST", "hypervisor " + name + " is already running (pid " + running.get().pid() + ")");
        }
        // A hypervisor whose supervisor died keeps running (and keeps its patch state): re-attach.
        final Optional<Long> orphan = run.pid(name, RunDirectory.HYPERVISOR_PID).filter(Supervisors::alive)
                .filter(_ -> run.status(name).isEmpty());
        final Path binary = HvImage.locate(env);
        final Path dir = run.create(name);
        Files.deleteIfExists(dir.resolve(RunDirectory.STATUS));
        if (orphan.isEmpty()) {
            Files.deleteIfExists(dir.resolve(RunDirectory.CONSOLE_LOG));
        }
        final Path log = dir.resolve(RunDirectory.SUPERVISOR_LOG);
        final String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        final List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");       // its own session: a terminal's hangup or ^C does not reach it
        }
        cmd.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        // Fault injection for the restart tests (CrashPoint): only when asked for.
        Optional.ofNullable(env.get("XSPLICE_CRASH_AT")).ifPresent(at -> cmd.add("-D" + CrashPoint.PROPERTY + "=" + at));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SupervisorMain.class.getName(),
                "--name", name, "--cpus", Integer.toString(cpus), "--workload", workload,
                "--run-dir", run.base().toAbsolutePath().toString(), "--binary", binary.toAbsolutePath().toString()));
        cmd.addAll(trust.arguments());
        orphan.ifPresent(pid -> cmd.addAll(List.of("--attach", Long.toString(pid))));
        final Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectErrorStream(true).start();
        final long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            final Optional<Response.Pong> pong = ping(run, name);
            if (pong.isPresent()) {
                return pong.get();
            }
            if (!p.isAlive()) {
                throw new ControlException("EIO", "the supervisor of " + name + " exited with status " + p.exitValue() + ": "
                        + tail(log) + tail(dir.resolve(RunDirectory.CONSOLE_LOG)));
            }
            HypervisorProcess.sleepMillis(20);
        }
        p.destroyForcibly();
        throw new ControlException("ETIMEDOUT", "hypervisor " + name + " did not become ready within " + READY_TIMEOUT.toSeconds() + " s");
    }

    /**
     * Stops {@code name}: asks its supervisor; a crashed or orphaned one is cleaned up instead.
     *
     * @return what happened, for the user
     */
    public static String stop(final RunDirectory run, final String name) throws IOException {
        RunDirectory.checkName(name);
        if (ping(run, name).isPresent()) {
            final long supervisor = run.pid(name, RunDirectory.SUPERVISOR_PID).orElse(-1L);
            try (ControlClient c = ControlClient.connect(run, name)) {
                c.call(new Request.Stop(), Response.Done.class);
            }
            final long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
            while (alive(supervisor) && System.nanoTime() < deadline) {
                HypervisorProcess.sleepMillis(10);
            }
            return "hypervisor " + name + " stopped";
        }
        if (!Files.isDirectory(run.base().resolve(name))) {
            throw new ControlException("ESRCH", "hypervisor " + name + " is not running");
        }
        final Optional<String> status = run.status(name);
        final Optional<Long> orphan = run.pid(name, RunDirectory.HYPERVISOR_PID).filter(Supervisors::alive);
        if (orphan.isPresent() && status.isEmpty()) {
            org.xsplice.hv.internal.Linux.kill(orphan.get().intValue(), org.xsplice.hv.internal.Linux.SIGKILL);
        }
        deleteTree(run.base().resolve(name));
        return status.map(s -> "hypervisor " + name + " was not running (" + s + "); removed its state")
                .orElse(orphan.isPresent() ? "hypervisor " + name + " had lost its supervisor; killed it (pid " + orphan.get() + ")"
                        : "hypervisor " + name + " was not running; removed its stale state");
    }

    /** {@return every hypervisor with a directory under {@code run}} */
    public static List<Entry> list(final RunDirectory run) throws IOException {
        final List<Entry> out = new ArrayList<>();
        for (final String n : run.names()) {
            final Optional<Response.Pong> pong = ping(run, n);
            if (pong.isPresent()) {
                out.add(new Entry(n, "running", Optional.of(pong.get().pid()), pong.get().cpus(), ""));
            } else if (run.status(n).isPresent()) {
                out.add(new Entry(n, "crashed", run.pid(n, RunDirectory.HYPERVISOR_PID), 0, run.status(n).get()));
            } else {
                out.add(new Entry(n, "stale", run.pid(n, RunDirectory.HYPERVISOR_PID), 0, "supervisor not answering"));
            }
        }
        return out;
    }

    /** {@return the supervisor's answer, or empty when nothing answers on the socket} */
    public static Optional<Response.Pong> ping(final RunDirectory run, final String name) {
        if (!Files.exists(run.socket(name))) {
            return Optional.empty();
        }
        try (ControlClient c = ControlClient.connect(run, name)) {
            return Optional.of(c.call(new Request.Ping(), Response.Pong.class));
        } catch (final IOException e) {
            return Optional.empty();
        }
    }

    private static boolean alive(final long pid) {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static String tail(final Path log) {
        try {
            final List<String> l = Files.readAllLines(log);
            return "\n" + String.join("\n", l.subList(Math.max(0, l.size() - 15), l.size()));
        } catch (final IOException e) {
            return "";
        }
    }

    private static void deleteTree(final Path p) throws IOException {
        try (var s = Files.walk(p)) {
            for (final Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
