package org.xsplice.hypervisor.loader;

import java.util.List;
import java.util.Objects;

import org.xsplice.hypervisor.loader.internal.PayloadLinkerImpl;
import org.xsplice.payload.PayloadException;

/**
 * The payload loader (Xen's {@code load_payload_data}): runs every upload check of the ABI, in
 * Xen's order, then lays the payload out, allocates its block, resolves its symbols and applies
 * its relocations. It has no side effect on the hypervisor: writing the image, page permissions
 * and registration are the {@link PayloadRegistry}'s job.
 *
 * {@snippet :
 * PayloadLoader loader = new PayloadLoader(HypervisorTarget.ofImage(Elf.of().parse(xenSyms)));
 * AreaAllocator area = new AreaAllocator(target.areaStart(), target.areaSize());
 * LinkedPayload p = loader.link("hello", bytes, List.of(), area);   // throws PayloadException
 * }
 */
public final class PayloadLoader {
    /** Largest payload accepted (Xen's {@code LIVEPATCH_MAX_SIZE}). */
    public static final int MAX_SIZE = 2 << 20;
    /** Longest name, NUL included (Xen's {@code XEN_LIVEPATCH_NAME_SIZE}). */
    public static final int MAX_NAME = 128;
    /** A payload must have fewer sections than this. */
    public static final int MAX_SECTIONS = 1024;

    private final HypervisorTarget target;

    public PayloadLoader(final HypervisorTarget target) {
        this.target = Objects.requireNonNull(target, "target");
    }

    /** {@return the hypervisor this loader links against} */
    public HypervisorTarget target() {
        return target;
    }

    /**
     * Checks and links a payload.
     *
     * @param name   the payload's name
     * @param bytes  the ELF object
     * @param loaded the payloads loaded before, in load order (for names, build-ids and symbols)
     * @param area   where the payload's block is allocated; freed again if a check fails
     * @return the linked payload, whose block the caller now owns
     * @throws PayloadException with Xen's errno and a message naming the section, symbol or
     *                          relocation at fault
     */
    public LinkedPayload link(final String name, final byte[] bytes, final List<LoadedPayload> loaded,
                              final AreaAllocator area) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bytes, "bytes");
        return new PayloadLinkerImpl(target, name, bytes, List.copyOf(loaded), area, -1).link();
    }

    /**
     * Checks and links a payload at a fixed base (a payload a previous supervisor loaded
     * there, linked again from its kept file): as {@link #link}, but the block is
     * {@linkplain AreaAllocator#reserve reserved} at {@code base} instead of allocated.
     *
     * @throws PayloadException as {@link #link}; EINVAL when {@code base} is not free
     */
    public LinkedPayload linkAt(final String name, final byte[] bytes, final List<LoadedPayload> loaded,
                                final AreaAllocator area, final long base) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bytes, "bytes");
        if (base < 0) {
            throw new IllegalArgumentException("base 0x" + Long.toHexString(base));
        }
        return new PayloadLinkerImpl(target, name, bytes, List.copyOf(loaded), area, base).link();
    }
}
