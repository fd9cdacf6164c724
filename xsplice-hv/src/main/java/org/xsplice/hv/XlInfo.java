package org.xsplice.hv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.xsplice.hv.control.Response.Field;

/**
 * The fields of {@code xl info}, in Xen's order and with Xen's names. Where Xen's values come
 * from the hypervisor, these come from hypercalls into the running C core (so a patched
 * {@code xen_extra_version()} shows here); host/release/version/machine describe the control
 * domain's kernel, as in Xen.
 */
public final class XlInfo {
    private static final long MIB = 1L << 20;

    private XlInfo() {
    }

    public static List<Field> collect(final HypervisorProcess hv) throws IOException {
        final Hypercalls h = new Hypercalls(hv, 0);
        final Hypercalls.Physinfo pi = h.physinfo();
        final long version = h.version();
        final String extra = h.extraVersion();
        final Hypercalls.CompileInfo ci = h.compileInfo();
        final long page = h.pageSize();
        final List<Field> f = new ArrayList<>();
        f.add(new Field("host", proc("sys/kernel/hostname")));
        f.add(new Field("release", proc("sys/kernel/osrelease")));
        f.add(new Field("version", proc("sys/kernel/version")));
        f.add(new Field("machine", "amd64".equals(System.getProperty("os.arch")) ? "x86_64" : System.getProperty("os.arch")));
        f.add(new Field("nr_cpus", Integer.toString(pi.nrCpus())));
        f.add(new Field("max_cpu_id", Integer.toString(pi.maxCpuId())));
        f.add(new Field("nr_nodes", Integer.toString(pi.nrNodes())));
        f.add(new Field("cores_per_socket", Integer.toString(pi.coresPerSocket())));
        f.add(new Field("threads_per_core", Integer.toString(pi.threadsPerCore())));
        f.add(new Field("cpu_mhz", String.format("%d.%03d", pi.cpuKhz() / 1000, pi.cpuKhz() % 1000)));
        final List<String> hw = new ArrayList<>();
        for (final int w : pi.hwCap()) {
            hw.add(String.format("%08x", w));
        }
        f.add(new Field("hw_caps", String.join(":", hw)));
        f.add(new Field("virt_caps", virtCaps(pi.capabilities())));
        // Not one of Xen's xl info lines: the per-CPU microcode revision the rendezvous loads.
        final List<String> ucode = new ArrayList<>();
        for (final long r : pi.ucodeRev()) {
            ucode.add("0x" + Long.toHexString(r));
        }
        f.add(new Field("ucode_revision", String.join(" ", ucode)));
        f.add(new Field("total_memory", Long.toString(pi.totalPages() * page / MIB)));
        f.add(new Field("free_memory", Long.toString(pi.freePages() * page / MIB)));
        f.add(new Field("xen_major", Long.toString(version >>> 16)));
        f.add(new Field("xen_minor", Long.toString(version & 0xffff)));
        f.add(new Field("xen_extra", extra));
        f.add(new Field("xen_version", (version >>> 16) + "." + (version & 0xffff) + extra));
        f.add(new Field("xen_caps", h.capabilities()));
        f.add(new Field("xen_scheduler", scheduler(h.schedId())));
        f.add(new Field("xen_pagesize", Long.toString(page)));
        f.add(new Field("platform_params", "virt_start=0x" + Long.toHexString(h.virtStart())));
        f.add(new Field("xen_changeset", h.changeset()));
        f.add(new Field("xen_commandline", h.commandline()));
        f.add(new Field("cc_compiler", ci.compiler()));
        f.add(new Field("cc_compile_by", ci.compileBy()));
        f.add(new Field("cc_compile_domain", ci.compileDomain()));
        f.add(new Field("cc_compile_date", ci.compileDate()));
        f.add(new Field("build_id", HexFormat.of().formatHex(h.buildId())));
        f.add(new Field("xend_config_format", "4"));
        return f;
    }

    /** Xen's xl prints the capability flags of physinfo by these names. */
    private static String virtCaps(final int caps) {
        final boolean hvm = 0 != (caps & 1);
        final boolean pv = 0 != (caps & 2);
        final boolean directio = 0 != (caps & 4);
        final List<String> out = new ArrayList<>();
        if (pv) {
            out.add("pv");
        }
        if (hvm) {
            out.add("hvm");
        }
        if (hvm && directio) {
            out.add("hvm_directio");
        }
        if (pv && directio) {
            out.add("pv_directio");
        }
        if (0 != (caps & 8)) {
            out.add("hap");
        }
        if (0 != (caps & 16)) {
            out.add("shadow");
        }
        return String.join(" ", out);
    }

    private static String scheduler(final int id) {
        return switch (id) {
            case 5 -> "credit";
            case 6 -> "credit2";
            case 7 -> "arinc653";
            case 8 -> "rtds";
            case 9 -> "null";
            default -> "unknown (" + id + ")";
        };
    }

    private static String proc(final String file) throws IOException {
        return Files.readString(Path.of("/proc", file)).strip();
    }
}
