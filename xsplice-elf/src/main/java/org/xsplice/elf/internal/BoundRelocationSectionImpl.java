package org.xsplice.elf.internal;

import java.util.List;
import java.util.Optional;

import org.xsplice.elf.ElfFormatException;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationSection;
import org.xsplice.elf.RelocationType;
import org.xsplice.elf.SectionType;
import org.xsplice.elf.SymbolTable;

/** A relocation section read from a file; entries decoded on first use. */
public final class BoundRelocationSectionImpl implements RelocationSection {
    private final ElfModelImpl model;
    private final BoundSectionImpl section;
    private final BoundSectionImpl target;
    private final SymbolTableImpl table;
    private final boolean rela;
    private final int entrySize;
    private List<Relocation> relocations;

    BoundRelocationSectionImpl(final ElfModelImpl model, final BoundSectionImpl section) {
        this.model = model;
        this.section = section;
        this.rela = SectionType.Known.SHT_RELA == section.type();
        this.entrySize = rela ? 24 : 16;
        final long hdr = model.sectionHeaderOffset(section.index());
        if (entrySize != section.entrySize()) {
            throw new ElfFormatException(where(section) + " sh_entsize", hdr + 56, Integer.toString(entrySize),
                    Long.toString(section.entrySize()));
        }
        if (0 != section.size() % entrySize) {
            throw new ElfFormatException(where(section) + " sh_size", hdr + 32, "a multiple of " + entrySize,
                    Long.toString(section.size()));
        }
        final int link = section.link();
        if (0 == link) {
            table = null;
        } else {
            if (link < 0 || link >= model.sectionCount()) {
                throw new ElfFormatException(where(section) + " sh_link", hdr + 40, "a symbol table index below "
                        + model.sectionCount(), Integer.toUnsignedString(link));
            }
            final BoundSectionImpl l = model.boundSection(link);
            if (SectionType.Known.SHT_SYMTAB != l.type() && SectionType.Known.SHT_DYNSYM != l.type()) {
                throw new ElfFormatException(where(section) + " sh_link", hdr + 40, "the index of a symbol table",
                        link + " (" + l.type().name() + ")");
            }
            table = model.symbolTableImpl(l);
        }
        final int info = section.info();
        if (0 == info) {
            target = null;
        } else {
            if (info < 0 || info >= model.sectionCount()) {
                throw new ElfFormatException(where(section) + " sh_info", hdr + 44, "a section index below "
                        + model.sectionCount(), Integer.toUnsignedString(info));
            }
            target = model.boundSection(info);
        }
    }

    ElfModelImpl model() {
        return model;
    }

    /** {@return the symbol table, or null when {@code sh_link} is 0} */
    SymbolTableImpl table() {
        return table;
    }

    boolean isRela() {
        return rela;
    }

    int count() {
        return (int) (section.size() / entrySize);
    }

    long sectionOffset() {
        return section.offset();
    }

    /** {@return the error for entry {@code i} whose symbol index is out of range} */
    ElfFormatException badSymbol(final int i, final long entry, final long sym, final int symbols) {
        return new ElfFormatException("section " + section.name() + " relocation " + i + " r_info symbol", entry + 8,
                "a symbol index below " + symbols, Long.toString(sym));
    }

    @Override
    public Optional<ElfSection> section() {
        return Optional.of(section);
    }

    @Override
    public Optional<ElfSection> target() {
        return Optional.ofNullable(target);
    }

    @Override
    public Optional<SymbolTable> symbolTable() {
        return Optional.ofNullable(table);
    }

    @Override
    public synchronized List<Relocation> relocations() {
        if (null == relocations) {
            relocations = decode();
        }
        return relocations;
    }

    private List<Relocation> decode() {
        final byte[] b = model.bytes();
        final int n = (int) (section.size() / entrySize);
        final Relocation[] out = new Relocation[n];
        final int symbols = null == table ? 1 : table.size();
        RelocationType last = null;
        for (int i = 0; i < n; i++) {
            final long e = section.offset() + (long) i * entrySize;
            final long info = Bytes.u64(b, e + 8);
            final long sym = info >>> 32;
            if (sym >= symbols) {
                throw badSymbol(i, e, sym, symbols);
            }
            final int code = (int) info;
            // Runs of one type are common; reusing the last lookup avoids boxing unknown codes again.
            final RelocationType type = null != last && last.code() == code ? last : RelocationType.of(code);
            last = type;
            out[i] = new BoundRelocationImpl(table, Bytes.u64(b, e), type, rela ? Bytes.u64(b, e + 16) : 0, (int) sym);
        }
        return List.of(out);
    }

    @Override
    public String toString() {
        return "RelocationSection[" + section.name() + "]";
    }

    /** {@return how error messages name {@code s}; built only when one is thrown} */
    static String where(final BoundSectionImpl s) {
        return "section " + s.index() + " (" + s.name() + ")";
    }
}
