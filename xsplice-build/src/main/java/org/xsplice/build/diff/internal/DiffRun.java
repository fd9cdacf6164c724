package org.xsplice.build.diff.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.xsplice.build.diff.FunctionEntries;
import org.xsplice.build.diff.Inclusion;
import org.xsplice.build.diff.LineMap;
import org.xsplice.build.diff.ObjectDiff;
import org.xsplice.build.diff.ObjectDiff.FunctionChange;
import org.xsplice.build.diff.ObjectDiff.Outcome;
import org.xsplice.build.diff.Refusal;
import org.xsplice.build.diff.Refusal.Kind;
import org.xsplice.build.diff.Status;
import org.xsplice.build.diff.Target;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationType;
import org.xsplice.elf.SectionGroup;
import org.xsplice.elf.SymbolBinding;
import org.xsplice.elf.SymbolType;

/**
 * One run of the differ over an object pair: the driver {@link #run()} is a list of named stages
 * (kpatch's create-diff-object and objtool's klp-diff have the same shape). Stages record
 * refusals and never exit; after {@link #include()} the original object is no longer read.
 */
public final class DiffRun {
    /** The relocation types Xen's x86 loader applies; anything else in payload code is refused. */
    private static final Set<RelocationType> LOADABLE = Set.of(RelocationType.Known.R_X86_64_NONE,
            RelocationType.Known.R_X86_64_64, RelocationType.Known.R_X86_64_PC32, RelocationType.Known.R_X86_64_PLT32);
    static final String EX_TABLE = ".ex_table";
    static final String FIXUP = ".fixup";
    private static final int EX_ENTRY = 8;
    static final String ALTINSTR_REPLACEMENT = ".altinstr_replacement";
    /** Bug-frame words 0 and 4 carry 7 bits of the line number above a 24-bit displacement. */
    private static final long DISP24 = 0xffffffL;

    /**
     * A table of fixed-size entries that point into functions (Xen's bug frames and
     * alternatives): an entry belongs to the function its field 0 points into.
     *
     * @param name      section name
     * @param entrySize bytes per entry
     * @param fields    offsets of the 32-bit PC-relative fields inside an entry
     * @param lineBits  whether fields 0 and 4 carry line bits above 24 bits of displacement
     * @param biased    whether a field's addend includes its offset in the entry ({@code x - entry})
     *                  rather than being relative to the field itself ({@code x - .})
     */
    private record Table(String name, int entrySize, int[] fields, boolean lineBits, boolean biased) {
        /** {@return the section offset field {@code f} of a relocation with addend {@code a} designates} */
        long targetOffset(final int f, final long a) {
            final long masked = lineBits && f < 8 ? a & DISP24 : a;
            return masked - (biased ? f : 0);
        }
    }

    private static final List<Table> TABLES = List.of(
            new Table(".bug_frames.0", 8, new int[] {0, 4}, true, true),
            new Table(".bug_frames.1", 8, new int[] {0, 4}, true, true),
            new Table(".bug_frames.2", 8, new int[] {0, 4}, true, true),
            new Table(".bug_frames.3", 16, new int[] {0, 4, 12}, true, true),
            new Table(".altinstructions", 14, new int[] {0, 4}, false, false));
    /** Offset of {@code repl_len} in {@code struct alt_instr}. */
    private static final int ALT_REPL_LEN = 11;

    private final Obj orig;
    private final Obj patched;
    private final Target target;
    private final LineMap lines;
    private final List<Refusal> refusals = new ArrayList<>();
    private final Set<String> refused = new LinkedHashSet<>();
    private final List<Inclusion> inclusions = new ArrayList<>();
    private final List<String> ignored = new ArrayList<>();
    /** Sections copied whole, in inclusion order. */
    private final Set<Sec> included = new LinkedHashSet<>();
    /** For each string section, the starts of the strings included code uses. */
    private final Map<Sec, TreeSet<Long>> strings = new LinkedHashMap<>();
    /** Kept {@code .ex_table} entries (offsets) and {@code .fixup} chunks (start -> end). */
    private final List<Long> exEntries = new ArrayList<>();
    private final TreeMap<Long, Long> fixupChunks = new TreeMap<>();
    /** Kept entries (offsets) of each bug-frame/alternatives table, and the replacement chunks kept. */
    private final Map<Table, List<Long>> tableEntries = new LinkedHashMap<>();
    private final TreeMap<Long, Long> replacementChunks = new TreeMap<>();
    private final List<Sym> changed = new ArrayList<>();
    private final List<Sym> added = new ArrayList<>();

    public DiffRun(final Obj orig, final Obj patched, final Target target, final LineMap lines) {
        this.orig = orig;
        this.patched = patched;
        this.target = target;
        this.lines = lines;
    }

    /** The driver: each stage in order. */
    public ObjectDiff run() {
        new Correlator(orig, patched).run();
        compare();
        checkChangedData();
        checkGroups();
        selectFunctions();
        include();
        regenerateExceptionTable();
        regenerateTables();
        checkSpecialSections();
        final List<FunctionChange> funcs = functionEntries();
        final Outcome outcome = !refusals.isEmpty() ? Outcome.REFUSED
                : changed.isEmpty() && added.isEmpty() ? Outcome.NO_CHANGE : Outcome.CHANGED;
        final Optional<byte[]> object = outcome == Outcome.CHANGED ? Optional.of(write(funcs)) : Optional.empty();
        return new ObjectDiff(patched.file, outcome, funcs,
                added.stream().map(s -> outName(s) + (s.isFunction() ? " (function)" : " (data)")).toList(),
                inclusions, ignored, refusals, object);
    }

    private void refuse(final Kind kind, final String element, final String explanation) {
        if (refused.add(kind + element)) {
            refusals.add(new Refusal(kind, patched.file, element, explanation));
        }
    }

    // ---- stage: compare ----

    private void compare() {
        final Comparer c = new Comparer(orig, patched, lines);
        c.run();
        ignored.addAll(c.ignored);
    }

    /** Refuses changed existing data; a changed private constant is fine (patched code gets its own copy). */
    private void checkChangedData() {
        for (final Sym s : patched.symbols) {
            if (!s.isObject() || s.status != Status.CHANGED) {
                continue;
            }
            if (s.isLocal() && s.sec.isReadOnlyData() && s.elf.type() == SymbolType.Known.STT_OBJECT) {
                continue;
            }
            final Kind kind = s.sec.isNoBits() ? Kind.CHANGED_BSS : Kind.CHANGED_DATA;
            refuse(kind, s.name, "existing " + (s.sec.isReadOnlyData() ? "read-only " : "") + "variable in "
                    + s.sec.name + " changed: " + s.why);
        }
    }

    /** Section groups (COMDAT) are the linker's: a new one, or one whose members changed, is refused. */
    private void checkGroups() {
        final Map<String, SectionGroup> before = new HashMap<>();
        for (final SectionGroup g : orig.model.groups()) {
            before.put(g.signature().name(), g);
        }
        for (final SectionGroup g : patched.model.groups()) {
            final SectionGroup o = before.get(g.signature().name());
            final String sig = g.signature().name();
            if (null == o) {
                refuse(Kind.CHANGED_GROUP, sig, "new section group " + sig + " (members "
                        + g.members().stream().map(ElfSection::name).toList() + ")");
                continue;
            }
            if (g.members().size() != o.members().size()) {
                refuse(Kind.CHANGED_GROUP, sig, "section group " + sig + " has other members");
                continue;
            }
            for (int i = 0; i < g.members().size(); i++) {
                final Sec pm = patched.sec(g.members().get(i));
                final Sec om = orig.sec(o.members().get(i));
                if (null == pm || null == om || !java.util.Arrays.equals(pm.elf.bytes(), om.elf.bytes())
                        || pm.relocations.size() != om.relocations.size()) {
                    refuse(Kind.CHANGED_GROUP, sig, "member " + g.members().get(i).name() + " of section group "
                            + sig + " changed");
                    break;
                }
            }
        }
    }

    /** Changed functions become livepatch_func entries; new functions and new global data are exported. */
    private void selectFunctions() {
        for (final Sym s : patched.symbols) {
            if (!s.isCorrelatable() || null != s.parent) {
                continue;
            }
            if (s.isFunction() && s.status == Status.CHANGED) {
                changed.add(s);
            } else if (s.status == Status.NEW && null == s.ambiguity
                    && (s.isFunction() || s.isObject() && !s.isLocal())) {
                added.add(s);
                if (!s.isLocal() && !target.lookup(s.name).isEmpty()) {
                    refuse(Kind.DUPLICATE_NEW_SYMBOL, s.name, "new " + (s.isFunction() ? "function" : "variable")
                            + " " + s.name + " already exists in the target");
                }
            }
        }
    }

    // ---- stage: include ----

    private final Deque<Sec> work = new ArrayDeque<>();

    private void includeSection(final Sec sec, final String what, final String reason) {
        if (included.add(sec)) {
            inclusions.add(new Inclusion(sec.name, what, reason));
            work.add(sec);
            // A function's split parts jump back into it: they go together.
            for (final Sym f : sec.symbols) {
                for (final Sym c : patched.symbols) {
                    if (c.parent == f && null != c.sec) {
                        includeSection(c.sec, "function", "split part of " + f.name);
                    }
                }
            }
        }
    }

    /** Starts from the changed and new symbols and follows relocations until nothing new is needed. */
    private void include() {
        for (final Sym s : changed) {
            includeSection(s.sec, "function", "changed: " + s.why);
        }
        for (final Sym s : added) {
            includeSection(s.sec, s.isFunction() ? "function" : "data", "new");
        }
        drain();
    }

    private void drain() {
        while (!work.isEmpty()) {
            final Sec sec = work.poll();
            for (final Relocation r : sec.relocations) {
                need(sec, r, r.offset());
            }
        }
    }

    /** Records what relocation {@code r} of included section {@code from} needs. */
    private void need(final Sec from, final Relocation r, final long at) {
        final Sym user = from.symbolAt(at);
        final String who = null != user ? user.name : from.name;
        if (!LOADABLE.contains(r.type())) {
            refuse(Kind.UNSUPPORTED_RELOCATION, who, r.type().name() + " at " + from.name + "+0x"
                    + Long.toHexString(r.offset()) + " against " + r.symbol().map(ElfSymbol::name).orElse("-")
                    + (r.type().name().contains("TPOFF") ? " (thread-local variable)" : ""));
            return;
        }
        final Sym s = RelocTarget.symbol(patched, r);
        if (null == s) {
            return;
        }
        if (RelocTarget.isUndefined(s)) {
            needExternal(s.name, who);
            return;
        }
        if (!s.isSectionLike()) {
            needNamed(s, who);
            return;
        }
        final Sec y = s.sec;
        if (null == y || y == from) {
            return;
        }
        if (y.isStrings()) {
            strings.computeIfAbsent(y, _ -> new TreeSet<>())
                    .add(Comparer.stringStart(y, Comparer.clamp(RelocTarget.targetOffset(patched, r), y)));
            return;
        }
        if (y.isConstants()) {
            includeSection(y, "constants", "used by " + who);
            return;
        }
        if (y.isAnonymousReadOnly()) {
            includeSection(y, "table", "used by " + who + " (jump table or private read-only data)");
            return;
        }
        final Sym z = y.symbolAt(RelocTarget.targetOffset(patched, r));
        if (null != z) {
            needNamed(z, who);
        } else if (!included.contains(y)) {
            refuse(Kind.UNKNOWN_SPECIAL_SECTION, y.name, who + " refers to anonymous section " + y.name
                    + " which has no symbol the running hypervisor could resolve");
        }
    }

    private void needNamed(final Sym z, final String who) {
        if (null != z.ambiguity) {
            refuse(Kind.AMBIGUOUS_LOCAL, z.name, who + " refers to " + z.name + ", but " + z.ambiguity);
            return;
        }
        if (included.contains(z.sec)) {
            return;
        }
        if (z.status == Status.NEW) {
            includeSection(z.sec, z.isFunction() ? "function" : "data", "new, used by " + who);
            return;
        }
        if (z.status == Status.CHANGED && z.isFunction()) {
            return; // included by the changed set
        }
        if (z.status == Status.CHANGED && z.isLocal() && z.sec.isReadOnlyData()) {
            includeSection(z.sec, "data", "changed constant used by " + who + " (a private copy for patched code)");
            return;
        }
        if (null != z.parent && included.contains(z.parent.sec)) {
            return;
        }
        final String name = targetName(z);
        final List<ElfSymbol> found = target.lookup(name);
        if (found.isEmpty() && !z.isLocal() && target.imports(name)) {
            refuse(Kind.MISSING_IN_TARGET, name, who + " calls " + name + ", which the target imports from a shared "
                    + "library (through its PLT); the loader resolves only the hypervisor's own symbols");
            return;
        }
        if (found.isEmpty()) {
            refuse(Kind.MISSING_IN_TARGET, name, who + " refers to " + name + ", which the target does not define");
        } else if (found.size() > 1) {
            refuse(Kind.AMBIGUOUS_LOCAL, name, who + " refers to " + name + ", which the target defines "
                    + found.size() + " times");
        }
    }

    /**
     * An undefined symbol is resolved by the loader in the hypervisor or in a loaded payload (a
     * stacked patch, or another object of this payload); only an import from a shared library
     * is known to fail.
     */
    private void needExternal(final String name, final String who) {
        if (target.lookup(name).isEmpty() && target.imports(name)) {
            refuse(Kind.MISSING_IN_TARGET, name, who + " calls " + name + ", which the target imports from a shared "
                    + "library (through its PLT); the loader resolves only the hypervisor's own symbols");
        }
    }

    /** {@return the name the loader resolves for the running copy of {@code z}: its twin's, {@code file#} for statics} */
    private String targetName(final Sym z) {
        final String base = null != z.twin ? z.twin.name : z.name;
        return z.isLocal() ? patched.file + "#" + base : base;
    }

    private String outName(final Sym z) {
        return targetName(z);
    }

    // ---- stage: special sections ----

    /**
     * Keeps the {@code .ex_table} entries whose faulting instruction is in an included function,
     * and of {@code .fixup} only the chunks those entries jump to (a chunk runs from one entry's
     * fixup label to the next label).
     */
    private void regenerateExceptionTable() {
        final Sec ex = patched.section(EX_TABLE);
        if (null == ex) {
            return;
        }
        final Map<Long, Relocation[]> entries = new TreeMap<>();
        for (final Relocation r : ex.relocations) {
            final long e = r.offset() - r.offset() % EX_ENTRY;
            entries.computeIfAbsent(e, _ -> new Relocation[2])[(int) (r.offset() - e) / 4] = r;
        }
        final Sec fixup = patched.section(FIXUP);
        final TreeSet<Long> labels = new TreeSet<>();
        entries.values().forEach(e -> {
            if (null != e[1]) {
                labels.add(RelocTarget.addend(patched, e[1]));
            }
        });
        for (final var e : entries.entrySet()) {
            final Relocation insn = e.getValue()[0];
            final Relocation fix = e.getValue()[1];
            if (null == insn || null == fix) {
                continue;
            }
            final Sym s = RelocTarget.symbol(patched, insn);
            if (null == s || null == s.sec || !included.contains(s.sec)) {
                continue;
            }
            exEntries.add(e.getKey());
            final Sym fs = RelocTarget.symbol(patched, fix);
            if (null != fixup && null != fs && fs.sec == fixup) {
                final long label = RelocTarget.addend(patched, fix);
                final Long next = labels.higher(label);
                fixupChunks.put(label, null != next ? next : fixup.elf.size());
            }
        }
        if (!exEntries.isEmpty()) {
            inclusions.add(new Inclusion(EX_TABLE, "ex_table", exEntries.size() + " of " + entries.size()
                    + " entries (those of included functions)"));
        }
        if (null != fixup && !fixupChunks.isEmpty()) {
            inclusions.add(new Inclusion(FIXUP, "fixup", fixupChunks.size() + " chunk(s) the kept entries jump to"));
            for (final Relocation r : fixup.relocations) {
                if (inChunk(fixupChunks, r.offset())) {
                    need(fixup, r, r.offset());
                }
            }
            drain();
        }
    }

    /**
     * Keeps the bug frames and alternatives of included functions (Xen's {@code .bug_frames.N},
     * {@code .altinstructions} with their {@code .altinstr_replacement} code) and what they need:
     * the file and predicate strings, a run_fn's function, the replacement's own relocations.
     * Repeated until nothing new is included, since a kept entry may pull in a new function.
     * A changed line number alone only changes a relocation addend of the table, not the
     * function, so it makes nothing changed.
     */
    private void regenerateTables() {
        final Sec repl = patched.section(ALTINSTR_REPLACEMENT);
        int before;
        do {
            before = included.size();
            tableEntries.clear();
            replacementChunks.clear();
            for (final Table t : TABLES) {
                final Sec sec = patched.section(t.name());
                if (null == sec) {
                    continue;
                }
                for (final var e : entries(sec, t).entrySet()) {
                    final Relocation anchor = e.getValue().get(0);
                    final Sym f = null == anchor ? null : RelocTarget.symbol(patched, anchor);
                    if (null == f || null == f.sec || !included.contains(f.sec)) {
                        continue;
                    }
                    tableEntries.computeIfAbsent(t, _ -> new ArrayList<>()).add(e.getKey());
                    final String who = describe(f.sec, t.targetOffset(0, RelocTarget.addend(patched, anchor)));
                    for (final int field : t.fields()) {
                        final Relocation r = e.getValue().get(field);
                        if (0 == field || null == r) {
                            continue;
                        }
                        final long at = t.targetOffset(field, RelocTarget.addend(patched, r));
                        final Sym y = RelocTarget.symbol(patched, r);
                        if (null != repl && null != y && y.sec == repl && y.isSectionLike()) {
                            final int len = sec.elf.bytes()[(int) (e.getKey() + ALT_REPL_LEN)] & 0xff;
                            replacementChunks.put(at, at + len);
                        } else {
                            needField(sec, r, at, who);
                        }
                    }
                }
            }
            if (null != repl) {
                for (final Relocation r : repl.relocations) {
                    if (inChunk(replacementChunks, r.offset())) {
                        need(repl, r, r.offset());
                    }
                }
            }
            drain();
        } while (included.size() != before);
        for (final var e : tableEntries.entrySet()) {
            final Sec sec = patched.section(e.getKey().name());
            inclusions.add(new Inclusion(e.getKey().name(), "table", e.getValue().size() + " of "
                    + sec.elf.size() / e.getKey().entrySize() + " entries (those of included functions)"));
        }
        if (!replacementChunks.isEmpty()) {
            inclusions.add(new Inclusion(ALTINSTR_REPLACEMENT, "alternatives", replacementChunks.size()
                    + " replacement(s) of the kept entries"));
        }
    }

    /** {@return the relocations of each entry of {@code sec}, by entry offset, then by field offset} */
    private static Map<Long, Map<Integer, Relocation>> entries(final Sec sec, final Table t) {
        final Map<Long, Map<Integer, Relocation>> out = new TreeMap<>();
        for (final Relocation r : sec.relocations) {
            final long e = r.offset() - r.offset() % t.entrySize();
            out.computeIfAbsent(e, _ -> new HashMap<>()).put((int) (r.offset() - e), r);
        }
        return out;
    }

    private static String describe(final Sec sec, final long offset) {
        final Sym s = sec.symbolAt(offset);
        return null != s ? s.name : sec.name;
    }

    /** What a table field designating {@code at} in its target needs (a string, a function, an import). */
    private void needField(final Sec from, final Relocation r, final long at, final String who) {
        final Sym s = RelocTarget.symbol(patched, r);
        if (null == s) {
            return;
        }
        if (RelocTarget.isUndefined(s)) {
            needExternal(s.name, who);
        } else if (!s.isSectionLike()) {
            needNamed(s, who);
        } else if (null != s.sec && s.sec.isStrings()) {
            strings.computeIfAbsent(s.sec, _ -> new TreeSet<>()).add(Comparer.stringStart(s.sec, Comparer.clamp(at, s.sec)));
        } else if (null != s.sec && !included.contains(s.sec)) {
            final Sym z = s.sec.symbolAt(at);
            if (null != z) {
                needNamed(z, who);
            } else {
                refuse(Kind.UNKNOWN_SPECIAL_SECTION, s.sec.name, from.name + " entry of " + who + " refers to "
                        + s.sec.name + "+0x" + Long.toHexString(at) + ", which has no symbol to resolve");
            }
        }
    }

    private static boolean inChunk(final TreeMap<Long, Long> chunks, final long offset) {
        final var e = chunks.floorEntry(offset);
        return null != e && offset < e.getValue();
    }

    /** A section the differ does not know that refers to included code would lose entries silently: refuse. */
    private void checkSpecialSections() {
        for (final Sec s : patched.sections) {
            if (included.contains(s) || isOrdinary(s.name)) {
                continue;
            }
            for (final Relocation r : s.relocations) {
                final Sym t = RelocTarget.symbol(patched, r);
                if (null != t && null != t.sec && t.sec.isText() && included.contains(t.sec)) {
                    refuse(Kind.UNKNOWN_SPECIAL_SECTION, s.name, s.name + " has entries for included code ("
                            + (null != t.sec.symbolAt(RelocTarget.targetOffset(patched, r)) ? t.sec.symbolAt(
                            RelocTarget.targetOffset(patched, r)).name : t.sec.name) + ")");
                    break;
                }
            }
        }
    }

    private static boolean isOrdinary(final String n) {
        for (final String p : List.of(".text", ".data", ".rodata", ".bss", ".tdata", ".tbss", ".init", ".note",
                ".comment", ".debug", ".eh_frame", EX_TABLE, FIXUP, ".bug_frames", ".altinstructions",
                ALTINSTR_REPLACEMENT)) {
            if (n.equals(p) || n.startsWith(p + ".")) {
                return true;
            }
        }
        return false;
    }

    // ---- stage: livepatch_func entries ----

    private List<FunctionChange> functionEntries() {
        final List<FunctionChange> out = new ArrayList<>();
        for (final Sym f : changed) {
            final String name = targetName(f);
            final List<ElfSymbol> old = target.lookup(name);
            if (old.size() != 1) {
                refuse(old.isEmpty() ? Kind.MISSING_IN_TARGET : Kind.AMBIGUOUS_LOCAL, name, old.isEmpty()
                        ? "changed function " + name + " is not in the target's symbol table"
                        : "changed function " + name + " is defined " + old.size() + " times in the target");
                continue;
            }
            final ElfSymbol o = old.getFirst();
            final boolean endbr = target.bytesAt(o, 4).map(b -> (b[0] & 0xff) == 0xf3 && (b[1] & 0xff) == 0x0f
                    && (b[2] & 0xff) == 0x1e && (b[3] & 0xff) == 0xfa).orElse(false);
            final long need = endbr ? 9 : 5;
            if (o.size() < need) {
                refuse(Kind.TOO_SMALL, name, name + " is " + o.size() + " bytes in the target; the jump needs "
                        + need + (endbr ? " (it starts with ENDBR64)" : ""));
                continue;
            }
            out.add(new FunctionChange(name, f.elf.size(), o.size(), f.why));
        }
        return out;
    }

    // ---- stage: write ----

    private byte[] write(final List<FunctionChange> funcs) {
        return Elf.of().build(b -> new Writer(b).write(funcs));
    }

    /** Builds the payload part: included sections, pooled strings, regenerated tables, funcs. */
    private final class Writer {
        private final org.xsplice.elf.ElfBuilder b;
        private final Map<Sec, ElfSection> out = new IdentityHashMap<>();
        private final Map<ElfSection, ElfSymbol> sectionSymbols = new IdentityHashMap<>();
        private final Map<Sym, ElfSymbol> named = new IdentityHashMap<>();
        private final Map<String, ElfSymbol> undefined = new HashMap<>();
        private final Map<Sec, Map<Long, Long>> stringMoves = new IdentityHashMap<>();
        private final Map<Sec, ElfSection> stringPools = new IdentityHashMap<>();

        Writer(final org.xsplice.elf.ElfBuilder b) {
            this.b = b;
        }

        private ElfSymbol sectionSymbol(final ElfSection s) {
            return sectionSymbols.computeIfAbsent(s, x -> {
                final ElfSymbol sym = ElfSymbol.ofSection(x);
                b.withSymbol(sym);
                return sym;
            });
        }

        void write(final List<FunctionChange> funcs) {
            b.withSymbol(ElfSymbol.ofFile(patched.file));
            for (final Sec s : included) {
                final ElfSection e = s.isNoBits()
                        ? ElfSection.ofNoBits(s.name, s.elf.flags(), s.elf.alignment(), s.elf.size())
                        : ElfSection.of(s.name, s.elf.type(), s.elf.flags(), s.elf.alignment(), s.elf.entrySize(),
                        s.elf.bytes());
                out.put(s, e);
                b.withSection(e);
            }
            pools();
            for (final Sec s : included) {
                for (final Sym z : s.symbols) {
                    final String name = outName(z);
                    // A name the target already has would be a "duplicate new symbol" unless it
                    // is a replacement: private copies and split parts go unnamed.
                    final boolean replacing = z.isFunction() && z.status == Status.CHANGED && null == z.parent;
                    if (!replacing && !target.lookup(name).isEmpty()) {
                        continue;
                    }
                    final ElfSymbol sym = ElfSymbol.of(name, z.isLocal() ? SymbolBinding.Known.STB_LOCAL
                                    : z.elf.binding(), z.elf.type(), z.elf.visibility(), out.get(s), z.elf.value(),
                            z.elf.size());
                    named.put(z, sym);
                    b.withSymbol(sym);
                }
            }
            for (final Sec s : included) {
                final List<Relocation> rel = new ArrayList<>();
                for (final Relocation r : s.relocations) {
                    rel.add(rewrite(r, r.offset()));
                }
                if (!rel.isEmpty()) {
                    b.withRelocations(out.get(s), rel);
                }
            }
            exTable();
            tables();
            funcs(funcs);
        }

        /** One section per string section used, holding only the strings used, each at its alignment. */
        private void pools() {
            for (final var e : strings.entrySet()) {
                final Sec src = e.getKey();
                final long align = Math.max(1, src.elf.alignment());
                final ByteArrayOutputStream data = new ByteArrayOutputStream();
                final Map<Long, Long> moves = new HashMap<>();
                for (final long start : e.getValue()) {
                    while (data.size() % align != 0) {
                        data.write(0);
                    }
                    moves.put(start, (long) data.size());
                    final byte[] str = org.xsplice.build.diff.Target.cString(src.elf.contents(), (int) start)
                            .getBytes(StandardCharsets.ISO_8859_1);
                    data.writeBytes(str);
                    data.write(0);
                }
                final ElfSection pool = ElfSection.of(src.name, src.elf.type(), src.elf.flags(), align,
                        src.elf.entrySize(), data.toByteArray());
                stringPools.put(src, pool);
                stringMoves.put(src, moves);
                b.withSection(pool);
                inclusions.add(new Inclusion(src.name, "strings", e.getValue().size() + " string(s) used by "
                        + "included code, of " + src.elf.size() + " bytes"));
            }
        }

        private Relocation rewrite(final Relocation r, final long newOffset) {
            final Sym s = RelocTarget.symbol(patched, r);
            if (null == s) {
                return Relocation.of(newOffset, r.type(), null, r.addend());
            }
            if (RelocTarget.isUndefined(s)) {
                return Relocation.of(newOffset, r.type(), undefinedSymbol(s.name), r.addend());
            }
            if (!s.isSectionLike()) {
                return refNamed(s, newOffset, r, r.addend());
            }
            final Sec y = s.sec;
            if (stringPools.containsKey(y)) {
                final long start = Comparer.stringStart(y, Comparer.clamp(RelocTarget.targetOffset(patched, r), y));
                final long moved = stringMoves.get(y).get(start);
                return Relocation.of(newOffset, r.type(), sectionSymbol(stringPools.get(y)), moved + RelocTarget.addend(patched, r) - start);
            }
            if (out.containsKey(y)) {
                return Relocation.of(newOffset, r.type(), sectionSymbol(out.get(y)), RelocTarget.addend(patched, r));
            }
            final Sym z = y.symbolAt(RelocTarget.targetOffset(patched, r));
            return refNamed(z, newOffset, r, RelocTarget.addend(patched, r) - z.elf.value());
        }

        private Relocation refNamed(final Sym z, final long newOffset, final Relocation r, final long addend) {
            if (out.containsKey(z.sec)) {
                final ElfSymbol n = named.get(z);
                return null != n ? Relocation.of(newOffset, r.type(), n, addend)
                        : Relocation.of(newOffset, r.type(), sectionSymbol(out.get(z.sec)), addend + z.elf.value());
            }
            return Relocation.of(newOffset, r.type(), undefinedSymbol(targetName(z)), addend);
        }

        private ElfSymbol undefinedSymbol(final String name) {
            return undefined.computeIfAbsent(name, n -> {
                final ElfSymbol u = ElfSymbol.undefined(n, SymbolBinding.Known.STB_GLOBAL, SymbolType.Known.STT_NOTYPE);
                b.withSymbol(u);
                return u;
            });
        }

        private void exTable() {
            if (exEntries.isEmpty()) {
                return;
            }
            final Sec ex = patched.section(EX_TABLE);
            final Packed fix = pack(patched.section(FIXUP), fixupChunks);
            final ElfSection exOut = ElfSection.of(EX_TABLE, ex.elf.type(), ex.elf.flags(), ex.elf.alignment(), 0,
                    new byte[exEntries.size() * EX_ENTRY]);
            b.withSection(exOut);
            final List<Relocation> rel = new ArrayList<>();
            long at = 0;
            for (final long e : exEntries) {
                for (final Relocation r : ex.relocations) {
                    if (r.offset() == e) {
                        rel.add(rewrite(r, at));
                    } else if (r.offset() == e + 4 && null != fix) {
                        rel.add(Relocation.of(at + 4, r.type(), sectionSymbol(fix.section()),
                                fix.moved(RelocTarget.addend(patched, r))));
                    } else if (r.offset() == e + 4) {
                        rel.add(rewrite(r, at + 4));
                    }
                }
                at += EX_ENTRY;
            }
            b.withRelocations(exOut, rel);
        }

        /**
         * Copies the kept chunks (start -> end) of {@code src} end to end into a new section of the same
         * name, with the relocations inside them; {@return it and where each chunk went, null when none}
         */
        private Packed pack(final Sec src, final TreeMap<Long, Long> chunks) {
            if (null == src || chunks.isEmpty()) {
                return null;
            }
            final ByteArrayOutputStream data = new ByteArrayOutputStream();
            final byte[] all = src.elf.bytes();
            final Map<Long, Long> moves = new HashMap<>();
            for (final var c : chunks.entrySet()) {
                moves.put(c.getKey(), (long) data.size());
                data.write(all, c.getKey().intValue(), (int) (c.getValue() - c.getKey()));
            }
            final ElfSection section = ElfSection.of(src.name, src.elf.type(), src.elf.flags(), src.elf.alignment(), 0,
                    data.toByteArray());
            b.withSection(section);
            final Packed packed = new Packed(section, chunks, moves);
            final List<Relocation> rel = new ArrayList<>();
            for (final Relocation r : src.relocations) {
                if (inChunk(chunks, r.offset())) {
                    rel.add(rewrite(r, packed.moved(r.offset())));
                }
            }
            if (!rel.isEmpty()) {
                b.withRelocations(section, rel);
            }
            return packed;
        }

        /** The kept bug frames and alternatives, and the replacement code those point at. */
        private void tables() {
            final Sec repl = patched.section(ALTINSTR_REPLACEMENT);
            final Packed replOut = pack(repl, replacementChunks);
            for (final var e : tableEntries.entrySet()) {
                final Table t = e.getKey();
                final Sec sec = patched.section(t.name());
                final byte[] all = sec.elf.bytes();
                final ByteArrayOutputStream data = new ByteArrayOutputStream();
                final List<Relocation> rel = new ArrayList<>();
                final Map<Long, Map<Integer, Relocation>> byEntry = entries(sec, t);
                for (final long entry : e.getValue()) {
                    final long at = data.size();
                    data.write(all, (int) entry, t.entrySize());
                    for (final var f : byEntry.get(entry).entrySet()) {
                        rel.add(field(t, f.getKey(), f.getValue(), at + f.getKey(), repl, replOut));
                    }
                }
                final ElfSection out = ElfSection.of(t.name(), sec.elf.type(), sec.elf.flags(), sec.elf.alignment(), 0,
                        data.toByteArray());
                b.withSection(out);
                b.withRelocations(out, rel);
            }
        }

        /** One table field against its new target; the addend keeps what is not the target (bias, line bits). */
        private Relocation field(final Table t, final int f, final Relocation r, final long newOffset, final Sec repl,
                                 final Packed replOut) {
            final Sym s = RelocTarget.symbol(patched, r);
            if (null == s || RelocTarget.isUndefined(s) || !s.isSectionLike()) {
                return rewrite(r, newOffset);
            }
            final long a = RelocTarget.addend(patched, r);
            final long at = t.targetOffset(f, a);
            final long extra = a - at;
            final Sec y = s.sec;
            if (y == repl && null != replOut) {
                return Relocation.of(newOffset, r.type(), sectionSymbol(replOut.section()), replOut.moved(at) + extra);
            }
            if (stringPools.containsKey(y)) {
                final long start = Comparer.stringStart(y, Comparer.clamp(at, y));
                return Relocation.of(newOffset, r.type(), sectionSymbol(stringPools.get(y)),
                        stringMoves.get(y).get(start) + at - start + extra);
            }
            if (out.containsKey(y)) {
                return Relocation.of(newOffset, r.type(), sectionSymbol(out.get(y)), at + extra);
            }
            final Sym z = y.symbolAt(at);
            return refNamed(z, newOffset, r, at - z.elf.value() + extra);
        }

        private void funcs(final List<FunctionChange> funcs) {
            if (funcs.isEmpty()) {
                return;
            }
            final FunctionEntries.Encoded enc = FunctionEntries.encode(funcs);
            final ElfSection names = ElfSection.of(FunctionEntries.NAMES_SECTION,
                    org.xsplice.elf.SectionType.Known.SHT_PROGBITS,
                    org.xsplice.elf.SectionFlag.maskOf(org.xsplice.elf.SectionFlag.SHF_ALLOC), 1, 0, enc.names());
            final ElfSection table = ElfSection.of(org.xsplice.payload.PayloadSections.FUNCS,
                    org.xsplice.elf.SectionType.Known.SHT_PROGBITS,
                    org.xsplice.elf.SectionFlag.maskOf(org.xsplice.elf.SectionFlag.SHF_ALLOC), 8, 0, enc.table());
            b.withSection(names).withSection(table);
            final List<Relocation> rel = new ArrayList<>();
            for (int i = 0; i < funcs.size(); i++) {
                final String fname = funcs.get(i).name();
                final Sym f = changed.stream().filter(c -> targetName(c).equals(fname)).findFirst().orElseThrow();
                final long base = (long) i * org.xsplice.payload.LivepatchFunc.V2_SIZE;
                rel.add(Relocation.of(base + org.xsplice.payload.LivepatchFunc.NAME_OFFSET,
                        RelocationType.Known.R_X86_64_64, sectionSymbol(names), enc.nameOffsets()[i]));
                rel.add(Relocation.of(base + org.xsplice.payload.LivepatchFunc.NEW_ADDR_OFFSET,
                        RelocationType.Known.R_X86_64_64, named.get(f), 0));
            }
            b.withRelocations(table, rel);
        }
    }

    /** Kept chunks of a section copied into {@code section}: {@code moves} maps a chunk's old start to its new one. */
    private record Packed(ElfSection section, TreeMap<Long, Long> chunks, Map<Long, Long> moves) {
        /** {@return the new offset of old offset {@code at}, which lies in a kept chunk} */
        long moved(final long at) {
            final var c = chunks.floorEntry(at);
            return moves.get(c.getKey()) + at - c.getKey();
        }
    }
}
