package org.xsplice.cli.backend;

import java.io.IOException;
import java.util.List;

import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Response;

/**
 * The hypervisor the livepatch commands ({@code xl livepatch}, {@code xen-xsplice}) drive. The
 * commands see only this interface; its two implementations reach either the xsplice reference
 * hypervisor (its supervisor's control socket) or real Xen (libxenctrl, in dom0).
 *
 * <pre>
 *  xl livepatch / xen-xsplice ──► LivepatchBackend ──┬─► ReferenceBackend ─► ControlClient ─► supervisor socket
 *                                                    └─► XenBackend ──────► XenCtrl (FFM) ──► libxenctrl ─► Xen
 * </pre>
 *
 * <p>Every refusal is a {@link ControlException} carrying the errno name, so the commands print
 * and map it to exit codes (0, 1, 2 for EAGAIN/EBUSY) the same way whichever backend answered.
 * Payload states use Xen's numbers: 1 CHECKED, 2 APPLIED; {@code rc} is 0 or a negative errno.
 */
public sealed interface LivepatchBackend extends AutoCloseable permits ReferenceBackend, XenBackend {

    /** The asynchronous payload actions: each runs at a rendezvous of every CPU. */
    enum Action {
        /** CHECKED to APPLIED. */
        APPLY("apply", "Applying", 2),
        /** APPLIED to CHECKED; only the top of the applied stack. */
        REVERT("revert", "Reverting", 1),
        /** Reverts every applied payload and applies this one, in one rendezvous. */
        REPLACE("replace", "Replacing all live patches with", 2);

        private final String verb;
        private final String progress;
        private final int outcome;

        Action(final String verb, final String progress, final int outcome) {
            this.verb = verb;
            this.progress = progress;
            this.outcome = outcome;
        }

        /** {@return the action as {@code xen-livepatch} names it} */
        public String verb() {
            return verb;
        }

        /** {@return what {@code xen-livepatch} prints before the payload's name while the action runs} */
        public String progress() {
            return progress;
        }

        /** {@return the state the payload is in once the action succeeded (Xen's numbers)} */
        public int outcome() {
            return outcome;
        }
    }

    /** {@return a human name of what this backend reaches, for messages} */
    String description();

    /** {@return {@code xl info}'s {@code key : value} fields} */
    List<Response.Field> info() throws IOException;

    /** Uploads a payload; it is checked and becomes CHECKED, or the hypervisor says why not. */
    void upload(String name, byte[] payload) throws IOException;

    /** {@return one payload's state and last result (ENOENT if it is not loaded)} */
    Response.PayloadStatus get(String name) throws IOException;

    /** {@return every loaded payload, in load order} */
    List<Response.PayloadStatus> list() throws IOException;

    /**
     * Requests an action and waits until the hypervisor finished it.
     *
     * @param nodeps    APPLY only: skip the inter-payload build-id check
     * @param timeoutNs the rendezvous deadline sent to the hypervisor (0: its default, 30 ms)
     * @return the payload's status once the action is no longer pending: {@code rc} says whether
     *         it worked, as it does for {@code xen-livepatch}
     * @throws ControlException a refusal answered at once, or an action still pending long after
     *                          its deadline (EAGAIN)
     */
    Response.PayloadStatus act(Action action, String name, boolean nodeps, long timeoutNs) throws IOException;

    /** Unloads a CHECKED payload (synchronous). */
    void unload(String name) throws IOException;

    @Override
    void close() throws IOException;
}
