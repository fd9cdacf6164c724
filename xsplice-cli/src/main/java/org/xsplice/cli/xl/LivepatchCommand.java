package org.xsplice.cli.xl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.backend.LivepatchBackend;
import org.xsplice.cli.hv.LivepatchFlows;
import org.xsplice.cli.hv.SignatureOptions;
import org.xsplice.cli.hv.TimeoutMixin;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code xl livepatch list | load FILE | revert NAME | unload NAME | replace FILE}: the
 * one-step toolstack commands (upload, check and apply in one go), with {@code xen-livepatch}'s
 * output and exit codes (0, 1, 2 retry).
 */
@Command(name = "livepatch", header = "Live-patch the running hypervisor", mixinStandardHelpOptions = true,
        subcommands = {
            LivepatchCommand.ListPayloads.class,
            LivepatchCommand.Load.class,
            LivepatchCommand.Revert.class,
            LivepatchCommand.Unload.class,
            LivepatchCommand.Replace.class,
            CommandLine.HelpCommand.class,
        })
final class LivepatchCommand implements Callable<Integer> {
    @ParentCommand
    XlCommand xl;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }


    @Command(name = "list", header = "List the payloads: ID | status | metadata", mixinStandardHelpOptions = true)
    static final class ListPayloads implements Callable<Integer> {
        @ParentCommand
        LivepatchCommand parent;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return parent.xl.withHypervisor(spec, (c, out) -> {
                out.print(LivepatchFlows.table(c.list()));
                return ExitCodes.OK;
            });
        }
    }

    /** {@code load FILE} and {@code replace FILE}: upload, then APPLY or REPLACE; unloaded again if that fails. */
    abstract static class FileAction implements Callable<Integer> {
        @ParentCommand
        LivepatchCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "FILE")
        Path file;
        @Mixin
        TimeoutMixin timeout;
        @Mixin
        SignatureOptions signature;

        /** {@return the action after the upload} */
        abstract LivepatchBackend.Action action();

        /** {@return whether APPLY skips the inter-payload dependency check} */
        boolean nodeps() {
            return false;
        }

        @Override
        public Integer call() {
            return parent.xl.withHypervisor(spec,
                    () -> signature.verify(LivepatchFlows.nameOf(file), Files.readAllBytes(file)),
                    (c, out) -> LivepatchFlows.load(c, out, spec.commandLine().getErr(), file, action(), nodeps(),
                            timeout.ns()));
        }
    }

    @Command(name = "load", header = "Upload and apply FILE (name: its base name); unloaded again if apply fails",
            mixinStandardHelpOptions = true)
    static final class Load extends FileAction {
        @Option(names = "--nodeps", description = "Skip the inter-payload build-id dependency check")
        boolean nodeps;

        @Override
        LivepatchBackend.Action action() {
            return LivepatchBackend.Action.APPLY;
        }

        @Override
        boolean nodeps() {
            return nodeps;
        }
    }

    @Command(name = "revert", header = "Revert payload NAME (the top of the applied stack)", mixinStandardHelpOptions = true)
    static final class Revert implements Callable<Integer> {
        @ParentCommand
        LivepatchCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "NAME")
        String name;
        @Mixin
        TimeoutMixin timeout;

        @Override
        public Integer call() {
            return parent.xl.withHypervisor(spec, (c, out) -> LivepatchFlows.action(c, out,
                    spec.commandLine().getErr(), LivepatchBackend.Action.REVERT, name, false, timeout.ns()));
        }
    }

    @Command(name = "unload", header = "Unload payload NAME (it must be reverted)", mixinStandardHelpOptions = true)
    static final class Unload implements Callable<Integer> {
        @ParentCommand
        LivepatchCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            return parent.xl.withHypervisor(spec, (c, out) -> LivepatchFlows.unload(c, out, name));
        }
    }

    @Command(name = "replace", header = "Upload FILE, then revert every applied payload and apply it in one rendezvous",
            mixinStandardHelpOptions = true)
    static final class Replace extends FileAction {
        @Override
        LivepatchBackend.Action action() {
            return LivepatchBackend.Action.REPLACE;
        }
    }
}
