package org.xsplice.hv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.xsplice.hv.control.ControlServer;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.hv.control.RunDirectory;
import org.xsplice.payload.Errno;
import org.xsplice.hypervisor.ErrnoException;
import org.xsplice.hypervisor.symbols.SymbolException;
import org.xsplice.hypervisor.symbols.SymbolLocation;
import org.xsplice.hypervisor.symbols.SymbolTable;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.payload.PayloadException;
import org.xsplice.hypervisor.trust.SignatureGate;
import org.xsplice.sign.Policy;
import org.xsplice.sign.Verification;

/**
 * Keeps one reference hypervisor: starts it, watches it (its tracer), serves its control
 * socket, and notices when it ends. After a crash it records the status next to the console
 * log, removes the socket (so clients get a clear answer instead of a hang) and terminates.
 */
public final class Supervisor implements AutoCloseable {
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    /**
     * @param name       hypervisor name
     * @param cpus       pCPUs
     * @param workload   busy, normal or idle
     * @param run        where its directory goes
     * @param binary     the xen-syms image
     * @param killOnExit whether the hypervisor dies with this JVM (in-process tests)
     */
    public record Config(String name, int cpus, String workload, RunDirectory run, Path binary, boolean killOnExit,
                         SignatureGate signatures) {
        public Config {
            RunDirectory.checkName(name);
            Objects.requireNonNull(run, "run");
            Objects.requireNonNull(binary, "binary");
            Objects.requireNonNull(signatures, "signatures");
        }

        /** A configuration that loads payloads whether signed or not. */
        public Config(final String name, final int cpus, final String workload, final RunDirectory run, final Path binary,
                      final boolean killOnExit) {
            this(name, cpus, workload, run, binary, killOnExit, SignatureGate.off());
        }
    }

    private final Config config;
    private final Path dir;
    private final HypervisorProcess hv;
    private final ControlServer server;
    private final LivePayloads payloads;
    /** What the signature check said of each payload, for LIST; empty after a supervisor restart. */
    private final Map<String, String> signatures = new ConcurrentHashMap<>();
    private final CompletableFuture<ExitStatus> terminated = new CompletableFuture<>();
    private volatile boolean stopping;

    private Supervisor(final Config config, final long attachPid) throws IOException {
        this.config = config;
        this.dir = config.run().create(config.name());
        Files.deleteIfExists(dir.resolve(RunDirectory.STATUS));
        // Attaching: read the image the process was started from (/proc/PID/exe stays valid even
        // if xen-syms was rebuilt since), so its symbols are the running ones.
        final HvImage image = HvImage.read(0 < attachPid ? Path.of("/proc", Long.toString(attachPid), "exe") : config.binary());
        if (0 < attachPid) {
            // A supervisor died and left its hypervisor running: take it over as it is.
            this.hv = HypervisorProcess.attach(image, config.name(), (int) attachPid, config.killOnExit());
        } else {
            this.hv = HypervisorProcess.start(image, new HypervisorProcess.Options(config.name(), config.cpus(), config.workload(),
                    config.killOnExit(), dir.resolve(RunDirectory.CONSOLE_LOG)));
        }
        Files.writeString(dir.resolve(RunDirectory.HYPERVISOR_PID), hv.pid() + "\n");
        Files.writeString(dir.resolve(RunDirectory.SUPERVISOR_PID), ProcessHandle.current().pid() + "\n");
        this.payloads = new LivePayloads(hv);
        this.server = new ControlServer(config.run().socket(config.name()), this::handle);
        hv.exit().whenComplete((status, err) -> ended(status));
    }

    /** Starts the hypervisor and serves its control socket; returns once both are up. */
    public static Supervisor start(final Config config) throws IOException {
        return new Supervisor(config, 0);
    }

    /**
     * Takes over hypervisor {@code pid}, still running after its supervisor died (its state,
     * being in the hypervisor's memory, is all still there).
     */
    public static Supervisor attach(final Config config, final long pid) throws IOException {
        return new Supervisor(config, pid);
    }

    public HypervisorProcess hypervisor() {
        return hv;
    }

    /** {@return completes when the hypervisor has ended and the socket is gone} */
    public CompletableFuture<ExitStatus> terminated() {
        return terminated;
    }

    private void ended(final ExitStatus status) {
        final ExitStatus s = null == status ? ExitStatus.killed(0) : status;
        try {
            server.close();
            payloads.close();
            if (stopping && !s.crashed()) {
                hv.close();
                deleteTree(dir);
            } else {
                Files.writeString(dir.resolve(RunDirectory.STATUS), s + (s.crashed() ? panicLine() : "") + "\n");
                Files.deleteIfExists(dir.resolve(RunDirectory.SUPERVISOR_PID));
                System.err.println("xsplice-hv: hypervisor " + config.name() + " " + s + "; console: " + dir.resolve(RunDirectory.CONSOLE_LOG));
            }
        } catch (final IOException e) {
            System.err.println("xsplice-hv: cleaning up after " + config.name() + ": " + e.getMessage());
        } finally {
            terminated.complete(s);
        }
    }

    /** {@return "; Panic on CPU n: REASON" from the console log, or empty} */
    private String panicLine() {
        try {
            final List<String> lines = Files.readAllLines(dir.resolve(RunDirectory.CONSOLE_LOG));
            for (int i = 0; i + 1 < lines.size(); i++) {
                if (lines.get(i).contains("Panic on CPU")) {
                    return "; " + lines.get(i).replace("(XEN) ", "").strip() + " " + lines.get(i + 1).replace("(XEN) ", "").strip();
                }
            }
        } catch (final IOException e) {
            return "";
        }
        return "";
    }

    private Response handle(final Request request) {
        return dispatch(request);
    }

    /**
     * Waits until no request is being answered (at most {@code max}), so a process that exits
     * after a crash still gets its "crashed" answer to the clients that were waiting.
     */
    public void drain(final Duration max) throws IOException {
        server.drain(max);
    }

    private Response dispatch(final Request request) {
        try {
            return switch (request) {
                case Request.Ping() -> new Response.Pong(config.name(), hv.pid(), hv.cpus(), ProcessHandle.current().pid());
                case Request.Info() -> new Response.InfoReply(XlInfo.collect(hv));
                case Request.Dmesg(final boolean clear) -> new Response.Text(hv.console(clear));
                case Request.DebugKeys(final String keys) -> {
                    new Hypercalls(hv, 0).debugKeys(keys);
                    yield new Response.Done();
                }
                case Request.SymbolQuery(final String query) -> symbol(query);
                case Request.Stats() -> {
                    final List<Response.CpuCounters> out = new ArrayList<>();
                    for (final HypervisorProcess.CpuStats s : hv.stats()) {
                        out.add(new Response.CpuCounters(s.cpu(), s.exits(), s.hypercalls(), s.vmexits(), s.pvHypercalls(),
                                s.efaults(), s.idle()));
                    }
                    yield new Response.StatsReply(out);
                }
                case Request.Upload(final String name, final byte[] bytes) -> status(upload(name, bytes));
                case Request.GetPayload(final String name) -> status(payloads.registry().get(name));
                case Request.ListPayloads() ->
                        new Response.PayloadList(payloads.registry().list().stream().map(this::status).toList());
                case Request.Apply(final String name, final long timeoutNs, final boolean nodeps) ->
                        status(payloads.actions().apply(name, timeoutNs, nodeps));
                case Request.Revert(final String name, final long timeoutNs) -> status(payloads.actions().revert(name, timeoutNs));
                case Request.Replace(final String name, final long timeoutNs) -> status(payloads.actions().replace(name, timeoutNs));
                case Request.Ucode(final byte[] update, final long timeoutNs) ->
                        new Response.Text(String.format("0x%x", payloads.actions().ucode(update, timeoutNs)));
                case Request.Unload(final String name) -> {
                    payloads.actions().unload(name);
                    signatures.remove(name);
                    yield new Response.Done();
                }
                case Request.Stop() -> {
                    stop();
                    yield new Response.Done();
                }
            };
        } catch (final HypervisorCrashedException e) {
            return new Response.Failure("ESRCH", e.getMessage() + " (console: " + dir.resolve(RunDirectory.CONSOLE_LOG) + ")");
        } catch (final ErrnoException e) {
            return new Response.Failure(Errno.nameOf(e.errno()), e.getMessage());
        } catch (final PayloadException e) {
            return new Response.Failure(e.errno().name(), e.getMessage());
        } catch (final SymbolException e) {
            return new Response.Failure(e.errno().name(), e.getMessage());
        } catch (final IOException | RuntimeException e) {
            return new Response.Failure("EIO", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** The signature check comes before any other processing of the bytes, as in docs/security.md. */
    private LoadedPayload upload(final String name, final byte[] bytes) throws IOException {
        final Verification v = config.signatures().admit(name, bytes);
        if (v instanceof Verification.Unsigned u && config.signatures().policy() != Policy.OFF) {
            System.err.println("xsplice-hv: WARNING: payload '" + name + "' is not trusted and loads only because the "
                    + "signature policy is warn: " + u.message());
        }
        final LoadedPayload p = payloads.actions().upload(name, bytes);
        // Under policy off nothing was checked, so LIST has nothing to say about trust.
        signatures.put(name, config.signatures().policy() == Policy.OFF ? "" : v.describe());
        return p;
    }

    private Response.PayloadStatus status(final LoadedPayload p) {
        return new Response.PayloadStatus(p.name(), p.state().code(), p.state().name(), p.rc(), p.metadata(),
                signatures.getOrDefault(p.name(), ""));
    }

    /** {@return the hypervisor's name} */
    public String name() {
        return config.name();
    }

    /** {@return the payloads of this hypervisor} */
    public LivePayloads payloads() {
        return payloads;
    }

    private Response symbol(final String query) {
        final String q = query.strip();
        final SymbolTable symbols = payloads.symbols(hv.image().symbols());
        final long addr = q.startsWith("0x") || q.startsWith("0X") ? Long.parseUnsignedLong(q.substring(2), 16)
                : symbols.resolve(q);
        return new Response.SymbolReply(addr, symbols.symbolize(addr).map(SymbolLocation::bracketed).orElse(""));
    }

    /** Stops the hypervisor in an orderly way and waits for the supervisor's cleanup. */
    public ExitStatus stop() throws IOException {
        stopping = true;
        final ExitStatus s = hv.shutdown(STOP_GRACE);
        terminated.join();
        return s;
    }

    @Override
    public void close() throws IOException {
        if (hv.isRunning()) {
            stop();
        } else {
            terminated.join();
        }
    }

    private static void deleteTree(final Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (final Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    /** {@return the status line a crashed supervisor left, for messages} */
    public static Optional<String> crashStatus(final RunDirectory run, final String name) {
        return run.status(name);
    }
}
