package org.xsplice.payload;

import java.util.Optional;

/**
 * The payload's hook sections and Xen's semantics for each: when it runs, its C type, and
 * whether the section may hold several pointers.
 */
public enum Hook {
    /** {@code void (*)(void)}, run inside the rendezvous before the first apply. Several allowed. */
    LOAD("load", true),
    /** {@code void (*)(void)}, run after the payload was reverted for good. Several allowed. */
    UNLOAD("unload", true),
    /** {@code int (*)(payload)}, before the rendezvous; non-zero vetoes the apply. */
    PRE_APPLY("preapply", false),
    /** {@code int (*)(payload)}, replaces the default apply action inside the rendezvous. */
    APPLY("apply", false),
    /** {@code void (*)(payload)}, on the master CPU after the CPUs were released. */
    POST_APPLY("postapply", false),
    /** {@code int (*)(payload)}, before the rendezvous; non-zero vetoes the revert. */
    PRE_REVERT("prerevert", false),
    /** {@code int (*)(payload)}, replaces the default revert action inside the rendezvous. */
    REVERT("revert", false),
    /** {@code void (*)(payload)}, on the master CPU after the CPUs were released. */
    POST_REVERT("postrevert", false);

    /** Size of one hook pointer. */
    public static final int POINTER_SIZE = 8;

    private final String suffix;
    private final boolean array;

    Hook(final String suffix, final boolean array) {
        this.suffix = suffix;
        this.array = array;
    }

    /** {@return the section name, e.g. {@code .livepatch.hooks.preapply}} */
    public String sectionName() {
        return PayloadSections.HOOKS_PREFIX + suffix;
    }

    /** {@return whether the section may hold several pointers (else exactly one)} */
    public boolean isArray() {
        return array;
    }

    /** {@return whether this hook runs on the patching path and vetoes or replaces it} */
    public boolean isPrePost() {
        return this == PRE_APPLY || this == POST_APPLY || this == PRE_REVERT || this == POST_REVERT;
    }

    /** {@return the hook a section name denotes} */
    public static Optional<Hook> ofSection(final String name) {
        for (final Hook h : values()) {
            if (h.sectionName().equals(name)) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }

    /**
     * Checks a hook section's size, as Xen does.
     *
     * @throws PayloadException EINVAL when the size is 0, not a multiple of 8, or (for a
     *                          single-pointer hook) not exactly 8
     */
    public void checkSize(final long size) {
        if (size == 0 || size % POINTER_SIZE != 0 || (!array && size != POINTER_SIZE)) {
            throw new PayloadException(Errno.EINVAL, "section " + sectionName() + " has size " + size
                    + (array ? ", expected a non-zero multiple of 8" : ", expected exactly 8 (one function pointer)"));
        }
    }
}
