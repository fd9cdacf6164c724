package org.xsplice.cli.hv;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.xsplice.cli.Cli;
import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.VersionProvider;
import org.xsplice.hv.Supervisors;
import org.xsplice.hv.TrustSettings;
import org.xsplice.hv.control.ControlClient;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Response;
import org.xsplice.sign.Policy;
import org.xsplice.sign.SigningException;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xsplice-hv}: start, stop and list reference hypervisors. */
@Command(name = "xsplice-hv",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Runs xsplice's reference hypervisor in the background, under a supervisor.",
        subcommands = {
            XspliceHvCommand.Start.class,
            XspliceHvCommand.Stop.class,
            XspliceHvCommand.ListCmd.class,
            CommandLine.HelpCommand.class,
        })
public final class XspliceHvCommand implements Callable<Integer> {
    /** The name used when --name is not given. */
    public static final String DEFAULT_NAME = "default";

    private final HvContext context;

    @Spec
    CommandSpec spec;

    public XspliceHvCommand(final Map<String, String> env) {
        this.context = new HvContext(env);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    static int fail(final CommandSpec spec, final Exception e) {
        return HvContext.fail(spec.commandLine().getErr(), e, (errno, message) -> "xsplice-hv: " + message);
    }

    @Command(name = "start", header = "Start a reference hypervisor and return once it serves", mixinStandardHelpOptions = true)
    static final class Start implements Callable<Integer> {
        @ParentCommand
        XspliceHvCommand parent;
        @Spec
        CommandSpec spec;
        @Option(names = "--cpus", defaultValue = "4", description = "Physical CPUs (threads), 1-64 (default: ${DEFAULT-VALUE})")
        int cpus;
        @Option(names = "--name", defaultValue = DEFAULT_NAME, description = "Its name (default: ${DEFAULT-VALUE})")
        String name;
        @Option(names = "--workload", defaultValue = "normal", description = "busy, normal or idle (default: ${DEFAULT-VALUE})")
        String workload;
        @Option(names = "--signature-policy", defaultValue = "off", paramLabel = "POLICY",
                description = "Payload signatures at upload: off, warn (load untrusted payloads, say so loudly) "
                        + "or require (default: ${DEFAULT-VALUE})")
        Policy policy;
        @Option(names = "--keyring", paramLabel = "DIR", description = "Directory of trusted PEM certificates")
        Path keyring;
        @Option(names = "--revoked", paramLabel = "FILE",
                description = "Revocation list: lines 'build-id HEX' or 'cert-sha256 HEX' that never load, even signed")
        Path revoked;

        @Override
        public Integer call() {
            try {
                if (!List.of("busy", "normal", "idle").contains(workload)) {
                    throw new ControlException("EINVAL", "--workload must be busy, normal or idle");
                }
                final TrustSettings trust = new TrustSettings(Optional.ofNullable(keyring), Optional.ofNullable(revoked), policy);
                try {
                    trust.gate();   // a bad keyring or revocation list fails here, not in the background
                } catch (final SigningException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
                final Response.Pong p = Supervisors.start(parent.context.run(), name, cpus, workload, parent.context.env(), trust);
                spec.commandLine().getOut().printf("xsplice-hv: hypervisor %s started (pid %d, %d CPUs, supervisor pid %d)%n",
                        p.name(), p.pid(), p.cpus(), p.supervisorPid());
                spec.commandLine().getOut().flush();
                return ExitCodes.OK;
            } catch (final IOException | IllegalArgumentException e) {
                return fail(spec, e);
            }
        }
    }

    @Command(name = "stop", header = "Stop a reference hypervisor", mixinStandardHelpOptions = true)
    static final class Stop implements Callable<Integer> {
        @ParentCommand
        XspliceHvCommand parent;
        @Spec
        CommandSpec spec;
        @Option(names = "--name", description = "Which one (default: $XSPLICE_HV, else the only one)")
        String name;

        @Override
        public Integer call() {
            try {
                final String n = null != name ? name : ControlClient.select(parent.context.run(), parent.context.env(), true);
                spec.commandLine().getOut().println("xsplice-hv: " + Supervisors.stop(parent.context.run(), n));
                spec.commandLine().getOut().flush();
                return ExitCodes.OK;
            } catch (final IOException | IllegalArgumentException e) {
                return fail(spec, e);
            }
        }
    }

    @Command(name = "list", header = "List reference hypervisors", mixinStandardHelpOptions = true)
    static final class ListCmd implements Callable<Integer> {
        @ParentCommand
        XspliceHvCommand parent;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try {
                final PrintWriter out = spec.commandLine().getOut();
                final List<Supervisors.Entry> all = Supervisors.list(parent.context.run());
                out.printf("%-32s %-8s %8s %4s  %s%n", "Name", "State", "PID", "CPUs", "Detail");
                for (final Supervisors.Entry e : all) {
                    out.printf("%-32s %-8s %8s %4s  %s%n", e.name(), e.state(), e.pid().map(String::valueOf).orElse("-"),
                            0 == e.cpus() ? "-" : Integer.toString(e.cpus()), e.detail());
                }
                out.flush();
                return ExitCodes.OK;
            } catch (final IOException e) {
                return fail(spec, e);
            }
        }
    }

    public static void main(final String[] args) {
        System.exit(Cli.commandLine(new XspliceHvCommand(System.getenv())).execute(args));
    }
}
