package org.xsplice.elf.internal;

import java.util.Objects;
import java.util.Optional;

import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.SymbolBinding;
import org.xsplice.elf.SymbolType;
import org.xsplice.elf.SymbolVisibility;

/** A symbol made by the user or derived from another; it refers to its section by reference. */
public final class UnboundSymbolImpl implements ElfSymbol {
    private final ElfSymbol origin;
    private final String name;
    private final SymbolBinding binding;
    private final SymbolType type;
    private final int other;
    /** Null for undefined, absolute and common symbols: then {@link #special} holds the index. */
    private final ElfSection section;
    private final int special;
    private final long value;
    private final long size;

    private UnboundSymbolImpl(final ElfSymbol origin, final String name, final SymbolBinding binding,
                              final SymbolType type, final int other, final ElfSection section, final int special,
                              final long value, final long size) {
        this.origin = origin;
        this.name = Objects.requireNonNull(name, "name");
        this.binding = Objects.requireNonNull(binding, "binding");
        this.type = Objects.requireNonNull(type, "type");
        this.other = other;
        this.section = section;
        this.special = special;
        this.value = value;
        this.size = size;
    }

    /** Creates a symbol defined in {@code section}. */
    public static UnboundSymbolImpl inSection(final String name, final SymbolBinding binding, final SymbolType type,
                                              final SymbolVisibility visibility, final ElfSection section,
                                              final long value, final long size) {
        return new UnboundSymbolImpl(null, name, binding, type, visibility.code(),
                Objects.requireNonNull(section, "section"), -1, value, size);
    }

    /** Creates a symbol with a special section index (undefined, absolute, common). */
    public static UnboundSymbolImpl special(final String name, final SymbolBinding binding, final SymbolType type,
                                            final SymbolVisibility visibility, final int shndx, final long value,
                                            final long size) {
        return new UnboundSymbolImpl(null, name, binding, type, visibility.code(), null, shndx, value, size);
    }

    /** Derives a symbol from {@code origin} with another name, binding or value. */
    public static UnboundSymbolImpl derive(final ElfSymbol origin, final String name, final SymbolBinding binding,
                                           final long value) {
        final ElfSection s = origin.section().orElse(null);
        return new UnboundSymbolImpl(origin, name, binding, origin.type(), origin.other(), s,
                null == s ? origin.sectionIndex() : -1, value, origin.size());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long value() {
        return value;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public SymbolBinding binding() {
        return binding;
    }

    @Override
    public SymbolType type() {
        return type;
    }

    @Override
    public SymbolVisibility visibility() {
        return SymbolVisibility.of(other);
    }

    @Override
    public int other() {
        return other;
    }

    @Override
    public int sectionIndex() {
        return null == section ? special : -1;
    }

    @Override
    public Optional<ElfSection> section() {
        return Optional.ofNullable(section);
    }

    @Override
    public int index() {
        return -1;
    }

    @Override
    public Optional<ElfSymbol> origin() {
        return Optional.ofNullable(origin);
    }

    @Override
    public String toString() {
        return "ElfSymbol[" + name + ", " + binding.name() + ", " + type.name() + ", unbound]";
    }
}
