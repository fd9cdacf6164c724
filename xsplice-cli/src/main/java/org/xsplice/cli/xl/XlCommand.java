package org.xsplice.cli.xl;

import java.util.Map;
import java.util.concurrent.Callable;

import org.xsplice.cli.Cli;
import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.VersionProvider;
import org.xsplice.cli.hv.BackendOption;
import org.xsplice.cli.hv.HvContext;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code xl}: Xen's toolstack commands against a reference hypervisor, chosen by
 * {@code $XSPLICE_HV} (default: the only one running), or, in a Xen dom0, against Xen itself
 * ({@code --backend}; {@code info} and {@code livepatch} there, the rest is the distribution's xl).
 */
@Command(name = "xl",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Xen toolstack for the xsplice reference hypervisor (selected by $XSPLICE_HV) or, in a Xen "
                + "dom0, for Xen (livepatch and info).",
        subcommands = {
            XlCommand.Info.class,
            XlCommand.Dmesg.class,
            XlCommand.DebugKeys.class,
            XlCommand.Symbol.class,
            LivepatchCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class XlCommand implements Callable<Integer> {
    private final HvContext context;

    @Spec
    CommandSpec spec;
    @Mixin
    BackendOption backend;

    public XlCommand(final Map<String, String> env) {
        this.context = new HvContext(env);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    /** Runs {@code action} against the selected hypervisor; errors are printed Xen-style. */
    int withHypervisor(final CommandSpec sub, final HvContext.Action action) {
        return withHypervisor(sub, () -> { }, action);
    }

    /** As {@link #withHypervisor(CommandSpec, HvContext.Action)}, after a check that needs no hypervisor. */
    int withHypervisor(final CommandSpec sub, final HvContext.Check before, final HvContext.Action action) {
        return context.withBackend(backend, sub,
                (errno, message) -> "xl: " + message + errno.map(e -> " (" + e + ")").orElse(""), before, action);
    }

    @Command(name = "info", header = "Get information about the Xen host", mixinStandardHelpOptions = true)
    static final class Info implements Callable<Integer> {
        @ParentCommand
        XlCommand parent;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return parent.withHypervisor(spec, (c, out) -> {
                for (final Response.Field f : c.info()) {
                    out.printf("%-23s: %s%n", f.key(), f.value());
                }
                return ExitCodes.OK;
            });
        }
    }

    @Command(name = "dmesg", header = "Read and/or clear dmesg buffer", mixinStandardHelpOptions = true)
    static final class Dmesg implements Callable<Integer> {
        @ParentCommand
        XlCommand parent;
        @Spec
        CommandSpec spec;
        @Option(names = "-c", description = "Clear dmesg buffer as well as printing it")
        boolean clear;

        @Override
        public Integer call() {
            return parent.withHypervisor(spec, (c, out) -> {
                out.print(BackendOption.reference(c, "dmesg").client().call(new Request.Dmesg(clear), Response.Text.class)
                        .text());
                return ExitCodes.OK;
            });
        }
    }

    @Command(name = "debug-keys", header = "Send debug keys to Xen", mixinStandardHelpOptions = true)
    static final class DebugKeys implements Callable<Integer> {
        @ParentCommand
        XlCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "KEYS", description = "Keys to press ('h' lists them; output in xl dmesg)")
        String keys;

        @Override
        public Integer call() {
            return parent.withHypervisor(spec, (c, out) -> {
                BackendOption.reference(c, "debug-keys").client().call(new Request.DebugKeys(keys), Response.Done.class);
                return ExitCodes.OK;
            });
        }
    }

    @Command(name = "symbol", header = "Translate a symbol to an address or an address to a symbol",
            mixinStandardHelpOptions = true,
            description = {"xl symbol do_domctl+0xf      prints the address",
                "xl symbol 0x401234            prints <symbol>+0xoff/0xsize",
                "Statics are named file#symbol, e.g. keyhandler.c#do_crash_key."})
    static final class Symbol implements Callable<Integer> {
        @ParentCommand
        XlCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "SYMBOL|ADDRESS")
        String query;

        @Override
        public Integer call() {
            return parent.withHypervisor(spec, (c, out) -> {
                final Response.SymbolReply r = BackendOption.reference(c, "symbol").client()
                        .call(new Request.SymbolQuery(query), Response.SymbolReply.class);
                if (query.strip().toLowerCase(java.util.Locale.ROOT).startsWith("0x")) {
                    if (r.location().isEmpty()) {
                        throw new ControlException("ENOENT", "no symbol covers address " + query);
                    }
                    out.println(r.location());
                } else {
                    out.printf("0x%016x%n", r.address());
                }
                return ExitCodes.OK;
            });
        }
    }

    public static void main(final String[] args) {
        System.exit(Cli.commandLine(new XlCommand(System.getenv())).execute(args));
    }
}
