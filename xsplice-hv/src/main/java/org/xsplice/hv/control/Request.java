package org.xsplice.hv.control;

/**
 * What a client asks a supervisor. Each request names the response it expects; add a record
 * here (and a case in the supervisor's switch) to add an operation: the codec needs nothing else.
 */
public sealed interface Request {
    /** Is it alive; who is it. */
    record Ping() implements Request {
    }

    /** {@code xl info}. */
    record Info() implements Request {
    }

    /** {@code xl dmesg [-c]}. */
    record Dmesg(boolean clear) implements Request {
    }

    /** {@code xl debug-keys KEYS}. */
    record DebugKeys(String keys) implements Request {
    }

    /** {@code xl symbol QUERY}: an address ({@code 0x...}) to a symbol, or {@code name[+off]} to an address. */
    record SymbolQuery(String query) implements Request {
    }

    /** Per-CPU workload counters. */
    record Stats() implements Request {
    }

    /** UPLOAD: check and load a payload (state CHECKED); answered with {@link Response.PayloadStatus}. */
    record Upload(String name, byte[] payload) implements Request {
    }

    /** GET one payload's status. */
    record GetPayload(String name) implements Request {
    }

    /** LIST every payload, in load order. */
    record ListPayloads() implements Request {
    }

    /** UNLOAD a CHECKED payload and free its memory. */
    record Unload(String name) implements Request {
    }

    /**
     * APPLY (asynchronous): answered at once with {@link Response.PayloadStatus} (rc -EAGAIN);
     * GET shows the outcome.
     *
     * @param timeoutNs rendezvous timeout, 0 = 30 ms
     * @param nodeps    skip the inter-payload build-id check
     */
    record Apply(String name, long timeoutNs, boolean nodeps) implements Request {
    }

    /** REVERT the top of the applied stack (asynchronous, as {@link Apply}). */
    record Revert(String name, long timeoutNs) implements Request {
    }

    /** REPLACE: revert every applied payload and apply this one in one rendezvous (asynchronous). */
    record Replace(String name, long timeoutNs) implements Request {
    }

    /** Load a microcode update on every pCPU at a rendezvous (synchronous); answered with {@link Response.Text}, the revision. */
    record Ucode(byte[] update, long timeoutNs) implements Request {
    }

    /** Stop the hypervisor and the supervisor. */
    record Stop() implements Request {
    }
}
