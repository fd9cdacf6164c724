package org.xsplice.elf;

import java.util.List;
import java.util.Optional;

/**
 * A symbol table section ({@code SHT_SYMTAB} or {@code SHT_DYNSYM}) and its string table, with
 * indexes for lookups by name and by address (built on first use, then cached), so a linked
 * binary of tens of MB can answer many lookups cheaply.
 *
 * @see <a href="https://www.sco.com/developers/gabi/latest/ch4.symtab.html">gABI: Symbol Table</a>
 */
public interface SymbolTable {
    /** {@return the symbol table section} */
    ElfSection section();

    /** {@return the string table section holding the names ({@code sh_link})} */
    ElfSection stringTable();

    /**
     * {@return every entry, index 0 (the null symbol) included, so {@code symbols().get(i)} is
     * symbol {@code i}}
     *
     * @throws ElfFormatException if an entry is malformed
     */
    List<ElfSymbol> symbols();

    /** {@return the number of entries, index 0 included} */
    int size();

    /**
     * {@return symbol {@code index}}
     *
     * @throws ElfFormatException if the index is out of range or the entry is malformed
     */
    ElfSymbol symbol(int index);

    /** {@return the index of the first non-local symbol, {@code sh_info}} */
    int firstNonLocal();

    /** {@return every symbol named {@code name}, in table order} */
    List<ElfSymbol> named(String name);

    /**
     * {@return the defined symbol named {@code name}, preferring global over weak over local
     * bindings when several share the name}
     */
    Optional<ElfSymbol> find(String name);

    /**
     * {@return the function or object symbol whose range {@code [value, value + size)}
     * contains {@code address}; for zero-sized symbols, the one at exactly {@code address}}
     */
    Optional<ElfSymbol> containing(long address);
}
