package org.xsplice.elf;

import java.io.Serial;

/**
 * Thrown when the elements given to a builder cannot form a consistent object: a symbol,
 * relocation or group refers to a section or symbol that is not written (see
 * {@link Elf.DanglingReferencesOption}), a value does not fit its field, or the object exceeds
 * a format limit. Nothing is written when it is thrown.
 */
public final class ElfWriteException extends IllegalArgumentException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message naming the element and the problem. */
    public ElfWriteException(final String message) {
        super(message);
    }
}
