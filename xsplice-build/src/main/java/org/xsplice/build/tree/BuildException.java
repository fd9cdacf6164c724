package org.xsplice.build.tree;

/** A step of the patch build failed (patch did not apply, compiler error, compiler mismatch, link). */
public final class BuildException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, with the tool's output */
    public BuildException(final String message) {
        super(message);
    }
}
