package org.xsplice.cli.hv;

import picocli.CommandLine.Option;

/** {@code --timeout NS}: the rendezvous timeout of an action, shared by {@code xl livepatch} and {@code xen-xsplice}. */
public final class TimeoutMixin {
    @Option(names = "--timeout", paramLabel = "NS",
            description = "Rendezvous timeout in nanoseconds (default 0: the hypervisor's 30 ms)")
    long timeoutNs;

    /** {@return the timeout in ns; 0 means the hypervisor's default} */
    public long ns() {
        return timeoutNs;
    }
}
