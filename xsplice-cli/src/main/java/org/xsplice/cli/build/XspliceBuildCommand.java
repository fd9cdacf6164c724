package org.xsplice.cli.build;

import java.util.concurrent.Callable;

import org.xsplice.cli.Cli;
import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.VersionProvider;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code xsplice-build}: makes payloads. */
@Command(name = "xsplice-build",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Build live-patch payloads.",
        subcommands = {
            CfileCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class XspliceBuildCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    public static void main(final String[] args) {
        System.exit(Cli.commandLine(new XspliceBuildCommand()).execute(args));
    }
}
