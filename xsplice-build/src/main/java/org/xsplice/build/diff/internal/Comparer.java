package org.xsplice.build.diff.internal;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.xsplice.build.diff.LineMap;
import org.xsplice.build.diff.Status;
import org.xsplice.elf.Relocation;

/**
 * The comparison stage: gives each correlated symbol SAME or CHANGED by comparing its bytes and
 * the <em>meaning</em> of its relocations, so that churn which does not change behaviour is not
 * a change: a renumbered clone or static local (compared through its twin's name), a string
 * that moved inside its section (compared by its text), a constant in {@code .rodata.cst*}
 * (compared by its bytes), and, given a {@link LineMap}, an immediate that is only a moved
 * {@code __LINE__}.
 */
final class Comparer {
    private final Obj orig;
    private final Obj patched;
    private final LineMap lines;
    final List<String> ignored = new ArrayList<>();

    Comparer(final Obj orig, final Obj patched, final LineMap lines) {
        this.orig = orig;
        this.patched = patched;
        this.lines = lines;
    }

    void run() {
        for (final Sym p : patched.symbols) {
            if (!p.isCorrelatable()) {
                continue;
            }
            if (null == p.twin) {
                p.status = Status.NEW;
                continue;
            }
            final String why = differs(p, p.twin);
            p.status = null == why ? Status.SAME : Status.CHANGED;
            p.why = null == why ? "" : why;
        }
        propagate();
    }

    /**
     * A function using a changed private constant (a local read-only object) behaves differently
     * although its own bytes did not change; a function whose {@code .cold} part changed is
     * changed as a whole (the parts jump into each other).
     */
    private void propagate() {
        boolean again = true;
        while (again) {
            again = false;
            for (final Sym f : patched.symbols) {
                if (!f.isFunction() || f.status != Status.SAME || null == f.sec) {
                    continue;
                }
                for (final Relocation r : inRange(f.sec, f)) {
                    final Sym t = RelocTarget.named(patched, r);
                    if (null != t && t != f && t.isObject() && t.isLocal() && null != t.sec && t.sec.isReadOnlyData()
                            && t.status == Status.CHANGED) {
                        f.status = Status.CHANGED;
                        f.why = "uses the changed constant " + t.name;
                        again = true;
                        break;
                    }
                }
            }
            for (final Sym c : patched.symbols) {
                if (null != c.parent && c.status != Status.SAME && c.parent.status == Status.SAME) {
                    c.parent.status = Status.CHANGED;
                    c.parent.why = "its split part " + c.name + " changed";
                    again = true;
                }
            }
        }
    }

    /** {@return a description of the first meaningful difference, or null if none} */
    private String differs(final Sym p, final Sym o) {
        if (p.elf.size() != o.elf.size()) {
            return "size " + o.elf.size() + " -> " + p.elf.size() + " bytes";
        }
        if (p.sec.isNoBits() != o.sec.isNoBits()) {
            return "moved between initialized and zero-initialized data";
        }
        final List<String> pk = keys(patched, true, p.sec, p.elf.value(), p.elf.size());
        final List<String> ok = keys(orig, false, o.sec, o.elf.value(), o.elf.size());
        if (!pk.equals(ok)) {
            for (int i = 0; i < Math.min(pk.size(), ok.size()); i++) {
                if (!pk.get(i).equals(ok.get(i))) {
                    return "relocation " + ok.get(i) + " -> " + pk.get(i);
                }
            }
            return "relocations " + ok.size() + " -> " + pk.size();
        }
        if (!p.sec.isNoBits()) {
            final byte[] pb = range(p.sec, p.elf.value(), p.elf.size());
            final byte[] ob = range(o.sec, o.elf.value(), o.elf.size());
            final int at = firstDifference(ob, pb);
            if (at >= 0) {
                final String line = lineOnly(ob, pb);
                if (null != line) {
                    ignored.add(p.name + ": only __LINE__ values moved (" + line + ")");
                    return null;
                }
                return (p.isFunction() ? "code" : "initializer") + " differs at +0x" + Integer.toHexString(at);
            }
        }
        return anonymousTables(p, o);
    }

    /** Jump tables and other compiler-private rodata belong to the function that refers to them. */
    private String anonymousTables(final Sym p, final Sym o) {
        for (final Relocation r : inRange(p.sec, p)) {
            final Sym s = RelocTarget.symbol(patched, r);
            if (null == s || !s.isSectionLike() || null == s.sec || !s.sec.isAnonymousReadOnly() || s.sec == p.sec) {
                continue;
            }
            final Sec twin = s.sec.twin;
            if (null == twin) {
                return "refers to the new table " + s.sec.name;
            }
            final List<String> pk = keys(patched, true, s.sec, 0, s.sec.elf.size());
            final List<String> ok = keys(orig, false, twin, 0, twin.elf.size());
            if (!pk.equals(ok) || firstDifference(twin.elf.bytes(), s.sec.elf.bytes()) >= 0) {
                return "its table " + s.sec.name + " differs";
            }
        }
        return null;
    }

    static List<Relocation> inRange(final Sec sec, final Sym s) {
        final long from = s.elf.value();
        final long to = from + Math.max(1, s.elf.size());
        final List<Relocation> out = new ArrayList<>();
        for (final Relocation r : sec.relocations) {
            if (r.offset() >= from && r.offset() < to) {
                out.add(r);
            }
        }
        return out;
    }

    private static List<String> keys(final Obj obj, final boolean patchedSide, final Sec sec, final long from,
                                     final long size) {
        final List<String> out = new ArrayList<>();
        for (final Relocation r : sec.relocations) {
            if (r.offset() >= from && r.offset() < from + Math.max(1, size)) {
                out.add((r.offset() - from) + ":" + r.type().name() + ":" + target(obj, patchedSide, r));
            }
        }
        return out;
    }

    /** {@return the meaning of a relocation's target, in the original's names} */
    static String target(final Obj obj, final boolean patchedSide, final Relocation r) {
        final Sym s = RelocTarget.symbol(obj, r);
        if (null == s) {
            return "abs" + r.addend();
        }
        if (RelocTarget.isUndefined(s)) {
            return "und:" + s.name + "+" + r.addend();
        }
        if (!s.isSectionLike()) {
            return symbolKey(s, patchedSide) + "+" + r.addend();
        }
        final Sec x = s.sec;
        if (null == x) {
            return "abs-section+" + r.addend();
        }
        final long a = RelocTarget.addend(obj, r);
        final long at = clamp(RelocTarget.targetOffset(obj, r), x);
        if (x.isStrings()) {
            final long start = stringStart(x, at);
            return "str:\"" + org.xsplice.build.diff.Target.cString(x.elf.contents(), (int) start) + "\"@" + (a - start);
        }
        if (x.isConstants()) {
            final long e = Math.max(1, x.elf.entrySize());
            final long start = at - at % e;
            final byte[] b = range(x, start, Math.min(e, x.elf.size() - start));
            return "cst:" + HexFormat.of().formatHex(b) + "@" + (a - start);
        }
        final Sym z = x.symbolAt(at);
        if (null != z) {
            return symbolKey(z, patchedSide) + "+" + (a - z.elf.value());
        }
        final String name = patchedSide ? (null != x.twin ? x.twin.name : "new:" + x.name) : x.name;
        return "sec:" + Correlator.cloneStem(name) + "+" + a;
    }

    private static String symbolKey(final Sym z, final boolean patchedSide) {
        if (null == z.twin && Correlator.isStaticLocal(z)) {
            // Unresolved static locals compare by exact name: equal names keep a function SAME,
            // a renumbering makes it CHANGED and the include stage then refuses the ambiguity.
            return "static:" + z.name;
        }
        if (!patchedSide) {
            return "sym:" + z.name;
        }
        return null != z.twin ? "sym:" + z.twin.name : "new:" + z.name;
    }

    static long clamp(final long at, final Sec x) {
        return Math.max(0, Math.min(at, Math.max(0, x.elf.size() - 1)));
    }

    static long stringStart(final Sec x, final long at) {
        final var b = x.elf.contents();
        long s = at;
        while (s > 0 && b.get((int) s - 1) != 0) {
            s--;
        }
        return s;
    }

    static byte[] range(final Sec sec, final long from, final long size) {
        final byte[] b = new byte[(int) size];
        if (!sec.isNoBits()) {
            sec.elf.contents().get((int) from, b);
        }
        return b;
    }

    private static int firstDifference(final byte[] a, final byte[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
        return a.length == b.length ? -1 : Math.min(a.length, b.length);
    }

    /** {@return "a -> b, ..." if every differing byte lies in a 32-bit immediate the patch moved as a line number, else null} */
    private String lineOnly(final byte[] o, final byte[] p) {
        final StringBuilder moved = new StringBuilder();
        int i = 0;
        while (i < o.length) {
            if (o[i] == p[i]) {
                i++;
                continue;
            }
            int next = -1;
            for (int w = Math.max(0, i - 3); w <= i && w + 4 <= o.length; w++) {
                final long a = le32(o, w);
                final long b = le32(p, w);
                if (lines.moved(a, b)) {
                    next = w + 4;
                    moved.append(moved.isEmpty() ? "" : ", ").append("line ").append(a).append(" -> ").append(b);
                    break;
                }
            }
            if (next < 0) {
                return null;
            }
            i = next;
        }
        return moved.toString();
    }

    private static long le32(final byte[] b, final int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }
}
