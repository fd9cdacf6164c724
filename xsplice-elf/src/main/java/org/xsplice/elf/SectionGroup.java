package org.xsplice.elf;

import java.util.List;
import java.util.Objects;

/**
 * A section group, an {@code SHT_GROUP} section (gABI "Section Groups"): member sections that
 * the linker keeps or discards together, named by a signature symbol ({@code sh_info}). As an
 * element, the writer emits the group before its members and drops members that are not
 * written (and the group when none is left).
 *
 * @param name      the group section's name, usually {@code .group}
 * @param flags     the flag word, e.g. {@link #GRP_COMDAT}
 * @param signature the signature symbol
 * @param members   the member sections
 * @see <a href="https://www.sco.com/developers/gabi/latest/ch4.sheader.html#section_groups">gABI: Section Groups</a>
 */
public record SectionGroup(String name, int flags, ElfSymbol signature, List<ElfSection> members)
        implements ElfElement {
    /** The group is a COMDAT group: the linker keeps one copy of groups with the same signature. */
    public static final int GRP_COMDAT = 0x1;

    /** Copies the member list. */
    public SectionGroup {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(signature, "signature");
        members = List.copyOf(members);
    }

    /** {@return whether {@link #GRP_COMDAT} is set} */
    public boolean isComdat() {
        return 0 != (flags & GRP_COMDAT);
    }
}
