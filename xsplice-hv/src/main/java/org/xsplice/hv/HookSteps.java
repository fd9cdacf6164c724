package org.xsplice.hv;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.xsplice.hv.HvLayout.Work;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.patch.ActionPlan;
import org.xsplice.payload.Errno;
import org.xsplice.payload.Hook;
import org.xsplice.payload.PayloadException;

/**
 * The hook steps of an action whose payloads have load/unload or apply/revert action hooks
 * (Xen's {@code livepatch_do_action}): staged after the work list's writes, run by the master
 * CPU while every other CPU is parked ({@code livepatch_run_steps} in the C core). Per payload,
 * in the plan's order:
 *
 * <pre>
 *  reverted payload:  [ACTION revert hook | WRITES its writes]  then  CALL each unload hook
 *  applied payload:   CALL each load hook  then  [ACTION apply hook | WRITES its writes]
 *  then every range must hold its final bytes; any failure: every range restored newest
 *  first and every handle's fstate set back
 * </pre>
 *
 * After an ACTION step every function of its payload must agree with the hook's result (0: all
 * applied, resp. reverted; an error: none), in the text and in {@code fstate[k].applied};
 * otherwise the master fails the action with EINVAL and undoes it (Xen panics there).
 * Load/unload hooks that already ran are not undone.
 */
final class HookSteps {
    /** One step, with the payload it belongs to (for messages). */
    private record Step(int kind, boolean apply, long fn, long handle, int from, int to, LoadedPayload payload, Hook hook) {
    }

    private final List<Step> steps = new ArrayList<>();

    /**
     * @param handles the handles, already written for every payload of the plan that has hooks
     */
    HookSteps(final ActionPlan plan, final PayloadHandles handles) {
        int at = 0;
        for (final LoadedPayload r : plan.reverted()) {
            final int to = at + r.funcs().size();
            action(r, false, at, to, handles);
            for (final long fn : r.hooks().getOrDefault(Hook.UNLOAD, List.of())) {
                steps.add(new Step(Work.STEP_CALL, false, fn, 0, at, at, r, Hook.UNLOAD));
            }
            at = to;
        }
        if (ActionPlan.Action.REVERT != plan.action()) {
            final LoadedPayload p = plan.target();
            for (final long fn : p.hooks().getOrDefault(Hook.LOAD, List.of())) {
                steps.add(new Step(Work.STEP_CALL, true, fn, 0, at, at, p, Hook.LOAD));
            }
            action(p, true, at, at + p.funcs().size(), handles);
            at += p.funcs().size();
        }
        if (at != plan.writes().size()) {
            throw new IllegalStateException("plan has " + plan.writes().size() + " writes for " + at + " functions");
        }
        if (steps.size() > Work.STEPS_MAX) {
            throw new PayloadException(Errno.E2BIG, "an action of " + steps.size() + " hook steps; at most " + Work.STEPS_MAX);
        }
    }

    private void action(final LoadedPayload p, final boolean apply, final int from, final int to, final PayloadHandles handles) {
        final Hook kind = apply ? Hook.APPLY : Hook.REVERT;
        final List<Long> hook = p.hooks().getOrDefault(kind, List.of());
        final long handle = handles.find(p.name()).orElse(0L);
        steps.add(hook.isEmpty() ? new Step(Work.STEP_WRITES, apply, 0, handle, from, to, p, null)
                : new Step(Work.STEP_ACTION, apply, hook.getFirst(), handle, from, to, p, kind));
    }

    /** {@return whether {@code plan} needs steps: a payload of it has hooks (so a handle to keep current)} */
    static boolean needed(final ActionPlan plan) {
        return PayloadHandles.needed(plan.target()) || plan.reverted().stream().anyMatch(PayloadHandles::needed);
    }

    /**
     * Writes the steps after the {@code writes} writes of the work list staged at {@code work}
     * and names them in its header. Like the rest of the staging, into a buffer nobody reads
     * until the next rendezvous.
     */
    void stage(final HypervisorProcess hv, final long work, final int writes) throws IOException {
        final long at = work + Work.HEADER + Work.WRITE_SIZE * writes;
        final ByteBuffer b = ByteBuffer.allocate((int) (Work.STEP_SIZE * steps.size())).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < steps.size(); i++) {
            final Step s = steps.get(i);
            final int o = (int) (Work.STEP_SIZE * i);
            b.putInt(o + (int) Work.STEP_KIND, s.kind());
            b.putInt(o + (int) Work.STEP_APPLY, s.apply() ? 1 : 0);
            b.putLong(o + (int) Work.STEP_FN, s.fn());
            b.putLong(o + (int) Work.STEP_HANDLE, s.handle());
            b.putInt(o + (int) Work.STEP_FROM, s.from());
            b.putInt(o + (int) Work.STEP_TO, s.to());
        }
        hv.memory().write(at, b.array());
        hv.memory().writeLong(work + Work.STEPS, at);
        hv.memory().writeLong(work + Work.NR_STEPS, steps.size());
    }

    /**
     * {@return why the master failed the action in a hook step, or null when the failure was
     * not a hook's (then the write index tells)}
     *
     * @param failed     the master's failed write index (-1: none)
     * @param stepFailed 1 + the index of the step that failed, 0: none
     * @param hookRc     what the action hook returned
     */
    String describe(final long failed, final int stepFailed, final long hookRc) {
        if (stepFailed <= 0 || stepFailed > steps.size()) {
            return null;
        }
        final Step s = steps.get(stepFailed - 1);
        final String hook = "the " + (null == s.hook() ? "step" : s.hook().name().toLowerCase(Locale.ROOT) + " hook") + " of payload '"
                + s.payload().name() + "'";
        if (Work.STEP_ACTION != s.kind()) {
            return hook + " was refused by the hypervisor (step " + (stepFailed - 1) + " invalid); nothing changed";
        }
        if (failed >= s.from() && failed < s.to()) {
            final int k = (int) (s.apply() ? failed - s.from() : s.to() - 1 - failed);
            final String verb = s.apply() ? "applied" : "reverted";
            return String.format("payload '%s': %s returned %d but function %s is %s; every change of the action was undone",
                    s.payload().name(), hook, hookRc, s.payload().funcs().get(k).name(), 0 == hookRc ? "not " + verb : verb);
        }
        return String.format("%s failed with %d (%s); %s", hook, hookRc, Errno.nameOf((int) hookRc),
                s.apply() ? "nothing was patched" : "the payload stays applied");
    }
}
