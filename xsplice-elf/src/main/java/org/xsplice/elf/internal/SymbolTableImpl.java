package org.xsplice.elf.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.xsplice.elf.ElfFormatException;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.SectionType;
import org.xsplice.elf.SymbolBinding;
import org.xsplice.elf.SymbolTable;
import org.xsplice.elf.SymbolType;

/** A symbol table read from a file: header checks up front, entries decoded together on first use. */
public final class SymbolTableImpl implements SymbolTable {
    private final ElfModelImpl model;
    private final BoundSectionImpl section;
    private final BoundSectionImpl strings;
    /** The SHT_SYMTAB_SHNDX section linked to this table, or null. */
    private final BoundSectionImpl extended;
    private final int count;
    private final int firstNonLocal;

    private List<ElfSymbol> symbols;
    private Map<String, List<ElfSymbol>> byName;
    private ElfSymbol[] byAddress;

    SymbolTableImpl(final ElfModelImpl model, final BoundSectionImpl section) {
        this.model = model;
        this.section = section;
        final long hdr = model.sectionHeaderOffset(section.index());
        if (ElfSymbol.ENTRY_SIZE != section.entrySize()) {
            throw new ElfFormatException(where(section) + " sh_entsize", hdr + 56, Integer.toString(ElfSymbol.ENTRY_SIZE),
                    Long.toString(section.entrySize()));
        }
        if (0 != section.size() % ElfSymbol.ENTRY_SIZE || 0 == section.size()) {
            throw new ElfFormatException(where(section) + " sh_size", hdr + 32, "a non-zero multiple of 24",
                    Long.toString(section.size()));
        }
        count = (int) (section.size() / ElfSymbol.ENTRY_SIZE);
        final int link = section.link();
        if (link <= 0 || link >= model.sectionCount()) {
            throw new ElfFormatException(where(section) + " sh_link", hdr + 40, "a string table index below "
                    + model.sectionCount(), Integer.toString(link));
        }
        strings = model.boundSection(link);
        if (SectionType.Known.SHT_STRTAB != strings.type()) {
            throw new ElfFormatException(where(section) + " sh_link", hdr + 40, "the index of an SHT_STRTAB section",
                    link + " (" + strings.type().name() + ")");
        }
        if (section.info() < 0 || section.info() > count) {
            throw new ElfFormatException(where(section) + " sh_info", hdr + 44, "a symbol index up to " + count,
                    Integer.toUnsignedString(section.info()));
        }
        firstNonLocal = section.info();
        BoundSectionImpl x = null;
        for (final BoundSectionImpl s : model.boundSections()) {
            if (SectionType.Known.SHT_SYMTAB_SHNDX == s.type() && s.link() == section.index()) {
                if (s.size() < 4L * count) {
                    throw new ElfFormatException("section " + s.index() + " (" + s.name() + ") sh_size",
                            model.sectionHeaderOffset(s.index()) + 32, "at least 4 bytes per symbol (" + 4L * count + ")",
                            Long.toString(s.size()));
                }
                x = s;
            }
        }
        extended = x;
    }

    ElfModelImpl model() {
        return model;
    }

    @Override
    public ElfSection section() {
        return section;
    }

    @Override
    public ElfSection stringTable() {
        return strings;
    }

    @Override
    public synchronized List<ElfSymbol> symbols() {
        if (null == symbols) {
            symbols = decode();
        }
        return symbols;
    }

    private List<ElfSymbol> decode() {
        final byte[] b = model.bytes();
        final ElfSymbol[] out = new ElfSymbol[count];
        final int sections = model.sectionCount();
        for (int i = 0; i < count; i++) {
            final long e = section.offset() + (long) i * ElfSymbol.ENTRY_SIZE;
            final long nameOff = Bytes.u32(b, e);
            final int info = Bytes.u8(b, e + 4);
            final int other = Bytes.u8(b, e + 5);
            int shndx = Bytes.u16(b, e + 6);
            boolean inSection = shndx > 0 && shndx < ElfSymbol.SHN_LORESERVE;
            if (ElfSymbol.SHN_XINDEX == shndx) {
                if (null == extended) {
                    throw new ElfFormatException("symbol " + i + " st_shndx", e + 6,
                            "an SHT_SYMTAB_SHNDX section for SHN_XINDEX", "none linked to " + section.name());
                }
                final long x = Bytes.u32(b, extended.offset() + 4L * i);
                if (x >= sections) {
                    throw new ElfFormatException("symbol " + i + " extended section index",
                            extended.offset() + 4L * i, "below " + sections, Long.toString(x));
                }
                shndx = (int) x;
                inSection = 0 != shndx;
            } else if (inSection && shndx >= sections) {
                throw new ElfFormatException("symbol " + i + " st_shndx", e + 6, "below " + sections
                        + " or a reserved index", Integer.toString(shndx));
            }
            final String name = model.string(strings, nameOff, "symbol ", i, " st_name", e);
            out[i] = new BoundSymbolImpl(this, i, name, Bytes.u64(b, e + 8), Bytes.u64(b, e + 16), info, other,
                    shndx, inSection);
        }
        return List.of(out);
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public ElfSymbol symbol(final int index) {
        if (index < 0 || index >= count) {
            throw new ElfFormatException("symbol index", section.offset(), "below " + count + " in " + section.name(),
                    Integer.toString(index));
        }
        return symbols().get(index);
    }

    @Override
    public int firstNonLocal() {
        return firstNonLocal;
    }

    private synchronized Map<String, List<ElfSymbol>> byName() {
        if (null == byName) {
            final List<ElfSymbol> all = symbols();
            final Map<String, List<ElfSymbol>> m = HashMap.newHashMap(all.size());
            for (final ElfSymbol s : all) {
                if (!s.name().isEmpty()) {
                    m.computeIfAbsent(s.name(), _ -> new ArrayList<>(1)).add(s);
                }
            }
            byName = m;
        }
        return byName;
    }

    @Override
    public List<ElfSymbol> named(final String name) {
        return List.copyOf(byName().getOrDefault(name, List.of()));
    }

    @Override
    public Optional<ElfSymbol> find(final String name) {
        ElfSymbol best = null;
        int bestRank = Integer.MAX_VALUE;
        for (final ElfSymbol s : byName().getOrDefault(name, List.of())) {
            if (s.isUndefined()) {
                continue;
            }
            final int rank = rank(s.binding());
            if (rank < bestRank) {
                best = s;
                bestRank = rank;
            }
        }
        return Optional.ofNullable(best);
    }

    private static int rank(final SymbolBinding b) {
        if (SymbolBinding.Known.STB_GLOBAL == b) {
            return 0;
        }
        return SymbolBinding.Known.STB_LOCAL == b ? 2 : 1;
    }

    private synchronized ElfSymbol[] byAddress() {
        if (null == byAddress) {
            byAddress = symbols().stream()
                    .filter(s -> !s.isUndefined() && (SymbolType.Known.STT_FUNC == s.type()
                            || SymbolType.Known.STT_OBJECT == s.type() || SymbolType.Known.STT_NOTYPE == s.type()
                            || SymbolType.Known.STT_GNU_IFUNC == s.type() || SymbolType.Known.STT_TLS == s.type()))
                    .sorted(Comparator.comparingLong(ElfSymbol::value))
                    .toArray(ElfSymbol[]::new);
        }
        return byAddress;
    }

    /** How far back from the last symbol at or below an address to look for one whose range contains it. */
    private static final int CONTAINING_SCAN = 256;

    @Override
    public Optional<ElfSymbol> containing(final long address) {
        final ElfSymbol[] a = byAddress();
        int lo = 0;
        int hi = a.length - 1;
        int at = -1;
        while (lo <= hi) {
            final int mid = (lo + hi) >>> 1;
            if (a[mid].value() <= address) {
                at = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        ElfSymbol exact = null;
        for (int i = at; i >= 0 && i > at - CONTAINING_SCAN; i--) {
            final ElfSymbol s = a[i];
            if (s.size() > 0 && address - s.value() < s.size()) {
                return Optional.of(s);
            }
            if (null == exact && 0 == s.size() && s.value() == address) {
                exact = s;
            }
        }
        return Optional.ofNullable(exact);
    }

    @Override
    public String toString() {
        return "SymbolTable[" + section.name() + ", " + count + " entries]";
    }

    /** {@return how error messages name {@code s}; built only when one is thrown} */
    static String where(final BoundSectionImpl s) {
        return "section " + s.index() + " (" + s.name() + ")";
    }
}
