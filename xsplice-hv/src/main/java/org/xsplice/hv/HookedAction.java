package org.xsplice.hv;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.xsplice.hv.HvLayout.Handle;
import org.xsplice.hv.HvLayout.Rendezvous;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.patch.ActionPlan;
import org.xsplice.hypervisor.patch.TextWrite;
import org.xsplice.payload.Errno;
import org.xsplice.payload.Hook;

/**
 * An action whose payloads have hooks, carried out while every CPU is parked (Xen's
 * {@code livepatch_do_action}): per payload, in the plan's order, the load hooks and then the
 * apply action (before patching), or the revert action and then the unload hooks. Hooks run on
 * the master CPU through {@link RendezvousDriver#masterCall}; an apply/revert action hook
 * replaces the default writes of its payload.
 *
 * <pre>
 *  stack check (PatchWriter)
 *  for each payload part:  revert: [revert hook | default writes] -> check -> unload hooks
 *                          apply:  load hooks -> [apply hook | default writes] -> check
 *  consistency check of every range (PatchWriter)
 *  any failure: every range restored (newest first), every fstate as before the action
 * </pre>
 *
 * <p>After an action hook, every function of its payload must agree with the hook's result:
 * 0 means every function applied (reverted), an error means none; agreement is checked on the
 * live text and on {@code fstate[i].applied}. Disagreement (Xen panics here) is EINVAL naming the
 * payload and function, and everything the action changed is undone, so the hypervisor is never
 * half-patched. Load/unload hooks that already ran are not undone (their effects are theirs).
 */
final class HookedAction implements RendezvousDriver.ParkedAction {
    private static final int EINVAL = -Errno.EINVAL.number();
    private static final int EIO = -Errno.EIO.number();

    /** One payload's share of the plan: writes {@code from..to-1}, applying or reverting it. */
    private record Part(LoadedPayload payload, boolean apply, int from, int to) {
    }

    private final PatchWriter writer;
    private final PayloadHandles handles;
    private final List<TextWrite> writes;
    private final List<Part> parts = new ArrayList<>();
    private final Map<String, List<byte[]>> appliedSaved;
    private String why;
    private boolean ran;

    /**
     * @param appliedSaved for each payload the plan reverts, the bytes its patches overwrote
     *                     (to restore its {@code fstate} on a rollback)
     */
    HookedAction(final ActionPlan plan, final PatchWriter writer, final PayloadHandles handles,
                 final Map<String, List<byte[]>> appliedSaved) {
        this.writer = writer;
        this.handles = handles;
        this.writes = plan.writes();
        this.appliedSaved = appliedSaved;
        int at = 0;
        for (final LoadedPayload r : plan.reverted()) {
            parts.add(new Part(r, false, at, at + r.funcs().size()));
            at += r.funcs().size();
        }
        if (ActionPlan.Action.REVERT != plan.action()) {
            parts.add(new Part(plan.target(), true, at, at + plan.target().funcs().size()));
            at += plan.target().funcs().size();
        }
        if (at != writes.size()) {
            throw new IllegalStateException("plan has " + writes.size() + " writes for " + at + " functions");
        }
    }

    /** Does {@code plan} need this class (rather than a bare {@link PatchWriter})? */
    static boolean needed(final ActionPlan plan) {
        return PayloadHandles.needed(plan.target()) || plan.reverted().stream().anyMatch(PayloadHandles::needed);
    }

    @Override
    public int act(final RendezvousDriver parked) {
        why = null;
        ran = false;
        final int busy = writer.checkStacks(parked);
        if (0 != busy) {
            return busy;
        }
        ran = true;
        int last = -1;
        try {
            for (final Part p : parts) {
                int rc = p.apply() ? voidHooks(parked, p.payload(), Hook.LOAD) : 0;
                if (0 == rc) {
                    rc = p.payload().hooks().getOrDefault(p.apply() ? Hook.APPLY : Hook.REVERT, List.of()).isEmpty()
                            ? defaultAction(p) : actionHook(parked, p);
                }
                last = p.to() - 1;
                if (0 == rc && !p.apply()) {
                    rc = voidHooks(parked, p.payload(), Hook.UNLOAD);
                }
                if (0 != rc) {
                    rollback(last);
                    return rc;
                }
            }
            final int rc = writer.checkFinal();
            if (0 != rc) {
                why = "a range did not hold its final bytes after the action; every write was undone";
                restoreStates();
            }
            return rc;
        } catch (final IOException | RuntimeException e) {
            why = "the hook handle could not be accessed (" + e.getMessage() + "); every write was undone";
            rollback(writes.size() - 1);
            return EIO;
        }
    }

    private int defaultAction(final Part p) throws IOException {
        final int rc = writer.write(p.from(), p.to());
        if (0 != rc) {
            // The writer restored every range up to the failure; the states are still as before.
            why = null;
            return rc;
        }
        final List<byte[]> saved = new ArrayList<>();
        for (int i = p.from(); i < p.to(); i++) {
            saved.add(writes.get(i).before());
        }
        handles.record(p.payload(), p.apply(), saved);
        return 0;
    }

    /**
     * Runs the payload's apply/revert action hook on the master and checks that every function
     * of the payload agrees with its result.
     */
    private int actionHook(final RendezvousDriver parked, final Part p) throws IOException {
        final LoadedPayload q = p.payload();
        final Hook kind = p.apply() ? Hook.APPLY : Hook.REVERT;
        final String hook = "the " + kind.name().toLowerCase(java.util.Locale.ROOT) + " hook of payload '" + q.name() + "'";
        final long r = parked.masterCall(q.hooks().get(kind).getFirst(), handles.handle(q), Rendezvous.CALL_ACTION);
        if (RendezvousDriver.CALL_TIMEOUT == r || RendezvousDriver.CALL_EIO == r) {
            why = hook + (RendezvousDriver.CALL_TIMEOUT == r ? " did not return within "
                    + RendezvousDriver.CALL_LIMIT_NS / 1_000_000 + " ms" : ": the rendezvous block could not be accessed");
            return EIO;
        }
        final int rc = (int) r;
        final boolean done = 0 == rc;
        final int n = q.funcs().size();
        for (int k = 0; k < n; k++) {
            // Apply writes are in function order, revert writes newest function first.
            final int i = p.apply() ? p.from() + k : p.from() + n - 1 - k;
            final int holds = writer.holds(i);
            final boolean applied = Handle.FUNC_APPLIED == handles.applied(q, k);
            if (holds != (done ? PatchWriter.HOLDS_AFTER : PatchWriter.HOLDS_BEFORE) || applied != (p.apply() == done)) {
                why = String.format("payload '%s': %s returned %d but function %s is %s (text: %s, state: %s);"
                                + " every change of the action was undone", q.name(), hook, rc, q.funcs().get(k).name(),
                        applied == p.apply() ? (p.apply() ? "applied" : "reverted") : (p.apply() ? "not applied" : "not reverted"),
                        switch (holds) {
                            case PatchWriter.HOLDS_AFTER -> p.apply() ? "patched" : "original";
                            case PatchWriter.HOLDS_BEFORE -> p.apply() ? "original" : "patched";
                            default -> "neither original nor patched";
                        }, applied ? "APPLIED" : "NOT_APPLIED");
                return EINVAL;
            }
        }
        if (!done) {
            why = String.format("%s failed with %d (%s); %s", hook, rc, Errno.nameOf(rc),
                    p.apply() ? "nothing was patched" : "the payload stays applied");
            return rc < 0 ? rc : EINVAL;
        }
        return 0;
    }

    /** Runs every load or unload hook of {@code p} on the master; only the call itself can fail. */
    private int voidHooks(final RendezvousDriver parked, final LoadedPayload p, final Hook kind) {
        for (final long fn : p.hooks().getOrDefault(kind, List.of())) {
            final long r = parked.masterCall(fn, 0, Rendezvous.CALL_VOID);
            if (0 != r) {
                why = String.format("the %s hook at 0x%x of payload '%s' could not be run (%s)",
                        kind.name().toLowerCase(java.util.Locale.ROOT), fn, p.name(),
                        RendezvousDriver.CALL_TIMEOUT == r ? "no return within " + RendezvousDriver.CALL_LIMIT_NS / 1_000_000
                                + " ms" : RendezvousDriver.CALL_EIO == r ? "rendezvous block not accessible" : "rc " + r);
                return EIO;
            }
        }
        return 0;
    }

    /** Undoes the action: ranges {@code last..0} back to their bytes before it, every state as before. */
    private void rollback(final int last) {
        writer.restore(last);
        try {
            restoreStates();
        } catch (final IOException | RuntimeException e) {
            why = (null == why ? "" : why + "; ") + "restoring the hook states failed: " + e.getMessage();
        }
    }

    private void restoreStates() throws IOException {
        for (final Part p : parts) {
            // Before the action an applied part was not applied, a reverted part was applied.
            handles.record(p.payload(), !p.apply(), appliedSaved.getOrDefault(p.payload().name(), List.of()));
        }
    }

    /** {@return why the last {@link #act} failed, when the reason is its own (null: ask the writer)} */
    String why() {
        return why;
    }

    /** {@return whether the last {@link #act} got past the stack check, i.e. the action ran at the rendezvous} */
    boolean ran() {
        return ran;
    }
}
