package org.xsplice.hv;

import java.util.List;
import java.util.Objects;

import org.xsplice.hypervisor.loader.PayloadState;

/**
 * One payload as the hypervisor's records keep it ({@code struct livepatch_record}): enough
 * for a restarted supervisor to link it again where it is and to revert it.
 *
 * @param name       the payload's name
 * @param base       its block in the payload area
 * @param size       the block's size
 * @param textAddr   its text
 * @param textSize   bytes of text
 * @param rwAddr     its writable data
 * @param rwSize     bytes of writable data
 * @param roAddr     its read-only data
 * @param roSize     bytes of read-only data
 * @param file       where the uploaded file is kept in the payload area (0: not kept)
 * @param fileSize   its length
 * @param state      CHECKED or APPLIED
 * @param rc         the last action's result, 0 or -errno
 * @param reverted   whether it was reverted since it was loaded (its data is no longer pristine)
 * @param appliedPos its place in the applied stack, 1 = bottom; 0 when not applied
 * @param funcs      each function's state, in the payload's order
 */
public record PatchRecord(String name, long base, long size, long textAddr, long textSize, long rwAddr, long rwSize,
                          long roAddr, long roSize, long file, long fileSize, PayloadState state, int rc, boolean reverted,
                          int appliedPos, List<FuncState> funcs) {
    public PatchRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        funcs = List.copyOf(funcs);
    }

    /**
     * One function's patch state (Xen 4.17's {@code livepatch_fstate}).
     *
     * @param patchAddr where the jump (or the NOPs) goes
     * @param length    how many bytes the patch writes
     * @param applied   whether the patch is in the text
     * @param saved     the bytes it replaced (meaningful when applied)
     */
    public record FuncState(long patchAddr, int length, boolean applied, byte[] saved) {
        public FuncState {
            saved = saved.clone();
        }

        @Override
        public byte[] saved() {
            return saved.clone();
        }
    }
}
