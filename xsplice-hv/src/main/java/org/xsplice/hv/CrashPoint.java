package org.xsplice.hv;

import java.util.Locale;

/**
 * Fault injection for the restart tests: with the system property {@code xsplice.crash.at}
 * set to a step's name, the supervisor halts ({@link Runtime#halt}, no shutdown hooks, as a
 * {@code kill -9} would) the first time an action reaches that step. A supervisor started by {@link Supervisors#start} gets the property from the environment variable
 * {@code XSPLICE_CRASH_AT}. The steps, in the order an action passes them:
 *
 * <pre>
 *  plan     the action was planned (request thread), nothing staged
 *  staged   the work list and the records after the action are in the hypervisor's memory
 *  flag     the rendezvous flag is raised and the CPUs kicked
 *  parked   every CPU is parked, the stack check not yet run
 *  commit   acting = gen is stored: the hypervisor's master finishes the action alone
 *  outcome  the master's result was read, the supervisor's own state not yet updated
 *  answer   the supervisor recorded the outcome, before it answers with it
 * </pre>
 *
 * <p>Unset (the default) every call is one comparison of a static final with a constant: no
 * allocation, so it may sit on the rendezvous's hot path.
 */
public final class CrashPoint {
    /** The steps an action passes, in order. */
    public enum Step {
        PLAN, STAGED, FLAG, PARKED, COMMIT, OUTCOME, ANSWER;

        /** {@return the name {@code xsplice.crash.at} takes} */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The exit status of a halt at a crash point. */
    public static final int STATUS = 86;
    /** The property's name. */
    public static final String PROPERTY = "xsplice.crash.at";
    private static final String SPEC = System.getProperty(PROPERTY, "");
    private static final Step ARMED = armed(SPEC);

    private CrashPoint() {
    }

    private static Step armed(final String id) {
        for (final Step s : Step.values()) {
            if (s.id().equals(id)) {
                return s;
            }
        }
        if (!id.isEmpty()) {
            throw new IllegalArgumentException(PROPERTY + "=" + SPEC + ": not a step (plan, staged, flag, parked, commit,"
                    + " outcome, answer)");
        }
        return null;
    }

    /** Halts the JVM at once if {@code step} is the armed one. */
    public static void at(final Step step) {
        if (step == ARMED) {
            Runtime.getRuntime().halt(STATUS);
        }
    }
}
