package org.xsplice.hv;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.xsplice.build.cpayload.CPayloadMaker;
import org.xsplice.build.cpayload.CPayloadOptions;
import org.xsplice.elf.Elf;
import org.xsplice.hv.control.RunDirectory;

/** Shared by the tests: the image Maven built, and unique names so parallel runs never clash. */
final class HvTestSupport {
    private static HvImage image;

    private HvTestSupport() {
    }

    static synchronized HvImage image() throws IOException {
        if (null == image) {
            image = HvImage.read(HvImage.locate(Map.of()));
        }
        return image;
    }

    /** Stops {@code hv} if it still runs and releases it (every test's @AfterEach). */
    static void stopAndClose(final HypervisorProcess hv) throws IOException {
        if (null != hv) {
            if (hv.isRunning()) {
                hv.shutdown(java.time.Duration.ofSeconds(5));
            }
            hv.close();
        }
    }

    /**
     * {@return the payload made from test resource payloads/C.c against the image {@code xen},
     * stacked on the payload file {@code dependsOn} when given; the source and the payload
     * (C.livepatch) are written to {@code dir}}
     */
    static byte[] payload(final Path dir, final String c, final Path xen, final Optional<Path> dependsOn) throws IOException {
        final Path src = dir.resolve(c + ".c");
        try (InputStream in = HvTestSupport.class.getClassLoader().getResourceAsStream("payloads/" + c + ".c")) {
            Files.write(src, in.readAllBytes());
        }
        final Path out = dir.resolve(c + ".livepatch");
        CPayloadMaker.make(new CPayloadOptions(src, xen, out,
                dependsOn.isPresent() ? Elf.of().parse(dependsOn.get()).buildId() : Optional.empty(), List.of()));
        return Files.readAllBytes(out);
    }

    /** Closes the payload side, then stops and releases the hypervisor (@AfterEach of the payload tests). */
    static void stopAndClose(final LivePayloads payloads, final HypervisorProcess hv) throws IOException {
        if (null != payloads) {
            payloads.close();
        }
        stopAndClose(hv);
    }

    /** The environment a supervisor process needs to start this build's hypervisor image. */
    static Map<String, String> supervisorEnv() throws IOException {
        return Map.of("XSPLICE_HV_BINARY", image().file().toString());
    }

    /** Stops the supervised hypervisor {@code name} if a test started one (@AfterEach of the supervisor tests). */
    static void stopSupervisor(final RunDirectory run, final String name) throws IOException {
        if (null != run && Files.isDirectory(run.base().resolve(name))) {
            Supervisors.stop(run, name);
        }
    }

    static String uniqueName(final String prefix) {
        return prefix + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static HypervisorProcess start(final Path dir, final String name, final int cpus, final String workload) throws IOException {
        Files.createDirectories(dir);
        try {
            return HypervisorProcess.start(image(), new HypervisorProcess.Options(name, cpus, workload, true, dir.resolve("console.log")));
        } catch (final IOException e) {
            throw new IOException(e.getMessage() + "\nconsole:\n" + Files.readString(dir.resolve("console.log")), e);
        }
    }
}
