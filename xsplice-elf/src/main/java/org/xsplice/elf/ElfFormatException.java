package org.xsplice.elf;

import java.io.Serial;

/**
 * The single exception the reader throws for malformed input: a field that is out of range,
 * inconsistent with another, or points outside the file. It names the field, the file offset
 * where the field is stored (or where the bad data starts), what was expected and what was
 * found. Reading never lets another runtime exception escape, and never allocates more than
 * the file's own size suggests (every count and size is checked against the file length first).
 *
 * <p>It is unchecked, like {@code IllegalArgumentException} from {@code ClassFile.parse}, because
 * models inflate lazily: any accessor of a model read from bytes may throw it the first time it
 * decodes a part of the file. Call {@link ElfModel#validate()} right after parsing to surface
 * every problem at one place.
 */
public final class ElfFormatException extends IllegalArgumentException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String field;
    private final long offset;
    private final String expected;
    private final String found;

    /**
     * Creates the exception.
     *
     * @param field    the field or structure, e.g. {@code "e_shoff"} or {@code "section 5 sh_offset"}
     * @param offset   the file offset of the field or the data it describes
     * @param expected what a well-formed file holds there
     * @param found    what this file holds there
     */
    public ElfFormatException(final String field, final long offset, final String expected, final String found) {
        super(String.format("malformed ELF: %s at offset 0x%x: expected %s, found %s", field, offset, expected, found));
        this.field = field;
        this.offset = offset;
        this.expected = expected;
        this.found = found;
    }

    /** {@return the field or structure that is malformed} */
    public String field() {
        return field;
    }

    /** {@return the file offset of the malformed field} */
    public long offset() {
        return offset;
    }

    /** {@return what a well-formed file holds there} */
    public String expected() {
        return expected;
    }

    /** {@return what the file holds there} */
    public String found() {
        return found;
    }
}
