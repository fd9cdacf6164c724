package org.xsplice.elf;

import java.util.EnumSet;
import java.util.Set;

/**
 * One bit of a section's {@code sh_flags} (gABI "Sections", table "Section Attribute Flags";
 * {@code SHF_X86_64_LARGE} from x86-64 psABI 4.2). Bits without a constant stay visible in
 * {@link ElfSection#flags()}.
 *
 * @see <a href="https://www.sco.com/developers/gabi/latest/ch4.sheader.html">gABI: Sections</a>
 */
public enum SectionFlag {
    /** Writable at run time. */
    SHF_WRITE(0x1),
    /** Occupies memory at run time. */
    SHF_ALLOC(0x2),
    /** Executable machine instructions. */
    SHF_EXECINSTR(0x4),
    /** Elements may be merged to remove duplicates. */
    SHF_MERGE(0x10),
    /** Consists of NUL-terminated strings. */
    SHF_STRINGS(0x20),
    /** {@code sh_info} holds a section index. */
    SHF_INFO_LINK(0x40),
    /** Keep the order relative to the section {@code sh_link} names. */
    SHF_LINK_ORDER(0x80),
    /** Needs OS-specific processing. */
    SHF_OS_NONCONFORMING(0x100),
    /** Member of a section group. */
    SHF_GROUP(0x200),
    /** Thread-local storage. */
    SHF_TLS(0x400),
    /** Compressed contents ({@code Elf64_Chdr} first). */
    SHF_COMPRESSED(0x800),
    /** GNU: must not be garbage-collected by the linker. */
    SHF_GNU_RETAIN(0x200000),
    /** x86-64: may hold more than 2 GiB. */
    SHF_X86_64_LARGE(0x10000000L),
    /** Excluded from the link output. */
    SHF_EXCLUDE(0x80000000L);

    private final long mask;

    SectionFlag(final long mask) {
        this.mask = mask;
    }

    /** {@return the bit of {@code sh_flags} this flag stands for} */
    public long mask() {
        return mask;
    }

    /** {@return the flags set in {@code flags}; bits without a constant are left out} */
    public static Set<SectionFlag> of(final long flags) {
        final EnumSet<SectionFlag> s = EnumSet.noneOf(SectionFlag.class);
        for (final SectionFlag f : values()) {
            if (0 != (flags & f.mask)) {
                s.add(f);
            }
        }
        return s;
    }

    /** {@return the {@code sh_flags} value with exactly {@code flags} set} */
    public static long maskOf(final SectionFlag... flags) {
        long m = 0;
        for (final SectionFlag f : flags) {
            m |= f.mask;
        }
        return m;
    }
}
