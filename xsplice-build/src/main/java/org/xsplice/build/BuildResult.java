package org.xsplice.build;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.xsplice.build.diff.ObjectDiff;
import org.xsplice.elf.BuildId;

/**
 * What a patch build produced.
 *
 * @param name     the payload name
 * @param outcome  CHANGED (a payload was written), REFUSED or NO_CHANGE
 * @param payload  the payload file, present iff CHANGED
 * @param buildId  the payload's build-id, present iff CHANGED
 * @param diffs    the verdict on each object that differed
 * @param timings  how long each stage took, in milliseconds (original build, patched build, diff, link)
 */
public record BuildResult(String name, ObjectDiff.Outcome outcome, Optional<Path> payload, Optional<BuildId> buildId,
                          List<ObjectDiff> diffs, Timings timings) {
    public BuildResult {
        diffs = List.copyOf(diffs);
    }

    /** Stage durations in milliseconds. */
    public record Timings(long originalBuild, long patchedBuild, long diff, long link) {
    }
}
