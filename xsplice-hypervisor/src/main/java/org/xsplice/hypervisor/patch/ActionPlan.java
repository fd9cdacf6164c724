package org.xsplice.hypervisor.patch;

import java.util.List;
import java.util.Objects;

import org.xsplice.hypervisor.loader.LoadedPayload;

/**
 * What one action will do at the rendezvous, computed before it: the payload it applies (or
 * reverts), the payloads it reverts first (REPLACE, newest first) and the text writes in order.
 *
 * @param action   APPLY, REVERT or REPLACE
 * @param target   the payload named in the request
 * @param reverted the payloads reverted, newest first (REVERT: the target; REPLACE: every applied one)
 * @param writes   the writes, in the order they are made
 */
public record ActionPlan(Action action, LoadedPayload target, List<LoadedPayload> reverted, List<TextWrite> writes) {
    /** The asynchronous actions ({@code XEN_SYSCTL_LIVEPATCH_ACTION_*}). */
    public enum Action {
        APPLY, REVERT, REPLACE;

        /** {@return the verb the toolstack prints} */
        public String verb() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public ActionPlan {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(target, "target");
        reverted = List.copyOf(reverted);
        writes = List.copyOf(writes);
    }
}
