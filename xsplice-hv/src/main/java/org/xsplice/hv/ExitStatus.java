package org.xsplice.hv;

/**
 * How the hypervisor process ended.
 *
 * @param code   its exit status when it exited, else -1
 * @param signal the signal that killed it, else 0
 */
public record ExitStatus(int code, int signal) {
    /** Orderly shutdown (the SHUTDOWN platform op). */
    public static final int OK = 0;
    /** Bad command line. */
    public static final int USAGE = 2;
    /** panic(): a fault without fixup, a BUG, a stuck rendezvous. */
    public static final int PANIC = 3;

    public static ExitStatus exited(final int code) {
        return new ExitStatus(code, 0);
    }

    public static ExitStatus killed(final int signal) {
        return new ExitStatus(-1, signal);
    }

    /** {@return whether the hypervisor crashed (panicked or was killed by a signal)} */
    public boolean crashed() {
        return PANIC == code || 0 != signal;
    }

    @Override
    public String toString() {
        if (0 != signal) {
            return "killed by signal " + signal;
        }
        return switch (code) {
            case OK -> "shut down";
            case PANIC -> "crashed (panic, exit status 3)";
            case USAGE -> "refused its command line (exit status 2)";
            default -> "exited with status " + code;
        };
    }
}
