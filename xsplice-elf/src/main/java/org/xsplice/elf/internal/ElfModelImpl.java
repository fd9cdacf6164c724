package org.xsplice.elf.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.xsplice.elf.ElfElement;
import org.xsplice.elf.ElfFormatException;
import org.xsplice.elf.ElfHeader;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfNote;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.ObjectType;
import org.xsplice.elf.ProgramHeader;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationSection;
import org.xsplice.elf.SectionGroup;
import org.xsplice.elf.SectionType;
import org.xsplice.elf.SegmentType;
import org.xsplice.elf.SymbolTable;

/**
 * The reader. The constructor checks the identification and header and the bounds of the
 * header tables; everything else is decoded on first access, under the model's lock, and cached
 * so repeated calls return the same objects.
 */
public final class ElfModelImpl implements ElfModel {
    private static final int PN_XNUM = 0xffff;

    private final byte[] b;
    private final ElfHeader header;
    private final long shoff;
    private final int shnum;
    private final int shstrndx;
    private final long phoff;
    private final int phnum;

    private List<ElfSection> sections;
    private List<BoundSectionImpl> bound;
    private Map<String, ElfSection> byName;
    private final Map<Integer, SymbolTableImpl> tables = new HashMap<>();
    private List<RelocationSection> relocationSections;
    private Map<ElfSection, List<Relocation>> relocationsByTarget;
    private List<ElfNote> notes;
    private List<ProgramHeader> programHeaders;
    private List<SectionGroup> groups;
    private final Map<ElfSection, SectionGroup> groupBySection = new IdentityHashMap<>();
    private List<ElfElement> elements;

    public ElfModelImpl(final byte[] bytes) {
        this.b = bytes;
        final int len = b.length;
        if (len < ElfHeader.SIZE) {
            throw new ElfFormatException("Elf64_Ehdr", 0, "at least 64 bytes", len + " bytes");
        }
        if (0x7f != b[0] || 'E' != b[1] || 'L' != b[2] || 'F' != b[3]) {
            throw new ElfFormatException("e_ident[EI_MAG0..3]", 0, "\\x7fELF",
                    String.format("%02x %02x %02x %02x", b[0], b[1], b[2], b[3]));
        }
        expect("e_ident[EI_CLASS]", 4, 2, Bytes.u8(b, 4), "2 (ELFCLASS64)");
        expect("e_ident[EI_DATA]", 5, 1, Bytes.u8(b, 5), "1 (ELFDATA2LSB)");
        expect("e_ident[EI_VERSION]", 6, 1, Bytes.u8(b, 6), "1 (EV_CURRENT)");
        expect("e_machine", 18, ElfHeader.EM_X86_64, Bytes.u16(b, 18), "62 (EM_X86_64)");
        expect("e_version", 20, 1, Bytes.u32(b, 20), "1 (EV_CURRENT)");
        final int ehsize = Bytes.u16(b, 52);
        if (ehsize < ElfHeader.SIZE || ehsize > len) {
            throw new ElfFormatException("e_ehsize", 52, "at least 64 and inside the file", Integer.toString(ehsize));
        }
        shoff = Bytes.u64(b, 40);
        final int shentsize = Bytes.u16(b, 58);
        final int eShnum = Bytes.u16(b, 60);
        final int eShstrndx = Bytes.u16(b, 62);
        if (0 == shoff) {
            if (0 != eShnum) {
                throw new ElfFormatException("e_shnum", 60, "0 when e_shoff is 0", Integer.toString(eShnum));
            }
            shnum = 0;
            shstrndx = 0;
        } else {
            if (ElfHeader.SECTION_HEADER_SIZE != shentsize) {
                throw new ElfFormatException("e_shentsize", 58, "64", Integer.toString(shentsize));
            }
            if (!Bytes.inside(shoff, ElfHeader.SECTION_HEADER_SIZE, len)) {
                throw new ElfFormatException("e_shoff", 40, "a section header table inside the file of " + len
                        + " bytes", Bytes.hex(shoff));
            }
            if (0 == eShnum) {
                // Extended numbering: the count is section 0's sh_size (gABI "Sections", table "Section Header Table Entry: Index 0").
                final long n = Bytes.u64(b, shoff + 32);
                if (!Bytes.inside(shoff, n * ElfHeader.SECTION_HEADER_SIZE, len) || n > len / ElfHeader.SECTION_HEADER_SIZE) {
                    throw new ElfFormatException("section 0 sh_size (extended e_shnum)", shoff + 32,
                            "a section count whose headers fit in the file", Long.toUnsignedString(n));
                }
                shnum = (int) n;
            } else {
                if (!Bytes.inside(shoff, (long) eShnum * ElfHeader.SECTION_HEADER_SIZE, len)) {
                    throw new ElfFormatException("e_shnum", 60, "section headers inside the file of " + len
                            + " bytes (e_shoff " + Bytes.hex(shoff) + ")", Integer.toString(eShnum));
                }
                shnum = eShnum;
            }
            final long strndx = ElfSymbol.SHN_XINDEX == eShstrndx ? Bytes.u32(b, shoff + 40) : eShstrndx;
            if (strndx >= shnum) {
                throw new ElfFormatException(ElfSymbol.SHN_XINDEX == eShstrndx ? "section 0 sh_link (extended e_shstrndx)"
                        : "e_shstrndx", ElfSymbol.SHN_XINDEX == eShstrndx ? shoff + 40 : 62,
                        "a section index below " + shnum, Long.toString(strndx));
            }
            shstrndx = (int) strndx;
        }
        phoff = Bytes.u64(b, 32);
        final int phentsize = Bytes.u16(b, 54);
        int ph = Bytes.u16(b, 56);
        if (PN_XNUM == ph && shnum > 0) {
            final long n = Bytes.u32(b, shoff + 44);
            ph = (int) Math.min(n, Integer.MAX_VALUE);
        }
        if (ph > 0) {
            if (ElfHeader.PROGRAM_HEADER_SIZE != phentsize) {
                throw new ElfFormatException("e_phentsize", 54, "56", Integer.toString(phentsize));
            }
            if (!Bytes.inside(phoff, (long) ph * ElfHeader.PROGRAM_HEADER_SIZE, len)) {
                throw new ElfFormatException("e_phoff", 32, ph + " program headers inside the file of " + len + " bytes",
                        Bytes.hex(phoff));
            }
        }
        phnum = ph;
        header = new ElfHeader(ObjectType.of(Bytes.u16(b, 16)), Bytes.u16(b, 18), (int) Bytes.u32(b, 20),
                Bytes.u64(b, 24), phoff, shoff, Bytes.i32(b, 48), ehsize, phentsize, phnum, shentsize, shnum, shstrndx,
                Bytes.u8(b, 7), Bytes.u8(b, 8));
    }

    private static void expect(final String field, final long off, final long want, final long got, final String text) {
        if (want != got) {
            throw new ElfFormatException(field, off, text, Long.toString(got));
        }
    }

    byte[] bytes() {
        return b;
    }

    int sectionCount() {
        return shnum;
    }

    long sectionHeaderOffset(final int index) {
        return shoff + (long) index * ElfHeader.SECTION_HEADER_SIZE;
    }

    @Override
    public ElfHeader header() {
        return header;
    }

    @Override
    public int size() {
        return b.length;
    }

    // ---------------------------------------------------------------- sections

    synchronized List<BoundSectionImpl> boundSections() {
        if (null == bound) {
            bound = decodeSections();
            sections = Collections.unmodifiableList(new ArrayList<>(bound));
        }
        return bound;
    }

    private List<BoundSectionImpl> decodeSections() {
        final int len = b.length;
        long strOff = 0;
        long strSize = 0;
        if (shstrndx > 0) {
            final long h = sectionHeaderOffset(shstrndx);
            final long type = Bytes.u32(b, h + 4);
            if (SectionType.Known.SHT_STRTAB.code() != type) {
                throw new ElfFormatException("e_shstrndx", 62, "the index of an SHT_STRTAB section",
                        shstrndx + " (" + SectionType.of((int) type).name() + ")");
            }
            strOff = Bytes.u64(b, h + 24);
            strSize = Bytes.u64(b, h + 32);
            if (!Bytes.inside(strOff, strSize, len)) {
                throw new ElfFormatException("section " + shstrndx + " sh_offset/sh_size", h + 24,
                        "contents inside the file of " + len + " bytes",
                        "offset " + Bytes.hex(strOff) + " size " + Bytes.hex(strSize));
            }
        }
        final BoundSectionImpl[] out = new BoundSectionImpl[shnum];
        for (int i = 0; i < shnum; i++) {
            final long h = sectionHeaderOffset(i);
            final int type = Bytes.i32(b, h + 4);
            final long off = Bytes.u64(b, h + 24);
            final long size = Bytes.u64(b, h + 32);
            final long align = Bytes.u64(b, h + 48);
            final boolean fileData = 0 != i && SectionType.Known.SHT_NOBITS.code() != type && 0 != type;
            if (fileData && !Bytes.inside(off, size, len)) {
                throw new ElfFormatException("section " + i + " sh_offset/sh_size", h + 24,
                        "contents inside the file of " + len + " bytes",
                        "offset " + Bytes.hex(off) + " size " + Bytes.hex(size));
            }
            if (align < 0 || (0 != align && 0 != (align & (align - 1)))) {
                throw new ElfFormatException("section " + i + " sh_addralign", h + 48, "0 or a power of two",
                        Long.toUnsignedString(align));
            }
            final String name = 0 == strSize ? "" : string(strOff, strSize, Bytes.u32(b, h), "section ", i,
                    " sh_name", h);
            out[i] = new BoundSectionImpl(this, i, name, SectionType.of(type), Bytes.u64(b, h + 8),
                    Bytes.u64(b, h + 16), off, size, Bytes.i32(b, h + 40), Bytes.i32(b, h + 44), align,
                    Bytes.u64(b, h + 56));
        }
        return List.of(out);
    }

    /** Reads a NUL-terminated string at {@code index} of string table {@code table}. */
    String string(final BoundSectionImpl table, final long index, final String what, final int entry,
                  final String field, final long fieldOffset) {
        return string(table.offset(), table.size(), index, what, entry, field, fieldOffset);
    }

    /** The field is named {@code what + entry + field}, built only for an error message. */
    private String string(final long tableOff, final long tableSize, final long index, final String what,
                          final int entry, final String field, final long fieldOffset) {
        if (index >= tableSize) {
            throw new ElfFormatException(what + entry + field, fieldOffset, "a string table offset below " + tableSize,
                    Long.toString(index));
        }
        final int start = (int) (tableOff + index);
        final int end = (int) (tableOff + tableSize);
        int z = start;
        while (z < end && 0 != b[z]) {
            z++;
        }
        if (z == end) {
            throw new ElfFormatException(what + entry + field, fieldOffset, "a NUL-terminated string inside its string table",
                    "no NUL before the table ends at " + Bytes.hex(end));
        }
        return new String(b, start, z - start, StandardCharsets.ISO_8859_1);
    }

    BoundSectionImpl boundSection(final int index) {
        final List<BoundSectionImpl> all = boundSections();
        if (index < 0 || index >= all.size()) {
            throw new ElfFormatException("section index", shoff, "below " + all.size(), Integer.toString(index));
        }
        return all.get(index);
    }

    @Override
    public List<ElfSection> sections() {
        boundSections();
        return sections;
    }

    @Override
    public ElfSection section(final int index) {
        return boundSection(index);
    }

    @Override
    public synchronized Optional<ElfSection> section(final String name) {
        if (null == byName) {
            final Map<String, ElfSection> m = HashMap.newHashMap(shnum);
            for (final ElfSection s : sections()) {
                m.putIfAbsent(s.name(), s);
            }
            byName = m;
        }
        return Optional.ofNullable(byName.get(name));
    }

    // ---------------------------------------------------------------- symbols

    synchronized SymbolTableImpl symbolTableImpl(final BoundSectionImpl s) {
        SymbolTableImpl t = tables.get(s.index());
        if (null == t) {
            t = new SymbolTableImpl(this, s);
            tables.put(s.index(), t);
        }
        return t;
    }

    @Override
    public SymbolTable symbolTable(final ElfSection section) {
        if (!(section instanceof BoundSectionImpl s) || s.model() != this
                || (SectionType.Known.SHT_SYMTAB != s.type() && SectionType.Known.SHT_DYNSYM != s.type())) {
            throw new IllegalArgumentException(section + " is not a symbol table of this file");
        }
        return symbolTableImpl(s);
    }

    private Optional<SymbolTable> firstTable(final SectionType type) {
        for (final BoundSectionImpl s : boundSections()) {
            if (type == s.type()) {
                return Optional.of(symbolTableImpl(s));
            }
        }
        return Optional.empty();
    }

    @Override
    public Optional<SymbolTable> symbolTable() {
        return firstTable(SectionType.Known.SHT_SYMTAB);
    }

    @Override
    public Optional<SymbolTable> dynamicSymbolTable() {
        return firstTable(SectionType.Known.SHT_DYNSYM);
    }

    // ---------------------------------------------------------------- relocations

    @Override
    public synchronized List<RelocationSection> relocationSections() {
        if (null == relocationSections) {
            final List<RelocationSection> out = new ArrayList<>();
            for (final BoundSectionImpl s : boundSections()) {
                if (SectionType.Known.SHT_RELA == s.type() || SectionType.Known.SHT_REL == s.type()) {
                    out.add(new BoundRelocationSectionImpl(this, s));
                }
            }
            relocationSections = List.copyOf(out);
        }
        return relocationSections;
    }

    @Override
    public synchronized List<Relocation> relocations(final ElfSection target) {
        if (null == relocationsByTarget) {
            final Map<ElfSection, List<Relocation>> m = new IdentityHashMap<>();
            for (final RelocationSection r : relocationSections()) {
                if (r.target().isPresent()) {
                    m.merge(r.target().get(), r.relocations(), (x, y) -> {
                        final List<Relocation> l = new ArrayList<>(x);
                        l.addAll(y);
                        return List.copyOf(l);
                    });
                }
            }
            relocationsByTarget = m;
        }
        return relocationsByTarget.getOrDefault(target, List.of());
    }

    // ---------------------------------------------------------------- notes

    @Override
    public synchronized List<ElfNote> notes() {
        if (null == notes) {
            final List<ElfNote> out = new ArrayList<>();
            if (shnum > 0) {
                for (final BoundSectionImpl s : boundSections()) {
                    if (SectionType.Known.SHT_NOTE == s.type()) {
                        out.addAll(decodeNotes(s.offset(), s.size(), s.alignment(), s.name()));
                    }
                }
            } else {
                for (final ProgramHeader p : programHeaders()) {
                    if (SegmentType.Known.PT_NOTE == p.type()) {
                        if (!Bytes.inside(p.offset(), p.fileSize(), b.length)) {
                            throw new ElfFormatException("PT_NOTE p_offset/p_filesz", p.offset(),
                                    "a segment inside the file of " + b.length + " bytes",
                                    "offset " + Bytes.hex(p.offset()) + " size " + Bytes.hex(p.fileSize()));
                        }
                        out.addAll(decodeNotes(p.offset(), p.fileSize(), p.alignment(), "PT_NOTE"));
                    }
                }
            }
            notes = List.copyOf(out);
        }
        return notes;
    }

    @Override
    public List<ElfNote> notes(final ElfSection section) {
        if (!(section instanceof BoundSectionImpl s) || s.model() != this || SectionType.Known.SHT_NOTE != s.type()) {
            throw new IllegalArgumentException(section + " is not a note section of this file");
        }
        return decodeNotes(s.offset(), s.size(), s.alignment(), s.name());
    }

    private List<ElfNote> decodeNotes(final long off, final long size, final long align, final String where) {
        // ELF64 notes are 4-byte aligned in practice; .note.gnu.property (alignment 8) pads to 8.
        final long a = 8 == align ? 8 : 4;
        final List<ElfNote> out = new ArrayList<>();
        final long end = off + size;
        long p = off;
        while (p < end) {
            if (end - p < 12) {
                if (allZero(p, end)) {
                    break;
                }
                throw new ElfFormatException(where + " note header", p, "12 bytes (namesz, descsz, type)",
                        (end - p) + " bytes left");
            }
            final long namesz = Bytes.u32(b, p);
            final long descsz = Bytes.u32(b, p + 4);
            final int type = Bytes.i32(b, p + 8);
            final long nameEnd = p + 12 + namesz;
            // Padding is relative to the start of the note area (gABI "Note Section").
            final long descOff = off + roundUp(p - off + 12 + namesz, a);
            if (nameEnd > end || descOff + descsz > end) {
                throw new ElfFormatException(where + " note namesz/descsz", p, "name and descriptor inside the "
                        + size + "-byte note area", "namesz " + namesz + " descsz " + descsz);
            }
            int n = (int) namesz;
            while (n > 0 && 0 == b[(int) (p + 12 + n - 1)]) {
                n--;
            }
            final String name = new String(b, (int) (p + 12), n, StandardCharsets.ISO_8859_1);
            final byte[] desc = new byte[(int) descsz];
            System.arraycopy(b, (int) descOff, desc, 0, desc.length);
            out.add(new ElfNote(name, type, desc));
            p = off + roundUp(descOff - off + descsz, a);
        }
        return out;
    }

    private boolean allZero(final long from, final long to) {
        for (long i = from; i < to; i++) {
            if (0 != b[(int) i]) {
                return false;
            }
        }
        return true;
    }

    private static long roundUp(final long v, final long a) {
        return (v + a - 1) & -a;
    }

    // ---------------------------------------------------------------- program headers, groups

    @Override
    public synchronized List<ProgramHeader> programHeaders() {
        if (null == programHeaders) {
            final ProgramHeader[] out = new ProgramHeader[phnum];
            for (int i = 0; i < phnum; i++) {
                final long h = phoff + (long) i * ElfHeader.PROGRAM_HEADER_SIZE;
                out[i] = new ProgramHeader(SegmentType.of(Bytes.i32(b, h)), Bytes.i32(b, h + 4), Bytes.u64(b, h + 8),
                        Bytes.u64(b, h + 16), Bytes.u64(b, h + 24), Bytes.u64(b, h + 32), Bytes.u64(b, h + 40),
                        Bytes.u64(b, h + 48));
            }
            programHeaders = List.of(out);
        }
        return programHeaders;
    }

    @Override
    public synchronized List<SectionGroup> groups() {
        if (null == groups) {
            final List<SectionGroup> out = new ArrayList<>();
            for (final BoundSectionImpl s : boundSections()) {
                if (SectionType.Known.SHT_GROUP == s.type()) {
                    final SectionGroup g = decodeGroup(s);
                    groupBySection.put(s, g);
                    out.add(g);
                }
            }
            groups = List.copyOf(out);
        }
        return groups;
    }

    /** {@return the group an {@code SHT_GROUP} section of this file holds, or null} */
    SectionGroup groupOf(final ElfSection section) {
        groups();
        synchronized (this) {
            return groupBySection.get(section);
        }
    }

    private SectionGroup decodeGroup(final BoundSectionImpl s) {
        final long hdr = sectionHeaderOffset(s.index());
        if (s.size() < 4 || 0 != s.size() % 4) {
            throw new ElfFormatException(SymbolTableImpl.where(s) + " sh_size", hdr + 32, "a non-zero multiple of 4 (SHT_GROUP)",
                    Long.toString(s.size()));
        }
        if (s.link() <= 0 || s.link() >= shnum || SectionType.Known.SHT_SYMTAB != boundSection(s.link()).type()) {
            throw new ElfFormatException(SymbolTableImpl.where(s) + " sh_link", hdr + 40, "the index of the SHT_SYMTAB section",
                    Integer.toUnsignedString(s.link()));
        }
        final SymbolTableImpl t = symbolTableImpl(boundSection(s.link()));
        // Index 0 is STN_UNDEF, the null symbol: a group must be named by a real symbol (gABI 4).
        if (s.info() <= 0 || s.info() >= t.size()) {
            throw new ElfFormatException(SymbolTableImpl.where(s) + " sh_info", hdr + 44,
                    "a signature symbol index from 1 to " + (t.size() - 1),
                    Integer.toUnsignedString(s.info()));
        }
        final int flags = Bytes.i32(b, s.offset());
        final List<ElfSection> members = new ArrayList<>();
        for (long p = s.offset() + 4; p < s.offset() + s.size(); p += 4) {
            final long m = Bytes.u32(b, p);
            if (0 == m || m >= shnum) {
                throw new ElfFormatException(SymbolTableImpl.where(s) + " member", p, "a section index in 1.." + (shnum - 1),
                        Long.toString(m));
            }
            members.add(section((int) m));
        }
        return new SectionGroup(s.name(), flags, t.symbol(s.info()), members);
    }

    // ---------------------------------------------------------------- elements, validation

    /** Sections the writer derives from other elements, so a transform never sees them directly. */
    private boolean derived(final BoundSectionImpl s, final ElfSection symtabStrings) {
        final SectionType t = s.type();
        return 0 == s.index() || s.index() == shstrndx || s == symtabStrings
                || SectionType.Known.SHT_SYMTAB == t || SectionType.Known.SHT_SYMTAB_SHNDX == t
                || SectionType.Known.SHT_GROUP == t
                || ((SectionType.Known.SHT_RELA == t || SectionType.Known.SHT_REL == t) && 0 != s.info());
    }

    @Override
    public synchronized List<ElfElement> elements() {
        if (null == elements) {
            final List<ElfElement> out = new ArrayList<>();
            out.add(header);
            final Optional<SymbolTable> symtab = symbolTable();
            final ElfSection strings = symtab.map(SymbolTable::stringTable).orElse(null);
            for (final BoundSectionImpl s : boundSections()) {
                if (!derived(s, strings)) {
                    out.add(s);
                }
            }
            out.addAll(groups());
            symtab.ifPresent(t -> out.addAll(t.symbols().subList(1, t.size())));
            for (final RelocationSection r : relocationSections()) {
                if (r.target().isPresent()) {
                    out.add(r);
                }
            }
            elements = List.copyOf(out);
        }
        return elements;
    }

    @Override
    public ElfModel validate() {
        for (final BoundSectionImpl s : boundSections()) {
            if (SectionType.Known.SHT_SYMTAB == s.type() || SectionType.Known.SHT_DYNSYM == s.type()) {
                symbolTableImpl(s).symbols();
            }
        }
        for (final RelocationSection r : relocationSections()) {
            r.relocations();
        }
        notes();
        groups();
        programHeaders();
        elements();
        return this;
    }

    @Override
    public String toString() {
        return "ElfModel[" + header.type().name() + ", " + shnum + " sections, " + b.length + " bytes]";
    }
}
