package org.xsplice.cli.build;

import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.xsplice.build.BuildRequest;
import org.xsplice.build.BuildResult;
import org.xsplice.build.XspliceBuild;
import org.xsplice.build.report.BuildReport;
import org.xsplice.build.tree.BuildException;
import org.xsplice.cli.Cli;
import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.VersionProvider;
import org.xsplice.elf.BuildId;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code xsplice-build}: from a source patch to a payload. Without a subcommand it builds (the
 * same as {@code xsplice-build build}); {@code diff} compares one object pair; {@code cfile}
 * makes a payload from hand-written C (the loader's).
 *
 * <p>Exit codes (build and diff): 0 a payload / changed object was written, 1 error,
 * 2 refused (unreconcilable difference), 3 no change.
 */
@Command(name = "xsplice-build",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Build a live patch payload from a source patch.",
        subcommands = {
            CommandLine.HelpCommand.class,
            XspliceBuildCommand.Build.class,
            DiffCommand.class,
            CfileCommand.class,
        })
public final class XspliceBuildCommand implements Callable<Integer> {
    /** Refused: an unreconcilable difference. */
    public static final int REFUSED = 2;
    /** The patch changes nothing that can be patched. */
    public static final int NO_CHANGE = 3;

    @Mixin
    BuildOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return run(spec, options);
    }

    /** {@code xsplice-build build}: the same as the bare command. */
    @Command(name = "build", mixinStandardHelpOptions = true, description = "Build a payload (the default).")
    static final class Build implements Callable<Integer> {
        @Mixin
        BuildOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            return run(spec, options);
        }
    }

    static int run(final CommandSpec spec, final BuildOptions o) throws Exception {
        if (null == o.srcdir || null == o.patch || null == o.target) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--srcdir, --patch and --target are required");
        }
        final var out = spec.commandLine().getOut();
        final var err = spec.commandLine().getErr();
        BuildRequest req = new BuildRequest(o.srcdir, o.patch, o.target, Optional.ofNullable(o.output),
                Optional.ofNullable(o.depends).map(BuildId::parse), Optional.ofNullable(o.name), o.jobs, o.force,
                Optional.ofNullable(o.workdir), Optional.ofNullable(o.originalBuild), o.make, o.vars,
                line -> {
                    // Quiet drops progress, never warnings.
                    if (!o.quiet || line.startsWith("  WARNING")) {
                        err.println(line);
                        err.flush();
                    }
                });
        final BuildResult r;
        try {
            r = XspliceBuild.build(req);
        } catch (final BuildException | org.xsplice.build.cpayload.CPayloadException e) {
            err.println("xsplice-build: " + e.getMessage());
            return ExitCodes.ERROR;
        }
        final String report = BuildReport.render(r.name(), r.diffs());
        if (null != o.report) {
            Files.writeString(o.report, report);
        }
        if (!o.quiet || r.outcome() != org.xsplice.build.diff.ObjectDiff.Outcome.CHANGED) {
            out.print(report);
        }
        out.flush();
        return switch (r.outcome()) {
            case CHANGED -> ExitCodes.OK;
            case REFUSED -> REFUSED;
            case NO_CHANGE -> NO_CHANGE;
        };
    }

    public static void main(final String[] args) {
        System.exit(Cli.commandLine(new XspliceBuildCommand()).execute(args));
    }
}
