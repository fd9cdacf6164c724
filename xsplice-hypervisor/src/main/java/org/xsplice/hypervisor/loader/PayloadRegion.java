package org.xsplice.hypervisor.loader;

import java.util.List;

import org.xsplice.hypervisor.symbols.Symbol;

/**
 * What the hypervisor keeps about a payload for its fault handler and crash symboliser:
 * the text range searched for fixups, the sorted exception table, and the payload's symbols.
 *
 * @param name      the payload's name, printed as {@code [name]}
 * @param textStart start of the payload's text
 * @param textEnd   end of the payload's text (exclusive)
 * @param exTable   exception-table entries sorted by fault address
 * @param symbols   the payload's symbols sorted by address
 * @param dump      the text debug key 'x' prints for this payload
 * @param bugFrames the payload's loaded bug-frame sections, at most one per type
 */
public record PayloadRegion(String name, long textStart, long textEnd, List<ExTableEntry> exTable,
                            List<Symbol> symbols, String dump, List<BugFrameTable> bugFrames) {
    public PayloadRegion {
        exTable = List.copyOf(exTable);
        symbols = List.copyOf(symbols);
        bugFrames = List.copyOf(bugFrames);
    }
}
