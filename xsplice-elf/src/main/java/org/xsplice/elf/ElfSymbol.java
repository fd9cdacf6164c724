package org.xsplice.elf;

import java.util.Optional;

import org.xsplice.elf.internal.UnboundSymbolImpl;

/**
 * A symbol table entry, {@code Elf64_Sym} (gABI "Symbol Table").
 *
 * <p>A symbol read from a file is <em>bound</em>: it knows its {@link #index()} in its table
 * and its raw {@link #sectionIndex()}. A symbol made with the factories here is <em>unbound</em>
 * and refers to its section by reference, so the writer can re-index when sections are dropped
 * or reordered. Symbols compare by identity; a derived symbol ({@link #withName}) stands for
 * its {@link #origin()}, so relocations against the original follow it.
 *
 * <p>The special section indices ({@link #SHN_UNDEF}, {@link #SHN_ABS}, {@link #SHN_COMMON},
 * and {@link #SHN_XINDEX}, which the reader resolves through {@code SHT_SYMTAB_SHNDX}) are
 * constants here. Implementations are the toolkit's own.
 *
 * @see <a href="https://www.sco.com/developers/gabi/latest/ch4.symtab.html">gABI: Symbol Table</a>
 */
public non-sealed interface ElfSymbol extends ElfElement {
    /** Undefined, missing or meaningless section reference. */
    int SHN_UNDEF = 0;
    /** Lower bound of the reserved indices. */
    int SHN_LORESERVE = 0xff00;
    /** x86-64: large common block (psABI 4.1.1). */
    int SHN_X86_64_LCOMMON = 0xff02;
    /** Absolute value, not affected by relocation. */
    int SHN_ABS = 0xfff1;
    /** Common block not yet allocated. */
    int SHN_COMMON = 0xfff2;
    /** The real index is in the {@code SHT_SYMTAB_SHNDX} section. */
    int SHN_XINDEX = 0xffff;
    /** Size of one {@code Elf64_Sym}. */
    int ENTRY_SIZE = 24;

    /** {@return the name, from the table's string table ({@code st_name}); empty if none} */
    String name();

    /** {@return the value, {@code st_value}: a section offset in relocatable objects, an address otherwise} */
    long value();

    /** {@return the size, {@code st_size}} */
    long size();

    /** {@return the binding, {@code ELF64_ST_BIND(st_info)}} */
    SymbolBinding binding();

    /** {@return the type, {@code ELF64_ST_TYPE(st_info)}} */
    SymbolType type();

    /** {@return the visibility, {@code ELF64_ST_VISIBILITY(st_other)}} */
    SymbolVisibility visibility();

    /** {@return the whole {@code st_other} byte} */
    int other();

    /**
     * {@return the section index: {@code st_shndx}, or the extended index when it is
     * {@link #SHN_XINDEX}; for an unbound symbol defined in a section, -1 until written}
     */
    int sectionIndex();

    /** {@return the section the symbol is defined in; empty for undefined, absolute and common symbols} */
    Optional<ElfSection> section();

    /** {@return the index in the symbol table; -1 for an unbound symbol} */
    int index();

    /** {@return the symbol this one was derived from, if any} */
    Optional<ElfSymbol> origin();

    /** {@return whether the binding is {@code STB_LOCAL}} */
    default boolean isLocal() {
        return SymbolBinding.Known.STB_LOCAL == binding();
    }

    /** {@return whether the symbol is undefined ({@link #SHN_UNDEF})} */
    default boolean isUndefined() {
        return SHN_UNDEF == sectionIndex();
    }

    /** {@return whether the symbol is absolute ({@link #SHN_ABS})} */
    default boolean isAbsolute() {
        return SHN_ABS == sectionIndex();
    }

    /** {@return whether the symbol is a common block ({@link #SHN_COMMON})} */
    default boolean isCommon() {
        return SHN_COMMON == sectionIndex();
    }

    /** {@return an unbound copy with another name that stands for this symbol} */
    default ElfSymbol withName(final String name) {
        return UnboundSymbolImpl.derive(this, name, binding(), value());
    }

    /** {@return an unbound copy with another binding that stands for this symbol} */
    default ElfSymbol withBinding(final SymbolBinding binding) {
        return UnboundSymbolImpl.derive(this, name(), binding, value());
    }

    /** {@return an unbound copy with another value that stands for this symbol} */
    default ElfSymbol withValue(final long value) {
        return UnboundSymbolImpl.derive(this, name(), binding(), value);
    }

    /**
     * {@return a symbol defined in {@code section}}
     *
     * @param name       the name
     * @param binding    the binding
     * @param type       the type
     * @param visibility the visibility
     * @param section    the section holding the symbol
     * @param value      the offset in the section
     * @param size       the size in bytes
     */
    static ElfSymbol of(final String name, final SymbolBinding binding, final SymbolType type,
                        final SymbolVisibility visibility, final ElfSection section, final long value, final long size) {
        return UnboundSymbolImpl.inSection(name, binding, type, visibility, section, value, size);
    }

    /** {@return an undefined symbol, e.g. a function another object defines} */
    static ElfSymbol undefined(final String name, final SymbolBinding binding, final SymbolType type) {
        return UnboundSymbolImpl.special(name, binding, type, SymbolVisibility.STV_DEFAULT, SHN_UNDEF, 0, 0);
    }

    /** {@return an absolute symbol} */
    static ElfSymbol absolute(final String name, final SymbolBinding binding, final SymbolType type,
                              final long value, final long size) {
        return UnboundSymbolImpl.special(name, binding, type, SymbolVisibility.STV_DEFAULT, SHN_ABS, value, size);
    }

    /** {@return the local {@code STT_SECTION} symbol relocations use to refer to {@code section}} */
    static ElfSymbol ofSection(final ElfSection section) {
        return UnboundSymbolImpl.inSection("", SymbolBinding.Known.STB_LOCAL, SymbolType.Known.STT_SECTION,
                SymbolVisibility.STV_DEFAULT, section, 0, 0);
    }

    /** {@return the local {@code STT_FILE} symbol naming a source file} */
    static ElfSymbol ofFile(final String fileName) {
        return UnboundSymbolImpl.special(fileName, SymbolBinding.Known.STB_LOCAL, SymbolType.Known.STT_FILE,
                SymbolVisibility.STV_DEFAULT, SHN_ABS, 0, 0);
    }
}
