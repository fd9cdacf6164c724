package org.xsplice.elf.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.xsplice.elf.Elf.DanglingReferencesOption;
import org.xsplice.elf.ElfHeader;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.ElfWriteException;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationSection;
import org.xsplice.elf.RelocationType;
import org.xsplice.elf.SectionFlag;
import org.xsplice.elf.SectionGroup;
import org.xsplice.elf.SectionType;
import org.xsplice.elf.SymbolType;

/**
 * Lays out and writes a relocatable object from the elements a builder collected. Stages, in
 * order: resolve section references, filter symbols and sort locals first, resolve groups and
 * relocations against the written symbols, assign section indices, build string tables, place
 * contents at aligned offsets, then write the bytes in one pass. Relocation entries are checked
 * while they are encoded into the output array; a failure there discards the array, so a caller
 * never sees a partial object.
 */
public final class ElfWriterImpl {
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long SHF_GROUP = SectionFlag.SHF_GROUP.mask();

    /** One section header of the output and where its bytes come from. */
    private static final class Out {
        final String name;
        final int type;
        long flags;
        final long align;
        final long entsize;
        int link;
        int info;
        long size;
        long offset;
        int index;
        /** The user's section, or null for a table the writer derives. */
        final ElfSection source;
        /** Contents of a derived table, filled when indices are known. */
        byte[] data;
        /** Relocation elements aimed at this section, their encoded entries, and the section holding them. */
        List<RelocationSection> relocations;
        int relocationCount;
        Out rela;
        /** For a relocation section: the section its entries apply to. */
        Out relaTarget;
        /** Whether a written group lists this section. */
        boolean inGroup;

        Out(final String name, final int type, final long flags, final long align, final long entsize,
            final ElfSection source) {
            this.name = name;
            this.type = type;
            this.flags = flags;
            this.align = align;
            this.entsize = entsize;
            this.source = source;
        }
    }

    private final ElfBuilderImpl in;
    private final boolean dropDangling;
    /*
     * Where each given section and symbol goes. Elements read from a file are looked up by their
     * index in arrays per model / symbol table (most objects of a transform are such, and identity
     * hashing hundreds of thousands of them costs more than the rest of the writer); elements the
     * user made are looked up by identity.
     */
    private final Map<ElfSection, Out> sectionOut;
    private final Map<ElfModelImpl, Out[]> boundSectionOut = new IdentityHashMap<>(4);
    private ElfModelImpl lastModel;
    private Out[] lastModelOut;
    private final Map<ElfSymbol, Integer> symbolOut;
    private final Map<SymbolTableImpl, int[]> boundSymbolOut = new IdentityHashMap<>(4);
    private SymbolTableImpl lastTable;
    private int[] lastTableOut;
    private final Map<SectionGroup, Out> groupSection = new IdentityHashMap<>();

    private ElfWriterImpl(final ElfBuilderImpl in, final DanglingReferencesOption option) {
        this.in = in;
        this.dropDangling = DanglingReferencesOption.DROP_DANGLING_REFERENCES == option;
        this.sectionOut = new IdentityHashMap<>();
        this.symbolOut = new IdentityHashMap<>();
    }

    /** {@return the bytes of the object {@code in} describes} */
    public static byte[] write(final ElfBuilderImpl in, final DanglingReferencesOption option) {
        return new ElfWriterImpl(in, option).write();
    }

    private byte[] write() {
        // Stage 1: content sections, with the references a derived section stands for.
        List<ElfSection> content = new ArrayList<>(in.sections);
        mapSections(content);
        content = resolveLinkOrder(content);

        // Stage 2: groups with their written members, then symbols, locals first, in the given order.
        final List<Out> groupOut = new ArrayList<>();
        final List<List<Out>> groupMembers = new ArrayList<>();
        final List<SectionGroup> groups = new ArrayList<>();
        for (final SectionGroup g : in.groups) {
            final List<Out> members = new ArrayList<>();
            for (final ElfSection m : g.members()) {
                final Out o = resolve(m);
                if (null != o) {
                    members.add(o);
                }
            }
            if (members.isEmpty()) {
                continue;
            }
            if (!kept(g.signature())) {
                if (dropDangling) {
                    continue;
                }
                throw new ElfWriteException("group " + g.name() + ": signature symbol " + g.signature().name()
                        + " is not written");
            }
            final Out o = new Out(g.name(), SectionType.Known.SHT_GROUP.code(), 0, 4, 4, null);
            groupOut.add(o);
            groupSection.put(g, o);
            groupMembers.add(members);
            groups.add(g);
            members.forEach(m -> m.inGroup = true);
        }
        // SHF_GROUP must match membership: a section whose group was not written leaves it.
        for (final ElfSection s : content) {
            final Out o = directOut(s);
            if (!o.inGroup) {
                o.flags &= ~SHF_GROUP;
            }
        }

        final List<ElfSymbol> locals = new ArrayList<>();
        final List<ElfSymbol> globals = new ArrayList<>();
        for (final ElfSymbol s : in.symbols) {
            if (!kept(s)) {
                if (SymbolType.Known.STT_SECTION == s.type() || dropDangling) {
                    continue;
                }
                throw new ElfWriteException("symbol " + s.name() + " is defined in section " + s.section().get().name()
                        + ", which is not written");
            }
            if (s.binding().code() > 15 || s.type().code() > 15) {
                throw new ElfWriteException("symbol " + s.name() + ": binding " + s.binding().name() + " or type "
                        + s.type().name() + " does not fit st_info");
            }
            (s.isLocal() ? locals : globals).add(s);
        }
        final List<ElfSymbol> symbols = new ArrayList<>(1 + locals.size() + globals.size());
        symbols.add(null);
        symbols.addAll(locals);
        symbols.addAll(globals);
        for (int i = 1; i < symbols.size(); i++) {
            final ElfSymbol s = symbols.get(i);
            if (!putSymbol(s, i, true)) {
                throw new ElfWriteException("symbol " + s.name() + " was added twice");
            }
        }
        for (int i = 1; i < symbols.size(); i++) {
            final ElfSymbol s = symbols.get(i);
            if (!(s instanceof BoundSymbolImpl)) {
                for (ElfSymbol o = s.origin().orElse(null); null != o; o = o.origin().orElse(null)) {
                    putSymbol(o, i, false);
                }
            }
        }

        // Stage 3: relocations per written target.
        final List<Out> targets = new ArrayList<>();
        for (final ElfSection t : in.relocationTargets) {
            final Out target = resolve(t);
            if (null != target) {
                if (null == target.relocations) {
                    target.relocations = new ArrayList<>(1);
                    targets.add(target);
                }
                target.relocations.addAll(in.relocations.get(t));
            }
        }
        for (final Out t : targets) {
            // Entries are encoded straight into the output later; here only how many are kept.
            t.relocationCount = dropDangling ? countKept(t) : countAll(t);
        }

        // Stage 4: section order and indices.
        final List<Out> order = new ArrayList<>();
        order.add(new Out("", 0, 0, 0, 0, null));
        order.addAll(groupOut);
        for (final ElfSection s : content) {
            final Out o = directOut(s);
            order.add(o);
            if (o.relocationCount > 0) {
                final Out r = new Out(".rela" + o.name, SectionType.Known.SHT_RELA.code(),
                        SectionFlag.SHF_INFO_LINK.mask() | (o.flags & SHF_GROUP), 8, Relocation.ENTRY_SIZE, null);
                r.size = (long) o.relocationCount * Relocation.ENTRY_SIZE;
                r.relaTarget = o;
                o.rela = r;
                order.add(r);
            }
        }
        // As gas does, an object with no symbols, relocations or groups gets no symbol table.
        final boolean withSymbols = symbols.size() > 1 || !groupOut.isEmpty()
                || targets.stream().anyMatch(t -> t.relocationCount > 0);
        final Out symtab = new Out(".symtab", SectionType.Known.SHT_SYMTAB.code(), 0, 8, ElfSymbol.ENTRY_SIZE, null);
        final Out strtab = new Out(".strtab", SectionType.Known.SHT_STRTAB.code(), 0, 1, 0, null);
        final boolean extended = withSymbols && order.size() + 4 >= ElfSymbol.SHN_LORESERVE;
        final Out shndx = extended ? new Out(".symtab_shndx", SectionType.Known.SHT_SYMTAB_SHNDX.code(), 0, 4, 4, null)
                : null;
        if (withSymbols) {
            order.add(symtab);
            if (extended) {
                order.add(shndx);
            }
            order.add(strtab);
        }
        final Out shstrtab = new Out(".shstrtab", SectionType.Known.SHT_STRTAB.code(), 0, 1, 0, null);
        order.add(shstrtab);
        for (int i = 0; i < order.size(); i++) {
            order.get(i).index = i;
        }

        // Stage 5: derived tables.
        final String[] symbolNames = new String[symbols.size()];
        for (int i = 1; i < symbols.size(); i++) {
            symbolNames[i] = symbols.get(i).name();
        }
        final int[] symbolNameOff = new int[symbols.size()];
        strtab.data = tailMerged(symbolNames, symbolNameOff);
        final byte[] sym = new byte[symbols.size() * ElfSymbol.ENTRY_SIZE];
        final byte[] xidx = extended ? new byte[symbols.size() * 4] : null;
        for (int i = 1; i < symbols.size(); i++) {
            final ElfSymbol s = symbols.get(i);
            final int e = i * ElfSymbol.ENTRY_SIZE;
            final Out home = sectionOf(s);
            final int shn = null != home ? home.index : s.sectionIndex();
            I32.set(sym, e, symbolNameOff[i]);
            sym[e + 4] = (byte) (s.binding().code() << 4 | s.type().code());
            sym[e + 5] = (byte) s.other();
            if (null != home && shn >= ElfSymbol.SHN_LORESERVE) {
                I16.set(sym, e + 6, (short) ElfSymbol.SHN_XINDEX);
                I32.set(xidx, i * 4, shn);
            } else {
                I16.set(sym, e + 6, (short) shn);
            }
            I64.set(sym, e + 8, s.value());
            I64.set(sym, e + 16, s.size());
        }
        symtab.data = sym;
        symtab.link = strtab.index;
        symtab.info = 1 + locals.size();
        if (extended) {
            shndx.data = xidx;
            shndx.link = symtab.index;
        }

        for (int g = 0; g < groupOut.size(); g++) {
            final Out o = groupOut.get(g);
            final List<Out> members = groupMembers.get(g);
            final List<Out> all = new ArrayList<>();
            for (final Out m : members) {
                all.add(m);
                if (null != m.rela) {
                    all.add(m.rela);
                }
            }
            final byte[] d = new byte[4 + 4 * all.size()];
            I32.set(d, 0, groups.get(g).flags());
            for (int i = 0; i < all.size(); i++) {
                I32.set(d, 4 + 4 * i, all.get(i).index);
            }
            o.data = d;
            o.link = symtab.index;
            final Integer signature = symbolIndex(groups.get(g).signature());
            if (null == signature) {
                throw new ElfWriteException("group " + groups.get(g).name() + ": its signature symbol "
                        + groups.get(g).signature().name() + " is not written (the null symbol cannot name a group)");
            }
            o.info = signature;
        }
        for (final ElfSection s : content) {
            final ElfSection partner = linkOrderPartner(s);
            if (null != partner) {
                directOut(s).link = resolve(partner).index;
            }
        }
        for (final Out target : targets) {
            final Out rela = target.rela;
            if (null != rela) {
                rela.link = symtab.index;
                rela.info = target.index;
            }
        }

        final String[] sectionNames = new String[order.size()];
        for (int i = 0; i < order.size(); i++) {
            sectionNames[i] = order.get(i).name;
        }
        final int[] nameOff = new int[order.size()];
        shstrtab.data = tailMerged(sectionNames, nameOff);

        // Stage 6: offsets.
        long off = ElfHeader.SIZE;
        for (int i = 1; i < order.size(); i++) {
            final Out o = order.get(i);
            if (null != o.data) {
                o.size = o.data.length;
            }
            off = align(off, o.align);
            o.offset = off;
            if (SectionType.Known.SHT_NOBITS.code() != o.type) {
                off += o.size;
            }
        }
        final long shoff = align(off, 8);
        final long total = shoff + (long) order.size() * ElfHeader.SECTION_HEADER_SIZE;
        if (total > Integer.MAX_VALUE - 16) {
            throw new ElfWriteException("the object would be " + total + " bytes, more than 2 GiB");
        }

        // Stage 7: bytes.
        final byte[] b = new byte[(int) total];
        writeHeader(b, shoff, order.size(), shstrtab.index);
        for (int i = 1; i < order.size(); i++) {
            final Out o = order.get(i);
            if (SectionType.Known.SHT_NOBITS.code() == o.type) {
                continue;
            }
            if (null != o.relaTarget) {
                final int n = encodeRelocations(o.relaTarget, b, (int) o.offset);
                if (n != o.relaTarget.relocationCount) {
                    throw new AssertionError("relocations of " + o.relaTarget.name + ": counted "
                            + o.relaTarget.relocationCount + ", wrote " + n);
                }
            } else if (null != o.data) {
                System.arraycopy(o.data, 0, b, (int) o.offset, o.data.length);
            } else {
                copyContents(o.source, b, (int) o.offset, (int) o.size);
            }
        }
        for (int i = 0; i < order.size(); i++) {
            final Out o = order.get(i);
            final int h = (int) (shoff + (long) i * ElfHeader.SECTION_HEADER_SIZE);
            I32.set(b, h, nameOff[i]);
            I32.set(b, h + 4, o.type);
            I64.set(b, h + 8, o.flags);
            I64.set(b, h + 24, 0 == i ? 0 : o.offset);
            I64.set(b, h + 32, o.size);
            I32.set(b, h + 40, o.link);
            I32.set(b, h + 44, o.info);
            I64.set(b, h + 48, o.align);
            I64.set(b, h + 56, o.entsize);
        }
        if (order.size() >= ElfSymbol.SHN_LORESERVE) {
            // Extended numbering (gABI "Sections"): counts that do not fit live in section 0.
            final int h = (int) shoff;
            I64.set(b, h + 32, (long) order.size());
            if (shstrtab.index >= ElfSymbol.SHN_LORESERVE) {
                I32.set(b, h + 40, shstrtab.index);
            }
        }
        return b;
    }

    private void mapSections(final List<ElfSection> content) {
        sectionOut.clear();
        boundSectionOut.clear();
        lastModel = null;
        for (final ElfSection s : content) {
            if (null == s.name()) {
                throw new ElfWriteException("a section has no name");
            }
            if (holdsIndices(s.type())) {
                throw new ElfWriteException("section " + s.name() + " of type " + s.type().name() + " holds section or "
                        + "symbol indices that would be stale in the output; give its content as symbol, relocation or "
                        + "group elements");
            }
            final Out o = new Out(s.name(), s.type().code(), s.flags(), s.alignment(), s.entrySize(), s);
            o.size = s.size();
            if (s instanceof UnboundSectionImpl u && !u.keepsOriginContents() && SectionType.Known.SHT_NOBITS != s.type()
                    && s.contents().remaining() != s.size()) {
                throw new ElfWriteException("section " + s.name() + ": contents hold " + s.contents().remaining()
                        + " bytes but the size is " + s.size());
            }
            if (!putSection(s, o, true)) {
                throw new ElfWriteException("section " + s.name() + " was added twice");
            }
        }
        for (final ElfSection s : content) {
            if (!(s instanceof BoundSectionImpl)) {
                final Out o = directOut(s);
                for (ElfSection p = s.origin().orElse(null); null != p; p = p.origin().orElse(null)) {
                    putSection(p, o, false);
                }
            }
        }
    }

    /** Section types whose bytes index sections or symbols: the writer derives these, never copies them. */
    private static boolean holdsIndices(final SectionType t) {
        return t instanceof SectionType.Known k && switch (k) {
            case SHT_SYMTAB, SHT_DYNSYM, SHT_REL, SHT_RELA, SHT_RELR, SHT_GROUP, SHT_SYMTAB_SHNDX, SHT_HASH, SHT_GNU_HASH,
                 SHT_DYNAMIC, SHT_GNU_VERSYM, SHT_GNU_VERDEF, SHT_GNU_VERNEED -> true;
            default -> false;
        };
    }

    private Out[] boundOut(final ElfModelImpl m) {
        if (m != lastModel) {
            lastModelOut = boundSectionOut.computeIfAbsent(m, x -> new Out[x.sectionCount()]);
            lastModel = m;
        }
        return lastModelOut;
    }

    private Out directOut(final ElfSection s) {
        return s instanceof BoundSectionImpl b ? boundOut(b.model())[b.index()] : sectionOut.get(s);
    }

    /** Maps {@code s} to {@code o}; a direct mapping must be new, an origin's keeps the first. {@return false for a duplicate} */
    private boolean putSection(final ElfSection s, final Out o, final boolean direct) {
        final Out old;
        if (s instanceof BoundSectionImpl b) {
            final Out[] a = boundOut(b.model());
            old = a[b.index()];
            if (null == old) {
                a[b.index()] = o;
            }
        } else {
            old = sectionOut.putIfAbsent(s, o);
        }
        return null == old || !direct;
    }

    /**
     * Keeps the sections whose {@code SHF_LINK_ORDER} partner (read from a file) is written;
     * the others are dropped or refused per the dangling-reference option.
     */
    private List<ElfSection> resolveLinkOrder(final List<ElfSection> content) {
        final List<ElfSection> kept = new ArrayList<>(content.size());
        for (final ElfSection s : content) {
            final ElfSection partner = linkOrderPartner(s);
            if (null != partner && null == resolve(partner)) {
                if (dropDangling) {
                    continue;
                }
                throw new ElfWriteException("section " + s.name() + " is ordered after section " + partner.name()
                        + " (SHF_LINK_ORDER), which is not written");
            }
            kept.add(s);
        }
        if (kept.size() != content.size()) {
            mapSections(kept);
        }
        return kept;
    }

    /** {@return the section {@code sh_link} names for a SHF_LINK_ORDER section read from a file, or null} */
    private static ElfSection linkOrderPartner(final ElfSection s) {
        final BoundSectionImpl root = boundRoot(s);
        if (null == root || !s.has(SectionFlag.SHF_LINK_ORDER) || 0 == root.link()
                || root.link() >= root.model().sectionCount()) {
            return null;
        }
        return root.model().section(root.link());
    }

    private static BoundSectionImpl boundRoot(final ElfSection s) {
        ElfSection p = s;
        while (!(p instanceof BoundSectionImpl)) {
            final ElfSection next = p.origin().orElse(null);
            if (null == next) {
                return null;
            }
            p = next;
        }
        return (BoundSectionImpl) p;
    }

    private Out resolve(final ElfSection s) {
        if (s instanceof BoundSectionImpl b) {
            return boundOut(b.model())[b.index()];
        }
        for (ElfSection p = s; null != p; p = p.origin().orElse(null)) {
            final Out o = directOut(p);
            if (null != o) {
                return o;
            }
        }
        return null;
    }

    /** {@return whether a symbol's section (if any) is written} */
    private boolean kept(final ElfSymbol s) {
        if (s instanceof BoundSymbolImpl b) {
            return !b.inSection() || null != sectionOf(s);
        }
        return s.section().isEmpty() || null != sectionOf(s);
    }

    /** {@return where a symbol's section is written; null if it has none or it is not written} */
    private Out sectionOf(final ElfSymbol s) {
        final ElfSection section;
        if (s instanceof BoundSymbolImpl b) {
            if (!b.inSection()) {
                return null;
            }
            final ElfModelImpl m = b.table().model();
            final Out o = boundOut(m)[b.sectionIndex()];
            if (null != o) {
                return o;
            }
            section = m.section(b.sectionIndex());
        } else {
            section = s.section().orElse(null);
            if (null == section) {
                return null;
            }
        }
        final Out o = resolve(section);
        if (null != o || !(section instanceof BoundSectionImpl b) || SectionType.Known.SHT_GROUP != b.type()) {
            return o;
        }
        // ld -r gives .group sections section symbols too.
        final SectionGroup g = b.model().groupOf(b);
        return null == g ? null : groupSection.get(g);
    }

    private int[] boundSymbols(final SymbolTableImpl t) {
        if (t != lastTable) {
            lastTableOut = boundSymbolOut.computeIfAbsent(t, x -> new int[x.size()]);
            lastTable = t;
        }
        return lastTableOut;
    }

    /** {@return false if a direct mapping already existed} */
    private boolean putSymbol(final ElfSymbol s, final int index, final boolean direct) {
        if (s instanceof BoundSymbolImpl b) {
            final int[] a = boundSymbols(b.table());
            final int old = a[b.index()];
            if (0 == old) {
                a[b.index()] = index;
            }
            return 0 == old || !direct;
        }
        final Integer old = symbolOut.putIfAbsent(s, index);
        return null == old || !direct;
    }

    /** {@return the written index of {@code s}, or null if it is not written} */
    private Integer symbolIndex(final ElfSymbol s) {
        for (ElfSymbol p = s; null != p; p = p.origin().orElse(null)) {
            if (p instanceof BoundSymbolImpl b) {
                final int i = boundSymbols(b.table())[b.index()];
                return 0 == i ? null : i;
            }
            final Integer i = symbolOut.get(p);
            if (null != i) {
                return i;
            }
        }
        return null;
    }

    private static int countAll(final Out target) {
        int count = 0;
        for (final RelocationSection r : target.relocations) {
            count += r instanceof BoundRelocationSectionImpl b ? b.count() : r.relocations().size();
        }
        return count;
    }

    /** Counts the entries whose symbol is written (only needed when dangling ones are dropped). */
    private int countKept(final Out target) {
        int count = 0;
        for (final RelocationSection r : target.relocations) {
            if (r instanceof BoundRelocationSectionImpl b && b.isRela()) {
                final byte[] src = b.model().bytes();
                final int[] map = null == b.table() ? null : boundSymbols(b.table());
                for (int i = 0, n = b.count(); i < n; i++) {
                    final int e = (int) (b.sectionOffset() + (long) i * Relocation.ENTRY_SIZE);
                    final long sym = Bytes.u64(src, e + 8) >>> 32;
                    if (sym >= (null == map ? 1 : map.length)) {
                        throw b.badSymbol(i, e, sym, null == map ? 1 : map.length);
                    }
                    if (0 == sym || 0 != map[(int) sym]) {
                        count++;
                    }
                }
            } else {
                for (final Relocation x : r.relocations()) {
                    if (relocationSymbol(x, target) >= 0) {
                        count++;
                    }
                }
            }
        }
        return count;
    }

    /**
     * Encodes the {@code Elf64_Rela} entries for every relocation element aimed at {@code target}
     * into {@code d} at {@code base}. {@return how many were written}
     */
    private int encodeRelocations(final Out target, final byte[] d, final int base) {
        int n = 0;
        for (final RelocationSection r : target.relocations) {
            if (r instanceof BoundRelocationSectionImpl b && b.isRela()) {
                n = copyRela(b, target, d, base, n);
                continue;
            }
            for (final Relocation x : r.relocations()) {
                final int sym = relocationSymbol(x, target);
                if (sym >= 0) {
                    checkOffset(target, x.offset(), x.type());
                    final int e = base + n * Relocation.ENTRY_SIZE;
                    I64.set(d, e, x.offset());
                    I64.set(d, e + 8, (long) sym << 32 | (x.type().code() & 0xffffffffL));
                    I64.set(d, e + 16, x.addend());
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * Copies the entries of an {@code SHT_RELA} section read from a file straight from its
     * bytes, rewriting only the symbol index: no relocation objects are made.
     */
    private int copyRela(final BoundRelocationSectionImpl r, final Out target, final byte[] d, final int base,
                         final int at) {
        final byte[] src = r.model().bytes();
        final int[] map = null == r.table() ? null : boundSymbols(r.table());
        final int symbols = null == map ? 1 : map.length;
        final long from = r.sectionOffset();
        int n = at;
        for (int i = 0, count = r.count(); i < count; i++) {
            final int e = (int) (from + (long) i * Relocation.ENTRY_SIZE);
            final long offset = Bytes.u64(src, e);
            final long info = Bytes.u64(src, e + 8);
            final long sym = info >>> 32;
            if (sym >= symbols) {
                throw r.badSymbol(i, e, sym, symbols);
            }
            final int out = 0 == sym ? 0 : map[(int) sym];
            if (0 != sym && 0 == out) {
                if (dropDangling) {
                    continue;
                }
                final Relocation x = r.relocations().get(i);
                throw new ElfWriteException(String.format("relocation %s at offset 0x%x in section %s refers to symbol "
                        + "%s, which is not written", x.type().name(), offset, target.name,
                        x.symbol().map(ElfWriterImpl::describe).orElse("?")));
            }
            if (offset < 0 || (SectionType.Known.SHT_NOBITS.code() != target.type && offset >= target.size)) {
                checkOffset(target, offset, RelocationType.of((int) info));
            }
            final int o = base + n * Relocation.ENTRY_SIZE;
            I64.set(d, o, offset);
            I64.set(d, o + 8, (long) out << 32 | (info & 0xffffffffL));
            I64.set(d, o + 16, Bytes.u64(src, e + 16));
            n++;
        }
        return n;
    }

    private static void checkOffset(final Out target, final long offset, final RelocationType type) {
        if (offset < 0 || (SectionType.Known.SHT_NOBITS.code() != target.type && offset >= target.size)) {
            throw new ElfWriteException(String.format("relocation %s at offset 0x%x lies outside section %s (%d bytes)",
                    type.name(), offset, target.name, target.size));
        }
    }

    /** {@return the written index of a relocation's symbol, 0 for none, -1 to drop the relocation} */
    private int relocationSymbol(final Relocation r, final Out target) {
        final int idx;
        if (r instanceof BoundRelocationImpl b) {
            // Relocations read from a file: their table's index array, no Optional, no hashing.
            final int i = b.symbolIndex();
            final int v = 0 == i ? 0 : boundSymbols(b.table())[i];
            idx = 0 == i ? 0 : 0 == v ? -1 : v;
        } else {
            final ElfSymbol s = r.symbol().orElse(null);
            final Integer i = null == s ? Integer.valueOf(0) : symbolIndex(s);
            idx = null == i ? -1 : i;
        }
        if (idx >= 0) {
            return idx;
        }
        if (dropDangling) {
            return -1;
        }
        throw new ElfWriteException(String.format("relocation %s at offset 0x%x in section %s refers to symbol %s, which "
                + "is not written", r.type().name(), r.offset(), target.name,
                r.symbol().map(ElfWriterImpl::describe).orElse("?")));
    }

    /** {@return a symbol's name for a message; section symbols are named after their section} */
    private static String describe(final ElfSymbol s) {
        if (s.name().isEmpty() && SymbolType.Known.STT_SECTION == s.type()) {
            return "(section symbol of " + s.section().map(ElfSection::name).orElse("?") + ")";
        }
        return s.name();
    }

    private static void copyContents(final ElfSection s, final byte[] b, final int off, final int size) {
        // A rename or flag change keeps the contents of the section it was derived from.
        ElfSection from = s;
        while (from instanceof UnboundSectionImpl u && u.keepsOriginContents()) {
            from = u.origin().orElseThrow();
        }
        if (from instanceof BoundSectionImpl x && x.size() == size) {
            System.arraycopy(x.model().bytes(), (int) x.offset(), b, off, size);
        } else {
            from.contents().get(0, b, off, size);
        }
    }

    private void writeHeader(final byte[] b, final long shoff, final int shnum, final int shstrndx) {
        final ElfHeader h = in.header;
        b[0] = 0x7f;
        b[1] = 'E';
        b[2] = 'L';
        b[3] = 'F';
        b[4] = 2;
        b[5] = 1;
        b[6] = 1;
        b[7] = (byte) h.osAbi();
        b[8] = (byte) h.abiVersion();
        I16.set(b, 16, (short) 1);
        I16.set(b, 18, (short) ElfHeader.EM_X86_64);
        I32.set(b, 20, 1);
        I64.set(b, 40, shoff);
        I32.set(b, 48, h.flags());
        I16.set(b, 52, (short) ElfHeader.SIZE);
        I16.set(b, 58, (short) ElfHeader.SECTION_HEADER_SIZE);
        I16.set(b, 60, (short) (shnum >= ElfSymbol.SHN_LORESERVE ? 0 : shnum));
        I16.set(b, 62, (short) (shstrndx >= ElfSymbol.SHN_LORESERVE ? ElfSymbol.SHN_XINDEX : shstrndx));
    }

    private static long align(final long v, final long a) {
        return a <= 1 ? v : (v + a - 1) & -a;
    }

    /**
     * Builds a string table in which a name that ends another (".text.f" in ".rela.text.f",
     * "total" in "shared_total") shares its bytes, as gas does: in descending order of the
     * reversed strings, each string comes right after the strings it is a suffix of. The order
     * comes from a primitive sort on the last four characters, refined only within runs that
     * share them, so tens of thousands of names sort in a few milliseconds.
     */
    static byte[] tailMerged(final String[] strings, final int[] offsets) {
        final int n = strings.length;
        final long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            // The sign flip makes the signed long order the unsigned order of the 32-bit key.
            keys[i] = (long) (tailKey(strings[i]) ^ Integer.MIN_VALUE) << 32 | i;
        }
        Arrays.sort(keys);
        final int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = (int) keys[i];
        }
        for (int start = 0; start < n; ) {
            int end = start + 1;
            while (end < n && keys[end] >> 32 == keys[start] >> 32) {
                end++;
            }
            if (end - start > 1) {
                sortRun(strings, order, start, end);
            }
            start = end;
        }
        final StringTable t = new StringTable();
        String prev = null;
        int prevOff = 0;
        for (int k = n - 1; k >= 0; k--) {
            final int i = order[k];
            final String s = strings[i];
            if (null == s || s.isEmpty()) {
                offsets[i] = 0;
            } else if (null != prev && prev.endsWith(s)) {
                offsets[i] = prevOff + prev.length() - s.length();
            } else {
                offsets[i] = t.append(s);
                prev = s;
                prevOff = offsets[i];
            }
        }
        return t.bytes();
    }

    /** The last four characters, last first, as an unsigned 32-bit key (missing characters are 0). */
    private static int tailKey(final String s) {
        final int len = null == s ? 0 : s.length();
        int key = 0;
        for (int j = 0; j < 4; j++) {
            key = key << 8 | (j < len ? s.charAt(len - 1 - j) & 0xff : 0);
        }
        return key;
    }

    private static void sortRun(final String[] strings, final int[] order, final int from, final int to) {
        if (to - from <= 16) {
            for (int i = from + 1; i < to; i++) {
                final int v = order[i];
                int j = i - 1;
                while (j >= from && compareReversed(strings[order[j]], strings[v]) > 0) {
                    order[j + 1] = order[j];
                    j--;
                }
                order[j + 1] = v;
            }
            return;
        }
        final Integer[] run = new Integer[to - from];
        for (int i = from; i < to; i++) {
            run[i - from] = order[i];
        }
        Arrays.sort(run, (x, y) -> compareReversed(strings[x], strings[y]));
        for (int i = from; i < to; i++) {
            order[i] = run[i - from];
        }
    }

    /** Compares {@code a} and {@code b} read backwards, without building reversed copies. */
    private static int compareReversed(final String a, final String b) {
        final int la = null == a ? 0 : a.length();
        final int lb = null == b ? 0 : b.length();
        for (int i = 1; i <= Math.min(la, lb); i++) {
            final int d = a.charAt(la - i) - b.charAt(lb - i);
            if (0 != d) {
                return d;
            }
        }
        return la - lb;
    }

    /** A growing string table; offset 0 is the empty string. */
    private static final class StringTable {
        private byte[] buf = new byte[256];
        private int len = 1;

        int append(final String s) {
            final int n = s.length();
            if (len + n + 1 > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n + 1));
            }
            // Names are ISO-8859-1 (one byte per char), as the reader decodes them.
            for (int i = 0; i < n; i++) {
                final char c = s.charAt(i);
                if (c > 0xff || 0 == c) {
                    throw new ElfWriteException("name \"" + s + "\" holds character U+" + Integer.toHexString(c)
                            + "; ELF names are byte strings without NUL (ISO-8859-1 here)");
                }
                buf[len + i] = (byte) c;
            }
            final int off = len;
            len += n + 1;
            return off;
        }

        byte[] bytes() {
            return Arrays.copyOf(buf, len);
        }
    }
}
