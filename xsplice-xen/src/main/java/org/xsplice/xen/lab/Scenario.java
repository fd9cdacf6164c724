package org.xsplice.xen.lab;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One boot of the lab: files to place into dom0, shell commands to run there in order, and a
 * hard time limit for the whole boot. Commands run with {@code /bin/sh} from {@code /}, after
 * the toolstack is up (xenstored, {@code xen-init-dom0}); each yields one {@link CommandResult}.
 *
 * @param name       names the run directory and the serial log
 * @param commands   shell commands, run in order; a failing command does not stop the next
 * @param files      host files or directories copied into dom0
 * @param javaRuntime whether the project's jlink'ed runtime is mounted at {@link XenLab#JAVA_HOME}
 * @param classpath  class path entries (directories or jars) for {@link XenLab#JAVA_LAUNCHER}
 * @param timeout    hard limit for the boot, from starting QEMU until it exits
 * @param toolstack  the project's tools installed in {@code /opt/xsplice}, if any (implies the runtime)
 */
public record Scenario(String name, List<String> commands, List<GuestFile> files, boolean javaRuntime,
                       List<Path> classpath, Duration timeout, Optional<Toolstack> toolstack)
{
    /** The default hard limit of one boot: TCG boots Xen and dom0 in about 15 s on this hardware. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    /**
     * A host path copied to an absolute path in dom0.
     *
     * @param host  a file or a directory (copied recursively)
     * @param guest absolute destination inside dom0
     */
    public record GuestFile(Path host, String guest)
    {
        public GuestFile
        {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(guest, "guest");
            if (!guest.startsWith("/"))
            {
                throw new IllegalArgumentException("guest path must be absolute: " + guest);
            }
        }
    }

    public Scenario
    {
        Objects.requireNonNull(name, "name");
        if (!name.matches("[A-Za-z0-9._-]+"))
        {
            throw new IllegalArgumentException("scenario name must be [A-Za-z0-9._-]+: " + name);
        }
        commands = List.copyOf(commands);
        files = List.copyOf(files);
        classpath = List.copyOf(classpath);
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(toolstack, "toolstack");
        if ((!classpath.isEmpty() || toolstack.isPresent()) && !javaRuntime)
        {
            throw new IllegalArgumentException("scenario " + name + " has a class path but no Java runtime");
        }
        if (commands.isEmpty())
        {
            throw new IllegalArgumentException("scenario " + name + " has no commands");
        }
        if (commands.size() > 999)
        {
            throw new IllegalArgumentException("scenario " + name + " has more than 999 commands");
        }
    }

    /** A scenario without the project's toolstack. */
    public Scenario(final String name, final List<String> commands, final List<GuestFile> files,
                    final boolean javaRuntime, final List<Path> classpath, final Duration timeout)
    {
        this(name, commands, files, javaRuntime, classpath, timeout, Optional.empty());
    }

    /** {@return a builder for a scenario called {@code name}} */
    public static Builder named(final String name)
    {
        return new Builder(name);
    }

    /** Collects a scenario's files and commands. */
    public static final class Builder
    {
        private final String name;
        private final List<String> commands = new ArrayList<>();
        private final List<GuestFile> files = new ArrayList<>();
        private boolean javaRuntime;
        private final List<Path> classpath = new ArrayList<>();
        private Duration timeout = DEFAULT_TIMEOUT;
        private Optional<Toolstack> toolstack = Optional.empty();

        private Builder(final String name)
        {
            this.name = name;
        }

        /** Adds a shell command; its index in {@link ScenarioResult#commands()} is the call order. */
        public Builder command(final String shell)
        {
            commands.add(Objects.requireNonNull(shell, "shell"));
            return this;
        }

        /** Copies a host file or directory to {@code guest} in dom0. */
        public Builder file(final Path host, final String guest)
        {
            files.add(new GuestFile(host, guest));
            return this;
        }

        /** Mounts the project's Java runtime image at {@link XenLab#JAVA_HOME} in dom0. */
        public Builder javaRuntime()
        {
            javaRuntime = true;
            return this;
        }

        /**
         * Mounts the Java runtime and copies these class path entries (directories or jars) into
         * dom0, where {@link XenLab#JAVA_LAUNCHER} {@code MAIN ARGS...} runs a main class with them.
         */
        public Builder javaClasspath(final List<Path> entries)
        {
            javaRuntime = true;
            classpath.addAll(entries);
            return this;
        }

        /**
         * Installs the project's tools in dom0 ({@link Toolstack#BIN}), on the Java runtime at
         * {@link XenLab#JAVA_HOME}.
         */
        public Builder toolstack(final Toolstack tools)
        {
            javaRuntime = true;
            toolstack = Optional.of(tools);
            return this;
        }

        /** Replaces the {@link Scenario#DEFAULT_TIMEOUT default} hard limit of the boot. */
        public Builder timeout(final Duration limit)
        {
            timeout = Objects.requireNonNull(limit, "limit");
            return this;
        }

        public Scenario build()
        {
            return new Scenario(name, commands, files, javaRuntime, classpath, timeout, toolstack);
        }
    }
}
