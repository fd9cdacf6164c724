package org.xsplice.hv;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.xsplice.hypervisor.loader.BugFrameTable;
import org.xsplice.hypervisor.loader.ExTableEntry;
import org.xsplice.hypervisor.loader.HypervisorPort;
import org.xsplice.hypervisor.loader.PagePermission;
import org.xsplice.hypervisor.loader.PayloadRegion;
import org.xsplice.hypervisor.symbols.Symbol;

/**
 * The loader's side effects on the reference hypervisor: images written through
 * {@code /proc/PID/mem}, page protections set by the control mailbox's MPROTECT op, and the
 * payload regions published in {@code livepatch_regions} (see {@code include/public/xsplice.h}).
 *
 * <p>Regions are published read-copy-update: the whole table is written into one of two
 * buffers at the top of the payload area (the part the allocator never hands out), then the
 * pointer is stored with one 8-byte write and {@code livepatch_regions_gen} is incremented.
 * After each flip the port waits for a grace period (every pCPU made an exit or sleeps idle),
 * so the buffer written next is no longer read by anyone.
 */
public final class HvPayloadPort implements HypervisorPort {
    /** Bytes at the top of the payload area kept for the region-table buffers and the patch state. */
    public static final long META_SIZE = HvLayout.Meta.SIZE;
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int PROT_EXEC = 4;
    private static final long GRACE_TIMEOUT_NS = 2_000_000_000L;
    private static final long BUFFER_SIZE = HvLayout.Meta.REGION_BUFFER;

    private final HypervisorProcess hv;
    private final long regionsPointer;
    private final long regionsGen;
    private final long[] buffers = new long[2];
    private int next;
    private final Map<String, PayloadRegion> regions = new LinkedHashMap<>();

    /**
     * @param hv the running hypervisor
     * @throws IOException when the metadata pages cannot be protected
     */
    public HvPayloadPort(final HypervisorProcess hv) throws IOException {
        this.hv = hv;
        this.regionsPointer = hv.image().address("livepatch_regions", 8);
        this.regionsGen = hv.image().address("livepatch_regions_gen", 8);
        final long meta = meta(hv);
        buffers[0] = meta;
        buffers[1] = meta + BUFFER_SIZE;
        // A previous supervisor may have published a table: the next one goes to the other buffer.
        next = buffers[0] == hv.memory().readLong(regionsPointer) ? 1 : 0;
        hv.protect(meta, META_SIZE, PROT_READ);
    }

    /** {@return the start of the meta region (the top {@link #META_SIZE} bytes of the payload area)} */
    public static long meta(final HypervisorProcess hv) throws IOException {
        final long[] area = hv.payloadArea();
        return area[0] + area[1] - META_SIZE;
    }

    /**
     * Restart recovery: publishes exactly {@code adopted} (the payloads the records name), which
     * also drops a region a previous supervisor registered for a payload it never recorded.
     */
    public synchronized void adopt(final List<PayloadRegion> adopted) throws IOException {
        final Map<String, PayloadRegion> all = new LinkedHashMap<>();
        adopted.forEach(r -> all.put(r.name(), r));
        publish(all);
        regions.clear();
        regions.putAll(all);
    }

    /** {@return the part of the payload area payloads may use: [start, size]} */
    public static long[] payloadSpace(final HypervisorProcess hv) throws IOException {
        final long[] area = hv.payloadArea();
        return new long[] {area[0], area[1] - META_SIZE};
    }

    @Override
    public void write(final long address, final byte[] image) throws IOException {
        hv.memory().write(address, image);
    }

    @Override
    public void protect(final long address, final long length, final PagePermission permission) throws IOException {
        final int prot = switch (permission) {
            case RX -> PROT_READ | PROT_EXEC;
            case RW -> PROT_READ | PROT_WRITE;
            case RO -> PROT_READ;
            case NONE -> 0;
        };
        hv.protect(address, length, prot);
    }

    @Override
    public synchronized void register(final PayloadRegion region) throws IOException {
        final Map<String, PayloadRegion> updated = new LinkedHashMap<>(regions);
        updated.put(region.name(), region);
        publish(updated);
        regions.put(region.name(), region);
    }

    @Override
    public synchronized void unregister(final String name) throws IOException {
        if (!regions.containsKey(name)) {
            return;
        }
        final Map<String, PayloadRegion> updated = new LinkedHashMap<>(regions);
        updated.remove(name);
        publish(updated);
        regions.remove(name);
    }

    /** {@return the payload symbols currently registered, for symbolisation on this side} */
    public synchronized List<Symbol> symbols() {
        final List<Symbol> out = new ArrayList<>();
        regions.values().forEach(r -> out.addAll(r.symbols()));
        return out;
    }

    /** {@return the regions registered, in registration order} */
    public synchronized List<PayloadRegion> regions() {
        return List.copyOf(regions.values());
    }

    private void publish(final Map<String, PayloadRegion> all) throws IOException {
        if (all.isEmpty()) {
            flip(0);
            return;
        }
        final long at = buffers[next];
        final byte[] table = encode(at, all.values().stream().sorted(Comparator.comparingLong(PayloadRegion::textStart)).toList());
        hv.memory().write(at, table);
        flip(at);
        next ^= 1;
    }

    /** Stores the new table pointer with one 8-byte write, bumps the generation, waits for a grace period. */
    private void flip(final long table) throws IOException {
        final List<HypervisorProcess.CpuStats> before = hv.stats();
        hv.memory().writeLong(regionsPointer, table);
        hv.memory().writeLong(regionsGen, hv.memory().readLong(regionsGen) + 1);
        final long deadline = System.nanoTime() + GRACE_TIMEOUT_NS;
        final boolean[] passed = new boolean[before.size()];
        int left = before.size();
        while (left > 0) {
            final List<HypervisorProcess.CpuStats> now = hv.stats();
            for (int i = 0; i < passed.length; i++) {
                if (!passed[i] && (now.get(i).idle() || now.get(i).exits() != before.get(i).exits())) {
                    passed[i] = true;
                    left--;
                }
            }
            if (left > 0) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("payload region table: " + left + " pCPU(s) made no exit within 2 s of the flip");
                }
                Thread.onSpinWait();
            }
        }
    }

    /** Lays out {@code struct livepatch_region_table} and everything it points to, for address {@code at}. */
    private byte[] encode(final long at, final List<PayloadRegion> rs) throws IOException {
        final long headerSize = HvLayout.Regions.TABLE_HEADER + HvLayout.Regions.REGION_SIZE * rs.size();
        long size = headerSize;
        for (final PayloadRegion r : rs) {
            size += 8L * r.exTable().size() + 24L * r.symbols().size() + r.name().length() * 4L + 1
                    + r.dump().length() * 4L + 1;
            for (final Symbol s : r.symbols()) {
                size += s.qualifiedName().length() * 4L + 1;
            }
            size += 16;
        }
        if (size > BUFFER_SIZE) {
            throw new IOException("payload region table needs " + size + " bytes, more than the " + BUFFER_SIZE + " reserved");
        }
        final ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, rs.size());
        int pos = (int) headerSize;
        for (int i = 0; i < rs.size(); i++) {
            final PayloadRegion r = rs.get(i);
            final int reg = (int) (HvLayout.Regions.TABLE_HEADER + HvLayout.Regions.REGION_SIZE * i);
            pos = align(pos, 8);
            final int ex = pos;
            for (final ExTableEntry e : r.exTable()) {
                // Each offset is relative to its own field, as Xen's x86 table is.
                b.putInt(pos, (int) (e.fault() - (at + pos)));
                b.putInt(pos + 4, (int) (e.fixup() - (at + pos + 4)));
                pos += 8;
            }
            final List<Symbol> syms = r.symbols().stream().sorted(Comparator.comparingLong(Symbol::address)).toList();
            final int symtab = pos;
            pos += 24 * syms.size();
            for (int k = 0; k < syms.size(); k++) {
                final Symbol s = syms.get(k);
                b.putLong(symtab + 24 * k, s.address());
                b.putLong(symtab + 24 * k + 8, s.size());
                b.putLong(symtab + 24 * k + 16, at + pos);
                pos = putString(b, pos, s.qualifiedName());
            }
            final int name = pos;
            pos = putString(b, pos, r.name());
            final int dump = pos;
            pos = putString(b, pos, r.dump());
            b.putLong(reg, r.textStart());
            b.putLong(reg + 8, r.textEnd());
            b.putLong(reg + 16, r.exTable().isEmpty() ? 0 : at + ex);
            b.putLong(reg + 24, r.exTable().size());
            b.putLong(reg + 32, syms.isEmpty() ? 0 : at + symtab);
            b.putLong(reg + 40, syms.size());
            b.putLong(reg + 48, at + name);
            b.putLong(reg + 56, at + dump);
            // The bug frames stay in the payload's own read-only memory: the region points at them.
            for (final BugFrameTable t : r.bugFrames()) {
                b.putLong(reg + (int) HvLayout.Regions.BUG_FRAMES + 8 * t.type(), t.address());
                b.putLong(reg + (int) HvLayout.Regions.NR_BUG_FRAMES + 8 * t.type(), t.count());
            }
        }
        final byte[] out = new byte[pos];
        b.get(0, out);
        return out;
    }

    private static int putString(final ByteBuffer b, final int pos, final String s) {
        final byte[] u = s.getBytes(StandardCharsets.UTF_8);
        b.put(pos, u);
        b.put(pos + u.length, (byte) 0);
        return pos + u.length + 1;
    }

    private static int align(final int n, final int a) {
        return (n + a - 1) & -a;
    }
}
