package org.xsplice.hypervisor.symbols;

import java.util.List;
import java.util.Optional;

import org.xsplice.elf.ElfModel;
import org.xsplice.hypervisor.symbols.internal.ChainedSymbolTableImpl;
import org.xsplice.hypervisor.symbols.internal.SymbolTableImpl;

/**
 * Address symbolisation both ways, over the hypervisor's symbols and those of loaded payloads.
 * Names follow Xen's {@code dl_sym}: a global symbol by its plain name, a local (static) one as
 * {@code file#name} where {@code file} is the STT_FILE symbol that precedes it.
 * <p>Implementations live in the internal package (the sealed-across-packages form needs a named module).
 * {@snippet :
 * SymbolTable t = SymbolTable.fromElf(Elf.of().parse(xenSyms), Optional.empty());
 * long a = t.resolve("do_domctl+0xf");
 * String s = t.symbolize(a).orElseThrow().bracketed();   // "<do_domctl>+0xf/0x1a0"
 * }
 */
public interface SymbolTable {

    /** {@return every symbol, in address order} */
    List<Symbol> symbols();

    /**
     * {@return the symbol with this name, Xen's way: {@code file#name} for a local symbol,
     * the plain name for a global one}
     */
    Optional<Symbol> lookup(String name);

    /**
     * {@return the symbol for a name a person typed: as {@link #lookup}, and else a plain name
     * that matches exactly one local symbol}
     *
     * @throws SymbolException EINVAL when a plain name matches several local symbols (the message lists them)
     */
    Optional<Symbol> find(String name);

    /** {@return the function or object containing {@code address}, preferring a global symbol} */
    Optional<SymbolLocation> symbolize(long address);

    /**
     * Resolves {@code name}, {@code name+0xOFF}, {@code file#name+OFF} (decimal or 0x hex), or a
     * plain {@code 0xADDR}.
     *
     * @return the address
     * @throws SymbolException ENOENT for an unknown name, EINVAL for a malformed expression
     */
    long resolve(String expression);

    /** {@return a table over {@code symbols}} */
    static SymbolTable of(final List<Symbol> symbols) {
        return new SymbolTableImpl(symbols);
    }

    /**
     * {@return the symbols of a linked image (or of a payload when {@code payload} is present):
     * functions, objects and labels with an address; sections, files and undefined symbols are left out}
     */
    static SymbolTable fromElf(final ElfModel elf, final Optional<String> payload) {
        return SymbolTableImpl.fromElf(elf, payload);
    }

    /** {@return a table that asks each of {@code tables} in order (the hypervisor first, then payloads in load order)} */
    static SymbolTable chain(final List<SymbolTable> tables) {
        return new ChainedSymbolTableImpl(tables);
    }
}
