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
import org.xsplice.elf.SectionFlag;
import org.xsplice.elf.SectionGroup;
import org.xsplice.elf.SectionType;
import org.xsplice.elf.SymbolType;

/**
 * Lays out and writes a relocatable object from the elements a builder collected. Stages, in
 * order: resolve section references, filter symbols and sort locals first, resolve groups and
 * relocations against the written symbols, assign section indices, build string tables, place
 * contents at aligned offsets, then write the bytes in one pass. Every check runs before the
 * first byte is written.
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
    private final Map<ElfSection, Out> sectionOut = new IdentityHashMap<>();
    private final Map<ElfSymbol, Integer> symbolOut = new IdentityHashMap<>();
    private final Map<SymbolTableImpl, int[]> tableRemap = new IdentityHashMap<>();

    private ElfWriterImpl(final ElfBuilderImpl in, final DanglingReferencesOption option) {
        this.in = in;
        this.dropDangling = DanglingReferencesOption.DROP_DANGLING_REFERENCES == option;
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

        // Stage 2: symbols, locals first, keeping the given order within each class.
        final List<ElfSymbol> locals = new ArrayList<>();
        final List<ElfSymbol> globals = new ArrayList<>();
        for (final ElfSymbol s : in.symbols) {
            if (s.section().isPresent() && null == resolve(s.section().get())) {
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
            symbolOut.put(s, i);
            for (ElfSymbol o = s.origin().orElse(null); null != o; o = o.origin().orElse(null)) {
                symbolOut.putIfAbsent(o, i);
            }
        }

        // Stage 3: relocations per written target; groups with their written members.
        final Map<Out, List<Relocation>> relocs = new IdentityHashMap<>();
        for (final ElfSection t : in.relocationTargets) {
            final Out target = resolve(t);
            if (null != target) {
                relocs.computeIfAbsent(target, _ -> new ArrayList<>()).addAll(in.relocations.get(t));
            }
        }
        final Map<Out, byte[]> relocBytes = new IdentityHashMap<>();
        for (final Map.Entry<Out, List<Relocation>> e : relocs.entrySet()) {
            final byte[] d = relocations(e.getKey(), e.getValue());
            if (d.length > 0) {
                relocBytes.put(e.getKey(), d);
            }
        }
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
            if (null == symbolIndex(g.signature())) {
                if (dropDangling) {
                    continue;
                }
                throw new ElfWriteException("group " + g.name() + ": signature symbol " + g.signature().name()
                        + " is not written");
            }
            groupOut.add(new Out(g.name(), SectionType.Known.SHT_GROUP.code(), 0, 4, 4, null));
            groupMembers.add(members);
            groups.add(g);
        }

        // Stage 4: section order and indices.
        final List<Out> order = new ArrayList<>();
        order.add(new Out("", 0, 0, 0, 0, null));
        order.addAll(groupOut);
        final Map<Out, Out> relaOf = new IdentityHashMap<>();
        for (final ElfSection s : content) {
            final Out o = sectionOut.get(s);
            order.add(o);
            if (relocBytes.containsKey(o)) {
                final Out r = new Out(".rela" + o.name, SectionType.Known.SHT_RELA.code(),
                        SectionFlag.SHF_INFO_LINK.mask() | (o.flags & SHF_GROUP), 8, Relocation.ENTRY_SIZE, null);
                relaOf.put(o, r);
                order.add(r);
            }
        }
        final Out symtab = new Out(".symtab", SectionType.Known.SHT_SYMTAB.code(), 0, 8, ElfSymbol.ENTRY_SIZE, null);
        order.add(symtab);
        final boolean extended = order.size() + 3 >= ElfSymbol.SHN_LORESERVE;
        final Out shndx = extended ? new Out(".symtab_shndx", SectionType.Known.SHT_SYMTAB_SHNDX.code(), 0, 4, 4, null)
                : null;
        if (extended) {
            order.add(shndx);
        }
        final Out strtab = new Out(".strtab", SectionType.Known.SHT_STRTAB.code(), 0, 1, 0, null);
        final Out shstrtab = new Out(".shstrtab", SectionType.Known.SHT_STRTAB.code(), 0, 1, 0, null);
        order.add(strtab);
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
            final int shn = s.section().isPresent() ? resolve(s.section().get()).index : s.sectionIndex();
            I32.set(sym, e, symbolNameOff[i]);
            sym[e + 4] = (byte) (s.binding().code() << 4 | s.type().code());
            sym[e + 5] = (byte) s.other();
            if (s.section().isPresent() && shn >= ElfSymbol.SHN_LORESERVE) {
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
                if (relaOf.containsKey(m)) {
                    all.add(relaOf.get(m));
                }
            }
            final byte[] d = new byte[4 + 4 * all.size()];
            I32.set(d, 0, groups.get(g).flags());
            for (int i = 0; i < all.size(); i++) {
                I32.set(d, 4 + 4 * i, all.get(i).index);
            }
            o.data = d;
            o.link = symtab.index;
            o.info = symbolIndex(groups.get(g).signature());
        }
        for (final ElfSection s : content) {
            final ElfSection partner = linkOrderPartner(s);
            if (null != partner) {
                sectionOut.get(s).link = resolve(partner).index;
            }
        }
        for (final Map.Entry<Out, Out> e : relaOf.entrySet()) {
            final Out target = e.getKey();
            final Out rela = e.getValue();
            rela.data = relocBytes.get(target);
            rela.link = symtab.index;
            rela.info = target.index;
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
            if (null != o.data) {
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
        for (final ElfSection s : content) {
            if (null == s.name()) {
                throw new ElfWriteException("a section has no name");
            }
            final Out o = new Out(s.name(), s.type().code(), s.flags(), s.alignment(), s.entrySize(), s);
            o.size = s.size();
            if (SectionType.Known.SHT_NOBITS != s.type() && s.contents().remaining() != s.size()) {
                throw new ElfWriteException("section " + s.name() + ": contents hold " + s.contents().remaining()
                        + " bytes but the size is " + s.size());
            }
            sectionOut.put(s, o);
        }
        for (final ElfSection s : content) {
            final Out o = sectionOut.get(s);
            for (ElfSection p = s.origin().orElse(null); null != p; p = p.origin().orElse(null)) {
                sectionOut.putIfAbsent(p, o);
            }
        }
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
        for (ElfSection p = s; null != p; p = p.origin().orElse(null)) {
            final Out o = sectionOut.get(p);
            if (null != o) {
                return o;
            }
        }
        return null;
    }

    private Integer symbolIndex(final ElfSymbol s) {
        for (ElfSymbol p = s; null != p; p = p.origin().orElse(null)) {
            final Integer i = symbolOut.get(p);
            if (null != i) {
                return i;
            }
        }
        return null;
    }

    private byte[] relocations(final Out target, final List<Relocation> list) {
        final byte[] d = new byte[list.size() * Relocation.ENTRY_SIZE];
        int n = 0;
        for (final Relocation r : list) {
            final int sym = relocationSymbol(r, target);
            if (sym < 0) {
                continue;
            }
            if (r.offset() < 0 || (SectionType.Known.SHT_NOBITS.code() != target.type && r.offset() >= target.size)) {
                throw new ElfWriteException(String.format("relocation %s at offset 0x%x lies outside section %s (%d bytes)",
                        r.type().name(), r.offset(), target.name, target.size));
            }
            final int e = n * Relocation.ENTRY_SIZE;
            I64.set(d, e, r.offset());
            I64.set(d, e + 8, (long) sym << 32 | (r.type().code() & 0xffffffffL));
            I64.set(d, e + 16, r.addend());
            n++;
        }
        return n == list.size() ? d : Arrays.copyOf(d, n * Relocation.ENTRY_SIZE);
    }

    /** {@return the written index of a relocation's symbol, 0 for none, -1 to drop the relocation} */
    private int relocationSymbol(final Relocation r, final Out target) {
        final int idx;
        if (r instanceof BoundRelocationImpl b) {
            // Fast path for relocations read from a file: remap through the table once.
            idx = 0 == b.symbolIndex() ? 0 : remap(b).length > b.symbolIndex() ? remap(b)[b.symbolIndex()] : -1;
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
                r.symbol().map(ElfSymbol::name).orElse("?")));
    }

    private int[] remap(final BoundRelocationImpl b) {
        final SymbolTableImpl t = b.table();
        int[] m = tableRemap.get(t);
        if (null == m) {
            final List<ElfSymbol> all = t.symbols();
            m = new int[all.size()];
            for (int i = 1; i < m.length; i++) {
                final Integer x = symbolIndex(all.get(i));
                m[i] = null == x ? -1 : x;
            }
            tableRemap.put(t, m);
        }
        return m;
    }

    private static void copyContents(final ElfSection s, final byte[] b, final int off, final int size) {
        final BoundSectionImpl root = s instanceof UnboundSectionImpl u && u.keepsOriginContents() ? boundRoot(s)
                : s instanceof BoundSectionImpl x ? x : null;
        if (null != root && root.size() == size) {
            System.arraycopy(root.model().bytes(), (int) root.offset(), b, off, size);
        } else {
            s.contents().get(0, b, off, size);
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
     * Builds a string table in which a name that ends another (".text.f" in ".rela.text.f")
     * shares its bytes, as gas does for {@code .shstrtab}: sort by reversed string, so each
     * string comes right after the strings it is a suffix of.
     */
    static byte[] tailMerged(final String[] strings, final int[] offsets) {
        final Integer[] byTail = new Integer[strings.length];
        for (int i = 0; i < byTail.length; i++) {
            byTail[i] = i;
        }
        Arrays.sort(byTail, (x, y) -> compareReversed(strings[y], strings[x]));
        final StringTable t = new StringTable();
        String prev = null;
        int prevOff = 0;
        for (final int i : byTail) {
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
