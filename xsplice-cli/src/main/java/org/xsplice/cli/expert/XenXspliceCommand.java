package org.xsplice.cli.expert;

import java.util.Map;
import java.util.concurrent.Callable;

import org.xsplice.cli.Cli;
import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.VersionProvider;
import org.xsplice.cli.hv.BackendOption;
import org.xsplice.cli.hv.HvContext;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code xen-xsplice}: the expert tool, after Xen's {@code xen-livepatch}, for the reference
 * hypervisor or, in a Xen dom0, for Xen ({@code --backend}).
 */
@Command(name = "xen-xsplice",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Expert live-patch tool (as xen-livepatch). Exit codes: 0 ok, 1 error, 2 retry.",
        subcommands = {
            CheckCommand.class,
            PayloadCommands.Upload.class,
            PayloadCommands.ListPayloads.class,
            PayloadCommands.Unload.class,
            PayloadCommands.Apply.class,
            PayloadCommands.Revert.class,
            PayloadCommands.Replace.class,
            PayloadCommands.Load.class,
            PayloadCommands.Ucode.class,
            CommandLine.HelpCommand.class,
        })
public final class XenXspliceCommand implements Callable<Integer> {

    private final HvContext context;

    @Spec
    CommandSpec spec;
    @Mixin
    BackendOption backend;

    public XenXspliceCommand(final Map<String, String> env) {
        this.context = new HvContext(env);
    }

    /** {@return where the hypervisor commands look for hypervisors} */
    HvContext context() {
        return context;
    }

    /** {@return the {@code --backend} choice} */
    BackendOption backend() {
        return backend;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    public static void main(final String[] args) {
        System.exit(Cli.commandLine(new XenXspliceCommand(System.getenv())).execute(args));
    }
}
