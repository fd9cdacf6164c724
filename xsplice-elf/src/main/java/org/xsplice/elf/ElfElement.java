package org.xsplice.elf;

/**
 * A part of an ELF object as a transform sees it: {@link ElfModel#elements()} yields these in
 * file order, {@link ElfBuilder#with(ElfElement)} takes them. The permitted kinds are listed
 * here so a pattern switch over an element is exhaustive.
 *
 * <p>Tables the writer derives on its own (the section header string table, the symbol
 * string table, the symbol table itself, relocation sections as sections, extended index
 * tables) are not elements: their content is carried by {@link ElfSymbol},
 * {@link RelocationSection} and {@link SectionGroup} elements instead, which refer to each
 * other by reference rather than by index.
 */
public sealed interface ElfElement permits ElfHeader, ElfSection, ElfSymbol, RelocationSection, SectionGroup {
}
