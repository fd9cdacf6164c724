package org.xsplice.hypervisor.loader;

import java.util.Optional;

import org.xsplice.payload.Expectation;

/**
 * One {@code livepatch_func} of a loaded payload, with its addresses resolved.
 *
 * @param name        the function's name (the string the entry's name pointer points to)
 * @param oldAddr     the hypervisor function being replaced
 * @param oldSize     its size as the entry gives it
 * @param newAddr     the replacement in the payload, or 0 in NOP mode
 * @param newSize     the replacement's size, or the NOP count
 * @param endbr64     whether the old function starts with ENDBR64 (the jump goes after it)
 * @param expectation the bytes the old function must start with, if any
 * @param entryAddr   where the entry itself lies in the payload
 */
public record LoadedFunc(String name, long oldAddr, int oldSize, long newAddr, int newSize, boolean endbr64,
                         Optional<Expectation> expectation, long entryAddr) {
    /** {@return whether this entry writes NOPs instead of a jump} */
    public boolean isNop() {
        return 0 == newAddr;
    }

    /** {@return the address the jump (or the NOPs) is written at: after ENDBR64 when present} */
    public long patchAddr() {
        return endbr64 ? oldAddr + 4 : oldAddr;
    }
}
