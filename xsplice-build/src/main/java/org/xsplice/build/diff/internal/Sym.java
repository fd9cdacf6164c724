package org.xsplice.build.diff.internal;

import org.xsplice.build.diff.Status;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.SymbolType;

/** A symbol of one object in the differ's IR. {@link #twin}, {@link #status} and {@link #why} are set by the stages. */
public final class Sym {
    public final ElfSymbol elf;
    public final String name;
    /** The section defining it, or null (undefined, absolute). */
    public final Sec sec;
    /** For a {@code .cold} part: the function it was split from; null otherwise. */
    public Sym parent;
    public Sym twin;
    public Status status;
    /** What differs, for the report. */
    public String why = "";
    /** Set when the correlation funnel found several candidates and picked none. */
    public String ambiguity;

    Sym(final ElfSymbol elf, final Sec sec) {
        this.elf = elf;
        this.name = elf.name();
        this.sec = sec;
    }

    public boolean isFunction() {
        return elf.type() == SymbolType.Known.STT_FUNC;
    }

    public boolean isObject() {
        return elf.type() == SymbolType.Known.STT_OBJECT || elf.type() == SymbolType.Known.STT_TLS;
    }

    public boolean isSection() {
        return elf.type() == SymbolType.Known.STT_SECTION;
    }

    /**
     * {@return whether it is an assembler label ({@code .LC0}) the assembler kept because it
     * points into a mergeable section: it names a place, not an object, and is treated as its
     * section plus its value}
     */
    public boolean isLabel() {
        return elf.isLocal() && elf.type() == SymbolType.Known.STT_NOTYPE && name.startsWith(".L");
    }

    /** {@return whether references through it are section-relative: a section symbol or a label} */
    public boolean isSectionLike() {
        return isSection() || isLabel();
    }

    public boolean isLocal() {
        return elf.isLocal();
    }

    /** {@return whether it is a named function or data symbol the funnel correlates} */
    public boolean isCorrelatable() {
        return null != sec && !name.isEmpty() && !isSectionLike() && elf.type() != SymbolType.Known.STT_FILE;
    }

    @Override
    public String toString() {
        return name;
    }
}
