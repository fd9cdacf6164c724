package org.xsplice.hv;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.xsplice.hv.HvLayout.Meta;
import org.xsplice.hv.HvLayout.State;
import org.xsplice.hv.HvLayout.Work;
import org.xsplice.hypervisor.loader.PayloadState;
import org.xsplice.hypervisor.patch.TextWrite;
import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

/**
 * The patch state kept in the hypervisor's memory (see {@code include/public/xsplice.h},
 * "Patch state"): the record tables and the work list in the state area at the top of the
 * payload area, and the {@code livepatch_state} pointer that publishes a table.
 *
 * <pre>
 *  meta region:  | regions 0 | regions 1 | work list | table A | table B |
 *  livepatch_state.table ------------------------------^ (the published one)
 * </pre>
 *
 * <p>A table is never changed once published: the next one is written into the other buffer
 * and published with one 8-byte store, by this class ({@link #publish}, synchronous changes)
 * or by the master CPU at the end of an action (the table named in the staged work list).
 * Not thread-safe: the caller serialises (one writer at a time).
 */
public final class PatchRecords {
    private final HypervisorProcess hv;
    private final long pointer;
    private final long work;
    private final long[] tables = new long[2];

    /** @param hv the running hypervisor */
    public PatchRecords(final HypervisorProcess hv) throws IOException {
        this.hv = hv;
        this.pointer = hv.image().address(State.SYMBOL, State.SIZE);
        this.work = HvPayloadPort.meta(hv) + Meta.STATE_OFFSET;
        tables[0] = work + Meta.WORK_SIZE;
        tables[1] = tables[0] + Meta.TABLE_SIZE;
    }

    /** {@return the address of the published table, 0 when none was ever published} */
    public long published() throws IOException {
        return hv.memory().readLong(pointer + State.TABLE);
    }

    /**
     * Writes {@code records} as a complete table into the buffer that is not published.
     *
     * @return its address, for {@link #publish} or a work list
     * @throws PayloadException E2BIG when the table does not fit its buffer
     */
    public long stage(final List<PatchRecord> records) throws IOException {
        final byte[] t = encode(records);
        final long at = published() == tables[0] ? tables[1] : tables[0];
        hv.memory().write(at, t);
        return at;
    }

    /** Publishes a staged table: one 8-byte store of its address (the point a reader switches). */
    public void publish(final long table) throws IOException {
        hv.memory().writeLong(pointer + State.TABLE, table);
        hv.memory().writeLong(pointer + State.GENERATION, hv.memory().readLong(pointer + State.GENERATION) + 1);
    }

    /**
     * Writes the work list the master runs after the commit.
     *
     * @param table the staged table the master publishes when every write succeeded, or 0
     * @return its address, for {@link RendezvousDriver#run}
     * @throws PayloadException E2BIG when a write is longer than {@link Work#WRITE_MAX} bytes or
     *                          there are more than {@link Work#MAX}
     */
    public long stageWork(final List<TextWrite> writes, final long table) throws IOException {
        if (writes.size() > Work.MAX) {
            throw new PayloadException(Errno.E2BIG, "an action of " + writes.size() + " writes; at most " + Work.MAX);
        }
        final ByteBuffer b = ByteBuffer.allocate((int) (Work.HEADER + Work.WRITE_SIZE * writes.size())).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong((int) Work.NR, writes.size());
        b.putLong((int) Work.TABLE, table);
        for (int i = 0; i < writes.size(); i++) {
            final TextWrite w = writes.get(i);
            if (w.length() > Work.WRITE_MAX) {
                throw new PayloadException(Errno.E2BIG, w.func() + " (payload '" + w.payload() + "'): a write of " + w.length()
                        + " bytes; at most " + Work.WRITE_MAX);
            }
            final int at = (int) (Work.HEADER + Work.WRITE_SIZE * i);
            b.putLong(at + (int) Work.ADDR, w.address());
            b.putInt(at + (int) Work.LEN, w.length());
            b.putInt(at + (int) Work.FLAGS, w.checkLive() ? Work.CHECK_LIVE : 0);
            b.put(at + (int) Work.EXPECT, w.before());
            b.put(at + (int) Work.BYTES, w.after());
            b.put(at + (int) Work.FIN, w.fin());
        }
        hv.memory().write(work, b.array());
        return work;
    }

    /**
     * {@return the published records, in load order; empty when none were published}
     *
     * @throws PayloadException EIO when the table is not one this layout wrote (names what and where)
     */
    public List<PatchRecord> read() throws IOException {
        final long at = published();
        if (0 == at) {
            return List.of();
        }
        if (at != tables[0] && at != tables[1]) {
            throw corrupt(at, "the published table is at neither state buffer");
        }
        final ByteBuffer h = ByteBuffer.wrap(hv.memory().read(at, (int) State.TABLE_HEADER)).order(ByteOrder.LITTLE_ENDIAN);
        final long bytes = h.getLong((int) State.T_BYTES);
        if (State.MAGIC != h.getLong((int) State.T_MAGIC) || bytes < State.TABLE_HEADER || bytes > Meta.TABLE_SIZE) {
            throw corrupt(at, "bad magic or size " + bytes);
        }
        final ByteBuffer b = ByteBuffer.wrap(hv.memory().read(at, (int) bytes)).order(ByteOrder.LITTLE_ENDIAN);
        final long nr = b.getLong((int) State.T_NR);
        final List<PatchRecord> out = new ArrayList<>();
        int pos = (int) State.TABLE_HEADER;
        for (long i = 0; i < nr; i++) {
            if (pos + State.RECORD > bytes) {
                throw corrupt(at, "record " + i + " at offset " + pos + " runs past the table's " + bytes + " bytes");
            }
            final int nf = b.getInt(pos + (int) State.R_NR_FUNCS);
            if (nf < 0 || pos + State.RECORD + State.FSTATE * (long) nf > bytes) {
                throw corrupt(at, "record " + i + " claims " + Integer.toUnsignedString(nf) + " functions");
            }
            final List<PatchRecord.FuncState> funcs = new ArrayList<>();
            for (int f = 0; f < nf; f++) {
                final int fs = pos + (int) (State.RECORD + State.FSTATE * f);
                final int len = b.getInt(fs + (int) State.F_LEN);
                if (len <= 0 || len > Work.WRITE_MAX) {
                    throw corrupt(at, "record " + i + " function " + f + " has a patch of " + len + " bytes");
                }
                final byte[] saved = new byte[len];
                b.get(fs + (int) State.F_SAVED, saved);
                funcs.add(new PatchRecord.FuncState(b.getLong(fs + (int) State.F_PATCH_ADDR), len,
                        0 != b.getInt(fs + (int) State.F_APPLIED), saved));
            }
            final int st = b.getInt(pos + (int) State.R_STATE);
            final PayloadState state = switch (st) {
                case 1 -> PayloadState.CHECKED;
                case 2 -> PayloadState.APPLIED;
                default -> throw corrupt(at, "record " + i + " has state " + st);
            };
            out.add(new PatchRecord(name(b, pos, at, i), b.getLong(pos + (int) State.R_BASE), b.getLong(pos + (int) State.R_SIZE),
                    b.getLong(pos + (int) State.R_TEXT_ADDR), b.getLong(pos + (int) State.R_TEXT_SIZE),
                    b.getLong(pos + (int) State.R_RW_ADDR), b.getLong(pos + (int) State.R_RW_SIZE),
                    b.getLong(pos + (int) State.R_RO_ADDR), b.getLong(pos + (int) State.R_RO_SIZE),
                    b.getLong(pos + (int) State.R_FILE), b.getLong(pos + (int) State.R_FILE_SIZE), state,
                    b.getInt(pos + (int) State.R_RC), 0 != (b.getInt(pos + (int) State.R_FLAGS) & State.FLAG_REVERTED),
                    b.getInt(pos + (int) State.R_APPLIED_POS), funcs));
            pos += (int) (State.RECORD + State.FSTATE * nf);
        }
        return out;
    }

    private static String name(final ByteBuffer b, final int pos, final long at, final long i) {
        int n = 0;
        while (n < State.NAME_SIZE && 0 != b.get(pos + n)) {
            n++;
        }
        if (0 == n || State.NAME_SIZE == n) {
            throw corrupt(at, "record " + i + " has no NUL-terminated name");
        }
        final byte[] s = new byte[n];
        b.get(pos, s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static PayloadException corrupt(final long at, final String why) {
        return new PayloadException(Errno.EIO, "patch records at 0x" + Long.toHexString(at) + ": " + why);
    }

    /** Lays out {@code struct livepatch_record_table} with every record. */
    static byte[] encode(final List<PatchRecord> records) {
        long size = State.TABLE_HEADER;
        for (final PatchRecord r : records) {
            size += State.RECORD + State.FSTATE * r.funcs().size();
        }
        if (size > Meta.TABLE_SIZE) {
            throw new PayloadException(Errno.E2BIG, "the patch records need " + size + " bytes, more than the " + Meta.TABLE_SIZE
                    + " of a state buffer");
        }
        final ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong((int) State.T_MAGIC, State.MAGIC);
        b.putLong((int) State.T_NR, records.size());
        b.putLong((int) State.T_NR_APPLIED, records.stream().filter(r -> r.appliedPos() > 0).count());
        b.putLong((int) State.T_BYTES, size);
        int pos = (int) State.TABLE_HEADER;
        for (final PatchRecord r : records) {
            final byte[] name = r.name().getBytes(StandardCharsets.UTF_8);
            if (name.length >= State.NAME_SIZE) {
                throw new PayloadException(Errno.ENAMETOOLONG, "payload name '" + r.name() + "' is longer than "
                        + (State.NAME_SIZE - 1) + " bytes");
            }
            b.put(pos, name);
            b.putLong(pos + (int) State.R_BASE, r.base());
            b.putLong(pos + (int) State.R_SIZE, r.size());
            b.putLong(pos + (int) State.R_TEXT_ADDR, r.textAddr());
            b.putLong(pos + (int) State.R_TEXT_SIZE, r.textSize());
            b.putLong(pos + (int) State.R_RW_ADDR, r.rwAddr());
            b.putLong(pos + (int) State.R_RW_SIZE, r.rwSize());
            b.putLong(pos + (int) State.R_RO_ADDR, r.roAddr());
            b.putLong(pos + (int) State.R_RO_SIZE, r.roSize());
            b.putLong(pos + (int) State.R_FILE, r.file());
            b.putLong(pos + (int) State.R_FILE_SIZE, r.fileSize());
            b.putInt(pos + (int) State.R_STATE, r.state().code());
            b.putInt(pos + (int) State.R_RC, r.rc());
            b.putInt(pos + (int) State.R_NR_FUNCS, r.funcs().size());
            b.putInt(pos + (int) State.R_FLAGS, r.reverted() ? State.FLAG_REVERTED : 0);
            b.putInt(pos + (int) State.R_APPLIED_POS, r.appliedPos());
            for (int f = 0; f < r.funcs().size(); f++) {
                final PatchRecord.FuncState fs = r.funcs().get(f);
                final int at = pos + (int) (State.RECORD + State.FSTATE * f);
                if (fs.length() <= 0 || fs.length() > Work.WRITE_MAX || fs.saved().length != fs.length()) {
                    throw new PayloadException(Errno.E2BIG, "payload '" + r.name() + "' function " + f + ": a patch of "
                            + fs.length() + " bytes; at most " + Work.WRITE_MAX);
                }
                b.putLong(at + (int) State.F_PATCH_ADDR, fs.patchAddr());
                b.putInt(at + (int) State.F_LEN, fs.length());
                b.putInt(at + (int) State.F_APPLIED, fs.applied() ? 1 : 0);
                b.put(at + (int) State.F_SAVED, fs.saved());
            }
            pos += (int) (State.RECORD + State.FSTATE * r.funcs().size());
        }
        return b.array();
    }
}
