package org.xsplice.xen.lab;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The lab could not prepare its artefacts or a boot did not complete. The message ends with the
 * tail of the serial console (or of the preparation log) so a test failure shows why.
 */
public final class XenLabException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final transient Path log;

    public XenLabException(final String message, final Path log, final Throwable cause)
    {
        super(message, cause);
        this.log = log;
    }

    /** {@return the log explaining the failure: serial console or preparation output} */
    public Optional<Path> log()
    {
        return Optional.ofNullable(log);
    }
}
