package org.xsplice.build.diff.internal;

import java.util.ArrayList;
import java.util.List;

import org.xsplice.build.diff.Status;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.SectionFlag;
import org.xsplice.elf.SectionType;

/** A section of one object in the differ's IR. {@link #twin} and {@link #status} are set by the stages. */
public final class Sec {
    public final ElfSection elf;
    public final String name;
    /** Relocations applying to this section, by offset. */
    public final List<Relocation> relocations;
    /** The named symbols defined in it (functions, objects), by value. */
    public final List<Sym> symbols = new ArrayList<>();
    /** The twin in the other object, or null. */
    public Sec twin;
    public Status status;

    Sec(final ElfSection elf, final List<Relocation> relocations) {
        this.elf = elf;
        this.name = elf.name();
        this.relocations = relocations;
    }

    public boolean isText() {
        return elf.has(SectionFlag.SHF_EXECINSTR);
    }

    public boolean isWritable() {
        return elf.has(SectionFlag.SHF_WRITE);
    }

    /**
     * {@return whether the data is read-only once loaded: not writable, or relocation-read-only
     * ({@code .data.rel.ro*}: constant tables holding pointers, writable only until relocated)}
     */
    public boolean isReadOnlyData() {
        return !isWritable() || name.startsWith(".data.rel.ro");
    }

    public boolean isAlloc() {
        return elf.has(SectionFlag.SHF_ALLOC);
    }

    public boolean isNoBits() {
        return elf.type() == SectionType.Known.SHT_NOBITS;
    }

    /** {@return whether it is a mergeable string section ({@code .rodata.str1.*}, {@code .LCn} strings)} */
    public boolean isStrings() {
        return elf.has(SectionFlag.SHF_MERGE) && elf.has(SectionFlag.SHF_STRINGS);
    }

    /** {@return whether it is a mergeable constant pool ({@code .rodata.cst8} and the like)} */
    public boolean isConstants() {
        return elf.has(SectionFlag.SHF_MERGE) && !elf.has(SectionFlag.SHF_STRINGS);
    }

    /** {@return whether it is read-only data no symbol names: a jump table or other compiler-private rodata} */
    public boolean isAnonymousReadOnly() {
        return isAlloc() && !isWritable() && !isText() && symbols.isEmpty() && !isStrings() && !isConstants();
    }

    /** {@return the named symbol whose range holds {@code offset}; the only one if the section has one} */
    public Sym symbolAt(final long offset) {
        if (symbols.size() == 1 && symbols.getFirst().elf.value() == 0) {
            return symbols.getFirst();
        }
        Sym best = null;
        for (final Sym s : symbols) {
            final long v = s.elf.value();
            if (offset >= v && (offset < v + Math.max(1, s.elf.size()))) {
                if (null == best || s.elf.size() > best.elf.size()) {
                    best = s;
                }
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return name;
    }
}
