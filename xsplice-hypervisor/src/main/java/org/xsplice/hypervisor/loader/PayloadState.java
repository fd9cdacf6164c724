package org.xsplice.hypervisor.loader;

/** A payload's state, with Xen's numbers ({@code XEN_LIVEPATCH_STATE_*}). */
public enum PayloadState {
    /** Uploaded and checked, or reverted. */
    CHECKED(1),
    /** Its functions are patched in. */
    APPLIED(2);

    private final int code;

    PayloadState(final int code) {
        this.code = code;
    }

    /** {@return Xen's number for this state} */
    public int code() {
        return code;
    }
}
