package org.xsplice.cli.backend;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Response;
import org.xsplice.payload.Errno;
import org.xsplice.xen.ctrl.LivepatchPayload;
import org.xsplice.xen.ctrl.LivepatchStatus;
import org.xsplice.xen.ctrl.XenCtrl;
import org.xsplice.xen.ctrl.XenCtrlException;

/**
 * Real Xen, from dom0, through libxenctrl's livepatch calls ({@link XenCtrl}, FFM). Xen answers
 * a refusal with an errno only; its reason goes to the hypervisor's console ({@code xl dmesg}).
 * Xen checks no signatures: the commands verify them before upload when asked to.
 */
public final class XenBackend implements LivepatchBackend {
    private final XenCtrl xc;

    private XenBackend(final XenCtrl xc) {
        this.xc = xc;
    }

    /** Opens libxenctrl; fails outside a Xen dom0 or without root. */
    public static XenBackend open() throws ControlException {
        return new XenBackend(call(XenCtrl::open));
    }

    @Override
    public String description() {
        return "Xen (libxenctrl)";
    }

    /** The fields {@code xl info} derives from {@code xc_version}, under its names. */
    @Override
    public List<Response.Field> info() throws IOException {
        final int version = call(xc::version);
        final String extra = call(xc::extraVersion);
        final int major = version >>> 16;
        final int minor = version & 0xffff;
        return List.of(
            new Response.Field("xen_major", Integer.toString(major)),
            new Response.Field("xen_minor", Integer.toString(minor)),
            new Response.Field("xen_extra", extra),
            new Response.Field("xen_version", major + "." + minor + extra),
            new Response.Field("build_id", call(xc::buildId).hex()));
    }

    @Override
    public void upload(final String name, final byte[] payload) throws IOException {
        call(() -> {
            xc.upload(name, payload);
            return null;
        });
    }

    @Override
    public Response.PayloadStatus get(final String name) throws IOException {
        return status(name, call(() -> xc.get(name)), "");
    }

    @Override
    public List<Response.PayloadStatus> list() throws IOException {
        final List<Response.PayloadStatus> out = new ArrayList<>();
        for (final LivepatchPayload p : call(xc::list)) {
            // xen-livepatch shows the .modinfo strings joined by ';' (Xen keeps them NUL-separated).
            out.add(status(p.name(), p.status(), p.metadata().replace('\0', ';')));
        }
        return out;
    }

    @Override
    public Response.PayloadStatus act(final Action action, final String name, final boolean nodeps,
                                      final long timeoutNs) throws IOException {
        final Duration timeout = Duration.ofNanos(timeoutNs);
        final LivepatchStatus s = call(() -> switch (action) {
            case APPLY -> xc.apply(name, timeout, nodeps ? XenCtrl.APPLY_NODEPS : 0);
            case REVERT -> xc.revert(name, timeout);
            case REPLACE -> xc.replace(name, timeout);
        });
        return status(name, s, "");
    }

    @Override
    public void unload(final String name) throws IOException {
        call(() -> {
            xc.unload(name);
            return null;
        });
    }

    @Override
    public void close() throws IOException {
        call(() -> {
            xc.close();
            return null;
        });
    }

    private static Response.PayloadStatus status(final String name, final LivepatchStatus s, final String metadata) {
        return new Response.PayloadStatus(name, s.state(), s.stateName(), s.rc(), metadata, "");
    }

    /**
     * Runs one libxenctrl call; its failure becomes the {@link ControlException} every command
     * handles, with Xen's errno by name. A call given invalid arguments (a name of 128 bytes or
     * more, a timeout beyond Xen's u32 nanoseconds) is refused before reaching Xen, as EINVAL.
     */
    private static <T> T call(final Supplier<T> c) throws ControlException {
        try {
            return c.get();
        } catch (final XenCtrlException e) {
            if (0 == e.errno()) {
                throw new ControlException("ENODEV", e.getMessage());
            }
            final String text = Errno.of(e.errno()).map(Errno::text).orElse("errno " + e.errno());
            throw new ControlException(e.errnoName(), text + " (" + e.function() + "; Xen logs its reason: xl dmesg)");
        } catch (final IllegalArgumentException e) {
            throw new ControlException(Errno.EINVAL.name(), e.getMessage());
        }
    }
}
