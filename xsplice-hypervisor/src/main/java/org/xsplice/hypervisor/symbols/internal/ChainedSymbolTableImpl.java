package org.xsplice.hypervisor.symbols.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import org.xsplice.hypervisor.symbols.Symbol;
import org.xsplice.hypervisor.symbols.SymbolLocation;
import org.xsplice.hypervisor.symbols.SymbolTable;

/** Several tables asked in order: the hypervisor's first, then each payload's (Xen's dl_sym order). */
public final class ChainedSymbolTableImpl implements SymbolTable {
    private final List<SymbolTable> tables;

    public ChainedSymbolTableImpl(final List<SymbolTable> tables) {
        this.tables = List.copyOf(tables);
    }

    @Override
    public List<Symbol> symbols() {
        final List<Symbol> all = new ArrayList<>();
        tables.forEach(t -> all.addAll(t.symbols()));
        all.sort((a, b) -> Long.compareUnsigned(a.address(), b.address()));
        return List.copyOf(all);
    }

    @Override
    public Optional<Symbol> lookup(final String name) {
        return first(t -> t.lookup(name));
    }

    @Override
    public Optional<Symbol> find(final String name) {
        return first(t -> t.find(name));
    }

    private Optional<Symbol> first(final Function<SymbolTable, Optional<Symbol>> query) {
        for (final SymbolTable t : tables) {
            final Optional<Symbol> s = query.apply(t);
            if (s.isPresent()) {
                return s;
            }
        }
        return Optional.empty();
    }

    /**
     * The smallest symbol that contains the address wins: payload code sits inside the
     * hypervisor's reserved area, which is itself one large hypervisor object.
     */
    @Override
    public Optional<SymbolLocation> symbolize(final long address) {
        SymbolLocation best = null;
        for (final SymbolTable t : tables) {
            final Optional<SymbolLocation> l = t.symbolize(address);
            if (l.isPresent() && (null == best || Long.compareUnsigned(l.get().symbol().size(), best.symbol().size()) < 0)) {
                best = l.get();
            }
        }
        return Optional.ofNullable(best);
    }

    @Override
    public long resolve(final String expression) {
        return Expressions.resolve(this, expression);
    }
}
