package org.xsplice.elf;

/**
 * A program header, {@code Elf64_Phdr} (gABI "Program Header"), as found in executables and
 * shared objects.
 *
 * @param type            {@code p_type}
 * @param flags           {@code p_flags}: {@link #PF_X}, {@link #PF_W}, {@link #PF_R}
 * @param offset          {@code p_offset}
 * @param virtualAddress  {@code p_vaddr}
 * @param physicalAddress {@code p_paddr}
 * @param fileSize        {@code p_filesz}
 * @param memorySize      {@code p_memsz}
 * @param alignment       {@code p_align}
 * @see <a href="https://www.sco.com/developers/gabi/latest/ch5.pheader.html">gABI: Program Header</a>
 */
public record ProgramHeader(SegmentType type, int flags, long offset, long virtualAddress, long physicalAddress,
                            long fileSize, long memorySize, long alignment) {
    /** Executable segment. */
    public static final int PF_X = 0x1;
    /** Writable segment. */
    public static final int PF_W = 0x2;
    /** Readable segment. */
    public static final int PF_R = 0x4;

    /** {@return the flags as {@code readelf} prints them, e.g. {@code "R E"}} */
    public String flagString() {
        return (0 != (flags & PF_R) ? "R" : " ") + (0 != (flags & PF_W) ? "W" : " ") + (0 != (flags & PF_X) ? "E" : " ");
    }
}
