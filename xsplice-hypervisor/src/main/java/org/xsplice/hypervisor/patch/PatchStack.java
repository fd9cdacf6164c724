package org.xsplice.hypervisor.patch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.xsplice.elf.BuildId;
import org.xsplice.hypervisor.loader.LoadedFunc;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.loader.PayloadState;
import org.xsplice.payload.Errno;
import org.xsplice.payload.Expectation;
import org.xsplice.payload.Hook;
import org.xsplice.payload.PayloadException;

/**
 * The patch state machine (Xen's {@code livepatch_action} rules): the stack of applied
 * payloads with the bytes each one overwrote, and the planning of APPLY, REVERT and REPLACE
 * into {@link ActionPlan}s. It writes nothing itself: the plan is carried out at a rendezvous
 * and then {@link #commit committed}; a plan that failed is simply dropped.
 *
 * <pre>
 *  UPLOAD -> CHECKED --APPLY (depends = top's build-id, or the hypervisor's)--> APPLIED (pushed)
 *            CHECKED <--REVERT (top of the stack only, else EBUSY)------------ APPLIED (popped)
 *            CHECKED --REPLACE: revert all (newest first) + apply, one rendezvous--> APPLIED
 * </pre>
 *
 * <p>Not thread-safe: the caller serialises (one action at a time).
 */
public final class PatchStack {
    /** x86 {@code jmp rel32}. */
    public static final int JMP_SIZE = 5;
    private static final byte JMP = (byte) 0xe9;
    private static final byte NOP = (byte) 0x90;

    /** Reads live hypervisor text. */
    @FunctionalInterface
    public interface TextReader {
        byte[] read(long address, int length) throws IOException;
    }

    /** One applied payload and the bytes its writes replaced, in its functions' order. */
    public record Applied(LoadedPayload payload, List<byte[]> saved) {
        public Applied {
            saved = saved.stream().map(byte[]::clone).toList();
        }
    }

    /** The hooks the caller runs before and after the rendezvous (REPLACE refuses payloads that have them, as Xen does). */
    public static final java.util.Set<Hook> PRE_POST = java.util.EnumSet.of(Hook.PRE_APPLY, Hook.POST_APPLY, Hook.PRE_REVERT,
            Hook.POST_REVERT);

    private final BuildId hypervisor;
    private final TextReader text;
    private final List<Applied> stack = new ArrayList<>();
    private final Set<String> reverted = new HashSet<>();

    /**
     * @param hypervisor the running hypervisor's build-id (what the bottom payload depends on)
     * @param text       reads the live text
     */
    public PatchStack(final BuildId hypervisor, final TextReader text) {
        this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
        this.text = Objects.requireNonNull(text, "text");
    }

    /** {@return the applied payloads, bottom first} */
    public List<Applied> applied() {
        return List.copyOf(stack);
    }

    /** {@return the top of the applied stack} */
    public Optional<Applied> top() {
        return stack.isEmpty() ? Optional.empty() : Optional.of(stack.getLast());
    }

    /** {@return the bytes {@code f}'s patch writes: {@code e9 rel32} to the new code, or NOPs in NOP mode} */
    public static byte[] patchBytes(final LoadedFunc f) {
        if (f.isNop()) {
            final byte[] b = new byte[f.newSize()];
            java.util.Arrays.fill(b, NOP);
            return b;
        }
        final long rel = f.newAddr() - (f.patchAddr() + JMP_SIZE);
        if (rel != (int) rel) {
            throw new PayloadException(Errno.ERANGE, f.name() + ": new code at 0x" + Long.toHexString(f.newAddr())
                    + " is out of rel32 reach of 0x" + Long.toHexString(f.patchAddr()));
        }
        final int r = (int) rel;
        return new byte[] {JMP, (byte) r, (byte) (r >> 8), (byte) (r >> 16), (byte) (r >> 24)};
    }

    /**
     * Plans APPLY of {@code p}.
     *
     * @param nodeps skip the inter-payload build-id check (Xen's NODEPS flag)
     * @throws PayloadException EINVAL for a wrong state, a failed dependency or expectation, or a
     *                          reverted payload with data
     */
    public ActionPlan planApply(final LoadedPayload p, final boolean nodeps) {
        checked(p, "apply");
        if (reverted.contains(p.name()) && p.rwSize() > 0) {
            throw new PayloadException(Errno.EINVAL, "payload '" + p.name()
                    + "' was reverted and has .data/.bss, which is no longer pristine: unload and upload it again");
        }
        if (!nodeps) {
            final BuildId want = top().map(a -> a.payload().buildId()).orElse(hypervisor);
            if (!want.equals(p.depends())) {
                throw new PayloadException(Errno.EINVAL, "payload '" + p.name() + "' depends on build-id "
                        + p.depends().hex() + " but the top of the applied stack is "
                        + top().map(a -> "payload '" + a.payload().name() + "'").orElse("the hypervisor") + " with "
                        + want.hex());
            }
        }
        final Overlay o = new Overlay();
        final List<TextWrite> writes = applyWrites(p, o);
        return new ActionPlan(ActionPlan.Action.APPLY, p, List.of(), o.finish(writes));
    }

    /**
     * Plans REVERT of {@code p}.
     *
     * @throws PayloadException EINVAL unless APPLIED; EBUSY unless it is the top of the stack
     */
    public ActionPlan planRevert(final LoadedPayload p) {
        if (PayloadState.APPLIED != p.state()) {
            throw new PayloadException(Errno.EINVAL, "payload '" + p.name() + "' is " + p.state() + ", not APPLIED");
        }
        final Applied top = top().orElseThrow(() -> new PayloadException(Errno.EINVAL, "nothing is applied"));
        if (!top.payload().name().equals(p.name())) {
            throw new PayloadException(Errno.EBUSY, "payload '" + p.name() + "' is not the top of the applied stack ('"
                    + top.payload().name() + "' is): revert that first");
        }
        final Overlay o = new Overlay();
        final List<TextWrite> writes = revertWrites(top, o);
        return new ActionPlan(ActionPlan.Action.REVERT, p, List.of(p), o.finish(writes));
    }

    /**
     * Plans REPLACE: every applied payload reverted (newest first), then {@code p} applied.
     *
     * @throws PayloadException EINVAL for a wrong state or unless {@code p} depends on the hypervisor
     */
    public ActionPlan planReplace(final LoadedPayload p) {
        checked(p, "replace");
        if (!hypervisor.equals(p.depends())) {
            throw new PayloadException(Errno.EINVAL, "payload '" + p.name() + "' depends on build-id " + p.depends().hex()
                    + "; REPLACE needs a payload built on the hypervisor (" + hypervisor.hex() + ")");
        }
        for (final LoadedPayload q : withApplied(p)) {
            if (PRE_POST.stream().anyMatch(k -> !q.hooks().getOrDefault(k, List.of()).isEmpty())) {
                throw new PayloadException(Errno.EOPNOTSUPP, "REPLACE is refused: payload '" + q.name()
                        + "' has pre/post hooks (as in Xen)");
            }
        }
        final Overlay o = new Overlay();
        final List<TextWrite> writes = new ArrayList<>();
        final List<LoadedPayload> gone = new ArrayList<>();
        for (int i = stack.size() - 1; i >= 0; i--) {
            writes.addAll(revertWrites(stack.get(i), o));
            gone.add(stack.get(i).payload());
        }
        writes.addAll(applyWrites(p, o));
        return new ActionPlan(ActionPlan.Action.REPLACE, p, gone, o.finish(writes));
    }

    /**
     * {@return the code no parked CPU may be executing in, or return to, while {@code plan} is
     * written (the stack check): every function the plan patches or restores, and the text of
     * every payload it reverts}
     */
    public static List<CodeRange> busyRanges(final ActionPlan plan) {
        final List<CodeRange> out = new ArrayList<>();
        final List<LoadedPayload> all = new ArrayList<>(plan.reverted());
        if (ActionPlan.Action.REVERT != plan.action()) {
            all.add(plan.target());
        }
        for (final LoadedPayload p : all) {
            for (final LoadedFunc f : p.funcs()) {
                out.add(new CodeRange(f.name(), f.oldAddr(), f.oldAddr() + Math.max(1, f.oldSize())));
            }
        }
        for (final LoadedPayload p : plan.reverted()) {
            if (p.textSize() > 0) {
                out.add(new CodeRange("payload '" + p.name() + "' text", p.textAddr(), p.textAddr() + p.textSize()));
            }
        }
        return out;
    }

    private List<LoadedPayload> withApplied(final LoadedPayload p) {
        final List<LoadedPayload> out = new ArrayList<>(stack.stream().map(Applied::payload).toList());
        out.add(p);
        return out;
    }

    /** Records a plan that was carried out completely. */
    public void commit(final ActionPlan plan) {
        final List<Applied> after = appliedAfter(plan);
        plan.reverted().forEach(r -> reverted.add(r.name()));
        stack.clear();
        stack.addAll(after);
    }

    /**
     * {@return the applied stack as it will be once {@code plan} is carried out (this stack is
     * not changed): what the hypervisor's records must say at the moment the writes are done}
     */
    public List<Applied> appliedAfter(final ActionPlan plan) {
        final List<Applied> out = new ArrayList<>(stack);
        for (final LoadedPayload r : plan.reverted()) {
            out.removeIf(a -> a.payload().name().equals(r.name()));
        }
        if (ActionPlan.Action.REVERT != plan.action()) {
            final String name = plan.target().name();
            final List<byte[]> saved = plan.writes().stream().filter(w -> w.payload().equals(name))
                    .map(TextWrite::before).toList();
            out.add(new Applied(plan.target(), saved));
        }
        return out;
    }

    /** {@return whether payload {@code name} was reverted since it was loaded (its data is no longer pristine)} */
    public boolean wasReverted(final String name) {
        return reverted.contains(name);
    }

    /**
     * Takes over the state a previous supervisor left (restart recovery). Only on an empty stack.
     *
     * @param applied      the applied payloads, bottom first, with the bytes each one overwrote
     * @param revertedOnce the payloads reverted since they were loaded
     */
    public void adopt(final List<Applied> applied, final Set<String> revertedOnce) {
        if (!stack.isEmpty() || !reverted.isEmpty()) {
            throw new IllegalStateException("adopting a state into a stack in use");
        }
        for (final Applied a : applied) {
            if (a.saved().size() != a.payload().funcs().size()) {
                throw new PayloadException(Errno.EINVAL, "payload '" + a.payload().name() + "': " + a.saved().size()
                        + " saved byte ranges for " + a.payload().funcs().size() + " functions");
            }
        }
        stack.addAll(applied);
        reverted.addAll(revertedOnce);
    }

    /** Forgets an unloaded payload (its name may be uploaded afresh). */
    public void forget(final String name) {
        reverted.remove(name);
    }

    private static void checked(final LoadedPayload p, final String verb) {
        if (PayloadState.CHECKED != p.state()) {
            throw new PayloadException(Errno.EINVAL, "payload '" + p.name() + "' is " + p.state() + ": only a CHECKED payload can be "
                    + verb + "ed");
        }
    }

    private List<TextWrite> applyWrites(final LoadedPayload p, final Overlay o) {
        final List<TextWrite> out = new ArrayList<>();
        for (final LoadedFunc f : p.funcs()) {
            if (f.expectation().isPresent()) {
                final Expectation e = f.expectation().get();
                final byte[] live = o.bytes(f.oldAddr(), e.length());
                if (!e.matches(live)) {
                    throw new PayloadException(Errno.EINVAL, "payload '" + p.name() + "': expectation failed for " + f.name()
                            + " at 0x" + Long.toHexString(f.oldAddr()) + ": expected " + HexFormat.ofDelimiter(" ")
                            .formatHex(e.bytes()) + ", found " + HexFormat.ofDelimiter(" ").formatHex(live));
                }
            }
            out.add(o.write(p.name(), f.name(), f.patchAddr(), patchBytes(f)));
        }
        return out;
    }

    private List<TextWrite> revertWrites(final Applied a, final Overlay o) {
        final List<TextWrite> out = new ArrayList<>();
        final List<LoadedFunc> fs = a.payload().funcs();
        for (int i = fs.size() - 1; i >= 0; i--) {
            final LoadedFunc f = fs.get(i);
            final TextWrite w = o.write(a.payload().name(), f.name(), f.patchAddr(), a.saved().get(i));
            if (w.checkLive() && !java.util.Arrays.equals(w.before(), patchBytes(f))) {
                throw new PayloadException(Errno.EINVAL, "payload '" + a.payload().name() + "': " + f.name() + " at 0x"
                        + Long.toHexString(f.patchAddr()) + " holds " + HexFormat.ofDelimiter(" ").formatHex(w.before())
                        + ", not the patch this payload wrote");
            }
            out.add(w);
        }
        return out;
    }

    /** The text as the plan's writes so far leave it: live bytes overlaid with planned writes. */
    private final class Overlay {
        private final Map<Long, Byte> planned = new HashMap<>();

        byte[] bytes(final long address, final int length) {
            final byte[] live;
            try {
                live = text.read(address, length);
            } catch (final IOException e) {
                throw new PayloadException(Errno.EFAULT, "reading hypervisor text at 0x" + Long.toHexString(address) + ": "
                        + e.getMessage(), e);
            }
            for (int i = 0; i < length; i++) {
                final Byte b = planned.get(address + i);
                if (null != b) {
                    live[i] = b;
                }
            }
            return live;
        }

        TextWrite write(final String payload, final String func, final long address, final byte[] after) {
            boolean fresh = true;
            for (int i = 0; i < after.length; i++) {
                fresh &= !planned.containsKey(address + i);
            }
            final byte[] before = bytes(address, after.length);
            for (int i = 0; i < after.length; i++) {
                planned.put(address + i, after[i]);
            }
            return new TextWrite(func, payload, address, before, after, after, fresh);
        }

        /** {@return the writes with their final bytes: what the consistency check expects} */
        List<TextWrite> finish(final List<TextWrite> writes) {
            return writes.stream().map(w -> {
                final byte[] fin = new byte[w.length()];
                for (int i = 0; i < fin.length; i++) {
                    fin[i] = planned.get(w.address() + i);
                }
                return new TextWrite(w.func(), w.payload(), w.address(), w.before(), w.after(), fin, w.checkLive());
            }).toList();
        }
    }
}
