package org.xsplice.sign.internal;

/**
 * The signature note or its CMS content is not in the shape xsplice writes. Checked, so that
 * every parse step declares it and the verifier turns it into one typed refusal.
 */
public final class MalformedException extends Exception {
    public MalformedException(final String message) {
        super(message);
    }

    public MalformedException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
