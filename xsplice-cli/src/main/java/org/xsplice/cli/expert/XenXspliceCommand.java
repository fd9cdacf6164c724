package org.xsplice.cli.expert;

import java.util.concurrent.Callable;

import org.xsplice.cli.Cli;
import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.VersionProvider;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code xen-xsplice}: the expert tool, after Xen's {@code xen-livepatch}. */
@Command(name = "xen-xsplice",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Expert live-patch tool (as xen-livepatch). Exit codes: 0 ok, 1 error, 2 retry.",
        subcommands = {
            CheckCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class XenXspliceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    public static void main(final String[] args) {
        System.exit(Cli.commandLine(new XenXspliceCommand()).execute(args));
    }
}
