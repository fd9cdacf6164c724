package org.xsplice.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code xsplice}: the umbrella command for inspecting ELF objects and payloads.
 * The hypervisor-facing tools ({@code xl}, {@code xen-xsplice}, {@code xsplice-hv},
 * {@code xsplice-build}, {@code xsplice-sign}) are separate commands with launchers of their own.
 */
@Command(name = "xsplice",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Live patching for a running hypervisor.",
        subcommands = {
            CommandLine.HelpCommand.class,
            ElfCommand.class,
            Dom0ImageCommand.class,
        })
public final class XspliceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    public static void main(final String[] args) {
        System.exit(Cli.commandLine(new XspliceCommand()).execute(args));
    }
}
