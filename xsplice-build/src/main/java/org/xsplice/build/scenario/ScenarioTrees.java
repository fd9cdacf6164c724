package org.xsplice.build.scenario;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.xsplice.build.tree.TreeBuilder;

/**
 * The "running hypervisors" scenarios patch: the reference tree built once (pristine) and, per
 * scenario with a {@code base.diff}, once more with it, cached under a directory for one run.
 */
public final class ScenarioTrees {
    private final Path source;
    private final Path cache;
    private final Map<String, Built> built = new ConcurrentHashMap<>();

    /**
     * A tree and its build.
     *
     * @param src     the tree (what {@code --srcdir} gets)
     * @param objects the build directory ({@code --original-build})
     * @param target  its {@code xen-syms} ({@code --target})
     */
    public record Built(Path src, Path objects, Path target) {
    }

    /** Starts with an empty {@code cache} (deleted if present). */
    public ScenarioTrees(final Path source, final Path cache) throws IOException {
        this.source = source;
        this.cache = cache;
        delete(cache);
    }

    /** {@return the tree {@code s} patches, building it on first use} */
    public synchronized Built treeFor(final Scenario s) throws IOException {
        final String key = s.basePatch().isPresent() ? "base-" + s.name() : "pristine";
        Built b = built.get(key);
        if (null == b) {
            final Path src = TreeBuilder.copy(source, cache.resolve(key + "-src"));
            if (s.basePatch().isPresent()) {
                TreeBuilder.applyPatch(src, s.basePatch().get());
            }
            final Path out = cache.resolve(key + "-build");
            new TreeBuilder(List.of("make"), TreeBuilder.PINNED, 2, _ -> { }).build(src, out, key);
            b = new Built(src, out, out.resolve("xen-syms"));
            built.put(key, b);
        }
        return b;
    }

    /** {@return a fresh work directory for scenario {@code s}} */
    public Path workdir(final Scenario s) {
        return cache.resolve("run-" + s.name());
    }

    private static void delete(final Path p) throws IOException {
        if (Files.exists(p)) {
            try (Stream<Path> s = Files.walk(p)) {
                for (final Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(x);
                }
            }
        }
    }
}
