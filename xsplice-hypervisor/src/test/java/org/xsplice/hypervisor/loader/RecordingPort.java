package org.xsplice.hypervisor.loader;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A hypervisor port over plain Java memory, for tests without a running hypervisor: it keeps
 * every byte written, every page's protection and every registered region, so a test can
 * check that a refusal left none of them behind. It refuses writes outside the area and
 * protection of partial pages, as the reference hypervisor's mailbox does.
 */
final class RecordingPort implements HypervisorPort {
    private final long areaStart;
    private final long areaSize;
    final TreeMap<Long, byte[]> images = new TreeMap<>();
    final Map<Long, PagePermission> pages = new HashMap<>();
    final Map<String, PayloadRegion> regions = new LinkedHashMap<>();
    /** When set, the next register() fails, to exercise the clean-up path. */
    boolean failNextRegister;

    RecordingPort(final HypervisorTarget target) {
        this.areaStart = target.areaStart();
        this.areaSize = target.areaSize();
    }

    @Override
    public void write(final long address, final byte[] image) throws IOException {
        if (address < areaStart || address + image.length > areaStart + areaSize) {
            throw new IOException("write of " + image.length + " bytes at 0x" + Long.toHexString(address)
                    + " outside the payload area");
        }
        images.put(address, image.clone());
    }

    @Override
    public void protect(final long address, final long length, final PagePermission permission) throws IOException {
        if (0 != (address & (AreaAllocator.PAGE - 1)) || 0 != (length & (AreaAllocator.PAGE - 1))) {
            throw new IOException("protect of a partial page at 0x" + Long.toHexString(address));
        }
        for (long p = address; p < address + length; p += AreaAllocator.PAGE) {
            if (PagePermission.NONE == permission) {
                pages.remove(p);
            } else {
                pages.put(p, permission);
            }
        }
        if (PagePermission.NONE == permission) {
            images.subMap(address, address + length).clear();
        }
    }

    @Override
    public void register(final PayloadRegion region) throws IOException {
        if (failNextRegister) {
            failNextRegister = false;
            throw new IOException("registry full (test)");
        }
        regions.put(region.name(), region);
    }

    @Override
    public void unregister(final String name) {
        regions.remove(name);
    }

    boolean isPristine() {
        return images.isEmpty() && pages.isEmpty() && regions.isEmpty();
    }
}
