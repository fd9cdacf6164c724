package org.xsplice.hv;

import java.io.IOException;
import java.util.List;

import org.xsplice.elf.BuildId;
import org.xsplice.hypervisor.loader.HypervisorTarget;
import org.xsplice.hypervisor.loader.PayloadLoader;
import org.xsplice.hypervisor.loader.PayloadRegistry;
import org.xsplice.hypervisor.symbols.SymbolTable;
import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

/**
 * The payloads of one running reference hypervisor: the loader bound to its image and memory,
 * the registry of what is loaded, and the port that writes into it. The supervisor owns one.
 */
public final class LivePayloads implements AutoCloseable {
    private final HvPayloadPort port;
    private final PayloadRegistry registry;
    private final LiveActions actions;
    private final long inherited;
    private final String name;

    public LivePayloads(final HypervisorProcess hv) throws IOException {
        // Payload regions published before this supervisor existed: a previous supervisor
        // loaded (and maybe applied) payloads that this one knows nothing about. Read first:
        // nothing below may write the region table or hand out their memory.
        final long table = hv.memory().readLong(hv.image().address(HvLayout.Regions.SYMBOL, 8));
        this.inherited = 0 == table ? 0 : hv.memory().readLong(table);
        this.name = hv.name();
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
        this.registry = new PayloadRegistry(new PayloadLoader(target), port);
        this.actions = new LiveActions(hv, registry);
    }

    /**
     * Refuses every payload operation when this supervisor took over a hypervisor that already
     * holds payloads: their registry, applied stack and saved bytes lived in the previous
     * supervisor and are not recovered yet (docs/consistency-model.md, "Limits"), so listing
     * nothing or allocating their memory again would be wrong. The patched text itself stays
     * as it is and keeps running.
     *
     * @throws PayloadException EIO naming how many payloads were inherited
     */
    public void guard() {
        if (inherited > 0) {
            throw new PayloadException(Errno.EIO, "hypervisor " + name + " holds " + inherited
                    + " payload(s) loaded by a previous supervisor, whose state this supervisor cannot recover yet;"
                    + " payload operations are refused until the hypervisor is restarted");
        }
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
