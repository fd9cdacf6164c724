package org.xsplice.xen.ctrl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.xsplice.elf.BuildId;
import org.xsplice.payload.Errno;

/**
 * Xen's control library, {@code libxenctrl} (Xen 4.17, {@code tools/include/xenctrl.h}), through
 * the FFM API: the livepatch calls and {@code xc_version}. Works only in a Xen dom0 with the
 * toolstack's libraries installed ({@code libxenctrl.so.4.17} from Debian's libxenmisc4.17) and
 * {@code /dev/xen/privcmd} available.
 *
 * <p>Every call returns normally or throws {@link XenCtrlException} carrying the function and the
 * errno name. libxenctrl reports failures as a negative return with {@code errno} set, which each
 * call captures into its own segment ({@link Linker.Option#captureCallState}), never a shared one.
 * One instance wraps one {@code xc_interface *}; it is not for concurrent use (calls are made
 * from the owning thread's confined arenas). {@code invokeExact} declares {@code Throwable}
 * though a downcall throws nothing checked: such a throwable becomes an {@link AssertionError}.
 */
public final class XenCtrl implements AutoCloseable
{
    /** {@code LIVEPATCH_ACTION_APPLY_NODEPS}: check only the hypervisor build-id, not the payload stack. */
    public static final int APPLY_NODEPS = 1;

    /** {@code XEN_LIVEPATCH_NAME_SIZE}: names are at most 127 bytes plus the NUL. */
    public static final int NAME_SIZE = 128;

    private static final int XENVER_VERSION = 0;
    private static final int XENVER_EXTRAVERSION = 1;
    private static final int XENVER_BUILD_ID = 10;
    private static final int EXTRAVERSION_LEN = 16;
    private static final int BUILD_ID_MAX = 1024;

    /** {@code struct xen_livepatch_status { uint32_t state; int32_t rc; }} (public/sysctl.h). */
    private static final StructLayout STATUS = MemoryLayout.structLayout(
        JAVA_INT.withName("state"), JAVA_INT.withName("rc"));
    private static final VarHandle STATUS_STATE = STATUS.varHandle(MemoryLayout.PathElement.groupElement("state"));
    private static final VarHandle STATUS_RC = STATUS.varHandle(MemoryLayout.PathElement.groupElement("rc"));

    private static final Duration POLL = Duration.ofMillis(10);

    private final MemorySegment xch;
    private boolean closed;

    private XenCtrl(final MemorySegment xch)
    {
        this.xch = xch;
    }

    /**
     * {@code xc_interface_open(NULL, NULL, 0)}: libxenctrl's own messages go to stderr.
     *
     * @throws XenCtrlException if the library is missing or the interface cannot be opened
     *         (e.g. ENOENT outside dom0, EACCES without root)
     */
    public static XenCtrl open()
    {
        final Native lib = Native.get();
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment errno = a.allocate(Native.CAPTURE);
            final MemorySegment h = (MemorySegment) lib.interfaceOpen.invokeExact(errno, MemorySegment.NULL,
                                                                                 MemorySegment.NULL, 0);
            if (MemorySegment.NULL.equals(h))
            {
                throw new XenCtrlException("xc_interface_open", "", Native.errno(errno));
            }
            return new XenCtrl(h);
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new AssertionError(t);
        }
    }

    /** {@code xc_livepatch_upload}: the payload becomes CHECKED, or the hypervisor says why not. */
    public void upload(final String name, final byte[] payload)
    {
        Objects.requireNonNull(payload, "payload");
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment errno = a.allocate(Native.CAPTURE);
            final MemorySegment data = a.allocate(Math.max(1, payload.length));
            MemorySegment.copy(payload, 0, data, JAVA_BYTE, 0, payload.length);
            final int rc = (int) Native.get().upload.invokeExact(errno, handle(), cName(a, name), data,
                                                                 payload.length);
            check("xc_livepatch_upload", name, rc, errno);
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new AssertionError(t);
        }
    }

    /** {@code xc_livepatch_get}: the state and last result of one payload (ENOENT if not loaded). */
    public LivepatchStatus get(final String name)
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment errno = a.allocate(Native.CAPTURE);
            final MemorySegment status = a.allocate(STATUS);
            final int rc = (int) Native.get().get.invokeExact(errno, handle(), cName(a, name), status);
            check("xc_livepatch_get", name, rc, errno);
            return new LivepatchStatus((int) STATUS_STATE.get(status, 0L), (int) STATUS_RC.get(status, 0L));
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new AssertionError(t);
        }
    }

    /**
     * Every loaded payload, in the hypervisor's order: {@code xc_livepatch_list_get_sizes}, then
     * {@code xc_livepatch_list} with buffers of those sizes (names and metadata are packed,
     * {@code len[i]} and {@code metadata_len[i]} bytes each, NUL included).
     */
    public List<LivepatchPayload> list()
    {
        try (Arena a = Arena.ofConfined())
        {
            final Native lib = Native.get();
            final MemorySegment errno = a.allocate(Native.CAPTURE);
            final MemorySegment nr = a.allocate(JAVA_INT);
            final MemorySegment nameTotal = a.allocate(JAVA_INT);
            final MemorySegment metaTotal = a.allocate(JAVA_INT);
            int rc = (int) lib.listSizes.invokeExact(errno, handle(), nr, nameTotal, metaTotal);
            check("xc_livepatch_list_get_sizes", "", rc, errno);
            final int n = nr.get(JAVA_INT, 0);
            if (0 == n)
            {
                return List.of();
            }
            final int names = nameTotal.get(JAVA_INT, 0);
            final int metas = metaTotal.get(JAVA_INT, 0);
            final MemorySegment info = a.allocate(STATUS, n);
            final MemorySegment name = a.allocate(Math.max(1, names));
            final MemorySegment len = a.allocate(JAVA_INT, n);
            // The library refuses NULL buffers even when there is no metadata at all.
            final MemorySegment meta = a.allocate(Math.max(1, metas));
            final MemorySegment metaLen = a.allocate(JAVA_INT, n);
            final MemorySegment done = a.allocate(JAVA_INT);
            final MemorySegment left = a.allocate(JAVA_INT);
            rc = (int) lib.list.invokeExact(errno, handle(), n, 0, info, name, len, names, meta, metaLen, metas, done,
                                            left);
            check("xc_livepatch_list", "", rc, errno);
            final int got = done.get(JAVA_INT, 0);
            final List<LivepatchPayload> out = new ArrayList<>(got);
            long nameOff = 0;
            long metaOff = 0;
            for (int i = 0; i < got; i++)
            {
                final int l = len.getAtIndex(JAVA_INT, i);
                final int ml = metaLen.getAtIndex(JAVA_INT, i);
                if (l < 0 || ml < 0 || nameOff + l > names || metaOff + ml > Math.max(1, metas))
                {
                    throw new XenCtrlException("xc_livepatch_list", "entry " + i, Errno.EOVERFLOW.number());
                }
                final MemorySegment s = info.asSlice(i * STATUS.byteSize(), STATUS);
                out.add(new LivepatchPayload(text(name, nameOff, l),
                    new LivepatchStatus((int) STATUS_STATE.get(s, 0L), (int) STATUS_RC.get(s, 0L)),
                    new String(meta.asSlice(metaOff, ml).toArray(JAVA_BYTE), StandardCharsets.UTF_8)
                        .replaceAll("\0+$", "")));
                nameOff += l;
                metaOff += ml;
            }
            return out;
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new AssertionError(t);
        }
    }

    /**
     * {@code xc_livepatch_apply}, then waits until the hypervisor finished the action.
     *
     * @param timeout the rendezvous deadline passed to Xen (zero: Xen's default, 30 ms)
     * @param flags   0 or {@link #APPLY_NODEPS}
     * @return the payload's status once the action is no longer pending; {@code rc} says whether
     *         it worked, as it does for {@code xen-livepatch}
     */
    public LivepatchStatus apply(final String name, final Duration timeout, final int flags)
    {
        action(Native.get().apply, "xc_livepatch_apply", name, timeout, flags);
        return awaitAction(name);
    }

    /** {@code xc_livepatch_revert}, then waits; see {@link #apply}. */
    public LivepatchStatus revert(final String name, final Duration timeout)
    {
        action(Native.get().revert, "xc_livepatch_revert", name, timeout, 0);
        return awaitAction(name);
    }

    /** {@code xc_livepatch_replace}, then waits; see {@link #apply}. */
    public LivepatchStatus replace(final String name, final Duration timeout)
    {
        action(Native.get().replace, "xc_livepatch_replace", name, timeout, 0);
        return awaitAction(name);
    }

    /** {@code xc_livepatch_unload}: synchronous; the payload must be CHECKED. */
    public void unload(final String name)
    {
        action(Native.get().unload, "xc_livepatch_unload", name, Duration.ZERO, 0);
    }

    /** {@return {@code xc_version(XENVER_version)}: major in the high 16 bits, minor in the low} */
    public int version()
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment errno = a.allocate(Native.CAPTURE);
            final int rc = (int) Native.get().version.invokeExact(errno, handle(), XENVER_VERSION, MemorySegment.NULL);
            check("xc_version", "XENVER_version", rc, errno);
            return rc;
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new AssertionError(t);
        }
    }

    /** {@return {@code xc_version(XENVER_extraversion)}: what {@code xl info} shows as {@code xen_extra}} */
    public String extraVersion()
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment errno = a.allocate(Native.CAPTURE);
            final MemorySegment buf = a.allocate(EXTRAVERSION_LEN);
            final int rc = (int) Native.get().version.invokeExact(errno, handle(), XENVER_EXTRAVERSION, buf);
            check("xc_version", "XENVER_extraversion", rc, errno);
            return text(buf, 0, EXTRAVERSION_LEN);
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new AssertionError(t);
        }
    }

    /**
     * {@return {@code xc_version(XENVER_build_id)}: the running hypervisor's GNU build-id}
     * The argument is {@code struct xen_build_id { uint32_t len; unsigned char buf[]; }} with
     * {@code len} the buffer's size; the call returns how many bytes it wrote.
     */
    public BuildId buildId()
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment errno = a.allocate(Native.CAPTURE);
            final MemorySegment arg = a.allocate(4L + BUILD_ID_MAX, 4);
            arg.set(JAVA_INT, 0, BUILD_ID_MAX);
            final int rc = (int) Native.get().version.invokeExact(errno, handle(), XENVER_BUILD_ID, arg);
            check("xc_version", "XENVER_build_id", rc, errno);
            if (0 == rc || rc > BUILD_ID_MAX)
            {
                throw new XenCtrlException("xc_version", "XENVER_build_id returned " + rc + " bytes",
                                           Errno.ENODATA.number());
            }
            return new BuildId(arg.asSlice(4, rc).toArray(JAVA_BYTE));
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new AssertionError(t);
        }
    }

    /** {@code xc_interface_close}. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment errno = a.allocate(Native.CAPTURE);
            final int rc = (int) Native.get().interfaceClose.invokeExact(errno, xch);
            check("xc_interface_close", "", rc, errno);
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new AssertionError(t);
        }
    }

    private void action(final MethodHandle h, final String function, final String name, final Duration timeout,
                        final int flags)
    {
        final long ns = timeout.toNanos();
        if (ns < 0 || ns > 0xffff_ffffL)
        {
            throw new IllegalArgumentException("timeout must fit Xen's u32 nanoseconds: " + timeout);
        }
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment errno = a.allocate(Native.CAPTURE);
            final int rc = (int) h.invokeExact(errno, handle(), cName(a, name), (int) ns, flags);
            check(function, name, rc, errno);
        }
        catch (final RuntimeException | Error e)
        {
            throw e;
        }
        catch (final Throwable t)
        {
            throw new AssertionError(t);
        }
    }

    /** Actions complete asynchronously (at the next rendezvous); Xen bounds them by their timeout. */
    private LivepatchStatus awaitAction(final String name)
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true)
        {
            final LivepatchStatus s = get(name);
            if (!s.pending())
            {
                return s;
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new XenCtrlException("xc_livepatch_get", name + ": action still pending after 30 s",
                                           Errno.ETIMEDOUT.number());
            }
            try
            {
                Thread.sleep(POLL);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                throw new XenCtrlException("interrupted waiting for " + name, e);
            }
        }
    }

    private MemorySegment handle()
    {
        if (closed)
        {
            throw new IllegalStateException("xc_interface already closed");
        }
        return xch;
    }

    private static MemorySegment cName(final Arena a, final String name)
    {
        Objects.requireNonNull(name, "name");
        final byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (0 == b.length || b.length >= NAME_SIZE || name.indexOf('\0') >= 0)
        {
            throw new IllegalArgumentException("livepatch name must be 1.." + (NAME_SIZE - 1)
                                               + " bytes without NUL: \"" + name + "\"");
        }
        return a.allocateFrom(name, StandardCharsets.UTF_8);
    }

    private static String text(final MemorySegment s, final long off, final int max)
    {
        int n = 0;
        while (n < max && 0 != s.get(JAVA_BYTE, off + n))
        {
            n++;
        }
        return new String(s.asSlice(off, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    }

    private static void check(final String function, final String subject, final int rc, final MemorySegment errno)
    {
        if (rc < 0)
        {
            throw new XenCtrlException(function, subject, Native.errno(errno));
        }
    }

    /**
     * The downcall handles, bound on first use so that merely loading {@link XenCtrl} outside dom0
     * does not fail; a missing library or symbol becomes one {@link XenCtrlException}.
     */
    private static final class Native
    {
        static final String LIBRARY = "libxenctrl.so.4.17";
        static final Linker LINKER = Linker.nativeLinker();
        static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

        private static Native instance;

        final MethodHandle interfaceOpen;
        final MethodHandle interfaceClose;
        final MethodHandle upload;
        final MethodHandle get;
        final MethodHandle listSizes;
        final MethodHandle list;
        final MethodHandle apply;
        final MethodHandle revert;
        final MethodHandle unload;
        final MethodHandle replace;
        final MethodHandle version;

        private Native(final SymbolLookup lookup)
        {
            final FunctionDescriptor action = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT);
            interfaceOpen = bind(lookup, "xc_interface_open", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
            interfaceClose = bind(lookup, "xc_interface_close", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            upload = bind(lookup, "xc_livepatch_upload",
                          FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
            get = bind(lookup, "xc_livepatch_get", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
            listSizes = bind(lookup, "xc_livepatch_list_get_sizes",
                             FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
            list = bind(lookup, "xc_livepatch_list", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
            apply = bind(lookup, "xc_livepatch_apply", action);
            revert = bind(lookup, "xc_livepatch_revert", action);
            unload = bind(lookup, "xc_livepatch_unload", action);
            replace = bind(lookup, "xc_livepatch_replace", action);
            version = bind(lookup, "xc_version", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        }

        static synchronized Native get()
        {
            if (null == instance)
            {
                final SymbolLookup lookup;
                try
                {
                    // The library stays loaded for the life of the JVM, like the handles bound to it.
                    lookup = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
                }
                catch (final IllegalArgumentException e)
                {
                    throw new XenCtrlException(LIBRARY + " cannot be loaded: xsplice talks to real Xen only "
                                               + "in dom0 with the Xen tools installed (xen-utils-4.17)", e);
                }
                instance = new Native(lookup);
            }
            return instance;
        }

        private static MethodHandle bind(final SymbolLookup lookup, final String name, final FunctionDescriptor fd)
        {
            final MemorySegment fn = lookup.find(name).orElseThrow(
                () -> new XenCtrlException("native function " + name + " not found in " + LIBRARY,
                                           new LinkageError(name)));
            return LINKER.downcallHandle(fn, fd, CAPTURE_ERRNO);
        }

        static int errno(final MemorySegment capture)
        {
            return (int) ERRNO.get(capture, 0L);
        }
    }
}
