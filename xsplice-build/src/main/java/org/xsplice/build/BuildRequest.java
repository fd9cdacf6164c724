package org.xsplice.build;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import org.xsplice.elf.BuildId;

/**
 * What {@link XspliceBuild#build} works from.
 *
 * @param srcdir        the source tree the target was built from (left untouched: both builds use copies)
 * @param patch         the source patch (unified diff, {@code -p1})
 * @param target        the running hypervisor's binary with symbols ({@code xen-syms})
 * @param output        the payload file, or empty for {@code <name>.livepatch} in the current directory
 * @param depends       the build-id the payload stacks on, or empty for the target's
 * @param name          the payload name, or empty for the patch file's name without extension
 * @param jobs          parallel compile jobs
 * @param force         build even if the compiler differs from the target's
 * @param workdir       where the trees are copied and built; empty for a temporary directory
 * @param originalBuild a build directory of the unpatched tree made with the same compiler and
 *                      variables (skips the original build; tests cache one per run)
 * @param make          the build command ({@code make} for the reference tree)
 * @param vars          extra make variables
 * @param progress      where progress lines go
 */
public record BuildRequest(Path srcdir, Path patch, Path target, Optional<Path> output, Optional<BuildId> depends,
                           Optional<String> name, int jobs, boolean force, Optional<Path> workdir,
                           Optional<Path> originalBuild, List<String> make, List<String> vars,
                           Consumer<String> progress) {
    public BuildRequest {
        make = List.copyOf(make);
        vars = List.copyOf(vars);
        if (jobs < 1) {
            throw new IllegalArgumentException("jobs must be at least 1, got " + jobs);
        }
    }

    /** {@return a request with the defaults: name from the patch, 2 jobs, temporary workdir, {@code make}} */
    public static BuildRequest of(final Path srcdir, final Path patch, final Path target) {
        return new BuildRequest(srcdir, patch, target, Optional.empty(), Optional.empty(), Optional.empty(), 2, false,
                Optional.empty(), Optional.empty(), List.of("make"), List.of(), _ -> { });
    }

    public BuildRequest withOutput(final Path out) {
        return new BuildRequest(srcdir, patch, target, Optional.of(out), depends, name, jobs, force, workdir,
                originalBuild, make, vars, progress);
    }

    public BuildRequest withWorkdir(final Path dir) {
        return new BuildRequest(srcdir, patch, target, output, depends, name, jobs, force, Optional.of(dir),
                originalBuild, make, vars, progress);
    }

    public BuildRequest withOriginalBuild(final Path dir) {
        return new BuildRequest(srcdir, patch, target, output, depends, name, jobs, force, workdir,
                Optional.of(dir), make, vars, progress);
    }

    public BuildRequest withProgress(final Consumer<String> p) {
        return new BuildRequest(srcdir, patch, target, output, depends, name, jobs, force, workdir,
                originalBuild, make, vars, p);
    }

    public BuildRequest withOptions(final Optional<BuildId> dep, final Optional<String> n, final int j,
                                    final boolean f) {
        return new BuildRequest(srcdir, patch, target, output, dep, n, j, f, workdir, originalBuild, make, vars,
                progress);
    }

    /** {@return the payload name: given, or the patch file name without {@code .patch}/{@code .diff}} */
    public String payloadName() {
        return name.orElseGet(() -> {
            final String f = patch.getFileName().toString().replaceFirst("\\.(patch|diff)$", "");
            final String n = f.replaceAll("[^A-Za-z0-9_.-]", "_");
            return n.length() > 127 ? n.substring(0, 127) : n;
        });
    }
}
