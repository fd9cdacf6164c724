package org.xsplice.cli;

/**
 * Exit codes shared by every xsplice command. They follow {@code xen-livepatch}: 0 success,
 * 1 error, 2 "try again" (the hypervisor answered EAGAIN or EBUSY).
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int ERROR = 1;
    public static final int RETRY = 2;
    /** Wrong options or arguments; picocli's own convention. */
    public static final int USAGE = 2;

    private ExitCodes() {
    }
}
