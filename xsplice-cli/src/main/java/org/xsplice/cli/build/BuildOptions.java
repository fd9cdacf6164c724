package org.xsplice.cli.build;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Option;

/** The options of a patch build, shared by {@code xsplice-build} and {@code xsplice-build build}. */
public final class BuildOptions {
    @Option(names = "--srcdir", paramLabel = "DIR", description = "the source tree the target was built from")
    Path srcdir;

    @Option(names = "--patch", paramLabel = "FILE", description = "the source patch (unified diff, -p1)")
    Path patch;

    @Option(names = "--target", paramLabel = "BINARY", description = "the running hypervisor's xen-syms")
    Path target;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "payload file (default NAME.livepatch)")
    Path output;

    @Option(names = "--depends", paramLabel = "BUILD-ID",
            description = "build-id the payload stacks on (default: the target's)")
    String depends;

    @Option(names = "--name", paramLabel = "NAME", description = "payload name (default: the patch file name)")
    String name;

    @Option(names = {"-j", "--jobs"}, paramLabel = "N", defaultValue = "2", description = "parallel compile jobs")
    int jobs;

    @Option(names = "--force", description = "build even if the compiler differs from the target's")
    boolean force;

    @Option(names = {"-q", "--quiet"}, description = "no progress output")
    boolean quiet;

    @Option(names = "--workdir", paramLabel = "DIR", description = "keep the builds here (default: a temporary directory)")
    Path workdir;

    @Option(names = "--original-build", paramLabel = "DIR",
            description = "reuse this build of the unpatched tree (same compiler and flags)")
    Path originalBuild;

    @Option(names = "--make", paramLabel = "CMD", description = "build command (default: make); O=DIR and -jN are added")
    List<String> make = new ArrayList<>(List.of("make"));

    @Option(names = "--make-var", paramLabel = "NAME=VALUE", description = "extra make variable (repeatable)")
    List<String> vars = new ArrayList<>();

    @Option(names = "--report", paramLabel = "FILE", description = "also write the report to FILE")
    Path report;
}
