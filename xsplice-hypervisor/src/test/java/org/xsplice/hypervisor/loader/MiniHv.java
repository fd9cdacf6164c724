package org.xsplice.hypervisor.loader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.xsplice.build.cpayload.CPayloadMaker;
import org.xsplice.build.cpayload.CPayloadOptions;
import org.xsplice.elf.Elf;

/**
 * The tests' hypervisor: a small C program built with gcc as the reference hypervisor is
 * (non-PIE, -ffunction-sections, build-id, a payload area inside the image), and payloads made
 * from the C files under payloads/ with the real payload maker. Built once per JVM.
 */
final class MiniHv {
    private static MiniHv instance;

    final Path dir;
    final Path xenSyms;
    final HypervisorTarget target;
    private final Map<String, byte[]> payloads = new HashMap<>();

    private MiniHv(final Path dir) throws IOException {
        this.dir = dir;
        for (final String f : List.of("common/version.c", "common/tiny.S", "common/main.c")) {
            copy("minihv/" + f, dir.resolve(f));
        }
        xenSyms = dir.resolve("xen-syms");
        run(dir, "gcc", "-O2", "-fno-pie", "-no-pie", "-ffunction-sections", "-fdata-sections",
                "-Wl,--build-id=sha1", "-o", xenSyms.toString(), "common/version.c", "common/tiny.S", "common/main.c");
        target = HypervisorTarget.ofImage(Elf.of().parse(xenSyms));
    }

    static synchronized MiniHv get() throws IOException {
        if (null == instance) {
            instance = new MiniHv(Files.createTempDirectory("minihv"));
        }
        return instance;
    }

    /** {@return the payload made from payloads/NAME.c, stacked on {@code dependsOn} when given} */
    synchronized byte[] payload(final String name, final Optional<String> dependsOn) throws IOException {
        final String key = name + dependsOn.map(d -> "@" + d).orElse("");
        byte[] b = payloads.get(key);
        if (null == b) {
            final Path src = dir.resolve("payloads/" + name + ".c");
            copy("payloads/" + name + ".c", src);
            final Path out = dir.resolve(key + ".livepatch");
            CPayloadMaker.make(new CPayloadOptions(src, xenSyms, out,
                    dependsOn.isPresent() ? Elf.of().parse(payload(dependsOn.get(), Optional.empty())).buildId()
                            : Optional.empty(), List.of()));
            b = Files.readAllBytes(out);
            payloads.put(key, b);
        }
        return b.clone();
    }

    byte[] payload(final String name) throws IOException {
        return payload(name, Optional.empty());
    }

    private static void copy(final String resource, final Path to) throws IOException {
        Files.createDirectories(to.getParent());
        try (InputStream in = MiniHv.class.getClassLoader().getResourceAsStream(resource)) {
            if (null == in) {
                throw new IOException("test resource " + resource + " missing");
            }
            Files.write(to, in.readAllBytes());
        }
    }

    static void run(final Path dir, final String... cmd) throws IOException {
        final Path log = Files.createTempFile(dir, "cmd", ".log");
        final Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        if (0 != p.exitValue()) {
            throw new IOException(String.join(" ", cmd) + " -> " + p.exitValue() + "\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
    }
}
