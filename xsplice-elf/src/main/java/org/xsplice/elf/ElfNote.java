package org.xsplice.elf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One note entry of an {@code SHT_NOTE} section or {@code PT_NOTE} segment (gABI "Note
 * Section"): an owner name, a type whose meaning depends on the owner, and a descriptor.
 *
 * @param name       the owner, e.g. {@code "GNU"} (stored NUL-terminated in the file)
 * @param type       the type, e.g. {@link #NT_GNU_BUILD_ID} for owner {@code "GNU"}
 * @param descriptor the descriptor bytes
 * @see <a href="https://www.sco.com/developers/gabi/latest/ch5.pheader.html#note_section">gABI: Note Section</a>
 */
public record ElfNote(String name, int type, byte[] descriptor) {
    /** GNU: build-id note type. */
    public static final int NT_GNU_BUILD_ID = 3;
    /** GNU: ABI tag note type. */
    public static final int NT_GNU_ABI_TAG = 1;
    /** GNU: program property note type ({@code .note.gnu.property}). */
    public static final int NT_GNU_PROPERTY_TYPE_0 = 5;
    /** The owner name of GNU notes. */
    public static final String GNU = "GNU";

    /** Copies the descriptor. */
    public ElfNote {
        Objects.requireNonNull(name, "name");
        descriptor = descriptor.clone();
    }

    /** {@return a GNU build-id note with {@code id} as descriptor} */
    public static ElfNote buildId(final byte[] id) {
        return new ElfNote(GNU, NT_GNU_BUILD_ID, id);
    }

    /** {@return a copy of the descriptor} */
    @Override
    public byte[] descriptor() {
        return descriptor.clone();
    }

    /** {@return the descriptor length in bytes} */
    public int descriptorSize() {
        return descriptor.length;
    }

    /** {@return whether this is a GNU build-id note} */
    public boolean isBuildId() {
        return NT_GNU_BUILD_ID == type && GNU.equals(name);
    }

    /** {@return the encoded size of this note with 4-byte alignment, as the writer lays it out} */
    public int encodedSize() {
        return 12 + align4(name.getBytes(StandardCharsets.ISO_8859_1).length + 1) + align4(descriptor.length);
    }

    private static int align4(final int n) {
        return (n + 3) & ~3;
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof ElfNote(final String n, final int t, final byte[] d) && type == t && name.equals(n)
                && Arrays.equals(descriptor, d);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + type) + Arrays.hashCode(descriptor);
    }

    @Override
    public String toString() {
        return "ElfNote[name=" + name + ", type=" + type + ", descriptor=" + BuildId.hex(descriptor) + "]";
    }
}
