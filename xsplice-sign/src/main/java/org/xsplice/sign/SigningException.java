package org.xsplice.sign;

/**
 * A signing-side failure: unreadable key or certificate, a key that does not match its
 * certificate, an unsupported key type, a keyring or revocation list that cannot be read,
 * or a payload that cannot be signed. Verification never throws it: it returns
 * {@link Verification.Rejected} instead.
 */
public final class SigningException extends RuntimeException {
    public SigningException(final String message) {
        super(message);
    }

    public SigningException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
