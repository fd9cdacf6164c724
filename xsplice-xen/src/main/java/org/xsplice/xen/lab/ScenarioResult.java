package org.xsplice.xen.lab;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The outcome of one boot: the result of every command, in the order given.
 *
 * @param name      the scenario's name
 * @param setup     dom0's own setup (modules, xenfs, xenstored, xen-init-dom0)
 * @param commands  one result per scenario command
 * @param serialLog the full serial console (Xen and dom0), kept after the boot
 * @param wallTime  from starting QEMU until it exited
 */
public record ScenarioResult(String name, CommandResult setup, List<CommandResult> commands, Path serialLog,
                             Duration wallTime)
{
    public ScenarioResult
    {
        commands = List.copyOf(commands);
    }

    /** {@return the result of command {@code index} (0-based, in the order given)} */
    public CommandResult command(final int index)
    {
        return commands.get(index);
    }
}
