package org.xsplice.elf.internal;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.xsplice.elf.ElfBuilder;
import org.xsplice.elf.ElfElement;
import org.xsplice.elf.ElfHeader;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.ElfWriteException;
import org.xsplice.elf.RelocationSection;
import org.xsplice.elf.SectionGroup;

/** Collects elements in the order given; {@link ElfWriterImpl} resolves and lays them out. */
public final class ElfBuilderImpl implements ElfBuilder {
    ElfHeader header = ElfHeader.ofRelocatable();
    final List<ElfSection> sections = new ArrayList<>();
    final List<ElfSymbol> symbols = new ArrayList<>();
    final List<SectionGroup> groups = new ArrayList<>();
    /** Relocation elements per target as given (identity), and the targets in first-seen order. */
    final Map<ElfSection, List<RelocationSection>> relocations = new IdentityHashMap<>();
    final List<ElfSection> relocationTargets = new ArrayList<>();

    @Override
    public ElfBuilder with(final ElfElement element) {
        switch (Objects.requireNonNull(element, "element")) {
            case ElfHeader h -> header = h;
            // Duplicates are found by the writer, which indexes every element anyway.
            case ElfSection s -> sections.add(s);
            case ElfSymbol s -> symbols.add(s);
            case SectionGroup g -> groups.add(g);
            case RelocationSection r -> {
                final ElfSection target = r.target().orElseThrow(
                        () -> new ElfWriteException("relocation section " + r + " has no target section"));
                // Kept whole: the writer copies entries read from a file without decoding them.
                List<RelocationSection> l = relocations.get(target);
                if (null == l) {
                    l = new ArrayList<>(1);
                    relocations.put(target, l);
                    relocationTargets.add(target);
                }
                l.add(r);
            }
        }
        return this;
    }
}
