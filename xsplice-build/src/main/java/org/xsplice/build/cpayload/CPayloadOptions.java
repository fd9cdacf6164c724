package org.xsplice.build.cpayload;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.xsplice.elf.BuildId;

/**
 * What {@link CPayloadMaker} needs: the C file, the hypervisor binary it patches, where the
 * payload goes, and what it stacks on.
 *
 * @param source      the C file with replacement functions and XSPLICE_PATCH entries
 * @param target      the hypervisor the payload is for
 * @param output      the payload file to write
 * @param depends     the build-id for {@code .livepatch.depends}; empty: the target's (not stacked)
 * @param includeDirs extra {@code -I} directories
 */
public record CPayloadOptions(Path source, CPayloadTarget target, Path output, Optional<BuildId> depends,
                              List<Path> includeDirs) {
    public CPayloadOptions {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(depends, "depends");
        includeDirs = List.copyOf(includeDirs);
    }

    /**
     * Options for a hypervisor binary with its ELF symbol table ({@code xen-syms}).
     *
     * @throws CPayloadException when it has no build-id or no symbol table
     * @throws java.io.UncheckedIOException when it cannot be read
     */
    public CPayloadOptions(final Path source, final Path target, final Path output, final Optional<BuildId> depends,
                           final List<Path> includeDirs) {
        this(source, CPayloadTarget.ofElf(target), output, depends, includeDirs);
    }
}
