package org.xsplice.elf;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.xsplice.elf.internal.NotesImpl;
import org.xsplice.elf.internal.UnboundSectionImpl;

/**
 * A section: its header ({@code Elf64_Shdr}, gABI "Sections") and its contents.
 *
 * <p>A section read from a file is <em>bound</em>: it knows its {@link #index()} and file
 * {@link #offset()}, and its contents are a view of the file's bytes. A section made with
 * {@link #of} or derived with {@link #withName}/{@link #withContents} is <em>unbound</em>: the
 * writer gives it an index and offset. Symbols, relocations and groups refer to sections by
 * reference; a derived section stands for its {@link #origin()} too, so renaming a section in a
 * transform keeps every reference to the original pointing at the renamed one.
 *
 * <p>Sections compare by identity. Implementations are the toolkit's own; the interface is
 * not meant to be implemented elsewhere.
 *
 * @see <a href="https://www.sco.com/developers/gabi/latest/ch4.sheader.html">gABI: Sections</a>
 */
public non-sealed interface ElfSection extends ElfElement {
    /** {@return the name, from the section header string table ({@code sh_name})} */
    String name();

    /** {@return the type, {@code sh_type}} */
    SectionType type();

    /** {@return the raw flags, {@code sh_flags}} */
    long flags();

    /** {@return the known flags in {@link #flags()}} */
    default Set<SectionFlag> flagSet() {
        return SectionFlag.of(flags());
    }

    /** {@return whether {@code flag} is set in {@link #flags()}} */
    default boolean has(final SectionFlag flag) {
        return 0 != (flags() & flag.mask());
    }

    /** {@return the address in memory, {@code sh_addr}; 0 in relocatable objects} */
    long address();

    /** {@return the file offset, {@code sh_offset}; -1 for an unbound section} */
    long offset();

    /** {@return the size in bytes, {@code sh_size}; for {@code SHT_NOBITS} it occupies no file space} */
    long size();

    /** {@return {@code sh_link} as stored in the file; 0 for an unbound section (the writer computes it)} */
    int link();

    /** {@return {@code sh_info} as stored in the file; 0 for an unbound section (the writer computes it)} */
    int info();

    /** {@return the alignment, {@code sh_addralign} (0 and 1 mean none)} */
    long alignment();

    /** {@return the size of one entry for table sections, {@code sh_entsize}, else 0} */
    long entrySize();

    /** {@return the index in the section header table; -1 for an unbound section} */
    int index();

    /**
     * {@return the contents as a read-only little-endian buffer, without copying; empty for
     * {@code SHT_NOBITS}}
     *
     * @throws ElfFormatException if the contents lie outside the file
     */
    ByteBuffer contents();

    /** {@return a copy of the contents; empty for {@code SHT_NOBITS}} */
    default byte[] bytes() {
        final ByteBuffer b = contents();
        final byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    /** {@return the section this one was derived from, if any} */
    Optional<ElfSection> origin();

    /** {@return an unbound copy with another name that stands for this section} */
    default ElfSection withName(final String name) {
        return UnboundSectionImpl.derive(this, name, type(), flags(), alignment(), entrySize(), null, size());
    }

    /** {@return an unbound copy with other contents that stands for this section} */
    default ElfSection withContents(final byte[] contents) {
        return UnboundSectionImpl.derive(this, name(), type(), flags(), alignment(), entrySize(), contents.clone(),
                contents.length);
    }

    /** {@return an unbound copy with other flags that stands for this section} */
    default ElfSection withFlags(final long flags) {
        return UnboundSectionImpl.derive(this, name(), type(), flags, alignment(), entrySize(), null, size());
    }

    /**
     * {@return a new unbound section with file contents}
     *
     * @param name      the name
     * @param type      the type; not {@code SHT_NOBITS} (see {@link #ofNoBits})
     * @param flags     {@code sh_flags}
     * @param alignment {@code sh_addralign}, 0 or a power of two
     * @param entrySize {@code sh_entsize}, or 0
     * @param contents  the contents (copied)
     */
    static ElfSection of(final String name, final SectionType type, final long flags, final long alignment,
                         final long entrySize, final byte[] contents) {
        return UnboundSectionImpl.create(name, type, flags, alignment, entrySize, contents.clone(), contents.length);
    }

    /** {@return a new unbound {@code SHT_PROGBITS} section} */
    static ElfSection ofProgBits(final String name, final long flags, final long alignment, final byte[] contents) {
        return of(name, SectionType.Known.SHT_PROGBITS, flags, alignment, 0, contents);
    }

    /** {@return a new unbound {@code SHT_NOBITS} section of {@code size} bytes (e.g. {@code .bss})} */
    static ElfSection ofNoBits(final String name, final long flags, final long alignment, final long size) {
        return UnboundSectionImpl.create(name, SectionType.Known.SHT_NOBITS, flags, alignment, 0, null, size);
    }

    /**
     * {@return a new unbound {@code SHT_NOTE} section holding {@code notes}, 4-byte aligned
     * (gABI "Note Section")}
     *
     * @param name  the name, e.g. {@code .note.gnu.build-id}
     * @param flags {@code sh_flags}, e.g. {@code SHF_ALLOC}
     * @param notes the notes, in order
     */
    static ElfSection ofNotes(final String name, final long flags, final List<ElfNote> notes) {
        final byte[] data = NotesImpl.encode(notes);
        return UnboundSectionImpl.create(name, SectionType.Known.SHT_NOTE, flags, 4, 0, data, data.length);
    }
}
