package org.xsplice.build.diff;

import java.util.List;
import java.util.Optional;

/**
 * What the differ made of one object pair.
 *
 * @param file      the source file (the STT_FILE symbol), e.g. {@code common/version.c}
 * @param outcome   changed, no change or refused
 * @param changed   the changed functions, each becoming a {@code livepatch_func}
 * @param added     the new functions and data (exported by the payload)
 * @param included  everything the payload carries and why
 * @param ignored   differences the differ decided are not real changes, with the reason
 * @param refusals  the unreconcilable differences (non-empty iff outcome is REFUSED)
 * @param object    the payload part for this object (relocatable ELF), present iff CHANGED
 */
public record ObjectDiff(String file, Outcome outcome, List<FunctionChange> changed, List<String> added,
                         List<Inclusion> included, List<String> ignored, List<Refusal> refusals,
                         Optional<byte[]> object) {

    /** The verdict for a pair, with the exit code of {@code xsplice-build diff}. */
    public enum Outcome {
        CHANGED(0), REFUSED(2), NO_CHANGE(3);

        private final int exitCode;

        Outcome(final int exitCode) {
            this.exitCode = exitCode;
        }

        /** {@return the exit code of the diff command for this outcome} */
        public int exitCode() {
            return exitCode;
        }
    }

    /**
     * A function the payload replaces.
     *
     * @param name    the name the loader resolves: plain for globals, {@code file#name} for statics
     * @param newSize the replacement's size
     * @param oldSize the running function's size, from the target's symbol table
     * @param why     what differed (code, a callee's new address, an inlined callee...)
     */
    public record FunctionChange(String name, long newSize, long oldSize, String why) {
    }

    public ObjectDiff {
        changed = List.copyOf(changed);
        added = List.copyOf(added);
        included = List.copyOf(included);
        ignored = List.copyOf(ignored);
        refusals = List.copyOf(refusals);
    }
}
