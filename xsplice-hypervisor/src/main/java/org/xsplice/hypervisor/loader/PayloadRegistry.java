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
    private final boolean keepFiles;
    private final Map<String, KeptFile> files = new LinkedHashMap<>();

    /**
     * A payload's uploaded file, kept read-only in the payload area so that a restarted
     * supervisor can link it again ({@link #adopt}).
     *
     * @param address where it is (page aligned)
     * @param size    its length in bytes
     */
    public record KeptFile(long address, long size) {
    }

    /**
     * A registry that does not keep the uploaded files.
     *
     * @param loader the loader, bound to the hypervisor
     * @param port   the hypervisor's side effects
     */
    public PayloadRegistry(final PayloadLoader loader, final HypervisorPort port) {
        this(loader, port, false);
    }

    /**
     * @param loader    the loader, bound to the hypervisor
     * @param port      the hypervisor's side effects
     * @param keepFiles whether UPLOAD also keeps the payload file in the payload area
     *                  ({@link #keptFile}); freed again at UNLOAD
     */
    public PayloadRegistry(final PayloadLoader loader, final HypervisorPort port, final boolean keepFiles) {
        this.loader = Objects.requireNonNull(loader, "loader");
        this.port = Objects.requireNonNull(port, "port");
        this.keepFiles = keepFiles;
        final HypervisorTarget t = loader.target();
        this.area = new AreaAllocator(t.areaStart(), t.areaSize());
    }

    /** {@return where the file of payload {@code name} is kept, if this registry keeps files} */
    public synchronized Optional<KeptFile> keptFile(final String name) {
        return Optional.ofNullable(files.get(name));
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
        long file = -1;
        try {
            if (keepFiles) {
                file = area.allocate(bytes.length);
                port.write(file, bytes);
                port.protect(file, area.blockSize(file), PagePermission.RO);
            }
            port.write(p.base(), linked.image());
            // Text last made executable, after the image is complete: never W+X at any point.
            protect(p);
            port.register(p.region());
            registered = true;
            payloads.put(name, p);
            if (file >= 0) {
                files.put(name, new KeptFile(file, bytes.length));
            }
            return p;
        } catch (final IOException e) {
            throw new PayloadException(Errno.EIO, "writing payload '" + name + "' into the hypervisor at 0x"
                    + Long.toHexString(p.base()) + " failed: " + e.getMessage(), e);
        } finally {
            if (!payloads.containsKey(name) || payloads.get(name) != p) {
                undo(p, registered, file);
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
    private void undo(final LoadedPayload p, final boolean registered, final long file) {
        try {
            if (registered) {
                port.unregister(p.name());
            }
            if (file >= 0) {
                port.protect(file, area.blockSize(file), PagePermission.NONE);
                area.free(file);
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
        final KeptFile file = files.get(name);
        try {
            port.unregister(name);
            port.protect(p.base(), p.size(), PagePermission.NONE);
            if (null != file) {
                port.protect(file.address(), area.blockSize(file.address()), PagePermission.NONE);
            }
        } catch (final IOException e) {
            throw new PayloadException(Errno.EIO, "unloading payload '" + name + "' failed: " + e.getMessage(), e);
        }
        payloads.remove(name);
        area.free(p.base());
        if (null != file) {
            files.remove(name);
            area.free(file.address());
        }
    }

    /**
     * Takes back a payload a previous owner of the hypervisor loaded (restart recovery): links
     * {@code file} again at {@code base}, reserves its block and the kept file's, and checks
     * that the hypervisor's memory holds exactly the re-linked text and read-only data (the
     * writable data has legitimately changed since), and sets its page permissions again.
     * Nothing else is written to the hypervisor; the caller publishes the regions of every
     * adopted payload afterwards.
     *
     * @param kept    where the file lies in the payload area
     * @param file    its bytes, read from there
     * @param patched the addresses an applied payload's patch owns (a later payload may patch
     *                this one's functions): their live bytes are not compared
     * @return the payload in {@code state} with {@code rc}
     * @throws PayloadException the loader's refusal, EINVAL when a block is not free, EIO when
     *                          memory differs from the re-linked image (naming the address)
     */
    public synchronized LoadedPayload adopt(final String name, final KeptFile kept, final byte[] file, final long base,
                                            final PayloadState state, final int rc, final java.util.function.LongPredicate patched) {
        final LinkedPayload linked = loader.linkAt(name, file, List.copyOf(payloads.values()), area, base);
        final LoadedPayload p = linked.payload();
        boolean done = false;
        try {
            checkImage(p, linked.image(), p.textAddr(), p.rwAddr() - p.textAddr(), patched);
            checkImage(p, linked.image(), p.roAddr(), p.base() + p.size() - p.roAddr(), patched);
            area.reserve(kept.address(), kept.size());
            done = true;
        } finally {
            if (!done) {
                area.free(p.base());
            }
        }
        // The page permissions are set again: a supervisor that died inside an unload may have
        // taken them away already.
        try {
            protect(p);
            port.protect(kept.address(), area.blockSize(kept.address()), PagePermission.RO);
        } catch (final IOException e) {
            area.free(kept.address());
            area.free(p.base());
            throw new PayloadException(Errno.EIO, "protecting payload '" + name + "' again: " + e.getMessage(), e);
        }
        final LoadedPayload adopted = p.withState(state, rc);
        payloads.put(name, adopted);
        if (keepFiles) {
            files.put(name, kept);
        }
        return adopted;
    }

    private void checkImage(final LoadedPayload p, final byte[] image, final long from, final long length,
                            final java.util.function.LongPredicate patched) {
        if (length <= 0) {
            return;
        }
        final byte[] live = loader.target().read(from, (int) length);
        final int off = (int) (from - p.base());
        int at = -1;
        for (int i = 0; i < live.length && at < 0; i++) {
            if (live[i] != image[off + i] && !patched.test(from + i)) {
                at = i;
            }
        }
        if (at >= 0) {
            throw new PayloadException(Errno.EIO, "payload '" + p.name() + "' linked again at 0x" + Long.toHexString(p.base())
                    + " differs from the hypervisor's memory at 0x" + Long.toHexString(from + at) + " (memory 0x"
                    + Integer.toHexString(live[at] & 0xff) + ", image 0x" + Integer.toHexString(image[off + at] & 0xff)
                    + "): it is not the payload the records describe");
        }
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
