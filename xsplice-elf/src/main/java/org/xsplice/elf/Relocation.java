package org.xsplice.elf;

import java.util.Optional;

import org.xsplice.elf.internal.UnboundRelocationImpl;

/**
 * A relocation entry, {@code Elf64_Rela} (gABI "Relocation"; types from x86-64 psABI 4.4).
 * A relocation read from a file keeps its raw {@link #symbolIndex()} and resolves
 * {@link #symbol()} through its symbol table; one made with {@link #of} refers to its symbol by
 * reference and the writer computes the index. Implementations are the toolkit's own. Entries of {@code SHT_REL} sections read with an
 * addend of 0 (the addend is in the relocated field).
 *
 * @see <a href="https://www.sco.com/developers/gabi/latest/ch4.reloc.html">gABI: Relocation</a>
 */
public interface Relocation {
    /** Size of one {@code Elf64_Rela}. */
    int ENTRY_SIZE = 24;

    /** {@return the offset in the target section (or the address, in linked files), {@code r_offset}} */
    long offset();

    /** {@return the type, {@code ELF64_R_TYPE(r_info)}} */
    RelocationType type();

    /** {@return the addend, {@code r_addend}} */
    long addend();

    /** {@return the symbol index, {@code ELF64_R_SYM(r_info)}; -1 for an unbound relocation} */
    int symbolIndex();

    /** {@return the symbol; empty when the index is 0 (no symbol: the value is the addend alone)} */
    Optional<ElfSymbol> symbol();

    /** {@return a relocation against {@code symbol}, or against no symbol when it is null} */
    static Relocation of(final long offset, final RelocationType type, final ElfSymbol symbol, final long addend) {
        return new UnboundRelocationImpl(offset, type, symbol, addend);
    }
}
