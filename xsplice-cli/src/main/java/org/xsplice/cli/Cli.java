package org.xsplice.cli;

import picocli.CommandLine;

/** Builds the picocli {@link CommandLine} every xsplice tool runs with. */
public final class Cli {
    private Cli() {
    }

    /** {@return a command line for {@code command} with xsplice's exit-code conventions} */
    public static CommandLine commandLine(final Object command) {
        final CommandLine cl = new CommandLine(command);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((ex, cmd, _) -> {
            cmd.getErr().println(cmd.getCommandName() + ": " + ex.getMessage());
            return ExitCodes.ERROR;
        });
        return cl;
    }
}
