package org.xsplice.hypervisor.patch;

/**
 * One write to hypervisor text that an action makes while every CPU is parked.
 *
 * @param func      the function it belongs to (for messages)
 * @param payload   the payload whose function it is
 * @param address   where it is written (a function's patch address)
 * @param before    the bytes there just before this write (restored if the action fails)
 * @param after     the bytes it writes
 * @param fin       the bytes the range must hold when the whole action is done (the
 *                  consistency check; differs from {@code after} only when a later write of
 *                  the same action overlaps this one)
 * @param checkLive whether {@code before} came from the live text (no earlier write of this
 *                  action touches the range), so it is compared with the live bytes first
 */
public record TextWrite(String func, String payload, long address, byte[] before, byte[] after, byte[] fin,
                        boolean checkLive) {
    public TextWrite {
        if (before.length != after.length || fin.length != after.length || 0 == after.length) {
            throw new IllegalArgumentException("write at 0x" + Long.toHexString(address) + ": lengths " + before.length
                    + "/" + after.length + "/" + fin.length);
        }
        before = before.clone();
        after = after.clone();
        fin = fin.clone();
    }

    @Override
    public byte[] before() {
        return before.clone();
    }

    @Override
    public byte[] after() {
        return after.clone();
    }

    @Override
    public byte[] fin() {
        return fin.clone();
    }

    /** {@return the number of bytes written} */
    public int length() {
        return after.length;
    }
}
