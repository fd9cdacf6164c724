package org.xsplice.hv;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.xsplice.hv.HvLayout.Rendezvous;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.loader.PayloadRegistry;
import org.xsplice.hypervisor.loader.PayloadState;
import org.xsplice.hypervisor.patch.ActionPlan;
import org.xsplice.hypervisor.patch.CodeRange;
import org.xsplice.hypervisor.patch.PatchStack;
import org.xsplice.hypervisor.patch.TextWrite;
import org.xsplice.payload.Errno;
import org.xsplice.payload.Hook;
import org.xsplice.payload.PayloadException;

/**
 * APPLY, REVERT and REPLACE on the reference hypervisor, asynchronous as in Xen: a request is
 * checked and planned at once (refusals are answered directly), the payload's rc becomes
 * {@code -EAGAIN}, and a worker thread runs the plan at a rendezvous of every pCPU; GET then
 * shows the outcome (state changed and rc 0, or state unchanged and rc = -errno). One action at
 * a time: another request meanwhile is EBUSY.
 *
 * <p>Three separate parts, as style rule 9 asks: {@link PayloadRegistry} (the loader),
 * {@link PatchStack} (the state machine) and {@link RendezvousDriver} (the CPUs); this class
 * only sequences them.
 *
 * <p>Limit: the applied stack and the saved bytes live in this process. A restarted supervisor
 * re-reads neither (see docs/consistency-model.md, "Limits").
 */
public final class LiveActions implements AutoCloseable {
    private static final int EAGAIN = -11;

    private final HypervisorProcess hv;
    private final PayloadRegistry registry;
    private final PatchStack stack;
    private final RendezvousDriver driver;
    private final PayloadHandles handles;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        final Thread t = new Thread(r, "xsplice-action");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, String> messages = new ConcurrentHashMap<>();
    private String pending;
    private long lastPauseNs;
    private long lastWaitNs;

    /**
     * @param hv       the running hypervisor
     * @param registry its payloads
     */
    public LiveActions(final HypervisorProcess hv, final PayloadRegistry registry) {
        this.hv = hv;
        this.registry = registry;
        this.stack = new PatchStack(hv.image().buildId(), (a, n) -> hv.memory().read(a, n));
        this.driver = new RendezvousDriver(hv);
        this.handles = new PayloadHandles(hv, registry);
    }

    /**
     * APPLY.
     *
     * @param timeoutNs rendezvous timeout; 0 = 30 ms
     * @param nodeps    skip the inter-payload dependency check
     * @return the payload as GET shows it now (rc {@code -EAGAIN})
     * @throws PayloadException ENOENT, EINVAL (state, dependency, expectation), EBUSY (an action is in flight)
     */
    public synchronized LoadedPayload apply(final String name, final long timeoutNs, final boolean nodeps) {
        idle();
        final ActionPlan plan = stack.planApply(registry.get(name), nodeps);
        prepareHandles(plan);
        preHook(plan.target(), Hook.PRE_APPLY, "apply");
        return start(plan, timeoutNs);
    }

    /** REVERT (only the top of the applied stack; EBUSY otherwise). See {@link #apply}. */
    public synchronized LoadedPayload revert(final String name, final long timeoutNs) {
        idle();
        final ActionPlan plan = stack.planRevert(registry.get(name));
        prepareHandles(plan);
        preHook(plan.target(), Hook.PRE_REVERT, "revert");
        return start(plan, timeoutNs);
    }

    /**
     * Runs a pre-apply/pre-revert hook (Xen: in {@code livepatch_action}, before the work is
     * scheduled): a non-zero return vetoes the action, which is then answered with that errno.
     */
    private void preHook(final LoadedPayload p, final Hook kind, final String verb) {
        for (final long fn : p.hooks().getOrDefault(kind, List.of())) {
            final long rc = callHook(p, fn);
            if (0 != rc) {
                final int errno = (int) Math.min(Integer.MAX_VALUE, Math.abs(rc));
                throw new PayloadException(Errno.of(errno).orElse(Errno.EINVAL), "the " + kind.name().toLowerCase(java.util.Locale.ROOT)
                        .replace('_', '-') + " hook of payload '" + p.name() + "' vetoed the " + verb + " (it returned " + rc + ")");
            }
        }
    }

    /** Post hooks run after the release, their result ignored (Xen's are void). */
    private void postHooks(final ActionPlan plan) {
        for (final LoadedPayload r : plan.reverted()) {
            r.hooks().getOrDefault(Hook.POST_REVERT, List.of()).forEach(fn -> callHook(r, fn));
        }
        if (ActionPlan.Action.REVERT != plan.action()) {
            plan.target().hooks().getOrDefault(Hook.POST_APPLY, List.of()).forEach(fn -> callHook(plan.target(), fn));
        }
    }

    /** Writes the handle of every payload of {@code plan} that has hooks, before its first hook runs. */
    private void prepareHandles(final ActionPlan plan) {
        final List<LoadedPayload> all = new java.util.ArrayList<>(plan.reverted());
        all.add(plan.target());
        all.stream().filter(PayloadHandles::needed).forEach(handles::handle);
    }

    /** Calls a pre/post hook through the mailbox (on the control thread), with the payload's handle. */
    private long callHook(final LoadedPayload p, final long fn) {
        try {
            return hv.call(HvLayout.Mbox.OP_CALL, 0, new long[] {fn, handles.handle(p)}, new byte[0], 0).rc();
        } catch (final java.io.IOException e) {
            throw new PayloadException(Errno.EIO, "calling a hook of payload '" + p.name() + "' at 0x" + Long.toHexString(fn)
                    + ": " + e.getMessage(), e);
        }
    }

    /** REPLACE: revert every applied payload and apply this one, in one rendezvous. See {@link #apply}. */
    public synchronized LoadedPayload replace(final String name, final long timeoutNs) {
        idle();
        final ActionPlan plan = stack.planReplace(registry.get(name));
        prepareHandles(plan);
        return start(plan, timeoutNs);
    }

    /**
     * Microcode-style loading, the rendezvous's second user: every pCPU sets its own revision
     * when it is released (the C core's {@code LIVEPATCH_CPU_ACTION_UCODE}). Synchronous, as
     * Xen's {@code XENPF_microcode_update}; it counts as the one action in flight.
     *
     * @param file the update (see {@link Microcode})
     * @return the revision every CPU now reports
     * @throws PayloadException EINVAL for a malformed update, EBUSY when an action is in flight or
     *                          not every CPU arrived in time, EIO when a CPU did not take it
     */
    public synchronized long ucode(final byte[] file, final long timeoutNs) throws java.io.IOException {
        final Microcode m = Microcode.parse(file);
        idle();
        final int rc = driver.run(timeoutNs, Rendezvous.CPU_ACTION_UCODE, m.revision(), null);
        if (RendezvousDriver.EBUSY == rc) {
            throw new PayloadException(Errno.EBUSY, String.format("microcode 0x%x: CPU%d did not reach the rendezvous within %.1f ms",
                    m.revision(), driver.lastAbsentCpu(), driver.lastWaitNs() / 1e6));
        }
        if (0 != rc) {
            throw new PayloadException(Errno.EIO, "microcode: rendezvous failed: " + Errno.nameOf(-rc));
        }
        final RendezvousBlock block = hv.rendezvous();
        for (int c = 0; c < block.cpus(); c++) {
            if (m.revision() != block.cpu(c).ucodeRev()) {
                throw new PayloadException(Errno.EIO, String.format("microcode 0x%x: CPU%d reports revision 0x%x", m.revision(), c,
                        block.cpu(c).ucodeRev()));
            }
        }
        return m.revision();
    }

    /** UNLOAD, refused (EBUSY) while an action on the payload is in flight. */
    public synchronized void unload(final String name) {
        if (name.equals(pending)) {
            throw new PayloadException(Errno.EBUSY, "an action on payload '" + name + "' is in progress");
        }
        registry.unload(name);
        handles.free(name);
        stack.forget(name);
        messages.remove(name);
    }

    /** {@return why the last action on {@code name} failed, if it did} */
    public Optional<String> message(final String name) {
        return Optional.ofNullable(messages.get(name));
    }

    /** {@return the applied stack, bottom first} */
    public synchronized List<String> applied() {
        return stack.applied().stream().map(a -> a.payload().name()).toList();
    }

    /** {@return ns every CPU was parked during the last action that ran (0 if it did not get that far)} */
    public synchronized long lastPauseNs() {
        return lastPauseNs;
    }

    /** {@return ns the last action waited for every CPU to park} */
    public synchronized long lastWaitNs() {
        return lastWaitNs;
    }

    /** Waits until no action is in flight; {@return false on timeout} */
    public synchronized boolean awaitIdle(final Duration max) throws InterruptedException {
        final long end = System.nanoTime() + max.toNanos();
        while (null != pending) {
            final long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    private void idle() {
        if (null != pending) {
            throw new PayloadException(Errno.EBUSY, "an action on payload '" + pending + "' is in progress");
        }
    }

    private LoadedPayload start(final ActionPlan plan, final long timeoutNs) {
        final LoadedPayload p = registry.get(plan.target().name());
        final LoadedPayload waiting = p.withState(p.state(), EAGAIN);
        registry.replace(waiting);
        messages.remove(p.name());
        pending = p.name();
        worker.execute(() -> run(plan, timeoutNs));
        return waiting;
    }

    private void run(final ActionPlan plan, final long timeoutNs) {
        int rc;
        String why = null;
        long pause = 0;
        long wait = 0;
        final List<CodeRange> busy = PatchStack.busyRanges(plan);
        boolean ran = false;
        try (PatchWriter w = new PatchWriter(hv, plan.writes(), busy)) {
            final HookedAction hooked = HookedAction.needed(plan) ? new HookedAction(plan, w, handles, appliedSaved()) : null;
            final RendezvousDriver.ParkedAction action = null == hooked ? w : hooked;
            // The timeout bounds the whole action: a refused stack check is retried in a new
            // rendezvous (the CPUs run meanwhile, so the busy function can return) until then.
            final long deadline = System.nanoTime() + (0 == timeoutNs ? RendezvousDriver.DEFAULT_TIMEOUT_NS : timeoutNs);
            int attempts = 0;
            boolean stackRefused = false;
            for (;;) {
                attempts++;
                rc = driver.run(Math.max(1, deadline - System.nanoTime()), Rendezvous.CPU_ACTION_NONE, 0, action);
                stackRefused |= PatchWriter.STACK_BUSY == rc;
                if (PatchWriter.STACK_BUSY != rc || System.nanoTime() - deadline > 0) {
                    break;
                }
                Thread.sleep(1);
            }
            pause = driver.lastPauseNs();
            wait = driver.lastWaitNs();
            // A retry cut short by the deadline reports why the earlier attempts were refused.
            if (PatchWriter.STACK_BUSY == rc || (RendezvousDriver.EBUSY == rc && stackRefused)) {
                rc = RendezvousDriver.EBUSY;
                why = String.format("%s is in use on CPU%d (address 0x%x on its stack; %d attempts)",
                        busy.get(w.busyRange()).what(), w.busyCpu(), w.busyAddress(), attempts);
            } else if (RendezvousDriver.EBUSY == rc) {
                why = String.format("CPU%d did not reach the rendezvous within %.1f ms", driver.lastAbsentCpu(),
                        wait / 1e6);
            } else if (0 != rc) {
                why = null != hooked && null != hooked.why() ? hooked.why() : describe(plan, w.failedIndex(), rc);
            }
            // Xen runs the post hooks after every action that ran at the rendezvous, failed or not.
            ran = 0 == rc || (null != hooked && hooked.ran());
            if (driver.stragglers() > 0) {
                System.err.println("xsplice-hv: " + driver.stragglers() + " CPU(s) had not left the rendezvous "
                        + RendezvousDriver.LEAVE_LIMIT_NS / 1_000_000 + " ms after the release");
            }
        } catch (final RuntimeException e) {
            rc = -Errno.EIO.number();
            why = e.toString();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            rc = -Errno.EINTR.number();
            why = "interrupted";
        }
        if (ran) {
            try {
                postHooks(plan);
            } catch (final PayloadException e) {
                System.err.println("xsplice-hv: " + e.getMessage());
            }
        }
        synchronized (this) {
            try {
                finish(plan, rc, why);
            } finally {
                lastPauseNs = pause;
                lastWaitNs = wait;
                pending = null;
                notifyAll();
            }
        }
    }

    private void finish(final ActionPlan plan, final int rc, final String why) {
        final String name = plan.target().name();
        if (0 != rc) {
            registry.find(name).ifPresent(p -> registry.replace(p.withState(p.state(), rc)));
            messages.put(name, plan.action().verb() + " of '" + name + "' failed: " + why);
            System.err.println("xsplice-hv: " + messages.get(name));
            return;
        }
        stack.commit(plan);
        for (final LoadedPayload r : plan.reverted()) {
            registry.find(r.name()).ifPresent(p -> registry.replace(p.withState(PayloadState.CHECKED, 0)));
        }
        if (ActionPlan.Action.REVERT != plan.action()) {
            registry.find(name).ifPresent(p -> registry.replace(p.withState(PayloadState.APPLIED, 0)));
        }
    }

    /** {@return the bytes each applied payload's patches overwrote, by name (restores a handle's state on a rollback)} */
    private Map<String, List<byte[]>> appliedSaved() {
        final Map<String, List<byte[]>> out = new java.util.HashMap<>();
        stack.applied().forEach(a -> out.put(a.payload().name(), a.saved()));
        return out;
    }

    private static String describe(final ActionPlan plan, final int index, final int rc) {
        final String where = index < 0 ? "" : describe(plan.writes().get(index)) + ": ";
        return where + switch (rc) {
            case PatchWriter.ESTALE -> "the text changed since the action was planned; nothing written";
            default -> Errno.nameOf(-rc) + "; every write was undone";
        };
    }

    private static String describe(final TextWrite w) {
        return w.func() + " (payload '" + w.payload() + "') at 0x" + Long.toHexString(w.address());
    }

    @Override
    public void close() {
        worker.shutdown();
        try {
            if (worker.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)) {
                driver.close();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
