package org.xsplice.build.diff.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.xsplice.build.diff.DiffException;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.ObjectType;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.SectionType;
import org.xsplice.elf.SymbolType;

/** One object file in the differ's IR: its sections and symbols, cross-linked. */
public final class Obj {
    public final ElfModel model;
    public final String label;
    /** The source file, from the first STT_FILE symbol. */
    public final String file;
    public final List<Sec> sections = new ArrayList<>();
    public final List<Sym> symbols = new ArrayList<>();
    private final Map<ElfSection, Sec> secByElf = new IdentityHashMap<>();
    private final Map<ElfSymbol, Sym> symByElf = new IdentityHashMap<>();

    private Obj(final ElfModel model, final String label) {
        this.model = model;
        this.label = label;
        if (model.type() != ObjectType.Known.ET_REL) {
            throw new DiffException(label + ": not a relocatable object (e_type " + model.type() + ")");
        }
        if (model.symbolTable().isEmpty()) {
            throw new DiffException(label + ": no symbol table");
        }
        for (final ElfSection s : model.sections()) {
            if (isDerived(s)) {
                continue;
            }
            final List<Relocation> rel = new ArrayList<>(model.relocations(s));
            rel.sort(Comparator.comparingLong(Relocation::offset));
            final Sec sec = new Sec(s, rel);
            sections.add(sec);
            secByElf.put(s, sec);
        }
        String f = "";
        for (final ElfSymbol e : model.symbols()) {
            if (e.index() == 0) {
                continue;
            }
            if (e.type() == SymbolType.Known.STT_FILE && f.isEmpty()) {
                f = e.name();
            }
            final Sec sec = e.section().map(secByElf::get).orElse(null);
            final Sym sym = new Sym(e, sec);
            symbols.add(sym);
            symByElf.put(e, sym);
            if (null != sec && sym.isCorrelatable()) {
                sec.symbols.add(sym);
            }
        }
        for (final Sec s : sections) {
            s.symbols.sort(Comparator.comparingLong(x -> x.elf.value()));
        }
        this.file = f.isEmpty() ? label : f;
    }

    /** {@return the IR of {@code model}; {@code label} names it in messages} */
    public static Obj of(final ElfModel model, final String label) {
        return new Obj(model, label);
    }

    private static boolean isDerived(final ElfSection s) {
        final SectionType t = s.type();
        return s.index() == 0 || t == SectionType.Known.SHT_SYMTAB || t == SectionType.Known.SHT_STRTAB
                || t == SectionType.Known.SHT_RELA || t == SectionType.Known.SHT_REL
                || t == SectionType.Known.SHT_GROUP || t == SectionType.Known.SHT_SYMTAB_SHNDX;
    }

    public Sym sym(final ElfSymbol e) {
        return symByElf.get(e);
    }

    public Sec sec(final ElfSection e) {
        return secByElf.get(e);
    }

    public Sec section(final String name) {
        for (final Sec s : sections) {
            if (s.name.equals(name)) {
                return s;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return label;
    }
}
