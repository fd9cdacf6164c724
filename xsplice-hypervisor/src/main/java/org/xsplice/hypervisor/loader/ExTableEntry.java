package org.xsplice.hypervisor.loader;

/**
 * One resolved exception-table entry: a fault at {@code fault} continues at {@code fixup}.
 * In memory it is Xen's x86 form, two 32-bit offsets relative to the fields themselves.
 *
 * @param fault the address of the instruction that may fault
 * @param fixup where execution continues after the fault
 */
public record ExTableEntry(long fault, long fixup) {
    /** Size of one encoded entry. */
    public static final int SIZE = 8;
}
