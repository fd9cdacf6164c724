package org.xsplice.build.diff.internal;

import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationType;

/**
 * What a relocation points at. The assembler turns references to local symbols into references
 * to their section's STT_SECTION symbol plus an offset; these helpers undo that, so a call to a
 * static function or a store to a static variable is seen as a reference to the named symbol.
 */
final class RelocTarget {
    private RelocTarget() {
    }

    static boolean isPcRelative(final RelocationType t) {
        return t == RelocationType.Known.R_X86_64_PC32 || t == RelocationType.Known.R_X86_64_PLT32
                || t == RelocationType.Known.R_X86_64_GOTPCREL || t == RelocationType.Known.R_X86_64_GOTPCRELX
                || t == RelocationType.Known.R_X86_64_REX_GOTPCRELX || t == RelocationType.Known.R_X86_64_PC64;
    }

    /**
     * {@return the offset in the target section the relocation most likely designates: the
     * addend, plus 4 for a PC-relative field (the CPU adds the distance from the field to the
     * end of the instruction, 4 when the field ends it)}
     */
    static long targetOffset(final Obj obj, final Relocation r) {
        return addend(obj, r) + (isPcRelative(r.type()) ? 4 : 0);
    }

    /** {@return the addend relative to the target's section start when the symbol is a section or a label, else the addend} */
    static long addend(final Obj obj, final Relocation r) {
        final Sym s = symbol(obj, r);
        return null != s && s.isLabel() ? r.addend() + s.elf.value() : r.addend();
    }

    /** {@return the symbol in the relocation, as IR, or null for none} */
    static Sym symbol(final Obj obj, final Relocation r) {
        return r.symbol().map(obj::sym).orElse(null);
    }

    /** {@return the named function or object the relocation designates, or null (strings, anonymous data, undefined)} */
    static Sym named(final Obj obj, final Relocation r) {
        final Sym s = symbol(obj, r);
        if (null == s) {
            return null;
        }
        if (!s.isSectionLike()) {
            return s.isCorrelatable() ? s : null;
        }
        if (null == s.sec) {
            return null;
        }
        return s.sec.symbolAt(targetOffset(obj, r));
    }

    static boolean isUndefined(final Sym s) {
        return s.elf.sectionIndex() == ElfSymbol.SHN_UNDEF;
    }
}
