package org.xsplice.hypervisor.symbols.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.SymbolType;
import org.xsplice.payload.Errno;
import org.xsplice.hypervisor.symbols.Symbol;
import org.xsplice.hypervisor.symbols.SymbolException;
import org.xsplice.hypervisor.symbols.SymbolLocation;
import org.xsplice.hypervisor.symbols.SymbolTable;

/** One table: symbols sorted by address for symbolisation, and indexed by name. */
public final class SymbolTableImpl implements SymbolTable {
    /** How far back from the last symbol starting at or below an address to look for one that contains it (nested symbols). */
    private static final int OVERLAP_WINDOW = 16;

    private final List<Symbol> byAddress;
    private final Map<String, Symbol> byQualifiedName = new HashMap<>();
    private final Map<String, List<Symbol>> localsByName = new HashMap<>();

    public SymbolTableImpl(final List<Symbol> symbols) {
        final List<Symbol> sorted = new ArrayList<>(symbols);
        sorted.sort(Comparator.comparing(Symbol::address, Long::compareUnsigned).thenComparing(Symbol::qualifiedName));
        byAddress = List.copyOf(sorted);
        for (final Symbol s : byAddress) {
            // The first definition wins, as Xen's linear search over its table does.
            byQualifiedName.putIfAbsent(s.qualifiedName(), s);
            if (s.file().isPresent()) {
                localsByName.computeIfAbsent(s.name(), _ -> new ArrayList<>()).add(s);
            }
        }
    }

    public static SymbolTable fromElf(final ElfModel elf, final Optional<String> payload) {
        final List<Symbol> out = new ArrayList<>();
        String file = null;
        for (final ElfSymbol e : elf.symbols()) {
            final SymbolType t = e.type();
            if (SymbolType.Known.STT_FILE == t) {
                file = e.name();
                continue;
            }
            if (e.name().isEmpty() || e.isUndefined() || SymbolType.Known.STT_SECTION == t) {
                continue;
            }
            final Symbol.Kind kind = SymbolType.Known.STT_FUNC == t ? Symbol.Kind.FUNCTION
                    : SymbolType.Known.STT_OBJECT == t ? Symbol.Kind.OBJECT : Symbol.Kind.OTHER;
            final Optional<String> f = e.isLocal() && null != file ? Optional.of(file) : Optional.empty();
            out.add(new Symbol(e.name(), e.value(), e.size(), kind, f, payload));
        }
        return new SymbolTableImpl(out);
    }

    @Override
    public List<Symbol> symbols() {
        return byAddress;
    }

    @Override
    public Optional<Symbol> lookup(final String name) {
        return Optional.ofNullable(byQualifiedName.get(name));
    }

    @Override
    public Optional<Symbol> find(final String name) {
        final Optional<Symbol> exact = lookup(name);
        if (exact.isPresent() || name.contains("#")) {
            return exact;
        }
        final List<Symbol> locals = localsByName.getOrDefault(name, List.of());
        if (locals.size() > 1) {
            throw new SymbolException(Errno.EINVAL, "symbol '" + name + "' is ambiguous: "
                    + String.join(", ", locals.stream().map(Symbol::qualifiedName).toList()));
        }
        return locals.stream().findFirst();
    }

    @Override
    public Optional<SymbolLocation> symbolize(final long address) {
        int lo = 0;
        int hi = byAddress.size();
        while (lo < hi) {                 // first symbol starting above address
            final int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(byAddress.get(mid).address(), address) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Symbol best = null;
        for (int i = lo - 1; i >= 0 && i >= lo - OVERLAP_WINDOW; i--) {
            final Symbol s = byAddress.get(i);
            if (Symbol.Kind.OTHER == s.kind() || !s.contains(address)) {
                continue;
            }
            if (null == best || (best.file().isPresent() && s.file().isEmpty())) {
                best = s;
            }
        }
        return null == best ? Optional.empty() : Optional.of(new SymbolLocation(best, address - best.address()));
    }

    @Override
    public long resolve(final String expression) {
        return Expressions.resolve(this, expression);
    }
}
