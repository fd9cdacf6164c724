package org.xsplice.hv;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.xsplice.hv.HvLayout.Rendezvous;
import org.xsplice.hypervisor.loader.LoadedFunc;
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
 * <p>The state lives in the hypervisor ({@link PatchRecords}): every synchronous change
 * (upload, unload, a failed action's rc) is published right after it is made, and an action
 * is staged with the records as they will be after it, which the hypervisor's master CPU
 * publishes at the moment its writes are done. A restarted supervisor {@link #recover}s from
 * them. Uploads and unloads wait while an action is in flight, so that only one writer ever
 * stages a table.
 */
public final class LiveActions implements AutoCloseable {
    private static final int EAGAIN = -11;
    /** The master's result when the live text is not what the plan expected. */
    static final int ESTALE = -116;

    /** How long an upload or unload waits for an action in flight before it is refused with EBUSY. */
    private static final long IDLE_WAIT_MS = 10_000;

    private final HypervisorProcess hv;
    private final PayloadRegistry registry;
    private final PatchStack stack;
    private final RendezvousDriver driver;
    private final PatchRecords records;
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
     * @param registry its payloads (keeping their files)
     * @param records  the patch state in its memory
     */
    public LiveActions(final HypervisorProcess hv, final PayloadRegistry registry, final PatchRecords records) {
        this.hv = hv;
        this.registry = registry;
        this.records = records;
        this.stack = new PatchStack(hv.image().buildId(), (a, n) -> hv.memory().read(a, n));
        this.driver = new RendezvousDriver(hv);
        this.handles = new PayloadHandles(hv, registry);
    }

    /**
     * Restart recovery: rebuilds the registry and the applied stack from the hypervisor's
     * records. Each payload is linked again from its kept file at its recorded base and must
     * equal the memory there; the applied order and the saved bytes come from the records.
     *
     * @return the payloads recovered, in load order
     * @throws PayloadException EIO naming the payload when a record cannot be taken back
     */
    public synchronized List<LoadedPayload> recover(final List<PatchRecord> recorded) throws IOException {
        final List<PatchStack.Applied> applied = new ArrayList<>();
        final Set<String> reverted = new HashSet<>();
        final List<PatchRecord> byPosition = recorded.stream().filter(r -> r.appliedPos() > 0)
                .sorted(java.util.Comparator.comparingInt(PatchRecord::appliedPos)).toList();
        final List<LoadedPayload> out = new ArrayList<>();
        // Bytes some applied payload's patch owns: a later payload may patch an earlier one's
        // function, so those bytes of the earlier one's text legitimately differ from its file.
        final java.util.function.LongPredicate patched = a -> byPosition.stream().flatMap(r -> r.funcs().stream())
                .anyMatch(f -> f.applied() && a >= f.patchAddr() && a < f.patchAddr() + f.length());
        for (int i = 0; i < byPosition.size(); i++) {
            if (byPosition.get(i).appliedPos() != i + 1) {
                throw new PayloadException(Errno.EIO, "the hypervisor's records give payload '" + byPosition.get(i).name()
                        + "' applied position " + byPosition.get(i).appliedPos() + " where " + (i + 1) + " is next");
            }
        }
        for (final PatchRecord r : recorded) {
            if ((PayloadState.APPLIED == r.state()) != (r.appliedPos() > 0)) {
                throw new PayloadException(Errno.EIO, "the hypervisor's records say payload '" + r.name() + "' is " + r.state()
                        + " at applied position " + r.appliedPos());
            }
            if (0 == r.file() || r.fileSize() <= 0 || r.fileSize() > org.xsplice.hypervisor.loader.PayloadLoader.MAX_SIZE) {
                throw new PayloadException(Errno.EIO, "payload '" + r.name() + "' has no kept file in the records (0x"
                        + Long.toHexString(r.file()) + ", " + r.fileSize() + " bytes): cannot recover it");
            }
            final byte[] file = hv.memory().read(r.file(), (int) r.fileSize());
            final LoadedPayload p;
            try {
                p = registry.adopt(r.name(), new PayloadRegistry.KeptFile(r.file(), r.fileSize()), file, r.base(), r.state(), r.rc(),
                        patched);
            } catch (final PayloadException e) {
                throw new PayloadException(Errno.EIO, "recovering payload '" + r.name() + "' from the hypervisor's records: "
                        + e.getMessage(), e);
            }
            if (p.funcs().size() != r.funcs().size()) {
                throw new PayloadException(Errno.EIO, "payload '" + r.name() + "': the records hold " + r.funcs().size()
                        + " functions, its file " + p.funcs().size());
            }
            if (r.reverted()) {
                reverted.add(r.name());
            }
            out.add(p);
        }
        for (final PatchRecord r : byPosition) {
            final LoadedPayload p = registry.get(r.name());
            applied.add(new PatchStack.Applied(p, r.funcs().stream().map(PatchRecord.FuncState::saved).toList()));
        }
        stack.adopt(applied, reverted);
        return out;
    }

    /**
     * UPLOAD, then publishes the records with the new payload. Waits while an action is in
     * flight (at most 10 s, then EBUSY).
     */
    public synchronized LoadedPayload upload(final String name, final byte[] bytes) throws IOException {
        awaitIdleOrBusy();
        final LoadedPayload p = registry.upload(name, bytes);
        boolean published = false;
        try {
            publish();
            published = true;
        } finally {
            if (!published) {
                registry.unload(name);
            }
        }
        return p;
    }

    private void awaitIdleOrBusy() {
        try {
            if (!awaitIdle(Duration.ofMillis(IDLE_WAIT_MS))) {
                idle();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PayloadException(Errno.EINTR, "interrupted while an action on payload '" + pending + "' was in progress");
        }
    }

    /** Publishes the records as the registry and the stack are now (synchronous changes). */
    private void publish() throws IOException {
        publishWithout(null);
    }

    /** As {@link #publish}, leaving payload {@code gone} (or none, when null) out. */
    private void publishWithout(final String gone) throws IOException {
        records.publish(records.stage(records(registry.list().stream().filter(q -> !q.name().equals(gone)).toList(),
                stack.applied(), stack::wasReverted)));
    }

    /** {@return the records of {@code payloads} with {@code applied} as the applied stack} */
    private List<PatchRecord> records(final List<LoadedPayload> payloads, final List<PatchStack.Applied> applied,
                                      final java.util.function.Predicate<String> reverted) {
        final List<PatchRecord> out = new ArrayList<>();
        for (final LoadedPayload p : payloads) {
            int pos = 0;
            for (int i = 0; i < applied.size(); i++) {
                if (applied.get(i).payload().name().equals(p.name())) {
                    pos = i + 1;
                }
            }
            final List<PatchRecord.FuncState> funcs = new ArrayList<>();
            for (int f = 0; f < p.funcs().size(); f++) {
                final LoadedFunc lf = p.funcs().get(f);
                final int len = lf.isNop() ? lf.newSize() : PatchStack.JMP_SIZE;
                funcs.add(pos > 0 ? new PatchRecord.FuncState(lf.patchAddr(), len, true, applied.get(pos - 1).saved().get(f))
                        : new PatchRecord.FuncState(lf.patchAddr(), len, false, new byte[len]));
            }
            final PayloadRegistry.KeptFile file = registry.keptFile(p.name()).orElse(new PayloadRegistry.KeptFile(0, 0));
            out.add(new PatchRecord(p.name(), p.base(), p.size(), p.textAddr(), p.textSize(), p.rwAddr(), p.rwSize(), p.roAddr(),
                    p.roSize(), file.address(), file.size(), p.state(), p.rc(), reverted.test(p.name()), pos, funcs));
        }
        return out;
    }

    /** {@return the records as they will be once {@code plan} is carried out} */
    private List<PatchRecord> recordsAfter(final ActionPlan plan) {
        final Set<String> gone = new HashSet<>();
        plan.reverted().forEach(r -> gone.add(r.name()));
        final String target = plan.target().name();
        final List<LoadedPayload> after = registry.list().stream().map(p -> {
            if (ActionPlan.Action.REVERT != plan.action() && p.name().equals(target)) {
                return p.withState(PayloadState.APPLIED, 0);
            }
            return gone.contains(p.name()) ? p.withState(PayloadState.CHECKED, 0) : p;
        }).toList();
        return records(after, stack.appliedAfter(plan), n -> gone.contains(n) || stack.wasReverted(n));
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
        CrashPoint.at(CrashPoint.Step.PLAN);
        prepareHandles(plan);
        preHook(plan.target(), Hook.PRE_APPLY, "apply");
        return start(plan, timeoutNs);
    }

    /** REVERT (only the top of the applied stack; EBUSY otherwise). See {@link #apply}. */
    public synchronized LoadedPayload revert(final String name, final long timeoutNs) {
        idle();
        final ActionPlan plan = stack.planRevert(registry.get(name));
        CrashPoint.at(CrashPoint.Step.PLAN);
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

    /**
     * Writes the handle of every payload of {@code plan} that has hooks, before its first hook
     * runs; an applied one (a restarted supervisor's) starts with its saved bytes.
     */
    private void prepareHandles(final ActionPlan plan) {
        final List<LoadedPayload> all = new ArrayList<>(plan.reverted());
        all.add(plan.target());
        for (final LoadedPayload p : all) {
            if (PayloadHandles.needed(p)) {
                handles.handle(p, stack.applied().stream().filter(a -> a.payload().name().equals(p.name())).findFirst()
                        .map(PatchStack.Applied::saved));
            }
        }
    }

    /** Calls a pre/post hook through the mailbox (on the control thread), with the payload's handle. */
    private long callHook(final LoadedPayload p, final long fn) {
        try {
            return hv.call(HvLayout.Mbox.OP_CALL, 0, new long[] {fn, handles.find(p.name()).orElseThrow()}, new byte[0], 0).rc();
        } catch (final java.io.IOException e) {
            throw new PayloadException(Errno.EIO, "calling a hook of payload '" + p.name() + "' at 0x" + Long.toHexString(fn)
                    + ": " + e.getMessage(), e);
        }
    }

    /** REPLACE: revert every applied payload and apply this one, in one rendezvous. See {@link #apply}. */
    public synchronized LoadedPayload replace(final String name, final long timeoutNs) {
        idle();
        final ActionPlan plan = stack.planReplace(registry.get(name));
        CrashPoint.at(CrashPoint.Step.PLAN);
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
        final int rc = driver.run(timeoutNs, Rendezvous.CPU_ACTION_UCODE, m.revision(), 0, null);
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

    /**
     * UNLOAD, refused (EBUSY) while an action on the payload is in flight; waits (at most 10 s)
     * while an action on another one is. Then publishes the records without it.
     */
    public synchronized void unload(final String name) throws IOException {
        if (name.equals(pending)) {
            throw new PayloadException(Errno.EBUSY, "an action on payload '" + name + "' is in progress");
        }
        awaitIdleOrBusy();
        final LoadedPayload p = registry.get(name);
        if (PayloadState.CHECKED != p.state()) {
            throw new PayloadException(Errno.EBUSY, "payload '" + name + "' is " + p.state()
                    + "; only a CHECKED payload can be unloaded (revert it first)");
        }
        // Records first: a supervisor that dies inside the unload leaves a payload the records
        // no longer name (its memory is simply free to the next one), never a record of a
        // payload whose pages were already taken away.
        publishWithout(name);
        try {
            registry.unload(name);
        } catch (final PayloadException e) {
            publish();                            // still loaded: record it again
            throw e;
        }
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

    /**
     * Stages the action in the hypervisor (the records after it, then the work list naming
     * them) and hands it to the worker. Staging writes only buffers nobody reads yet.
     */
    private LoadedPayload start(final ActionPlan plan, final long timeoutNs) {
        final long work;
        final long table;
        final HookSteps steps = HookSteps.needed(plan) ? new HookSteps(plan, handles) : null;
        try {
            table = records.stage(recordsAfter(plan));
            work = records.stageWork(plan.writes(), table);
            if (null != steps) {
                steps.stage(hv, work, plan.writes().size());
            }
        } catch (final IOException e) {
            throw new PayloadException(Errno.EIO, "staging the " + plan.action().verb() + " of '" + plan.target().name()
                    + "' in the hypervisor: " + e.getMessage(), e);
        }
        CrashPoint.at(CrashPoint.Step.STAGED);
        final LoadedPayload p = registry.get(plan.target().name());
        final LoadedPayload waiting = p.withState(p.state(), EAGAIN);
        registry.replace(waiting);
        messages.remove(p.name());
        pending = p.name();
        worker.execute(() -> run(plan, work, table, steps, timeoutNs));
        return waiting;
    }

    private void run(final ActionPlan plan, final long work, final long table, final HookSteps steps, final long timeoutNs) {
        int rc;
        String why = null;
        boolean ran = false;
        long pause = 0;
        long wait = 0;
        final List<CodeRange> busy = PatchStack.busyRanges(plan);
        try (StackCheck w = new StackCheck(hv, busy)) {
            // The timeout bounds the whole action: a refused stack check is retried in a new
            // rendezvous (the CPUs run meanwhile, so the busy function can return) until then.
            final long deadline = System.nanoTime() + (0 == timeoutNs ? RendezvousDriver.DEFAULT_TIMEOUT_NS : timeoutNs);
            int attempts = 0;
            boolean stackRefused = false;
            for (;;) {
                attempts++;
                rc = driver.run(Math.max(1, deadline - System.nanoTime()), Rendezvous.CPU_ACTION_NONE, 0, work, w);
                stackRefused |= StackCheck.STACK_BUSY == rc;
                if (StackCheck.STACK_BUSY != rc || System.nanoTime() - deadline > 0) {
                    break;
                }
                Thread.sleep(1);
            }
            CrashPoint.at(CrashPoint.Step.OUTCOME);
            rc = outcome(rc, table);
            pause = driver.lastPauseNs();
            wait = driver.lastWaitNs();
            // A retry cut short by the deadline reports why the earlier attempts were refused.
            if (StackCheck.STACK_BUSY == rc || (RendezvousDriver.EBUSY == rc && stackRefused)) {
                rc = RendezvousDriver.EBUSY;
                why = String.format("%s is in use on CPU%d (address 0x%x on its stack; %d attempts)",
                        busy.get(w.busyRange()).what(), w.busyCpu(), w.busyAddress(), attempts);
            } else if (RendezvousDriver.EBUSY == rc && driver.lastAbsentCpu() >= 0) {
                why = String.format("CPU%d did not reach the rendezvous within %.1f ms", driver.lastAbsentCpu(),
                        wait / 1e6);
            } else if (0 != rc) {
                final int stepFailed = null == steps ? 0 : hv.memory().readInt(hv.rendezvousAddress() + Rendezvous.STEP_FAILED);
                final String hook = null == steps ? null : steps.describe(driver.lastFailedIndex(), stepFailed,
                        hv.memory().readLong(hv.rendezvousAddress() + Rendezvous.HOOK_RC));
                why = null != hook ? hook : describe(plan, (int) driver.lastFailedIndex(), rc)
                        + (driver.lastIoFailure().isEmpty() ? "" : " (hypervisor memory: " + driver.lastIoFailure() + ")");
                // Xen runs the post hooks after every action that ran, failed or not.
                ran = stepFailed > 0;
            }
            if (driver.stragglers() > 0) {
                System.err.println("xsplice-hv: " + driver.stragglers() + " CPU(s) had not left the rendezvous "
                        + RendezvousDriver.LEAVE_LIMIT_NS / 1_000_000 + " ms after the release");
            }
        } catch (final IOException | RuntimeException e) {
            rc = -Errno.EIO.number();
            why = e.toString();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            rc = -Errno.EINTR.number();
            why = "interrupted";
        }
        if (0 == rc || ran) {
            try {
                postHooks(plan);
            } catch (final PayloadException e) {
                System.err.println("xsplice-hv: " + e.getMessage());
            }
        }
        synchronized (this) {
            try {
                finish(plan, rc, why);
                CrashPoint.at(CrashPoint.Step.ANSWER);
            } finally {
                lastPauseNs = pause;
                lastWaitNs = wait;
                pending = null;
                notifyAll();
            }
        }
    }

    /**
     * The hypervisor's word on the outcome: the master publishes the staged table exactly when
     * every write succeeded, so that, not the driver's report, decides (a driver that lost
     * sight of the master after committing would otherwise record a failure over a success).
     */
    private int outcome(final int reported, final long table) {
        final long published;
        try {
            published = records.published();
        } catch (final IOException e) {
            return 0 == reported ? -Errno.EIO.number() : reported;
        }
        if (published == table) {
            if (0 != reported) {
                System.err.println("xsplice-hv: the rendezvous reported " + reported + " (" + driver.lastIoFailure()
                        + ") but the hypervisor published the action's records: it succeeded");
            }
            return 0;
        }
        return 0 == reported ? -Errno.EIO.number() : reported;
    }

    private void finish(final ActionPlan plan, final int rc, final String why) {
        final String name = plan.target().name();
        if (0 != rc) {
            registry.find(name).ifPresent(p -> registry.replace(p.withState(p.state(), rc)));
            messages.put(name, plan.action().verb() + " of '" + name + "' failed: " + why);
            System.err.println("xsplice-hv: " + messages.get(name));
            // The master published nothing: the records still say what they said before,
            // apart from this rc.
            try {
                publish();
            } catch (final IOException | PayloadException e) {
                System.err.println("xsplice-hv: recording the rc of '" + name + "' in the hypervisor: " + e.getMessage());
            }
            return;
        }
        // The master already published the records after the action: the same state as below.
        stack.commit(plan);
        for (final LoadedPayload r : plan.reverted()) {
            registry.find(r.name()).ifPresent(p -> registry.replace(p.withState(PayloadState.CHECKED, 0)));
        }
        if (ActionPlan.Action.REVERT != plan.action()) {
            registry.find(name).ifPresent(p -> registry.replace(p.withState(PayloadState.APPLIED, 0)));
        }
    }

    private static String describe(final ActionPlan plan, final int index, final int rc) {
        final String where = index < 0 ? "" : describe(plan.writes().get(index)) + ": ";
        return where + switch (rc) {
            case ESTALE -> "the text changed since the action was planned; nothing written";
            case RendezvousDriver.EBUSY -> "a CPU left the rendezvous at its deadline before the commit took; nothing written";
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
