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
 * @param target      the hypervisor binary with its symbol table ({@code xen-syms})
 * @param output      the payload file to write
 * @param depends     the build-id for {@code .livepatch.depends}; empty: the target's (not stacked)
 * @param includeDirs extra {@code -I} directories
 */
public record CPayloadOptions(Path source, Path target, Path output, Optional<BuildId> depends,
                              List<Path> includeDirs) {
    public CPayloadOptions {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(depends, "depends");
        includeDirs = List.copyOf(includeDirs);
    }
}
