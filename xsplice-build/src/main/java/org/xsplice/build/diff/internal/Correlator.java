package org.xsplice.build.diff.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.xsplice.elf.Relocation;

/**
 * The correlation funnel: gives each symbol and section of the patched object its twin in the
 * original, level by level, each level only looking at what the levels before left unmatched.
 *
 * <pre>
 * level 1  name            xen_extra_version      <-> xen_extra_version
 * level 2  clone stem      parse_op.isra.3        <-> parse_op.isra.0   (stem parse_op.isra)
 *                          do_op.cold             <-> do_op.cold
 *          clone callers   scale.constprop.1 called by time_ms <-> scale.constprop.0 called by time_ms
 *                          (a clone matched by name whose callers disagree is unmatched first: gcc
 *                          numbers clones of one function in creation order, so .0 may now be
 *                          another specialisation)
 * level 3  static local    calls.4 (used by f)    <-> calls.1 (used by f's twin)
 * level 4  section         .text.parse_op.isra.3  <-> section of the twin of its symbol
 *                          .rodata.f.str1.1       <-> .rodata.f.str1.1 (by stem of the name)
 * </pre>
 *
 * A level only matches when the candidate is unique on both sides; a static local with several
 * candidates is marked ambiguous (the include stage refuses it if the payload needs it).
 */
final class Correlator {
    /** gcc's clone and split suffixes; the number changes between builds. */
    private static final Pattern CLONE_NUMBER = Pattern.compile("\\.(isra|constprop|part|cold|lto_priv|localalias)\\.\\d+(?=\\.|$)");
    /** A static local: {@code name.NNNN}, the number given by gcc in order of appearance. */
    private static final Pattern STATIC_LOCAL = Pattern.compile("^(.+)\\.\\d+$");

    private final Obj orig;
    private final Obj patched;

    Correlator(final Obj orig, final Obj patched) {
        this.orig = orig;
        this.patched = patched;
    }

    /** {@return the name without the build-specific clone numbers} */
    static String cloneStem(final String name) {
        return CLONE_NUMBER.matcher(name).replaceAll(".$1");
    }

    /** A local object named {@code foo.NNNN} that is not a clone: gcc's name for a function's static variable. */
    static boolean isStaticLocal(final Sym s) {
        return s.isLocal() && s.isObject() && STATIC_LOCAL.matcher(s.name).matches()
                && cloneStem(s.name).equals(s.name);
    }

    static String staticLocalStem(final Sym s) {
        final var m = STATIC_LOCAL.matcher(s.name);
        return m.matches() ? m.group(1) : s.name;
    }

    private static boolean unmatched(final Sym s) {
        return s.isCorrelatable() && null == s.twin;
    }

    void run() {
        byName();
        byCloneStem();
        clonesByCallers();
        byUsers();
        sections();
        coldParents(orig);
        coldParents(patched);
    }

    private static void link(final Sym p, final Sym o) {
        p.twin = o;
        o.twin = p;
    }

    private static void link(final Sec p, final Sec o) {
        p.twin = o;
        o.twin = p;
    }

    /** Level 1: the same name, unique among the defined symbols on both sides. */
    private void byName() {
        final Map<String, List<Sym>> o = index(orig, false);
        final Map<String, List<Sym>> p = index(patched, false);
        p.forEach((name, ps) -> {
            final List<Sym> os = o.get(name);
            if (ps.size() == 1 && null != os && os.size() == 1 && !isStaticLocal(ps.getFirst())
                    && !isStaticLocal(os.getFirst()) && sameKind(ps.getFirst(), os.getFirst())) {
                link(ps.getFirst(), os.getFirst());
            }
        });
    }

    /** Level 2: the same clone stem ({@code foo.isra.N}, {@code foo.constprop.N}, {@code foo.part.N}, {@code foo.cold}). */
    private void byCloneStem() {
        final Map<String, List<Sym>> o = index(orig, true);
        final Map<String, List<Sym>> p = index(patched, true);
        p.forEach((stem, ps) -> {
            final List<Sym> os = o.get(stem);
            if (ps.size() == 1 && null != os && os.size() == 1 && sameKind(ps.getFirst(), os.getFirst())
                    && !isStaticLocal(ps.getFirst())) {
                link(ps.getFirst(), os.getFirst());
            }
        });
    }

    /**
     * Level 2b: a clone is a specialisation for its call sites, so a twin must be called by the
     * twins of its callers. A pair whose correlated callers disagree is split, then clones of a
     * stem are matched by equal (correlated) caller sets.
     */
    private void clonesByCallers() {
        final Map<Sym, Set<Sym>> pu = users(patched);
        final Map<Sym, Set<Sym>> ou = users(orig);
        for (final Sym p : patched.symbols) {
            if (p.isFunction() && null != p.twin && isClone(p)
                    && !callersAgree(pu.getOrDefault(p, Set.of()), ou.getOrDefault(p.twin, Set.of()))) {
                p.twin.twin = null;
                p.twin = null;
            }
        }
        for (final Sym p : patched.symbols) {
            if (!p.isFunction() || !unmatched(p) || !isClone(p)) {
                continue;
            }
            final Set<Sym> callers = pu.getOrDefault(p, Set.of());
            final List<Sym> candidates = orig.symbols.stream().filter(o -> unmatched(o) && o.isFunction()
                    && cloneStem(o.name).equals(cloneStem(p.name))
                    && callersAgree(callers, ou.getOrDefault(o, Set.of()))
                    && callers.stream().anyMatch(c -> null != c.twin)).toList();
            if (candidates.size() == 1) {
                link(p, candidates.getFirst());
            }
        }
    }

    private static boolean isClone(final Sym s) {
        return !cloneStem(s.name).equals(s.name);

    }

    /** Correlated callers on one side must be exactly the twins of the correlated callers on the other. */
    private static boolean callersAgree(final Set<Sym> patchedCallers, final Set<Sym> origCallers) {
        final Set<Sym> p = new LinkedHashSet<>();
        for (final Sym c : patchedCallers) {
            if (null != c.twin) {
                p.add(c.twin);
            }
        }
        final Set<Sym> o = new LinkedHashSet<>();
        for (final Sym c : origCallers) {
            if (null != c.twin) {
                o.add(c);
            }
        }
        return p.equals(o);
    }

    /**
     * Level 3: a static local {@code foo.N} takes the twin its users agree on: each correlated
     * function that refers to it must refer, in the original, to exactly one unmatched
     * {@code foo.M}. A function using two statics of the same name makes both ambiguous.
     */
    private void byUsers() {
        final Map<Sym, Set<Sym>> users = users(patched);
        // First the statics some correlated function uses, so that what is left for the
        // second pass is only what no correlated code explains.
        for (final Sym s : patched.symbols) {
            if (unmatched(s) && isStaticLocal(s)
                    && users.getOrDefault(s, Set.of()).stream().anyMatch(u -> null != u.twin)) {
                byCorrelatedUsers(s, users.get(s));
            }
        }
        for (final Sym s : patched.symbols) {
            if (!unmatched(s) || !isStaticLocal(s) || null != s.ambiguity) {
                continue;
            }
            final Set<Sym> u = users.getOrDefault(s, Set.of());
            if (!u.isEmpty()) {
                continue; // used only by new functions: a new static
            }
            final String stem = staticLocalStem(s);
            final List<Sym> lone = orig.symbols.stream().filter(o -> unmatched(o) && isStaticLocal(o)
                    && staticLocalStem(o).equals(stem)).toList();
            final long mine = patched.symbols.stream().filter(x -> unmatched(x) && isStaticLocal(x)
                    && staticLocalStem(x).equals(stem)).count();
            if (lone.size() == 1 && mine == 1) {
                link(s, lone.getFirst());
            } else if (!lone.isEmpty()) {
                s.ambiguity = "no function uses " + s.name + " and the original has " + names(lone);
            }
        }
    }

    private void byCorrelatedUsers(final Sym s, final Set<Sym> users) {
        final String stem = staticLocalStem(s);
        final Set<Sym> candidates = new LinkedHashSet<>();
        boolean ambiguous = false;
        for (final Sym user : users) {
            if (null == user.twin) {
                continue;
            }
            if (referencedStatics(patched, user, stem).size() > 1) {
                ambiguous = true;
            }
            final List<Sym> inOrig = referencedStatics(orig, user.twin, stem);
            if (inOrig.size() > 1) {
                ambiguous = true;
            }
            candidates.addAll(inOrig);
        }
        if (ambiguous || candidates.size() > 1) {
            s.ambiguity = "its users refer to several statics named " + stem + " ("
                    + names(new ArrayList<>(candidates)) + " in the original)";
            return;
        }
        if (candidates.size() == 1 && null == candidates.iterator().next().twin) {
            link(s, candidates.iterator().next());
        }
    }

    /** Level 4: sections follow their symbols; the rest match by the stem of their names. */
    private void sections() {
        for (final Sec p : patched.sections) {
            for (final Sym s : p.symbols) {
                if (null != s.twin && null != s.twin.sec && null == s.twin.sec.twin && null == p.twin) {
                    link(p, s.twin.sec);
                }
            }
        }
        final Map<String, List<Sec>> o = new HashMap<>();
        for (final Sec s : orig.sections) {
            if (null == s.twin) {
                o.computeIfAbsent(cloneStem(s.name), _ -> new ArrayList<>()).add(s);
            }
        }
        final Map<String, List<Sec>> p = new HashMap<>();
        for (final Sec s : patched.sections) {
            if (null == s.twin) {
                p.computeIfAbsent(cloneStem(s.name), _ -> new ArrayList<>()).add(s);
            }
        }
        p.forEach((stem, ps) -> {
            final List<Sec> os = o.get(stem);
            if (ps.size() == 1 && null != os && os.size() == 1) {
                link(ps.getFirst(), os.getFirst());
            }
        });
    }

    /** {@code foo.cold} (or {@code foo.isra.0.cold}) belongs to {@code foo}: it is included with it. */
    private static void coldParents(final Obj obj) {
        final Map<String, Sym> functions = new HashMap<>();
        for (final Sym s : obj.symbols) {
            if (s.isFunction() && null != s.sec) {
                functions.put(s.name, s);
            }
        }
        for (final Sym s : obj.symbols) {
            if (s.isFunction() && s.name.matches(".+\\.cold(\\.\\d+)?")) {
                s.parent = functions.get(s.name.replaceFirst("\\.cold(\\.\\d+)?$", ""));
            }
        }
    }

    private static boolean sameKind(final Sym a, final Sym b) {
        return a.elf.type().equals(b.elf.type()) && a.isLocal() == b.isLocal();
    }

    private static Map<String, List<Sym>> index(final Obj obj, final boolean stem) {
        final Map<String, List<Sym>> m = new HashMap<>();
        for (final Sym s : obj.symbols) {
            if (unmatched(s)) {
                m.computeIfAbsent(stem ? cloneStem(s.name) : s.name, _ -> new ArrayList<>()).add(s);
            }
        }
        return m;
    }

    /** {@return for each named symbol, the functions whose relocations refer to it} */
    private static Map<Sym, Set<Sym>> users(final Obj obj) {
        final Map<Sym, Set<Sym>> users = new HashMap<>();
        for (final Sec sec : obj.sections) {
            if (!sec.isText()) {
                continue;
            }
            for (final Relocation r : sec.relocations) {
                final Sym user = sec.symbolAt(r.offset());
                final Sym target = RelocTarget.named(obj, r);
                if (null != user && null != target) {
                    users.computeIfAbsent(target, _ -> new LinkedHashSet<>()).add(user);
                }
            }
        }
        return users;
    }

    private static List<Sym> referencedStatics(final Obj obj, final Sym function, final String stem) {
        final Set<Sym> out = new LinkedHashSet<>();
        if (null == function.sec) {
            return List.of();
        }
        for (final Relocation r : function.sec.relocations) {
            final Sym t = RelocTarget.named(obj, r);
            if (null != t && isStaticLocal(t) && staticLocalStem(t).equals(stem)
                    && function == function.sec.symbolAt(r.offset())) {
                out.add(t);
            }
        }
        return new ArrayList<>(out);
    }

    private static String names(final List<Sym> syms) {
        return String.join(", ", syms.stream().map(s -> s.name).toList());
    }
}
