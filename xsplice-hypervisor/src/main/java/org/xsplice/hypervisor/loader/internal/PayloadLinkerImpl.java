package org.xsplice.hypervisor.loader.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfFormatException;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfNote;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationSection;
import org.xsplice.elf.RelocationType;
import org.xsplice.elf.SectionFlag;
import org.xsplice.elf.SectionType;
import org.xsplice.elf.SymbolType;
import org.xsplice.hypervisor.loader.AreaAllocator;
import org.xsplice.hypervisor.loader.BugFrameTable;
import org.xsplice.hypervisor.loader.ExTableEntry;
import org.xsplice.hypervisor.loader.HypervisorTarget;
import org.xsplice.hypervisor.loader.LinkedPayload;
import org.xsplice.hypervisor.loader.LoadedFunc;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.loader.PayloadLoader;
import org.xsplice.hypervisor.loader.PayloadState;
import org.xsplice.hypervisor.symbols.Symbol;
import org.xsplice.payload.Errno;
import org.xsplice.payload.Hook;
import org.xsplice.payload.LivepatchFunc;
import org.xsplice.payload.ModInfo;
import org.xsplice.payload.PayloadException;
import org.xsplice.payload.PayloadSections;

/**
 * One run of the loader over one payload. The stages run in Xen's order (upload limits, ELF
 * header, section table, symbol table, layout and allocation, symbols, relocations, special
 * sections, build-ids, exports); each throws {@link PayloadException} at the first fault, and
 * a failure after allocation frees the block before it propagates.
 */
public final class PayloadLinkerImpl {
    /** sectionAddr of a section that is not loaded: Xen's addresses are in the upper half, negative as longs. */
    private static final long NOT_LOADED = -1;
    private static final int EHDR = 64;
    private static final int SHDR = 64;
    private static final int SHT_NOBITS = 8;
    private static final int SHT_SYMTAB = 2;
    private static final int SHT_STRTAB = 3;
    private static final int SHT_REL = 9;
    private static final int OSABI_FREEBSD = 9;
    private static final int ET_REL = 1;
    private static final long SHF_WRITE = SectionFlag.SHF_WRITE.mask();
    private static final long SHF_ALLOC = SectionFlag.SHF_ALLOC.mask();
    private static final long SHF_EXEC = SectionFlag.SHF_EXECINSTR.mask();
    private static final byte[] ENDBR64 = {(byte) 0xf3, 0x0f, 0x1e, (byte) 0xfa};

    private final HypervisorTarget target;
    private final String name;
    private final byte[] b;
    private final List<LoadedPayload> loaded;
    private final AreaAllocator area;
    /** The base the caller requires (re-linking a payload where it already is), or -1: allocate. */
    private final long fixedBase;

    private int shnum;
    private ElfModel model;
    private List<ElfSection> sections;
    private ElfSection symtab;
    /** Load address of each section, -1 for a section that is not loaded. */
    private long[] sectionAddr;
    /** Offset of each loaded section in the image. */
    private int[] sectionImageOffset;
    private long base = -1;
    private byte[] image;
    private long textSize;
    private long rwOffset;
    private long rwSize;
    private long roOffset;
    private long roSize;
    private List<ElfSymbol> symbols;
    /** Value of each symbol after resolution; meaningful only where {@link #symbolLoaded} is set. */
    private long[] symbolValue;
    private boolean[] symbolLoaded;

    public PayloadLinkerImpl(final HypervisorTarget target, final String name, final byte[] bytes,
                             final List<LoadedPayload> loaded, final AreaAllocator area, final long fixedBase) {
        this.fixedBase = fixedBase;
        this.target = target;
        this.name = name;
        this.b = bytes;
        this.loaded = loaded;
        this.area = area;
    }

    /** {@return the linked payload} */
    public LinkedPayload link() {
        checkLimits();
        checkHeader();
        checkSectionTable();
        try {
            model = Elf.of().parse(b);
            sections = model.sections();
            checkSymbolTable();
            layout();
        } catch (final ElfFormatException e) {
            throw new PayloadException(Errno.EINVAL, e.getMessage(), e);
        }
        base = fixedBase >= 0 ? area.reserve(fixedBase, image.length) : area.allocate(image.length);
        boolean done = false;
        try {
            final LinkedPayload p = linkAt();
            done = true;
            return p;
        } catch (final ElfFormatException e) {
            throw new PayloadException(Errno.EINVAL, e.getMessage(), e);
        } finally {
            if (!done) {
                area.free(base);
            }
        }
    }

    // ------------------------------------------------------------------ limits and header

    private void checkLimits() {
        if (0 == b.length || b.length > PayloadLoader.MAX_SIZE) {
            throw new PayloadException(Errno.EINVAL, "payload '" + name + "' has " + b.length
                    + " bytes, expected 1.." + PayloadLoader.MAX_SIZE + " (2 MiB)");
        }
        final int nameBytes = name.getBytes(StandardCharsets.UTF_8).length + 1;
        if (name.isEmpty() || nameBytes > PayloadLoader.MAX_NAME || name.indexOf('\0') >= 0) {
            throw new PayloadException(Errno.EINVAL, "payload name '" + name + "' is " + nameBytes
                    + " bytes with its NUL, expected 2.." + PayloadLoader.MAX_NAME + " and no NUL inside");
        }
        for (final LoadedPayload p : loaded) {
            if (p.name().equals(name)) {
                throw new PayloadException(Errno.EEXIST, "a payload named '" + name + "' is already loaded");
            }
        }
    }

    private void checkHeader() {
        if (b.length < EHDR) {
            throw new PayloadException(Errno.EINVAL, "payload of " + b.length + " bytes is shorter than an ELF header (64)");
        }
        if (0x7f != b[0] || 'E' != b[1] || 'L' != b[2] || 'F' != b[3]) {
            throw new PayloadException(Errno.EINVAL, String.format(
                    "bad ELF magic %02x %02x %02x %02x at offset 0, expected 7f 45 4c 46", b[0], b[1], b[2], b[3]));
        }
        unsupported("e_ident[EI_CLASS]", 4, u8(4), 2, "2 (ELFCLASS64)");
        unsupported("e_ident[EI_DATA]", 5, u8(5), 1, "1 (ELFDATA2LSB)");
        unsupported("e_ident[EI_VERSION]", 6, u8(6), 1, "1 (EV_CURRENT)");
        if (0 != u8(7) && OSABI_FREEBSD != u8(7)) {
            throw new PayloadException(Errno.EOPNOTSUPP, "ELF header e_ident[EI_OSABI] at offset 0x7 is " + u8(7)
                    + ", expected 0 (NONE) or 9 (FREEBSD)");
        }
        unsupported("e_ident[EI_ABIVERSION]", 8, u8(8), 0, "0");
        unsupported("e_type", 16, u16(16), ET_REL, "1 (ET_REL, a relocatable object)");
        unsupported("e_machine", 18, u16(18), 62, "62 (EM_X86_64)");
        unsupported("e_version", 20, u32(20), 1, "1 (EV_CURRENT)");
        if (0 != u16(56) || 0 != u64(32)) {
            throw new PayloadException(Errno.EOPNOTSUPP, "ELF header has program headers (e_phnum " + u16(56)
                    + ", e_phoff 0x" + Long.toHexString(u64(32)) + "), a payload is a relocatable object without any");
        }
        if (u16(52) != EHDR) {
            throw invalid("ELF header e_ehsize at offset 0x34 is " + u16(52) + ", expected 64");
        }
        if (u16(58) != SHDR) {
            throw invalid("ELF header e_shentsize at offset 0x3a is " + u16(58) + ", expected 64");
        }
        shnum = u16(60);
        if (0 == shnum) {
            throw invalid("ELF header e_shnum at offset 0x3c is 0: the payload has no section table");
        }
        if (shnum >= PayloadLoader.MAX_SECTIONS) {
            throw invalid("ELF header e_shnum at offset 0x3c is " + shnum + ", a payload must have fewer than "
                    + PayloadLoader.MAX_SECTIONS + " sections");
        }
        final long shoff = u64(40);
        if (Long.compareUnsigned(shoff, EHDR) < 0) {
            throw invalid("ELF header e_shoff at offset 0x28 is 0x" + Long.toHexString(shoff)
                    + ": the section table overlaps the ELF header");
        }
        if (Long.compareUnsigned(shoff, b.length) > 0 || b.length - shoff < (long) shnum * SHDR) {
            throw invalid("section table truncated: " + shnum + " headers of 64 bytes at e_shoff 0x"
                    + Long.toHexString(shoff) + " do not fit in the payload's " + b.length + " bytes");
        }
        final int shstrndx = u16(62);
        if (0 == shstrndx || shstrndx >= shnum) {
            throw invalid("ELF header e_shstrndx at offset 0x3e is " + shstrndx + ", expected a section index 1.."
                    + (shnum - 1));
        }
    }

    private void unsupported(final String field, final int off, final long found, final long want, final String text) {
        if (found != want) {
            throw new PayloadException(Errno.EOPNOTSUPP, "ELF header " + field + " at offset 0x" + Integer.toHexString(off)
                    + " is " + found + ", expected " + text);
        }
    }

    // ------------------------------------------------------------------ section table

    private long shdr(final int index) {
        return u64(40) + (long) index * SHDR;
    }

    private void checkSectionTable() {
        int symtabs = 0;
        for (int i = 1; i < shnum; i++) {
            final int h = (int) shdr(i);
            final long type = u32(h + 4);
            final long flags = u64(h + 8);
            final long addr = u64(h + 16);
            final long off = u64(h + 24);
            final long size = u64(h + 32);
            final long align = u64(h + 48);
            final String where = "section " + i + " (header at 0x" + Integer.toHexString(h) + ")";
            if (SHT_REL == type) {
                throw new PayloadException(Errno.EOPNOTSUPP, where + " is SHT_REL; only SHT_RELA relocations are supported on x86-64");
            }
            if (0 != align && 0 != (align & (align - 1))) {
                throw new PayloadException(Errno.EOPNOTSUPP, where + " sh_addralign " + Long.toUnsignedString(align)
                        + " is not a power of two");
            }
            if (align > 1 && 0 != (addr & (align - 1))) {
                throw invalid(where + " sh_addr 0x" + Long.toHexString(addr) + " is not aligned to its sh_addralign "
                        + align);
            }
            if (SHT_NOBITS != type && 0 != type && 0 != size) {
                if (Long.compareUnsigned(off, EHDR) < 0) {
                    throw invalid(where + " data at sh_offset 0x" + Long.toHexString(off) + " lies inside the ELF header");
                }
                if (Long.compareUnsigned(off, b.length) > 0 || Long.compareUnsigned(size, b.length - off) > 0) {
                    throw invalid(where + " data (sh_offset 0x" + Long.toHexString(off) + ", sh_size 0x"
                            + Long.toHexString(size) + ") lies outside the payload's " + b.length + " bytes");
                }
            }
            if (SHT_NOBITS == type && 0 != (flags & SHF_WRITE) && Long.compareUnsigned(size, PayloadLoader.MAX_SIZE) > 0) {
                throw invalid(where + " is a writable NOBITS section of " + Long.toUnsignedString(size)
                        + " bytes, more than 2 MiB");
            }
            if ((flags & (SHF_WRITE | SHF_EXEC)) == (SHF_WRITE | SHF_EXEC)) {
                throw new PayloadException(Errno.EOPNOTSUPP, where + " is both writable and executable (W+X)");
            }
            if (SHT_SYMTAB == type) {
                symtabs++;
            }
        }
        if (0 == symtabs) {
            throw invalid("the payload has no symbol table (SHT_SYMTAB)");
        }
        if (symtabs > 1) {
            throw new PayloadException(Errno.EOPNOTSUPP, "the payload has " + symtabs + " symbol tables, expected one");
        }
        checkStringTable(u16(62), "section-name string table (e_shstrndx)");
    }

    /** A string table must be non-empty and start and end with NUL, so every name in it ends. */
    private void checkStringTable(final int index, final String what) {
        final int h = (int) shdr(index);
        final String where = what + " section " + index;
        if (SHT_STRTAB != u32(h + 4)) {
            throw invalid(where + " has type " + u32(h + 4) + ", expected SHT_STRTAB (3)");
        }
        final long off = u64(h + 24);
        final long size = u64(h + 32);
        if (0 == size) {
            throw invalid(where + " is empty");
        }
        if (0 != b[(int) off] || 0 != b[(int) (off + size - 1)]) {
            throw invalid(where + " does not " + (0 != b[(int) off] ? "start" : "end") + " with a NUL byte");
        }
    }

    private void checkSymbolTable() {
        for (final ElfSection s : sections) {
            if (SectionType.Known.SHT_SYMTAB == s.type()) {
                symtab = s;
            }
        }
        final String where = "symbol table section " + symtab.index() + " (" + symtab.name() + ")";
        if (ElfSymbol.ENTRY_SIZE != symtab.entrySize()) {
            throw invalid(where + " sh_entsize " + symtab.entrySize() + ", expected 24");
        }
        if (0 == symtab.size() || 0 != symtab.size() % ElfSymbol.ENTRY_SIZE) {
            throw invalid(where + " sh_size " + symtab.size() + " is not a non-zero multiple of 24");
        }
        if (symtab.link() <= 0 || symtab.link() >= shnum) {
            throw invalid(where + " sh_link " + symtab.link() + " is not a section index");
        }
        checkStringTable(symtab.link(), "symbol string table of " + where + ",");
        symbols = model.symbolTable().orElseThrow().symbols();
    }

    // ------------------------------------------------------------------ layout

    /** Xen's move_payload: text | rw | ro, each part page aligned, sections at their alignment. */
    private void layout() {
        sectionAddr = new long[shnum];
        sectionImageOffset = new int[shnum];
        Arrays.fill(sectionAddr, NOT_LOADED);
        final long[] partSize = new long[3];
        final int[] part = new int[shnum];
        final long[] partOffset = new long[shnum];
        for (final ElfSection s : sections) {
            if (0 == s.index() || !s.has(SectionFlag.SHF_ALLOC)) {
                continue;
            }
            final int p = s.has(SectionFlag.SHF_EXECINSTR) ? 0 : s.has(SectionFlag.SHF_WRITE) ? 1 : 2;
            final long align = Math.max(1, s.alignment());
            if (Long.compareUnsigned(s.alignment(), AreaAllocator.PAGE) > 0) {
                throw invalid("section " + s.index() + " (" + s.name() + ") asks for alignment "
                        + Long.toUnsignedString(s.alignment())
                        + ", more than a page");
            }
            final long at = (partSize[p] + align - 1) & -align;
            part[s.index()] = p;
            partOffset[s.index()] = at;
            if (Long.compareUnsigned(s.size(), PayloadLoader.MAX_SIZE * 2L) > 0
                    || at + s.size() > PayloadLoader.MAX_SIZE * 2L) {
                throw invalid("section " + s.index() + " (" + s.name() + ") makes the payload's image larger than 4 MiB");
            }
            partSize[p] = at + s.size();
        }
        textSize = partSize[0];
        rwSize = partSize[1];
        roSize = partSize[2];
        rwOffset = pageUp(textSize);
        roOffset = rwOffset + pageUp(rwSize);
        final long total = Math.max(AreaAllocator.PAGE, roOffset + pageUp(roSize));
        image = new byte[(int) total];
        final long[] partStart = {0, rwOffset, roOffset};
        for (final ElfSection s : sections) {
            if (0 == s.index() || !s.has(SectionFlag.SHF_ALLOC)) {
                continue;
            }
            final int off = (int) (partStart[part[s.index()]] + partOffset[s.index()]);
            sectionImageOffset[s.index()] = off;
            if (SectionType.Known.SHT_NOBITS != s.type()) {
                final java.nio.ByteBuffer c = s.contents();
                if (c.remaining() != s.size()) {
                    throw invalid("section " + s.index() + " (" + s.name() + ") of type " + s.type().name()
                            + " is allocated but has " + c.remaining() + " of its " + s.size() + " bytes in the file");
                }
                c.get(image, off, (int) s.size());
            }
        }
    }

    private static long pageUp(final long n) {
        return (n + AreaAllocator.PAGE - 1) & -AreaAllocator.PAGE;
    }

    // ------------------------------------------------------------------ after allocation

    private LinkedPayload linkAt() {
        for (final ElfSection s : sections) {
            if (0 != s.index() && s.has(SectionFlag.SHF_ALLOC)) {
                sectionAddr[s.index()] = base + sectionImageOffset[s.index()];
            }
        }
        resolveSymbols();
        relocate();
        checkRequiredSections();
        final List<LoadedFunc> funcs = funcs();
        final Map<Hook, List<Long>> hooks = hooks();
        final BuildId buildId = buildIdNote(PayloadSections.BUILD_ID);
        final BuildId depends = buildIdNote(PayloadSections.DEPENDS);
        final BuildId xenDepends = buildIdNote(PayloadSections.XEN_DEPENDS);
        if (!xenDepends.equals(target.buildId())) {
            throw invalid("section " + PayloadSections.XEN_DEPENDS + " requires hypervisor build-id " + xenDepends.hex()
                    + ", but the hypervisor's build-id is " + target.buildId().hex());
        }
        for (final LoadedPayload p : loaded) {
            if (p.buildId().equals(buildId)) {
                throw new PayloadException(Errno.EEXIST, "payload build-id " + buildId.hex()
                        + " is the same as that of loaded payload '" + p.name() + "'");
            }
        }
        final List<ExTableEntry> exTable = exTable();
        final List<BugFrameTable> bugFrames = bugFrames();
        alternatives();
        final Optional<ModInfo> modInfo = modInfo();
        final List<Symbol> own = new ArrayList<>();
        final List<Symbol> exported = new ArrayList<>();
        symbols(funcs, own, exported);
        final LoadedPayload p = new LoadedPayload(name, PayloadState.CHECKED, 0, base, image.length, base, textSize,
                base + rwOffset, rwSize, base + roOffset, roSize, funcs, hooks, buildId, xenDepends, depends, own,
                exported, exTable, bugFrames, modInfo);
        return new LinkedPayload(p, image);
    }

    /** Xen's livepatch_elf_resolve_symbols: every symbol gets its final value, or the payload is refused. */
    private void resolveSymbols() {
        final int n = symbols.size();
        symbolValue = new long[n];
        symbolLoaded = new boolean[n];
        for (int i = 1; i < n; i++) {
            final ElfSymbol s = symbols.get(i);
            final int shndx = s.sectionIndex();
            final String where = "symbol " + i + " '" + s.name() + "'";
            if (s.isCommon()) {
                throw invalid(where + " is COMMON (SHN_COMMON); compile the payload with -fno-common");
            } else if (s.isUndefined()) {
                final Optional<Long> v = resolveName(s.name());
                if (v.isEmpty()) {
                    throw new PayloadException(Errno.ENOENT, "Unknown symbol: " + where
                            + " is neither in the hypervisor's symbol table nor exported by a loaded payload");
                }
                symbolValue[i] = v.get();
                symbolLoaded[i] = true;
            } else if (s.isAbsolute()) {
                symbolValue[i] = s.value();
                symbolLoaded[i] = true;
            } else if (shndx >= ElfSymbol.SHN_LORESERVE) {
                throw new PayloadException(Errno.EOPNOTSUPP, where + " has reserved section index 0x"
                        + Integer.toHexString(shndx) + ", only SHN_UNDEF and SHN_ABS are supported");
            } else if (shndx >= shnum) {
                throw invalid(where + " has section index " + shndx + ", past the " + shnum + " sections");
            } else if (NOT_LOADED != sectionAddr[shndx]) {
                final long secSize = sections.get(shndx).size();
                if (Long.compareUnsigned(s.value(), secSize) > 0 || Long.compareUnsigned(s.size(), secSize - s.value()) > 0) {
                    throw invalid(where + " (st_value 0x" + Long.toHexString(s.value()) + ", st_size 0x"
                            + Long.toHexString(s.size()) + ") lies outside its section " + shndx + " ("
                            + sections.get(shndx).name() + ", 0x" + Long.toHexString(secSize) + " bytes)");
                }
                symbolValue[i] = sectionAddr[shndx] + s.value();
                symbolLoaded[i] = true;
            }
        }
    }

    /** dl_sym: the hypervisor's table (globals by name, statics as file#name), then payloads' exports in load order. */
    private Optional<Long> resolveName(final String symbol) {
        if (symbol.isEmpty()) {
            return Optional.empty();
        }
        final Optional<Symbol> h = target.symbols().lookup(symbol);
        if (h.isPresent()) {
            return Optional.of(h.get().address());
        }
        return exportedSymbol(symbol).map(Symbol::address);
    }

    private Optional<Symbol> exportedSymbol(final String symbol) {
        for (final LoadedPayload p : loaded) {
            for (final Symbol s : p.exported()) {
                if (s.name().equals(symbol)) {
                    return Optional.of(s);
                }
            }
        }
        return Optional.empty();
    }

    /** x86-64 arch_livepatch_perform_rela, with more words in the messages. */
    private void relocate() {
        for (final RelocationSection rs : model.relocationSections()) {
            final ElfSection rsec = rs.section().orElseThrow();
            final Optional<ElfSection> t = rs.target();
            if (t.isEmpty()) {
                throw invalid("relocation section " + rsec.index() + " (" + rsec.name() + ") has no target section (sh_info 0)");
            }
            final ElfSection target = t.get();
            if (!target.has(SectionFlag.SHF_ALLOC)) {
                continue;
            }
            if (rsec.link() != symtab.index()) {
                throw invalid("relocation section " + rsec.index() + " (" + rsec.name() + ") links to section "
                        + rsec.link() + ", not to the symbol table " + symtab.index());
            }
            final int tIndex = target.index();
            final long tSize = target.size();
            final int tImage = sectionImageOffset[tIndex];
            final long tAddr = sectionAddr[tIndex];
            final List<Relocation> rels = rs.relocations();
            for (int i = 0; i < rels.size(); i++) {
                final Relocation r = rels.get(i);
                final RelocationType type = r.type();
                final int sym = r.symbolIndex();
                if (RelocationType.Known.R_X86_64_NONE == type) {
                    continue;
                }
                if (0 == sym) {
                    throw invalid(relWhere(rsec, target, i, r) + " refers to symbol index 0 (STN_UNDEF)");
                }
                if (sym >= symbols.size()) {
                    throw invalid(relWhere(rsec, target, i, r) + " refers to symbol " + sym + ", past the "
                            + symbols.size() + " symbols");
                }
                if (!symbolLoaded[sym]) {
                    final ElfSymbol s = symbols.get(sym);
                    throw invalid(relWhere(rsec, target, i, r) + " refers to symbol " + sym + " '" + s.name()
                            + "' in section " + s.sectionIndex() + ", which is not loaded (not SHF_ALLOC)");
                }
                final long off = r.offset();
                if (Long.compareUnsigned(off, tSize) >= 0 || Long.compareUnsigned(off + 4, tSize) > 0) {
                    throw invalid(relWhere(rsec, target, i, r) + " has r_offset 0x" + Long.toHexString(off)
                            + " past the end of " + target.name() + " (0x" + Long.toHexString(tSize) + " bytes)");
                }
                final long val = symbolValue[sym] + r.addend();
                final int at = tImage + (int) off;
                switch (type) {
                    case RelocationType.Known.R_X86_64_64 -> {
                        if (Long.compareUnsigned(off + 8, tSize) > 0) {
                            throw invalid(relWhere(rsec, target, i, r) + " writes 8 bytes at r_offset 0x"
                                    + Long.toHexString(off) + ", past the end of " + target.name());
                        }
                        putLong(at, val);
                    }
                    case RelocationType.Known.R_X86_64_PC32, RelocationType.Known.R_X86_64_PLT32 -> {
                        final long rel = val - (tAddr + off);
                        if (rel != (int) rel) {
                            throw new PayloadException(Errno.EOVERFLOW, relWhere(rsec, target, i, r) + " to symbol '"
                                    + symbols.get(sym).name() + "' at 0x" + Long.toHexString(symbolValue[sym])
                                    + ": displacement 0x" + Long.toHexString(rel) + " from 0x"
                                    + Long.toHexString(tAddr + off) + " does not fit in 32 bits");
                        }
                        putInt(at, (int) rel);
                    }
                    default -> throw new PayloadException(Errno.EOPNOTSUPP, relWhere(rsec, target, i, r)
                            + " has unsupported type " + type.name() + " (" + type.code()
                            + "); only R_X86_64_NONE, _64, _PC32 and _PLT32 are supported");
                }
            }
        }
    }

    private static String relWhere(final ElfSection rsec, final ElfSection target, final int i, final Relocation r) {
        return "relocation " + i + " of " + rsec.name() + " (r_offset 0x" + Long.toHexString(r.offset()) + " in "
                + target.name() + ", entry at file offset 0x" + Long.toHexString(rsec.offset() + 24L * i) + ")";
    }

    private void checkRequiredSections() {
        for (final String s : List.of(PayloadSections.BUILD_ID, PayloadSections.DEPENDS, PayloadSections.XEN_DEPENDS)) {
            if (model.section(s).isEmpty()) {
                throw invalid("required section " + s + " is missing");
            }
        }
        boolean any = model.section(PayloadSections.FUNCS).isPresent();
        for (final Hook h : Hook.values()) {
            any |= model.section(h.sectionName()).isPresent();
        }
        if (!any) {
            throw invalid("the payload has neither " + PayloadSections.FUNCS + " nor a hook section: nothing to do");
        }
    }

    /** The relocated bytes of a loaded section of {@code entry}-byte entries ({@code what} names the entry). */
    private byte[] table(final ElfSection s, final int entry, final String what) {
        if (0 != s.size() % entry) {
            throw invalid("section " + s.name() + " has size " + s.size() + ", expected a multiple of " + entry + what);
        }
        return loadedBytes(s);
    }

    /** The relocated bytes of a loaded section. */
    private byte[] loadedBytes(final ElfSection s) {
        if (NOT_LOADED == sectionAddr[s.index()]) {
            throw invalid("section " + s.index() + " (" + s.name() + ") must be loaded (SHF_ALLOC) but is not");
        }
        final int off = sectionImageOffset[s.index()];
        return Arrays.copyOfRange(image, off, off + (int) s.size());
    }

    private List<LoadedFunc> funcs() {
        final Optional<ElfSection> sec = model.section(PayloadSections.FUNCS);
        if (sec.isEmpty()) {
            return List.of();
        }
        final byte[] bytes = loadedBytes(sec.get());
        final List<LivepatchFunc> raw = LivepatchFunc.decodeAll(bytes, target.funcsVersion());
        final int entrySize = bytes.length / raw.size();
        final List<LoadedFunc> out = new ArrayList<>(raw.size());
        final Set<Long> patched = new HashSet<>();
        for (int i = 0; i < raw.size(); i++) {
            final LivepatchFunc f = raw.get(i);
            final String fname = string(f.name(), PayloadSections.FUNCS + "[" + i + "].name");
            f.checkFields(fname);
            final String where = PayloadSections.FUNCS + "[" + i + "] '" + fname + "'";
            final Symbol old;
            if (0 == f.oldAddr()) {
                old = target.symbols().lookup(fname).or(() -> exportedSymbol(fname)).orElseThrow(() ->
                        new PayloadException(Errno.ENOENT, where + ": old_addr is 0 and no symbol '" + fname
                                + "' exists in the hypervisor or a loaded payload"));
            } else {
                old = symbolAt(f.oldAddr()).orElseThrow(() -> invalid(where + ": old_addr 0x"
                        + Long.toHexString(f.oldAddr()) + " is not the start of a known function"));
            }
            final long oldAddr = old.address();
            final long oldSize = Integer.toUnsignedLong(f.oldSize());
            if (old.size() > 0 && oldSize > old.size()) {
                throw invalid(where + ": old_size " + oldSize + " is larger than " + old.qualifiedName()
                        + "'s real size " + old.size());
            }
            boolean endbr = false;
            if (!f.isNop()) {
                endbr = Arrays.equals(ENDBR64, target.read(oldAddr, ENDBR64.length));
                if (endbr && oldSize < LivepatchFunc.JMP_SIZE + LivepatchFunc.ENDBR64_SIZE) {
                    throw invalid(where + ": old_size " + oldSize + " is too small: " + old.qualifiedName()
                            + " starts with ENDBR64, so the 5-byte jump needs 9 bytes");
                }
                final long patchAt = oldAddr + (endbr ? LivepatchFunc.ENDBR64_SIZE : 0);
                final long distance = f.newAddr() - (patchAt + LivepatchFunc.JMP_SIZE);
                if (distance != (int) distance) {
                    throw new PayloadException(Errno.EOVERFLOW, where + ": new_addr 0x" + Long.toHexString(f.newAddr())
                            + " is more than 2 GiB away from old_addr 0x" + Long.toHexString(oldAddr)
                            + "; a rel32 jump cannot reach it");
                }
            }
            if (f.expectation().isPresent() && f.expectation().get().length() > oldSize) {
                throw invalid(where + ": expectation of " + f.expectation().get().length()
                        + " bytes is longer than old_size " + oldSize);
            }
            if (!patched.add(oldAddr)) {
                throw new PayloadException(Errno.EEXIST, where + ": " + old.qualifiedName()
                        + " is patched twice by this payload");
            }
            out.add(new LoadedFunc(fname, oldAddr, f.oldSize(), f.newAddr(), f.newSize(), endbr, f.expectation(),
                    sectionAddr[sec.get().index()] + (long) i * entrySize));
        }
        return out;
    }

    /** The hypervisor's or a loaded payload's function that starts at {@code addr}. */
    private Optional<Symbol> symbolAt(final long addr) {
        final Optional<Symbol> h = target.symbols().symbolize(addr).filter(l -> 0 == l.offset())
                .map(org.xsplice.hypervisor.symbols.SymbolLocation::symbol);
        if (h.isPresent()) {
            return h;
        }
        for (final LoadedPayload p : loaded) {
            for (final Symbol s : p.symbols()) {
                if (s.address() == addr) {
                    return Optional.of(s);
                }
            }
        }
        return Optional.empty();
    }

    /** A NUL-terminated string the payload points to from {@code field}; it must lie inside the payload. */
    private String string(final long addr, final String field) {
        final long off = addr - base;
        if (off < 0 || off >= image.length) {
            throw invalid(field + " points to 0x" + Long.toHexString(addr) + ", outside the payload's memory 0x"
                    + Long.toHexString(base) + "-0x" + Long.toHexString(base + image.length));
        }
        int z = (int) off;
        while (z < image.length && 0 != image[z]) {
            z++;
        }
        if (z == image.length || z == off) {
            throw invalid(field + " at 0x" + Long.toHexString(addr) + " is not a non-empty NUL-terminated string");
        }
        return new String(image, (int) off, z - (int) off, StandardCharsets.UTF_8);
    }

    private Map<Hook, List<Long>> hooks() {
        final Map<Hook, List<Long>> out = new EnumMap<>(Hook.class);
        for (final Hook h : Hook.values()) {
            final Optional<ElfSection> sec = model.section(h.sectionName());
            if (sec.isEmpty()) {
                continue;
            }
            h.checkSize(sec.get().size());
            final byte[] bytes = loadedBytes(sec.get());
            final List<Long> fns = new ArrayList<>();
            for (int off = 0; off < bytes.length; off += Hook.POINTER_SIZE) {
                final long fn = getLong(bytes, off);
                if (fn < base + 0 || fn >= base + textSize) {
                    throw invalid("section " + h.sectionName() + " entry " + off / Hook.POINTER_SIZE + " points to 0x"
                            + Long.toHexString(fn) + ", outside the payload's text");
                }
                fns.add(fn);
            }
            out.put(h, fns);
        }
        return out;
    }

    private BuildId buildIdNote(final String section) {
        final ElfSection s = model.section(section).orElseThrow();
        if (SectionType.Known.SHT_NOTE != s.type()) {
            throw invalid("section " + s.index() + " (" + section + ") has type " + s.type().name()
                    + ", expected SHT_NOTE");
        }
        final List<ElfNote> notes = model.notes(s);
        if (notes.isEmpty() || !notes.getFirst().isBuildId() || 0 == notes.getFirst().descriptorSize()) {
            throw invalid("section " + section + " does not hold a GNU build-id note (owner \"GNU\", type 3)"
                    + (notes.isEmpty() ? ": it is empty" : ": found owner \"" + notes.getFirst().name() + "\" type "
                    + notes.getFirst().type() + " with " + notes.getFirst().descriptorSize() + " bytes"));
        }
        return new BuildId(notes.getFirst().descriptor());
    }

    private List<ExTableEntry> exTable() {
        final Optional<ElfSection> sec = model.section(PayloadSections.EX_TABLE);
        if (sec.isEmpty()) {
            return List.of();
        }
        final byte[] bytes = table(sec.get(), ExTableEntry.SIZE, "");
        final long at = sectionAddr[sec.get().index()];
        final List<ExTableEntry> out = new ArrayList<>(bytes.length / ExTableEntry.SIZE);
        for (int off = 0; off < bytes.length; off += ExTableEntry.SIZE) {
            final long fault = at + off + getInt(bytes, off);
            final long fixup = at + off + 4 + getInt(bytes, off + 4);
            for (final long a : new long[] {fault, fixup}) {
                if (!inText(a, 1)) {
                    throw invalid("section " + PayloadSections.EX_TABLE + " entry " + off / ExTableEntry.SIZE + " ("
                            + (a == fault ? "fault" : "fixup") + " address 0x" + Long.toHexString(a)
                            + ") does not point into the payload's text");
                }
            }
            out.add(new ExTableEntry(fault, fixup));
        }
        out.sort(Comparator.comparingLong(ExTableEntry::fault));
        return out;
    }

    /**
     * Xen's bug-frame sections: each {@code .bug_frames.N} a whole number of entries whose
     * {@code ud2} lies in the payload's text and whose file (or, for run_fn, function) and
     * predicate are where a 24-bit displacement really reaches: a relocation that overflowed
     * the 24 bits would otherwise point the trap at garbage.
     */
    private List<BugFrameTable> bugFrames() {
        final List<BugFrameTable> out = new ArrayList<>();
        for (int type = 0; type < BugFrameTable.TYPES; type++) {
            final String sname = PayloadSections.BUG_FRAMES_PREFIX + type;
            final Optional<ElfSection> sec = model.section(sname);
            if (sec.isEmpty() || 0 == sec.get().size()) {
                continue;
            }
            final int size = BugFrameTable.entrySize(type);
            final byte[] bytes = table(sec.get(), size, " (the size of a " + frameKind(type) + " frame)");
            final long at = sectionAddr[sec.get().index()];
            for (int off = 0; off < bytes.length; off += size) {
                final String where = "section " + sname + " entry " + off / size;
                final long loc = at + off + disp24(getInt(bytes, off));
                if (!inText(loc, 2)) {
                    throw invalid(where + ": its ud2 address 0x" + Long.toHexString(loc)
                            + " is not in the payload's text");
                }
                if (0x0f != image[(int) (loc - base)] || 0x0b != image[(int) (loc - base + 1)]) {
                    throw invalid(where + ": the instruction at 0x" + Long.toHexString(loc) + " is not ud2 (0f 0b)");
                }
                final long ptr = at + off + disp24(getInt(bytes, off + 4));
                if (BugFrameTable.RUN_FN == type) {
                    if (!inText(ptr, 1) && symbolAt(ptr).isEmpty()) {
                        throw invalid(where + ": its function 0x" + Long.toHexString(ptr)
                                + " is neither in the payload's text nor a known function");
                    }
                } else {
                    string(ptr, where + " file name");
                }
                if (BugFrameTable.ASSERT == type) {
                    string(at + off + getInt(bytes, off + 12), where + " predicate");
                }
            }
            out.add(new BugFrameTable(type, at, bytes.length / size));
        }
        return out;
    }

    /** {@return whether {@code len} bytes at {@code addr} lie in the payload's text} */
    private boolean inText(final long addr, final long len) {
        return addr >= base && addr + len <= base + textSize;
    }

    private static String frameKind(final int type) {
        return switch (type) {
            case BugFrameTable.RUN_FN -> "run_in_exception_handler";
            case BugFrameTable.WARN -> "WARN";
            case BugFrameTable.BUG -> "BUG";
            default -> "ASSERT";
        };
    }

    /** The signed low 24 bits of a bug-frame word (the top bits carry part of the line). */
    private static long disp24(final int word) {
        return (word << 8) >> 8;
    }

    private static final int ALT_ENTRY = 14;
    private static final int NOP = 0x90;

    /**
     * Xen's {@code apply_alternatives} on a payload, before its text is written and made RX:
     * every {@code .altinstructions} entry must describe code inside the payload's text with a
     * replacement that fits the original plus its padding and a feature the featureset has room
     * for; where the running CPU has the feature the replacement is copied in (a leading
     * call/jmp rel32 re-aimed from where it was assembled) and the rest filled with NOPs.
     */
    private void alternatives() {
        final Optional<ElfSection> sec = model.section(PayloadSections.ALTINSTRUCTIONS);
        if (sec.isEmpty() || 0 == sec.get().size()) {
            return;
        }
        final String sname = PayloadSections.ALTINSTRUCTIONS;
        final byte[] bytes = table(sec.get(), ALT_ENTRY, " (struct alt_instr)");
        final Optional<java.util.BitSet> features = target.cpuFeatures();
        final long at = sectionAddr[sec.get().index()];
        for (int off = 0; off < bytes.length; off += ALT_ENTRY) {
            final String where = "section " + sname + " entry " + off / ALT_ENTRY;
            final long orig = at + off + getInt(bytes, off);
            final long repl = at + off + 4 + getInt(bytes, off + 4);
            final int feature = (bytes[off + 8] & 0xff) | (bytes[off + 9] & 0xff) << 8;
            final int origLen = bytes[off + 10] & 0xff;
            final int replLen = bytes[off + 11] & 0xff;
            final int padLen = bytes[off + 12] & 0xff;
            final int total = origLen + padLen;
            if (!inText(orig, total)) {
                throw invalid(where + ": original instruction 0x" + Long.toHexString(orig) + " (" + total
                        + " bytes with padding) is not inside the payload's text");
            }
            if (!inText(repl, replLen)) {
                throw invalid(where + ": replacement 0x" + Long.toHexString(repl) + " (" + replLen
                        + " bytes) is not inside the payload's text");
            }
            if (replLen > total) {
                throw invalid(where + ": replacement of " + replLen + " bytes does not fit the original's "
                        + origLen + " + " + padLen + " bytes of padding");
            }
            if (feature >= 32 * HypervisorTarget.FEATURE_WORDS) {
                throw invalid(where + ": CPU feature " + feature + " is outside the featureset ("
                        + 32 * HypervisorTarget.FEATURE_WORDS + " bits)");
            }
            if (features.isEmpty() || !features.get().get(feature)) {
                continue;
            }
            final int o = (int) (orig - base);
            final byte[] buf = Arrays.copyOfRange(image, (int) (repl - base), (int) (repl - base) + replLen);
            if (replLen >= 5 && (buf[0] & 0xfe) == 0xe8) {
                final int rel = getInt(buf, 1) + (int) (repl - orig);
                buf[1] = (byte) rel;
                buf[2] = (byte) (rel >>> 8);
                buf[3] = (byte) (rel >>> 16);
                buf[4] = (byte) (rel >>> 24);
            }
            System.arraycopy(buf, 0, image, o, replLen);
            Arrays.fill(image, o + replLen, o + total, (byte) NOP);
        }
    }

    private Optional<ModInfo> modInfo() {
        final Optional<ElfSection> sec = model.section(PayloadSections.MODINFO);
        if (sec.isEmpty() || SectionType.Known.SHT_NOBITS == sec.get().type()) {
            return sec.map(_ -> ModInfo.parse(new byte[0]));
        }
        return Optional.of(ModInfo.parse(sec.get().bytes()));
    }

    /** Xen's build_symbol_table: every function and object; the non-replacement globals are new symbols. */
    private void symbols(final List<LoadedFunc> funcs, final List<Symbol> own, final List<Symbol> exported) {
        final Set<Long> replacements = new HashSet<>();
        for (final LoadedFunc f : funcs) {
            replacements.add(f.newAddr());
        }
        String file = null;
        for (int i = 1; i < symbols.size(); i++) {
            final ElfSymbol s = symbols.get(i);
            final SymbolType t = s.type();
            if (SymbolType.Known.STT_FILE == t) {
                file = s.name();
                continue;
            }
            if (!symbolLoaded[i] || s.isUndefined() || s.isAbsolute() || s.name().isEmpty()
                    || (SymbolType.Known.STT_FUNC != t && SymbolType.Known.STT_OBJECT != t)) {
                continue;
            }
            final Symbol.Kind kind = SymbolType.Known.STT_FUNC == t ? Symbol.Kind.FUNCTION : Symbol.Kind.OBJECT;
            // xsplice-build already names a patched static "file#name": do not qualify it twice.
            final boolean qualified = null != file && s.name().startsWith(file + "#");
            final Symbol sym = new Symbol(s.name(), symbolValue[i], s.size(), kind,
                    s.isLocal() && null != file && !qualified ? Optional.of(file) : Optional.empty(), Optional.of(name));
            own.add(sym);
            if ((s.isLocal() && !target.localSymbolsAreNew()) || replacements.contains(symbolValue[i])) {
                continue;
            }
            final Optional<Symbol> h = target.symbols().lookup(s.name());
            if (h.isPresent()) {
                throw new PayloadException(Errno.EEXIST, "duplicate new symbol: symbol " + i + " '" + s.name()
                        + "' is already defined by the hypervisor at 0x" + Long.toHexString(h.get().address()));
            }
            final Optional<Symbol> p = exportedSymbol(s.name());
            if (p.isPresent()) {
                throw new PayloadException(Errno.EEXIST, "duplicate new symbol: symbol " + i + " '" + s.name()
                        + "' is already exported by payload '" + p.get().payload().orElse("?") + "'");
            }
            for (final Symbol e : exported) {
                // Xen compares a new symbol only with the hypervisor and loaded payloads; two
                // statics of one payload may share a name.
                if (!s.isLocal() && e.name().equals(s.name())) {
                    throw new PayloadException(Errno.EEXIST, "duplicate new symbol: '" + s.name()
                            + "' is defined twice in this payload");
                }
            }
            exported.add(sym);
        }
        own.sort(Comparator.comparingLong(Symbol::address));
    }

    // ------------------------------------------------------------------ bytes

    private PayloadException invalid(final String message) {
        return new PayloadException(Errno.EINVAL, message);
    }

    private int u8(final int off) {
        return Byte.toUnsignedInt(b[off]);
    }

    private int u16(final int off) {
        return u8(off) | u8(off + 1) << 8;
    }

    private long u32(final int off) {
        return Integer.toUnsignedLong(getInt(b, off));
    }

    private long u64(final int off) {
        return getLong(b, off);
    }

    private static int getInt(final byte[] a, final int off) {
        return (a[off] & 0xff) | (a[off + 1] & 0xff) << 8 | (a[off + 2] & 0xff) << 16 | (a[off + 3] & 0xff) << 24;
    }

    private static long getLong(final byte[] a, final int off) {
        return Integer.toUnsignedLong(getInt(a, off)) | (long) getInt(a, off + 4) << 32;
    }

    private void putInt(final int off, final int v) {
        image[off] = (byte) v;
        image[off + 1] = (byte) (v >>> 8);
        image[off + 2] = (byte) (v >>> 16);
        image[off + 3] = (byte) (v >>> 24);
    }

    private void putLong(final int off, final long v) {
        putInt(off, (int) v);
        putInt(off + 4, (int) (v >>> 32));
    }
}
