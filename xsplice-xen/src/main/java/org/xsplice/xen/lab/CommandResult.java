package org.xsplice.xen.lab;

/**
 * What one scenario command did in dom0.
 *
 * @param command  the shell command as given (for command 0, {@code "<dom0 setup>"})
 * @param exitCode its exit status
 * @param output   standard output and standard error, interleaved as written
 */
public record CommandResult(String command, int exitCode, String output)
{
    /** {@return the output with a trailing newline removed} */
    public String trimmed()
    {
        return output.endsWith("\n") ? output.substring(0, output.length() - 1) : output;
    }
}
