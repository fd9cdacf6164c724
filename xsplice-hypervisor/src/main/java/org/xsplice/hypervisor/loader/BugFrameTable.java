package org.xsplice.hypervisor.loader;

/**
 * A payload's loaded {@code .bug_frames.N}: the hypervisor's invalid-opcode trap searches it
 * for the {@code ud2} of a BUG/WARN/ASSERT/run_in_exception_handler in the payload's text.
 * Entries stay where the payload's image has them (Xen's x86 form: displacements relative to
 * the entry, line number in the top bits), so registering one is a pointer and a count.
 *
 * @param type    0 run_fn, 1 warn, 2 bug, 3 assert (the N of the section name)
 * @param address where the section is loaded
 * @param count   number of entries
 */
public record BugFrameTable(int type, long address, int count) {
    /** Frame types, Xen's {@code BUGFRAME_*}. */
    public static final int RUN_FN = 0;
    public static final int WARN = 1;
    public static final int BUG = 2;
    public static final int ASSERT = 3;
    /** Number of frame types ({@code BUGFRAME_NR}). */
    public static final int TYPES = 4;

    public BugFrameTable {
        if (type < 0 || type >= TYPES) {
            throw new IllegalArgumentException("bug frame type " + type + ", expected 0.." + (TYPES - 1));
        }
    }

    /** {@return the bytes of one entry of {@code type}: 8, or 16 for ASSERT (it also points at the predicate)} */
    public static int entrySize(final int type) {
        return ASSERT == type ? 16 : 8;
    }
}
