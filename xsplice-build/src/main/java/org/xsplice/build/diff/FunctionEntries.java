package org.xsplice.build.diff;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.xsplice.payload.LivepatchFunc;

/**
 * Encodes {@code .livepatch.funcs} for changed functions: version 2 entries with {@code new_size}
 * and {@code old_size} filled and {@code old_addr} 0, so the loader resolves the name in the
 * running hypervisor (the payload stays valid for any load address of the same build). The
 * {@code name} and {@code new_addr} pointers are left 0 for {@code R_X86_64_64} relocations.
 */
public final class FunctionEntries {
    /** Where the function names live in the payload. */
    public static final String NAMES_SECTION = ".livepatch.strings";

    private FunctionEntries() {
    }

    /**
     * @param table       the entries
     * @param names       NUL-terminated names
     * @param nameOffsets offset of each entry's name in {@code names}
     */
    public record Encoded(byte[] table, byte[] names, long[] nameOffsets) {
    }

    /** {@return the encoded entries for {@code funcs}, in order} */
    public static Encoded encode(final List<ObjectDiff.FunctionChange> funcs) {
        final ByteArrayOutputStream table = new ByteArrayOutputStream();
        final ByteArrayOutputStream names = new ByteArrayOutputStream();
        final long[] offsets = new long[funcs.size()];
        for (int i = 0; i < funcs.size(); i++) {
            final ObjectDiff.FunctionChange f = funcs.get(i);
            offsets[i] = names.size();
            names.writeBytes(f.name().getBytes(StandardCharsets.ISO_8859_1));
            names.write(0);
            table.writeBytes(new LivepatchFunc(0, 0, 0, (int) f.newSize(), (int) f.oldSize(), LivepatchFunc.V2,
                    Optional.empty()).encode());
        }
        return new Encoded(table.toByteArray(), names.toByteArray(), offsets);
    }
}
