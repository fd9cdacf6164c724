package org.xsplice.cli.expert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.backend.LivepatchBackend;
import org.xsplice.cli.hv.BackendOption;
import org.xsplice.cli.hv.HvContext;
import org.xsplice.cli.hv.LivepatchFlows;
import org.xsplice.cli.hv.SignatureOptions;
import org.xsplice.cli.hv.TimeoutMixin;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xen-xsplice} payload commands, against the backend {@code --backend} chooses. */
final class PayloadCommands {
    private PayloadCommands() {
    }

    /** One request to the selected hypervisor; a refusal prints {@code xen-xsplice: WHAT failed: ERRNO: message}. */
    static int run(final XenXspliceCommand top, final CommandSpec spec, final String what,
                   final HvContext.Action action) {
        return run(top, spec, what, () -> { }, action);
    }

    /** As the other {@code run}, after a check that needs no hypervisor (the signature). */
    static int run(final XenXspliceCommand top, final CommandSpec spec, final String what, final HvContext.Check before,
                   final HvContext.Action action) {
        return top.context().withBackend(top.backend(), spec,
                (errno, message) -> "xen-xsplice: " + what + " failed: " + errno.map(e -> e + ": ").orElse("") + message,
                before, action);
    }

    @Command(name = "upload", header = "Upload a payload (it is checked; state CHECKED).")
    static final class Upload implements Callable<Integer> {
        @ParentCommand
        XenXspliceCommand top;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", paramLabel = "FILE")
        Path file;
        @Mixin
        SignatureOptions signature;

        @Override
        public Integer call() throws IOException {
            final byte[] bytes = Files.readAllBytes(file);
            return run(top, spec, "upload " + name, () -> signature.verify(name, bytes), (c, out) -> {
                LivepatchFlows.upload(c, out, name, file, bytes);
                return ExitCodes.OK;
            });
        }
    }

    @Command(name = "unload", header = "Unload a CHECKED payload.")
    static final class Unload implements Callable<Integer> {
        @ParentCommand
        XenXspliceCommand top;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            return run(top, spec, "unload " + name, (c, out) -> LivepatchFlows.unload(c, out, name));
        }
    }

    @Command(name = "list", header = "List the payloads: ID | status | metadata.")
    static final class ListPayloads implements Callable<Integer> {
        @ParentCommand
        XenXspliceCommand top;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return run(top, spec, "list", (c, out) -> {
                out.print(LivepatchFlows.table(c.list()));
                return ExitCodes.OK;
            });
        }
    }

    /**
     * APPLY, REVERT and REPLACE: one asynchronous action on payload NAME, waited for until the
     * payload reaches the state the action leads to (Xen's numbers: 1 CHECKED, 2 APPLIED).
     */
    abstract static class PayloadAction implements Callable<Integer> {
        @ParentCommand
        XenXspliceCommand top;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Mixin
        TimeoutMixin timeout;

        /** {@return the action} */
        abstract LivepatchBackend.Action action();

        /** {@return whether APPLY skips the inter-payload dependency check} */
        boolean nodeps() {
            return false;
        }

        @Override
        public Integer call() {
            return run(top, spec, action().verb() + " " + name,
                    (c, out) -> LivepatchFlows.action(c, out, spec.commandLine().getErr(), action(), name, nodeps(),
                            timeout.ns()));
        }
    }

    @Command(name = "apply", header = "Apply a CHECKED payload (asynchronous; waits for the outcome).")
    static final class Apply extends PayloadAction {
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

    @Command(name = "revert", header = "Revert an APPLIED payload (the top of the applied stack).")
    static final class Revert extends PayloadAction {
        @Override
        LivepatchBackend.Action action() {
            return LivepatchBackend.Action.REVERT;
        }
    }

    @Command(name = "replace", header = "Revert every applied payload and apply this one, in one rendezvous.")
    static final class Replace extends PayloadAction {
        @Override
        LivepatchBackend.Action action() {
            return LivepatchBackend.Action.REPLACE;
        }
    }

    @Command(name = "load", header = "Upload and apply FILE as payload NAME (its base name); unload again if apply fails.")
    static final class Load implements Callable<Integer> {
        @ParentCommand
        XenXspliceCommand top;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "FILE")
        Path file;
        @Option(names = "--nodeps", description = "Skip the inter-payload build-id dependency check")
        boolean nodeps;
        @Mixin
        TimeoutMixin timeout;
        @Mixin
        SignatureOptions signature;

        @Override
        public Integer call() throws IOException {
            final byte[] bytes = Files.readAllBytes(file);
            return run(top, spec, "load " + file, () -> signature.verify(LivepatchFlows.nameOf(file), bytes),
                    (c, out) -> LivepatchFlows.load(c, out, spec.commandLine().getErr(), file,
                            LivepatchBackend.Action.APPLY, nodeps, timeout.ns()));
        }
    }

    @Command(name = "ucode", header = "Load a microcode update (Intel format) on every CPU at a rendezvous; xl info shows the revision.")
    static final class Ucode implements Callable<Integer> {
        @ParentCommand
        XenXspliceCommand top;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "FILE")
        Path file;
        @Mixin
        TimeoutMixin timeout;

        @Override
        public Integer call() throws IOException {
            final byte[] bytes = Files.readAllBytes(file);
            return run(top, spec, "ucode " + file, (c, out) -> {
                out.printf("Loading microcode %s: ", file);
                out.flush();
                final String rev = BackendOption.reference(c, "ucode").client()
                        .call(new Request.Ucode(bytes, timeout.ns()), Response.Text.class).text();
                out.println("revision " + rev + " on every CPU");
                return ExitCodes.OK;
            });
        }
    }
}
