package org.xsplice.hv;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import org.xsplice.hv.HvLayout.Mbox;
import org.xsplice.hypervisor.ErrnoException;

/**
 * The control domain's hypercalls into a reference hypervisor, as libxc makes them into Xen:
 * arguments are laid out in dom0's memory (the mailbox buffer), a pCPU runs the hypercall on
 * its PV path, results come back in the same buffer. Numbers and layouts are Xen's public ABI.
 */
public final class Hypercalls {
    public static final int HYPERVISOR_XEN_VERSION = 17;
    public static final int HYPERVISOR_SYSCTL = 35;
    public static final int HYPERVISOR_DOMCTL = 36;

    public static final int XENVER_VERSION = 0;
    public static final int XENVER_EXTRAVERSION = 1;
    public static final int XENVER_COMPILE_INFO = 2;
    public static final int XENVER_CAPABILITIES = 3;
    public static final int XENVER_CHANGESET = 4;
    public static final int XENVER_PLATFORM_PARAMETERS = 5;
    public static final int XENVER_PAGESIZE = 7;
    public static final int XENVER_COMMANDLINE = 9;
    public static final int XENVER_BUILD_ID = 10;

    private static final int SYSCTL_INTERFACE_VERSION = 0x15;
    private static final int SYSCTL_PHYSINFO = 3;
    private static final int SYSCTL_SCHED_ID = 4;
    private static final int SYSCTL_DEBUG_KEYS = 7;
    /** Not in Xen: the stack-check test aid. */
    private static final int SYSCTL_XSPLICE_TEST_SLEEP = 0x7801;
    private static final int SYSCTL_SIZE = 8 + 616;

    private final HypervisorProcess hv;
    private final int cpu;

    /** @param cpu the pCPU that runs dom0's hypercalls */
    public Hypercalls(final HypervisorProcess hv, final int cpu) {
        this.hv = hv;
        this.cpu = cpu;
    }

    /**
     * Makes a raw hypercall with argument words as given (pointers must point into
     * {@link HypervisorProcess#mailboxBuffer()}, or anywhere on purpose).
     *
     * @return the hypercall's return value and the buffer afterwards
     */
    public HypervisorProcess.Reply raw(final int nr, final byte[] in, final int outLen, final long... args) throws IOException {
        final long[] a = new long[1 + args.length];
        a[0] = nr;
        System.arraycopy(args, 0, a, 1, args.length);
        return hv.call(Mbox.OP_HYPERCALL, cpu, a, in, outLen);
    }

    private HypervisorProcess.Reply checked(final String what, final int nr, final byte[] in, final int outLen, final long... args)
            throws IOException {
        final HypervisorProcess.Reply r = raw(nr, in, outLen, args);
        if (r.rc() < 0) {
            throw new ErrnoException(what, (int) -r.rc());
        }
        return r;
    }

    /** {@return (major << 16) | minor, from xen_major_version() and xen_minor_version()} */
    public long version() throws IOException {
        return checked("xen_version(XENVER_version)", HYPERVISOR_XEN_VERSION, new byte[0], 0, XENVER_VERSION, 0).rc();
    }

    private String string(final String what, final int cmd, final int size) throws IOException {
        final byte[] b = checked("xen_version(" + what + ")", HYPERVISOR_XEN_VERSION, new byte[0], size, cmd, hv.mailboxBuffer()).buf();
        return cString(b, 0, size);
    }

    /** {@return xen_extra_version(), through XENVER_extraversion} */
    public String extraVersion() throws IOException {
        return string("XENVER_extraversion", XENVER_EXTRAVERSION, 16);
    }

    public String capabilities() throws IOException {
        return string("XENVER_capabilities", XENVER_CAPABILITIES, 1024);
    }

    public String changeset() throws IOException {
        return string("XENVER_changeset", XENVER_CHANGESET, 64);
    }

    public String commandline() throws IOException {
        return string("XENVER_commandline", XENVER_COMMANDLINE, 1024);
    }

    public long pageSize() throws IOException {
        return checked("xen_version(XENVER_pagesize)", HYPERVISOR_XEN_VERSION, new byte[0], 0, XENVER_PAGESIZE, 0).rc();
    }

    public long virtStart() throws IOException {
        final byte[] b = checked("xen_version(XENVER_platform_parameters)", HYPERVISOR_XEN_VERSION, new byte[0], 8,
                XENVER_PLATFORM_PARAMETERS, hv.mailboxBuffer()).buf();
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    /** Xen's {@code struct xen_compile_info}. */
    public record CompileInfo(String compiler, String compileBy, String compileDomain, String compileDate) {
    }

    public CompileInfo compileInfo() throws IOException {
        final byte[] b = checked("xen_version(XENVER_compile_info)", HYPERVISOR_XEN_VERSION, new byte[0], 144,
                XENVER_COMPILE_INFO, hv.mailboxBuffer()).buf();
        return new CompileInfo(cString(b, 0, 64), cString(b, 64, 16), cString(b, 80, 32), cString(b, 112, 32));
    }

    /** {@return the running image's build-id, as the hypervisor reads it from its own note} */
    public byte[] buildId() throws IOException {
        final byte[] hdr = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1020).array();
        final HypervisorProcess.Reply r = checked("xen_version(XENVER_build_id)", HYPERVISOR_XEN_VERSION, hdr, 1024,
                XENVER_BUILD_ID, hv.mailboxBuffer());
        return Arrays.copyOfRange(r.buf(), 4, 4 + (int) r.rc());
    }

    /** Xen's {@code struct xen_sysctl_physinfo} plus the per-CPU microcode revisions. */
    public record Physinfo(int threadsPerCore, int coresPerSocket, int nrCpus, int maxCpuId, int nrNodes, int cpuKhz,
                           int capabilities, long totalPages, long freePages, int[] hwCap, long[] ucodeRev) {
    }

    private byte[] sysctl(final String what, final int cmd, final ByteBuffer body) throws IOException {
        final ByteBuffer b = ByteBuffer.allocate(SYSCTL_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, cmd).putInt(4, SYSCTL_INTERFACE_VERSION);
        if (null != body) {
            b.put(8, body, 0, body.limit());
        }
        return checked("sysctl(" + what + ")", HYPERVISOR_SYSCTL, b.array(), SYSCTL_SIZE, hv.mailboxBuffer()).buf();
    }

    public Physinfo physinfo() throws IOException {
        final ByteBuffer b = ByteBuffer.wrap(sysctl("XEN_SYSCTL_physinfo", SYSCTL_PHYSINFO, null)).order(ByteOrder.LITTLE_ENDIAN);
        final int nr = b.getInt(16);
        final int[] hw = new int[8];
        for (int i = 0; i < 8; i++) {
            hw[i] = b.getInt(8 + 72 + 4 * i);
        }
        final long[] ucode = new long[nr];
        for (int i = 0; i < nr; i++) {
            ucode[i] = b.getLong(8 + 104 + 8 * i);
        }
        return new Physinfo(b.getInt(8), b.getInt(12), nr, b.getInt(20), b.getInt(24), b.getInt(32), b.getInt(36),
                b.getLong(40), b.getLong(48), hw, ucode);
    }

    public int schedId() throws IOException {
        return ByteBuffer.wrap(sysctl("XEN_SYSCTL_sched_id", SYSCTL_SCHED_ID, null)).order(ByteOrder.LITTLE_ENDIAN).getInt(8);
    }

    /**
     * Test aid (not in Xen, {@code XEN_SYSCTL_xsplice_test_sleep}): the pCPU running it sleeps
     * {@code ms} ms inside {@code xsplice_test_sleeper()}, passing the rendezvous check every
     * millisecond. {@return the sleeper's return value (the number of 1 ms naps)}
     */
    public long testSleep(final long ms) throws IOException {
        final ByteBuffer body = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, ms);
        return ByteBuffer.wrap(sysctl("XEN_SYSCTL_xsplice_test_sleep", SYSCTL_XSPLICE_TEST_SLEEP, body))
                .order(ByteOrder.LITTLE_ENDIAN).getLong(16);
    }

    /** Presses debug keys (XEN_SYSCTL_debug_keys); their output goes to the console. */
    public void debugKeys(final String keys) throws IOException {
        final byte[] k = keys.getBytes(StandardCharsets.US_ASCII);
        final ByteBuffer b = ByteBuffer.allocate(SYSCTL_SIZE + k.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, SYSCTL_DEBUG_KEYS).putInt(4, SYSCTL_INTERFACE_VERSION);
        b.putLong(8, hv.mailboxBuffer() + SYSCTL_SIZE).putInt(16, k.length);
        b.put(SYSCTL_SIZE, k);
        checked("sysctl(XEN_SYSCTL_debug_keys)", HYPERVISOR_SYSCTL, b.array(), 0, hv.mailboxBuffer());
    }

    static String cString(final byte[] b, final int off, final int max) {
        int n = 0;
        while (n < max && off + n < b.length && 0 != b[off + n]) {
            n++;
        }
        return new String(b, off, n, StandardCharsets.UTF_8);
    }

    static String hex(final byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
