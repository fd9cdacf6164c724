package org.xsplice.xen.ctrl;

import org.xsplice.payload.Errno;

/**
 * A payload's state as the hypervisor reports it ({@code struct xen_livepatch_status}).
 *
 * @param state {@link #CHECKED} or {@link #APPLIED} ({@code LIVEPATCH_STATE_*})
 * @param rc    0, {@code -EAGAIN} while an action is in flight, or the failed action's {@code -errno}
 */
public record LivepatchStatus(int state, int rc)
{
    /** Uploaded and verified, or reverted. */
    public static final int CHECKED = 1;
    /** Patched into the running hypervisor. */
    public static final int APPLIED = 2;

    /** {@return the state as {@code xen-livepatch list} prints it} */
    public String stateName()
    {
        return switch (state)
        {
            case CHECKED -> "CHECKED";
            case APPLIED -> "APPLIED";
            default -> "unknown";
        };
    }

    /** {@return whether an action on the payload is still in flight} */
    public boolean pending()
    {
        return rc == -Errno.EAGAIN.number();
    }
}
