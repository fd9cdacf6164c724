package org.xsplice.cli.hv;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Optional;

import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.backend.LivepatchBackend;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.RunDirectory;

import picocli.CommandLine.Model.CommandSpec;

/** The environment the hypervisor commands run in: which run directory, errno to exit code, one request runner. */
public record HvContext(Map<String, String> env) {

    public RunDirectory run() {
        return RunDirectory.forCurrentUser(env);
    }

    /** {@return Xen's toolstack convention: 2 ("try again") for EAGAIN/EBUSY, else 1} */
    public static int exitCode(final ControlException e) {
        return "EAGAIN".equals(e.errno()) || "EBUSY".equals(e.errno()) ? ExitCodes.RETRY : ExitCodes.ERROR;
    }

    /** How a tool words a failure on its error stream: each tool keeps its own (xl's, xen-livepatch's). */
    @FunctionalInterface
    public interface Words {
        /** {@return the error line; errno empty when the failure carries none} */
        String line(Optional<String> errno, String message);
    }

    @FunctionalInterface
    public interface Check {
        void run() throws IOException;
    }

    @FunctionalInterface
    public interface Action {
        int run(LivepatchBackend backend, PrintWriter out) throws IOException;
    }

    /** Prints {@code e} in the tool's words and {@return its exit code} (2 for EAGAIN/EBUSY, else 1). */
    public static int fail(final PrintWriter err, final Exception e, final Words words) {
        if (e instanceof ControlException ce) {
            err.println(words.line(Optional.of(ce.errno()), ce.getMessage()));
            return exitCode(ce);
        }
        err.println(words.line(Optional.empty(), e.getMessage()));
        return ExitCodes.ERROR;
    }

    /**
     * Runs {@code before} (a check that needs no hypervisor, e.g. the signature), then
     * {@code action} against the backend {@code --backend} selects; a failure is printed in
     * {@code words}. Standard output is flushed either way, so a progress line is not lost.
     */
    public int withBackend(final BackendOption backend, final CommandSpec spec, final Words words, final Check before,
                           final Action action) {
        final PrintWriter out = spec.commandLine().getOut();
        try {
            before.run();
            try (LivepatchBackend b = backend.open(env)) {
                final int rc = action.run(b, out);
                out.flush();
                return rc;
            }
        } catch (final IOException e) {
            out.flush();
            return fail(spec.commandLine().getErr(), e, words);
        }
    }
}
