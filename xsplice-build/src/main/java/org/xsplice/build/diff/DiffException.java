package org.xsplice.build.diff;

/** An input the differ cannot work on at all (malformed object, not a function-sections build): exit 1, not 2. */
public final class DiffException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what and where */
    public DiffException(final String message) {
        super(message);
    }
}
