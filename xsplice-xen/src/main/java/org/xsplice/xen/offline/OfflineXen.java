package org.xsplice.xen.offline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.xsplice.elf.BuildId;
import org.xsplice.hypervisor.loader.AreaAllocator;
import org.xsplice.hypervisor.loader.HypervisorTarget;
import org.xsplice.hypervisor.loader.LoadedFunc;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.loader.PayloadLoader;
import org.xsplice.hypervisor.loader.PayloadState;
import org.xsplice.hypervisor.patch.PatchStack;
import org.xsplice.payload.Errno;
import org.xsplice.payload.Expectation;
import org.xsplice.payload.PayloadException;

/**
 * A hypervisor that exists only offline: the payloads uploaded to and applied on a target, in
 * order, with every verdict Xen 4.17 reaches before it runs payload code. Upload is the payload
 * loader's checks against the target (build-id, symbols, relocations, funcs, hooks, duplicate
 * new symbols against the image and the payloads uploaded before); apply is the two checks Xen
 * makes when an APPLY is requested, before its rendezvous: {@code .livepatch.depends} against
 * the top of the applied stack (or the image), and expectations against the text as the image
 * and the payloads applied before leave it. Hooks are not run: what a hook decides at apply
 * time is beyond an offline check.
 *
 * {@snippet :
 * OfflineXen xen = new OfflineXen(XenImageTarget.read(Path.of("xen.gz")));
 * xen.upload("hello", helloBytes);     // throws PayloadException with Xen's errno
 * xen.apply("hello", false);
 * }
 */
public final class OfflineXen
{
    private final HypervisorTarget target;
    private final PayloadLoader loader;
    private final AreaAllocator area;
    private final List<LoadedPayload> loaded = new ArrayList<>();
    private final List<LoadedPayload> applied = new ArrayList<>();
    /** Text bytes the applied payloads wrote, over the image's. */
    private final Map<Long, Byte> written = new HashMap<>();

    public OfflineXen(final HypervisorTarget target)
    {
        this.target = Objects.requireNonNull(target, "target");
        this.loader = new PayloadLoader(target);
        this.area = new AreaAllocator(target.areaStart(), target.areaSize());
    }

    /** {@return the payloads uploaded so far, in upload order} */
    public List<LoadedPayload> loaded()
    {
        return List.copyOf(loaded);
    }

    /**
     * Uploads a payload: it is CHECKED afterwards.
     *
     * @return the loaded payload
     * @throws PayloadException with the errno Xen's upload returns
     */
    public LoadedPayload upload(final String name, final byte[] bytes)
    {
        final LoadedPayload p = loader.link(name, bytes, loaded, area).payload();
        loaded.add(p);
        return p;
    }

    /**
     * Applies a CHECKED payload on top of the applied stack.
     *
     * @param nodeps skip the {@code .livepatch.depends} check ({@code LIVEPATCH_ACTION_APPLY_NODEPS})
     * @throws PayloadException ENOENT for an unknown name; EINVAL for a payload that is not CHECKED,
     *                          a dependency that is not the top of the stack, or a failed expectation
     */
    public void apply(final String name, final boolean nodeps)
    {
        final LoadedPayload p = find(name);
        if (PayloadState.CHECKED != p.state())
        {
            throw new PayloadException(Errno.EINVAL, "payload '" + name + "' is " + p.state() + ", not CHECKED");
        }
        if (!nodeps)
        {
            final BuildId top = applied.isEmpty() ? target.buildId() : applied.getLast().buildId();
            if (!top.equals(p.depends()))
            {
                throw new PayloadException(Errno.EINVAL, "payload '" + name + "': .livepatch.depends is "
                    + p.depends().hex() + ", but the top of the stack is "
                    + (applied.isEmpty() ? "the hypervisor" : "payload '" + applied.getLast().name() + "'") + " with "
                    + top.hex());
            }
        }
        for (final LoadedFunc f : p.funcs())
        {
            if (f.expectation().isPresent())
            {
                final Expectation e = f.expectation().get();
                final byte[] live = text(f.oldAddr(), e.length());
                if (!e.matches(live))
                {
                    throw new PayloadException(Errno.EINVAL, "payload '" + name + "': expectation failed for "
                        + f.name() + ": expected " + HexFormat.of().formatHex(e.bytes()) + ", actual "
                        + HexFormat.of().formatHex(live));
                }
            }
        }
        for (final LoadedFunc f : p.funcs())
        {
            final byte[] b = PatchStack.patchBytes(f);
            for (int i = 0; i < b.length; i++)
            {
                written.put(f.patchAddr() + i, b[i]);
            }
        }
        replace(p, p.withState(PayloadState.APPLIED, 0));
        applied.add(find(name));
    }

    private LoadedPayload find(final String name)
    {
        return loaded.stream().filter(p -> p.name().equals(name)).findFirst()
            .orElseThrow(() -> new PayloadException(Errno.ENOENT, "no payload named '" + name + "' is loaded"));
    }

    private void replace(final LoadedPayload old, final LoadedPayload now)
    {
        loaded.set(loaded.indexOf(old), now);
    }

    private byte[] text(final long address, final int length)
    {
        final byte[] out = target.read(address, length);
        for (int i = 0; i < length; i++)
        {
            final Byte b = written.get(address + i);
            if (null != b)
            {
                out[i] = b;
            }
        }
        return out;
    }
}
