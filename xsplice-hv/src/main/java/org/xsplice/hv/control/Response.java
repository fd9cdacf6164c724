package org.xsplice.hv.control;

import java.util.List;

/** What a supervisor answers. {@link Failure} carries an errno name for any request. */
public sealed interface Response {
    /** @param name hypervisor name, @param pid its process, @param cpus its pCPUs, @param supervisorPid the supervisor */
    record Pong(String name, long pid, int cpus, long supervisorPid) implements Response {
    }

    /** One {@code xl info} line. */
    record Field(String key, String value) {
    }

    /** {@code xl info}: fields in Xen's order. */
    record InfoReply(List<Field> fields) implements Response {
    }

    /** Console text. */
    record Text(String text) implements Response {
    }

    /** @param address the address, @param location {@code <sym>+0xoff/0xsize}, or empty when no symbol covers it */
    record SymbolReply(long address, String location) implements Response {
    }

    /** Counters of one pCPU. */
    record CpuCounters(int cpu, long exits, long hypercalls, long vmexits, long pvHypercalls, long efaults, boolean idle) {
    }

    record StatsReply(List<CpuCounters> cpus) implements Response {
    }

    /**
     * A payload as GET/LIST show it.
     *
     * @param name     its name
     * @param state    Xen's state number (1 CHECKED, 2 APPLIED)
     * @param status   the state's name
     * @param rc       0 or the negative errno of its last action
     * @param metadata its .modinfo strings joined by ';'
     */
    record PayloadStatus(String name, int state, String status, int rc, String metadata) implements Response {
    }

    /** LIST: every payload, in load order. */
    record PayloadList(List<PayloadStatus> payloads) implements Response {
    }

    /** The request was carried out; nothing to return. */
    record Done() implements Response {
    }

    /**
     * The request failed.
     *
     * @param errno   the errno name ({@code EINVAL}, {@code ENOENT}, {@code ESRCH} when the hypervisor is gone)
     * @param message what failed and why
     */
    record Failure(String errno, String message) implements Response {
    }
}
