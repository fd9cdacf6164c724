package org.xsplice.hypervisor.loader;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

/**
 * The payloads a hypervisor holds, in load order, and the two synchronous actions on them:
 * UPLOAD (check, link, write, protect, register) and UNLOAD. Either action completes or leaves
 * nothing behind: a failure at any step undoes the steps before it, so the payload area and
 * the hypervisor's registries are as they were. Calls are serialised on this object.
 *
 * <p>Issue 5's state machine extends the state of the entries ({@link #replace}); this class
 * refuses to unload anything that is not CHECKED.
 */
public final class PayloadRegistry {
    private final PayloadLoader loader;
    private final AreaAllocator area;
    private final HypervisorPort port;
    private final Map<String, LoadedPayload> payloads = new LinkedHashMap<>();

    /**
     * @param loader the loader, bound to the hypervisor
     * @param port   the hypervisor's side effects
     */
    public PayloadRegistry(final PayloadLoader loader, final HypervisorPort port) {
        this.loader = Objects.requireNonNull(loader, "loader");
        this.port = Objects.requireNonNull(port, "port");
        final HypervisorTarget t = loader.target();
        this.area = new AreaAllocator(t.areaStart(), t.areaSize());
    }

    /** {@return the allocator of the payload area (for inspection)} */
    public synchronized AreaAllocator area() {
        return area;
    }

    /**
     * Reserves whole pages of the payload area for the hypervisor side's own per-payload
     * records (e.g. the hooks' payload handle), serialised with uploads.
     *
     * @return the block's address
     * @throws PayloadException ENOMEM when the area is full
     */
    public synchronized long reserve(final long length) {
        return area.allocate(length);
    }

    /** Returns a block {@link #reserve} handed out. */
    public synchronized void release(final long address) {
        area.free(address);
    }

    /**
     * UPLOAD: checks and links the payload, writes it into the payload area, sets its pages
     * RX / RW / RO and registers its exception table and symbols.
     *
     * @return the payload, CHECKED
     * @throws PayloadException the refusal; EIO when the hypervisor could not be written to
     */
    public synchronized LoadedPayload upload(final String name, final byte[] bytes) {
        final LinkedPayload linked = loader.link(name, bytes, List.copyOf(payloads.values()), area);
        final LoadedPayload p = linked.payload();
        boolean registered = false;
        try {
            port.write(p.base(), linked.image());
            // Text last made executable, after the image is complete: never W+X at any point.
            protect(p);
            port.register(p.region());
            registered = true;
            payloads.put(name, p);
            return p;
        } catch (final IOException e) {
            throw new PayloadException(Errno.EIO, "writing payload '" + name + "' into the hypervisor at 0x"
                    + Long.toHexString(p.base()) + " failed: " + e.getMessage(), e);
        } finally {
            if (!payloads.containsKey(name) || payloads.get(name) != p) {
                undo(p, registered);
            }
        }
    }

    private void protect(final LoadedPayload p) throws IOException {
        final long text = p.rwAddr() - p.textAddr();
        final long rw = p.roAddr() - p.rwAddr();
        final long ro = p.base() + p.size() - p.roAddr();
        if (text > 0) {
            port.protect(p.textAddr(), text, PagePermission.RX);
        }
        if (rw > 0) {
            port.protect(p.rwAddr(), rw, PagePermission.RW);
        }
        if (ro > 0) {
            port.protect(p.roAddr(), ro, PagePermission.RO);
        }
    }

    /** Best effort: the first failure is the one reported, later clean-up failures are attached to it. */
    private void undo(final LoadedPayload p, final boolean registered) {
        try {
            if (registered) {
                port.unregister(p.name());
            }
            port.protect(p.base(), p.size(), PagePermission.NONE);
        } catch (final IOException e) {
            // The block stays allocated: memory in an unknown state must not be handed out again.
            throw new PayloadException(Errno.EIO, "cleaning up after payload '" + p.name() + "' failed: "
                    + e.getMessage(), e);
        }
        area.free(p.base());
    }

    /**
     * UNLOAD: unregisters the payload and frees its memory.
     *
     * @throws PayloadException ENOENT for an unknown name, EBUSY unless it is CHECKED
     */
    public synchronized void unload(final String name) {
        final LoadedPayload p = get(name);
        if (PayloadState.CHECKED != p.state()) {
            throw new PayloadException(Errno.EBUSY, "payload '" + name + "' is " + p.state()
                    + "; only a CHECKED payload can be unloaded (revert it first)");
        }
        try {
            port.unregister(name);
            port.protect(p.base(), p.size(), PagePermission.NONE);
        } catch (final IOException e) {
            throw new PayloadException(Errno.EIO, "unloading payload '" + name + "' failed: " + e.getMessage(), e);
        }
        payloads.remove(name);
        area.free(p.base());
    }

    /**
     * GET.
     *
     * @throws PayloadException ENOENT when no payload has this name
     */
    public synchronized LoadedPayload get(final String name) {
        final LoadedPayload p = payloads.get(name);
        if (null == p) {
            throw new PayloadException(Errno.ENOENT, "no payload named '" + name + "' is loaded");
        }
        return p;
    }

    /** {@return the payload with this name, if loaded} */
    public synchronized Optional<LoadedPayload> find(final String name) {
        return Optional.ofNullable(payloads.get(name));
    }

    /** LIST: {@return every payload, in load order} */
    public synchronized List<LoadedPayload> list() {
        return new ArrayList<>(payloads.values());
    }

    /** Replaces a payload's entry (same name) after a state change, keeping its place in the load order. */
    public synchronized void replace(final LoadedPayload updated) {
        if (!payloads.containsKey(updated.name())) {
            throw new PayloadException(Errno.ENOENT, "no payload named '" + updated.name() + "' is loaded");
        }
        payloads.put(updated.name(), updated);
    }

    /** {@return what debug key 'x' prints: every payload in Xen's format} */
    public synchronized String xenDump() {
        final StringBuilder sb = new StringBuilder("'x' pressed - Dumping all livepatch patches\n");
        if (payloads.isEmpty()) {
            sb.append("No patches loaded\n");
        }
        payloads.values().forEach(p -> sb.append(p.xenDump()));
        return sb.toString();
    }
}
