package org.xsplice.hypervisor.patch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.xsplice.elf.BuildId;
import org.xsplice.hypervisor.loader.LoadedFunc;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.loader.PayloadState;
import org.xsplice.payload.Errno;
import org.xsplice.payload.Expectation;
import org.xsplice.payload.PayloadException;

/**
 * The patch state machine on its own: jump/NOP encoding, Xen's stacking rules, and plans over
 * overlapping writes (REPLACE of two payloads patching the same function), against a text
 * image held in a byte array.
 */
class PatchStackTest {
    private static final long TEXT = 0x400000;
    private static final BuildId XEN = new BuildId(new byte[] {1, 2, 3, 4});
    private final byte[] text = new byte[0x1000];

    PatchStackTest() {
        for (int i = 0; i < text.length; i++) {
            text[i] = (byte) (0x40 + i % 7);
        }
    }

    private PatchStack stack() {
        return new PatchStack(XEN, (a, n) -> Arrays.copyOfRange(text, (int) (a - TEXT), (int) (a - TEXT) + n));
    }

    private static LoadedPayload payload(final String name, final BuildId id, final BuildId depends, final LoadedFunc... funcs) {
        return new LoadedPayload(name, PayloadState.CHECKED, 0, 0x800000, 0x2000, 0x800000, 0x100, 0x801000, 0, 0x801000, 0x100,
                List.of(funcs), Map.of(), id, XEN, depends, List.of(), List.of(), List.of(), List.of(), Optional.empty());
    }

    private static LoadedFunc func(final String name, final long old, final long neu, final boolean endbr) {
        return new LoadedFunc(name, old, 16, neu, 32, endbr, Optional.empty(), 0);
    }

    /** Applies the plan's writes to the byte image, as the rendezvous would. */
    private void write(final ActionPlan plan) {
        for (final TextWrite w : plan.writes()) {
            System.arraycopy(w.after(), 0, text, (int) (w.address() - TEXT), w.length());
        }
    }

    @Test
    void jumpIsRel32FromTheEndOfTheInstructionAfterEndbr64() {
        assertArrayEquals(new byte[] {(byte) 0xe9, (byte) 0xfb, (byte) 0xff, 0x3f, 0x00},
                PatchStack.patchBytes(func("f", TEXT, 0x800000, false)));
        assertArrayEquals(new byte[] {(byte) 0xe9, (byte) 0xf7, (byte) 0xff, 0x3f, 0x00},
                PatchStack.patchBytes(func("f", TEXT, 0x800000, true)));
        assertArrayEquals(new byte[] {(byte) 0x90, (byte) 0x90, (byte) 0x90},
                PatchStack.patchBytes(new LoadedFunc("n", TEXT, 16, 0, 3, false, Optional.empty(), 0)));
        final PayloadException far = assertThrows(PayloadException.class,
                () -> PatchStack.patchBytes(func("far", TEXT, TEXT + (3L << 31), false)));
        assertEquals(Errno.ERANGE, far.errno());
    }

    @Test
    void stackingRevertOnlyTheTopAndReplaceRestoresTheOriginalBytes() {
        final byte[] original = text.clone();
        final BuildId a = new BuildId(new byte[] {0xa});
        final BuildId b = new BuildId(new byte[] {0xb});
        final LoadedPayload pa = payload("a", a, XEN, func("f", TEXT + 0x10, 0x800000, false));
        final LoadedPayload pb = payload("b", b, a, func("f", TEXT + 0x10, 0x800040, false), func("g", TEXT + 0x40, 0x800080, true));
        final LoadedPayload pr = payload("r", new BuildId(new byte[] {0xc}), XEN, func("g", TEXT + 0x40, 0x8000c0, true));
        final PatchStack s = stack();

        assertEquals(Errno.EINVAL, assertThrows(PayloadException.class, () -> s.planApply(pb, false)).errno(), "b needs a below it");
        assertTrue(s.planApply(pb, true).writes().size() == 2, "NODEPS skips the check");
        final ActionPlan applyA = s.planApply(pa, false);
        write(applyA);
        s.commit(applyA);
        final ActionPlan applyB = s.planApply(pb, false);
        assertArrayEquals(PatchStack.patchBytes(pa.funcs().getFirst()), applyB.writes().getFirst().before(), "b saves a's jump");
        write(applyB);
        s.commit(applyB);
        assertEquals(List.of("a", "b"), s.applied().stream().map(x -> x.payload().name()).toList());

        final LoadedPayload appliedA = pa.withState(PayloadState.APPLIED, 0);
        assertEquals(Errno.EBUSY, assertThrows(PayloadException.class, () -> s.planRevert(appliedA)).errno());

        final ActionPlan replace = s.planReplace(pr);
        assertEquals(List.of("b", "a"), replace.reverted().stream().map(LoadedPayload::name).toList(), "newest first");
        // f: b's jump -> a's jump -> original; g: b's jump -> original -> r's jump.
        final TextWrite firstF = replace.writes().stream().filter(w -> w.func().equals("f")).findFirst().orElseThrow();
        assertTrue(firstF.checkLive());
        assertArrayEquals(Arrays.copyOfRange(original, 0x10, 0x15), firstF.fin(), "f ends as it was before a");
        assertEquals(List.of(true, true, false, false), replace.writes().stream().map(TextWrite::checkLive).toList(),
                "only the first write to each range compares with live text");
        write(replace);
        s.commit(replace);
        assertArrayEquals(Arrays.copyOfRange(original, 0x10, 0x15), Arrays.copyOfRange(text, 0x10, 0x15));
        assertArrayEquals(PatchStack.patchBytes(pr.funcs().getFirst()), Arrays.copyOfRange(text, 0x44, 0x49));
        assertEquals(List.of("r"), s.applied().stream().map(x -> x.payload().name()).toList());

        final ActionPlan revert = s.planRevert(pr.withState(PayloadState.APPLIED, 0));
        write(revert);
        s.commit(revert);
        assertArrayEquals(original, text);
        assertFalse(s.top().isPresent());
    }

    @Test
    void expectationsAndStateAreCheckedBeforeAnyPlan() {
        final LoadedFunc wrong = new LoadedFunc("f", TEXT, 16, 0x800000, 32, false,
                Optional.of(new Expectation(new byte[] {(byte) 0xcc, (byte) 0xcc})), 0);
        final PayloadException e = assertThrows(PayloadException.class,
                () -> stack().planApply(payload("x", new BuildId(new byte[] {9}), XEN, wrong), false));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("expectation failed for f at 0x400000: expected cc cc, found 40 41"), e.getMessage());
        final LoadedFunc right = new LoadedFunc("f", TEXT, 16, 0x800000, 32, false,
                Optional.of(new Expectation(new byte[] {0x40, 0x41})), 0);
        assertEquals(1, stack().planApply(payload("y", new BuildId(new byte[] {9}), XEN, right), false).writes().size());
        final LoadedPayload applied = payload("z", new BuildId(new byte[] {9}), XEN).withState(PayloadState.APPLIED, 0);
        assertEquals(Errno.EINVAL, assertThrows(PayloadException.class, () -> stack().planApply(applied, false)).errno());
    }
}
