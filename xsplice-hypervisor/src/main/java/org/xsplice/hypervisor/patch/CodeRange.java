package org.xsplice.hypervisor.patch;

/**
 * Code an action changes or removes: no parked CPU may have a return address (or its parked
 * pc) inside it while the action writes.
 *
 * @param what  what it is, for the refusal message ({@code xen_extra_version}, {@code payload 'x' text})
 * @param start first byte
 * @param end   one past the last byte
 */
public record CodeRange(String what, long start, long end) {
    public CodeRange {
        if (end <= start) {
            throw new IllegalArgumentException(what + ": empty range 0x" + Long.toHexString(start));
        }
    }

    /** {@return whether {@code address} lies inside} */
    public boolean contains(final long address) {
        return address >= start && address < end;
    }
}
