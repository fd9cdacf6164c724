package org.xsplice.hypervisor.loader;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

/**
 * First-fit allocator of whole pages in the payload area, with coalescing on free: after any
 * sequence of allocations and the matching frees the free list is again one range, the area.
 * Not thread-safe: the payload registry serialises its callers.
 */
public final class AreaAllocator {
    /** Page size of the hypervisor. */
    public static final long PAGE = 4096;

    private final long start;
    private final long size;
    /** Free ranges by start address; never adjacent (they are merged). */
    private final TreeMap<Long, Long> free = new TreeMap<>();
    /** Allocated blocks by start address. */
    private final TreeMap<Long, Long> used = new TreeMap<>();

    /**
     * @param start first byte of the area, page aligned
     * @param size  its size, a multiple of the page size
     */
    public AreaAllocator(final long start, final long size) {
        if (0 != (start & (PAGE - 1)) || 0 != (size & (PAGE - 1)) || size <= 0) {
            throw new IllegalArgumentException("payload area 0x" + Long.toHexString(start) + "+0x"
                    + Long.toHexString(size) + " is not page aligned");
        }
        this.start = start;
        this.size = size;
        free.put(start, size);
    }

    /** {@return the area's first byte} */
    public long start() {
        return start;
    }

    /** {@return the area's size} */
    public long size() {
        return size;
    }

    /**
     * Allocates {@code length} bytes rounded up to whole pages at the lowest free address.
     *
     * @return the block's address
     * @throws PayloadException ENOMEM when no free range is large enough
     */
    public long allocate(final long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("allocation of " + length + " bytes");
        }
        final long need = (length + PAGE - 1) & -PAGE;
        for (final Map.Entry<Long, Long> e : free.entrySet()) {
            if (e.getValue() >= need) {
                final long at = e.getKey();
                free.remove(at);
                if (e.getValue() > need) {
                    free.put(at + need, e.getValue() - need);
                }
                used.put(at, need);
                return at;
            }
        }
        throw new PayloadException(Errno.ENOMEM, "payload area full: no free range of " + need + " bytes ("
                + freeBytes() + " bytes free in " + free.size() + " ranges)");
    }

    /**
     * Allocates the block {@code [address, address + length)} (length rounded up to whole
     * pages) at exactly that address: how a restarted supervisor takes back the blocks its
     * predecessor allocated.
     *
     * @return {@code address}
     * @throws PayloadException EINVAL when the address is not page aligned or the range is not
     *                          entirely free inside the area
     */
    public long reserve(final long address, final long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("reservation of " + length + " bytes");
        }
        final long need = (length + PAGE - 1) & -PAGE;
        final Map.Entry<Long, Long> e = free.floorEntry(address);
        if (0 != (address & (PAGE - 1)) || null == e || address + need > e.getKey() + e.getValue()) {
            throw new PayloadException(Errno.EINVAL, "payload area: 0x" + Long.toHexString(address) + "+0x"
                    + Long.toHexString(need) + " is not a free page-aligned range");
        }
        final long at = e.getKey();
        final long len = e.getValue();
        free.remove(at);
        if (address > at) {
            free.put(at, address - at);
        }
        if (address + need < at + len) {
            free.put(address + need, at + len - address - need);
        }
        used.put(address, need);
        return address;
    }

    /**
     * Frees the block at {@code address}, merging it with free neighbours.
     *
     * @throws IllegalArgumentException when no block starts there
     */
    public void free(final long address) {
        final Long len = used.remove(address);
        if (null == len) {
            throw new IllegalArgumentException("no payload block at 0x" + Long.toHexString(address));
        }
        long s = address;
        long n = len;
        final Map.Entry<Long, Long> before = free.floorEntry(s);
        if (null != before && before.getKey() + before.getValue() == s) {
            s = before.getKey();
            n += before.getValue();
            free.remove(before.getKey());
        }
        final Long after = free.get(address + len);
        if (null != after) {
            free.remove(address + len);
            n += after;
        }
        free.put(s, n);
    }

    /** {@return the size of the block at {@code address}, 0 if none starts there} */
    public long blockSize(final long address) {
        return used.getOrDefault(address, 0L);
    }

    /** {@return a copy of the free list: start to length} */
    public NavigableMap<Long, Long> freeRanges() {
        return new TreeMap<>(free);
    }

    /** {@return a copy of the allocated blocks: start to length} */
    public NavigableMap<Long, Long> usedBlocks() {
        return new TreeMap<>(used);
    }

    /** {@return the free bytes} */
    public long freeBytes() {
        long n = 0;
        for (final long v : free.values()) {
            n += v;
        }
        return n;
    }
}
