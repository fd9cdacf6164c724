package org.xsplice.build.diff;

/** The verdict of the comparison stage on one element of the patched object (kpatch's {@code enum status}). */
public enum Status {
    /** No twin in the original object: added by the patch. */
    NEW,
    /** Has a twin whose bytes or relocations differ in meaning. */
    CHANGED,
    /** Has a twin with the same bytes and relocations (after correlation). */
    SAME
}
