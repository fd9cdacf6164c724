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

    public LivePayloads(final HypervisorProcess hv) throws IOException {
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
