package org.xsplice.hv;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.xsplice.hv.HvLayout.Handle;
import org.xsplice.hypervisor.loader.LoadedFunc;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.loader.PayloadRegistry;
import org.xsplice.hypervisor.patch.PatchStack;
import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

/**
 * The payload handles ({@code livepatch_payload_t}) hooks receive: one read-write block in the
 * payload area per payload that has hooks, laid out as {@code include/public/xsplice.h}
 * describes (header, a copy of the payload's {@code livepatch_func} entries with
 * {@code old_addr} resolved, one {@code livepatch_fstate} per function, the names).
 *
 * <pre>
 *  handle --> | name | funcs | fstate | nfuncs | ... |  64 bytes
 *             | funcs[0..n)   104 bytes each          |
 *             | fstate[0..n)  96 bytes each: applied, len, patch_addr, insn_buffer, patch |
 *             | "payload name\0" "func name\0" ...     |
 * </pre>
 *
 * The master CPU keeps {@code fstate} current for the default action ({@link HookSteps}); an
 * action hook changes it through {@code common_livepatch_apply()/revert()}. Payloads without
 * hooks get no handle. Not thread-safe: {@link LiveActions} serialises.
 */
final class PayloadHandles {
    private final HypervisorProcess hv;
    private final PayloadRegistry registry;
    private final Map<String, Long> handles = new HashMap<>();

    PayloadHandles(final HypervisorProcess hv, final PayloadRegistry registry) {
        this.hv = hv;
        this.registry = registry;
    }

    /** {@return whether {@code p} has any hook, and so a handle} */
    static boolean needed(final LoadedPayload p) {
        return p.hooks().values().stream().anyMatch(l -> !l.isEmpty());
    }

    /** {@return the handle of {@code p} if it has one} */
    Optional<Long> find(final String name) {
        return Optional.ofNullable(handles.get(name));
    }

    /**
     * {@return the handle of {@code p}, written on first use}
     *
     * @param saved when {@code p} is applied (e.g. recovered by a restarted supervisor), the
     *              bytes its patches overwrote, in function order: its fstate starts applied
     * @throws PayloadException ENOMEM when the payload area is full, EIO when it cannot be written
     */
    long handle(final LoadedPayload p, final Optional<List<byte[]>> saved) {
        final Long h = handles.get(p.name());
        if (null != h) {
            return h;
        }
        final List<LoadedFunc> fs = p.funcs();
        final long fstate = Handle.SIZE + Handle.FUNC_SIZE * fs.size();
        final long names = fstate + Handle.FSTATE_SIZE * fs.size();
        final byte[] name = p.name().getBytes(StandardCharsets.UTF_8);
        long size = names + name.length + 1;
        for (final LoadedFunc f : fs) {
            size += f.name().getBytes(StandardCharsets.UTF_8).length + 1;
        }
        final long at = registry.reserve(size);
        try {
            final ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            int pos = (int) names;
            b.putLong((int) Handle.NAME, at + pos);
            b.put(pos, name);
            pos += name.length + 1;
            b.putLong((int) Handle.FUNCS, at + Handle.SIZE);
            b.putLong((int) Handle.FSTATE, at + fstate);
            b.putInt((int) Handle.NFUNCS, fs.size());
            for (int i = 0; i < fs.size(); i++) {
                final LoadedFunc f = fs.get(i);
                final int e = (int) (Handle.SIZE + Handle.FUNC_SIZE * i);
                final byte[] fn = f.name().getBytes(StandardCharsets.UTF_8);
                b.putLong(e, at + pos);
                b.put(pos, fn);
                pos += fn.length + 1;
                b.putLong(e + 8, f.isNop() ? 0 : f.newAddr());
                b.putLong(e + 16, f.oldAddr());
                b.putInt(e + 24, f.newSize());
                b.putInt(e + 28, f.oldSize());
                b.put(e + 32, (byte) 2);
                final int s = (int) (fstate + Handle.FSTATE_SIZE * i);
                final byte[] patch = PatchStack.patchBytes(f);
                b.putInt(s + (int) Handle.FS_LEN, patch.length);
                b.putLong(s + (int) Handle.FS_PATCH_ADDR, f.patchAddr());
                b.put(s + (int) Handle.FS_PATCH, patch);
                if (saved.isPresent()) {
                    b.putInt(s + (int) Handle.FS_APPLIED, Handle.FUNC_APPLIED);
                    b.put(s + (int) Handle.FS_INSN_BUFFER, saved.get().get(i));
                }
            }
            hv.protect(at, (size + 4095) & -4096L, 3);
            hv.memory().write(at, b.array());
        } catch (final IOException | RuntimeException e) {
            registry.release(at);
            throw new PayloadException(Errno.EIO, "writing the hook handle of payload '" + p.name() + "' at 0x"
                    + Long.toHexString(at) + ": " + e.getMessage(), e);
        }
        handles.put(p.name(), at);
        return at;
    }

    /** Frees the handle of an unloaded payload. */
    void free(final String name) {
        final Long h = handles.remove(name);
        if (null != h) {
            try {
                hv.protect(h, registry.area().blockSize(h), 0);
            } catch (final IOException e) {
                // The block stays reserved: memory in an unknown state is not handed out again.
                return;
            }
            registry.release(h);
        }
    }
}
