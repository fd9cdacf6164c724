package org.xsplice.hv.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where running hypervisors are found: one directory per name (mode 0700) holding the
 * control socket (0600), pid files, the console log and, after a crash, a status file.
 * The base is {@code $XSPLICE_RUN_DIR}, else {@code /run/xsplice} for root, else
 * {@code $XDG_RUNTIME_DIR/xsplice}, else {@code /tmp/xsplice-UID}.
 *
 * @param base the directory holding one subdirectory per hypervisor
 */
public record RunDirectory(Path base) {
    public static final String SOCKET = "control.sock";
    public static final String SUPERVISOR_PID = "supervisor.pid";
    public static final String HYPERVISOR_PID = "hypervisor.pid";
    public static final String CONSOLE_LOG = "console.log";
    public static final String SUPERVISOR_LOG = "supervisor.log";
    public static final String STATUS = "status";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    /** {@return the run directory for this user, from {@code env}} */
    public static RunDirectory resolve(final Map<String, String> env, final int uid) {
        final String explicit = env.get("XSPLICE_RUN_DIR");
        if (null != explicit && !explicit.isEmpty()) {
            return new RunDirectory(Path.of(explicit));
        }
        if (0 == uid) {
            return new RunDirectory(Path.of("/run/xsplice"));
        }
        final String xdg = env.get("XDG_RUNTIME_DIR");
        if (null != xdg && !xdg.isEmpty()) {
            return new RunDirectory(Path.of(xdg, "xsplice"));
        }
        return new RunDirectory(Path.of("/tmp", "xsplice-" + uid));
    }

    /** {@return the run directory for the user running this JVM} */
    public static RunDirectory forCurrentUser(final Map<String, String> env) {
        return resolve(env, org.xsplice.hv.internal.Linux.getuid());
    }

    /** {@return {@code name} if it is a valid hypervisor name} */
    public static String checkName(final String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid hypervisor name '" + name
                    + "': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }

    /** {@return the directory of hypervisor {@code name}} */
    public Path dir(final String name) {
        return base.resolve(checkName(name));
    }

    public Path socket(final String name) {
        return dir(name).resolve(SOCKET);
    }

    /** Creates the base and the hypervisor's directory, both 0700 and owned by us (an existing one is checked). */
    public Path create(final String name) throws IOException {
        for (final Path p : List.of(base, dir(name))) {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        }
        return dir(name);
    }

    /** {@return the names that have a directory here, sorted} */
    public List<String> names() throws IOException {
        if (!Files.isDirectory(base)) {
            return List.of();
        }
        final List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(base)) {
            s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> NAME.matcher(n).matches()).sorted()
                    .forEach(out::add);
        }
        return out;
    }

    /** {@return the pid recorded in {@code file} of hypervisor {@code name}} */
    public Optional<Long> pid(final String name, final String file) {
        try {
            return Optional.of(Long.parseLong(Files.readString(dir(name).resolve(file)).strip()));
        } catch (final IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** {@return the crash/exit status recorded by a supervisor that saw its hypervisor end} */
    public Optional<String> status(final String name) {
        try {
            return Optional.of(Files.readString(dir(name).resolve(STATUS)).strip());
        } catch (final IOException e) {
            return Optional.empty();
        }
    }
}
