package org.xsplice.hv;

import java.io.IOException;
import java.nio.file.Path;

import org.xsplice.hv.control.ControlClient;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.hv.control.RunDirectory;

/**
 * A reference hypervisor under its supervisor, started once for a test class (2 CPUs, normal
 * workload), and the control-socket calls and memory reads the payload tests make on it.
 *
 * @param supervisor the running supervisor
 * @param run        its run directory (the control socket lives there)
 * @param name       the hypervisor's unique name
 */
record SupervisedHv(Supervisor supervisor, RunDirectory run, String name) implements AutoCloseable {
    static SupervisedHv start(final Path dir, final String prefix, final Path xen) throws IOException {
        final RunDirectory run = new RunDirectory(dir.resolve("run"));
        final String name = HvTestSupport.uniqueName(prefix);
        return new SupervisedHv(Supervisor.start(new Supervisor.Config(name, 2, "normal", run, xen, true)), run, name);
    }

    /** {@return the reply to {@code r} over a fresh connection, as the CLI makes it} */
    <T extends Response> T call(final Request r, final Class<T> c) throws IOException {
        try (ControlClient client = ControlClient.connect(run, name)) {
            return c.cast(client.call(r, c));
        }
    }

    /** {@return the hypervisor's livepatch_regions pointer (0: no payload region published)} */
    long regionsPointer() throws IOException {
        final HypervisorProcess hv = supervisor.hypervisor();
        return hv.memory().readLong(hv.image().address("livepatch_regions", 8));
    }

    @Override
    public void close() throws IOException {
        supervisor.close();
    }
}
