package org.xsplice.hypervisor.loader;

import java.io.IOException;

/**
 * The hypervisor-facing side effects of loading a payload. The reference hypervisor implements
 * it over its memory and control mailbox; the offline check uses none. Every call either takes
 * effect completely or throws.
 */
public interface HypervisorPort {
    /** Writes a payload image at {@code address} (inside the payload area). */
    void write(long address, byte[] image) throws IOException;

    /** Sets the protection of whole pages {@code [address, address + length)}. */
    void protect(long address, long length, PagePermission permission) throws IOException;

    /** Registers the payload's exception table and symbols, so faults are fixed up and addresses symbolised. */
    void register(PayloadRegion region) throws IOException;

    /** Removes what {@link #register} registered for {@code name}; a name not registered is ignored. */
    void unregister(String name) throws IOException;
}
