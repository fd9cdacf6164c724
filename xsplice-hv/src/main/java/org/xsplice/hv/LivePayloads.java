package org.xsplice.hv;

import java.io.IOException;
import java.util.List;

import org.xsplice.elf.BuildId;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.loader.HypervisorTarget;
import org.xsplice.hypervisor.loader.PayloadLoader;
import org.xsplice.hypervisor.loader.PayloadRegistry;
import org.xsplice.hypervisor.symbols.SymbolTable;
import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

/**
 * The payloads of one running reference hypervisor: the loader bound to its image and memory,
 * the registry of what is loaded, the port that writes into it and the patch records kept in
 * it. The supervisor owns one.
 *
 * <p>Attaching to a hypervisor that a previous supervisor left running recovers everything
 * from the hypervisor's memory: first any rendezvous still in flight is allowed to end (a
 * committed action is finished by the hypervisor's master CPU, an uncommitted one by the
 * deadline), then every recorded payload is linked again at its base from its kept file and
 * compared with memory, and the applied stack is rebuilt from the records.
 */
public final class LivePayloads implements AutoCloseable {
    /** How long attaching waits for a rendezvous a dead supervisor left in flight. */
    private static final long SETTLE_LIMIT_NS = 5_000_000_000L;

    private final HvPayloadPort port;
    private final PayloadRegistry registry;
    private final LiveActions actions;
    private final List<LoadedPayload> recovered;

    public LivePayloads(final HypervisorProcess hv) throws IOException {
        settle(hv);
        this.port = new HvPayloadPort(hv);
        final long[] space = HvPayloadPort.payloadSpace(hv);
        final HvImage image = hv.image();
        final HypervisorTarget target = new HypervisorTarget() {
            @Override
            public BuildId buildId() {
                return image.buildId();
            }

            @Override
            public SymbolTable symbols() {
                return image.symbols();
            }

            @Override
            public byte[] read(final long address, final int length) {
                try {
                    return hv.memory().read(address, length);
                } catch (final IOException e) {
                    throw new PayloadException(Errno.EFAULT, "reading " + length + " bytes of hypervisor memory at 0x"
                            + Long.toHexString(address) + ": " + e.getMessage(), e);
                }
            }

            @Override
            public long areaStart() {
                return space[0];
            }

            @Override
            public long areaSize() {
                return space[1];
            }
        };
        this.registry = new PayloadRegistry(new PayloadLoader(target), port, true);
        final PatchRecords records = new PatchRecords(hv);
        this.actions = new LiveActions(hv, registry, records);
        boolean done = false;
        try {
            this.recovered = actions.recover(records.read());
            // Publish exactly the recovered payloads' regions (also when there are none: a region
            // a dead supervisor registered for a payload it never recorded is dropped).
            if (!recovered.isEmpty() || 0 != hv.memory().readLong(hv.image().address(HvLayout.Regions.SYMBOL, 8))) {
                port.adopt(recovered.stream().map(LoadedPayload::region).toList());
            }
            done = true;
        } finally {
            if (!done) {
                actions.close();
            }
        }
    }

    /**
     * Waits until no rendezvous is in flight: a committed one until no CPU is parked for it (its
     * master is done), an uncommitted one until its deadline passed and every parked CPU left;
     * then lowers a flag
     * a dead driver left raised (each CPU would otherwise pass through the slow path at every
     * exit, returning at once).
     */
    private static void settle(final HypervisorProcess hv) throws IOException {
        final long base = hv.rendezvousAddress();
        final long limit = System.nanoTime() + SETTLE_LIMIT_NS;
        final RendezvousBlock block = hv.rendezvous();
        for (;;) {
            final long gen = block.generation();
            // Committed: busy while a CPU is parked (the master is one until it is done; if every CPU
            // had left before the commit took, nobody acts and nothing is parked). Not committed:
            // busy until the deadline, after which no CPU parks or stays for this generation.
            final boolean committed = gen == hv.memory().readLong(base + HvLayout.Rendezvous.ACTING);
            boolean busy = !committed && System.nanoTime() - hv.memory().readLong(base + HvLayout.Rendezvous.DEADLINE) < 0;
            for (int c = 0; c < block.cpus() && !busy; c++) {
                final RendezvousBlock.CpuState s = block.cpu(c);
                busy = gen == s.arrived() && gen != s.left();
            }
            if (!busy) {
                break;
            }
            if (System.nanoTime() - limit > 0) {
                throw new PayloadException(Errno.EBUSY, "hypervisor " + hv.name() + ": rendezvous " + gen
                        + " left by a previous supervisor has not ended after " + SETTLE_LIMIT_NS / 1_000_000 + " ms");
            }
            HypervisorProcess.sleepMillis(1);
        }
        if (0 != hv.memory().readInt(base + HvLayout.Rendezvous.DO_WORK)) {
            hv.memory().writeInt(base + HvLayout.Rendezvous.DO_WORK, 0);
        }
    }

    /** {@return the payloads taken over from a previous supervisor (empty on a fresh hypervisor)} */
    public List<LoadedPayload> recovered() {
        return recovered;
    }

    /** {@return APPLY / REVERT / REPLACE / UNLOAD} */
    public LiveActions actions() {
        return actions;
    }

    @Override
    public void close() {
        actions.close();
    }

    /** {@return the registry: UPLOAD, GET, LIST, UNLOAD} */
    public PayloadRegistry registry() {
        return registry;
    }

    /** {@return the hypervisor's symbols followed by those of every loaded payload} */
    public SymbolTable symbols(final SymbolTable hypervisor) {
        return SymbolTable.chain(List.of(hypervisor, SymbolTable.of(port.symbols())));
    }

    /** {@return the port (for tests: the regions published)} */
    public HvPayloadPort port() {
        return port;
    }
}
