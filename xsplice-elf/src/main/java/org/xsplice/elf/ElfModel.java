package org.xsplice.elf;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * An ELF64 little-endian x86-64 file read from bytes: a relocatable object
 * ({@code ET_REL}), an executable ({@code ET_EXEC}) or a shared object ({@code ET_DYN}).
 *
 * <p>Parsing checks the identification and the header eagerly and records where the tables
 * are; sections, symbols, relocations, notes and groups are decoded on first access and cached,
 * so each accessor returns the same objects every time (they compare by identity, which is
 * how builders refer to them). Any accessor may throw {@link ElfFormatException} the first time
 * it decodes a malformed part; {@link #validate()} decodes everything at once.
 *
 * <p>The model offers two views, like {@code java.lang.classfile.ClassModel}: random access
 * through the accessors, and the sequence of {@link #elements()} a transform consumes.
 * Models are immutable and safe to share between threads.
 *
 * @see Elf#parse(byte[])
 * @see <a href="https://www.sco.com/developers/gabi/latest/contents.html">System V gABI</a>
 */
public interface ElfModel {
    /** {@return the file header} */
    ElfHeader header();

    /** {@return the object file type, {@code e_type}} */
    default ObjectType type() {
        return header().type();
    }

    /** {@return the file length in bytes} */
    int size();

    /**
     * {@return every section header, index 0 (the null section) included, so
     * {@code sections().get(i)} is section {@code i}}
     */
    List<ElfSection> sections();

    /**
     * {@return section {@code index}}
     *
     * @throws ElfFormatException if the index is not below the section count
     */
    ElfSection section(int index);

    /** {@return the first section named {@code name}} */
    Optional<ElfSection> section(String name);

    /** {@return the static symbol table ({@code SHT_SYMTAB}); empty for a stripped file} */
    Optional<SymbolTable> symbolTable();

    /** {@return the dynamic symbol table ({@code SHT_DYNSYM})} */
    Optional<SymbolTable> dynamicSymbolTable();

    /**
     * {@return the symbol table seen through a section of type {@code SHT_SYMTAB} or {@code SHT_DYNSYM}}
     *
     * @throws IllegalArgumentException if {@code section} is not a symbol table section of this file
     * @throws ElfFormatException       if the table's header fields are malformed
     */
    SymbolTable symbolTable(ElfSection section);

    /** {@return the entries of the static symbol table, null symbol included; empty if there is none} */
    default List<ElfSymbol> symbols() {
        return symbolTable().map(SymbolTable::symbols).orElse(List.of());
    }

    /** {@return every {@code SHT_RELA} and {@code SHT_REL} section, in section order} */
    List<RelocationSection> relocationSections();

    /** {@return the relocations that apply to {@code target}, from every relocation section aimed at it} */
    List<Relocation> relocations(ElfSection target);

    /** {@return every note: from the {@code SHT_NOTE} sections, or from the {@code PT_NOTE} segments when the file has no section headers} */
    List<ElfNote> notes();

    /**
     * {@return the notes of one {@code SHT_NOTE} section}
     *
     * @throws IllegalArgumentException if {@code section} is not a note section of this file
     * @throws ElfFormatException       if the notes are malformed
     */
    List<ElfNote> notes(ElfSection section);

    /** {@return the GNU build-id: the descriptor of the first {@code NT_GNU_BUILD_ID} note of owner "GNU"} */
    default Optional<BuildId> buildId() {
        for (final ElfNote n : notes()) {
            if (n.isBuildId()) {
                return Optional.of(new BuildId(n.descriptor()));
            }
        }
        return Optional.empty();
    }

    /** {@return the program headers; empty for a relocatable object} */
    List<ProgramHeader> programHeaders();

    /** {@return the section groups ({@code SHT_GROUP}), in section order} */
    List<SectionGroup> groups();

    /**
     * {@return the elements a transform sees, in this order: the header; every section except
     * the ones the writer derives (null, symbol and string tables of symbols and section names,
     * relocation, group and extended-index sections); the groups; the symbols of the static
     * symbol table except the null symbol; the relocation sections that have a target}
     */
    List<ElfElement> elements();

    /** {@return the {@link #elements()} as a stream} */
    default Stream<ElfElement> elementStream() {
        return elements().stream();
    }

    /** Gives each of the {@link #elements()} to {@code action}, in order. */
    default void forEachElement(final Consumer<? super ElfElement> action) {
        elements().forEach(action);
    }

    /**
     * Decodes every part of the file (sections, contents bounds, symbol tables, relocations,
     * notes, groups), so later accessors cannot fail.
     *
     * @return this model
     * @throws ElfFormatException for the first malformed part found
     */
    ElfModel validate();
}
