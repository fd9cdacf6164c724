package org.xsplice.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.xsplice.build.diff.LineMap;
import org.xsplice.build.diff.ObjectDiff;
import org.xsplice.build.diff.ObjectDiff.Outcome;
import org.xsplice.build.diff.ObjectDiffer;
import org.xsplice.build.diff.Target;
import org.xsplice.build.link.PayloadLinker;
import org.xsplice.build.tree.BuildException;
import org.xsplice.build.tree.TreeBuilder;
import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;

/**
 * From a source patch to a payload: build the tree twice with the target's compiler and flags,
 * diff every object that changed, link the parts with the depends notes.
 *
 * <pre>
 *  srcdir ──copy──► orig tree ──make──► orig/*.o ─┐
 *     └────copy+patch──► patched tree ──make──► patched/*.o ─┤ changed pairs
 *                                                        ▼
 *  target xen-syms ──(flags, compiler, symbols, build-id)──► ObjectDiffer (per pair)
 *                                                        ▼
 *                         parts + notes ──ld -r --build-id──► NAME.livepatch
 * </pre>
 */
public final class XspliceBuild {
    private XspliceBuild() {
    }

    /**
     * Runs the whole build.
     *
     * @throws BuildException for a failed step (patch, compiler, compiler mismatch, link)
     * @throws IOException    for file-system errors
     */
    public static BuildResult build(final BuildRequest req) throws IOException {
        final String name = req.payloadName();
        final Target target = Target.load(req.target());
        final List<String> vars = new ArrayList<>(TreeBuilder.PINNED);
        final Optional<String> flags = target.compileFlags();
        if (flags.isPresent()) {
            vars.add("XEN_CFLAGS=" + flags.get());
            req.progress().accept("  FLAGS   " + flags.get() + " (from the target's " + Target.COMPILE_FLAGS_SYMBOL + ")");
        } else {
            req.progress().accept("  FLAGS   the target records no " + Target.COMPILE_FLAGS_SYMBOL
                    + ": using the tree's defaults");
        }
        vars.addAll(req.vars());
        final TreeBuilder builder = new TreeBuilder(req.make(), vars, req.jobs(), req.progress());
        final Path work = req.workdir().isPresent() ? Files.createDirectories(req.workdir().get())
                : Files.createTempDirectory("xsplice-build-");

        long t0 = System.nanoTime();
        final Map<String, Path> orig;
        if (req.originalBuild().isPresent()) {
            orig = TreeBuilder.objects(req.originalBuild().get());
            req.progress().accept("  REUSE   original build " + req.originalBuild().get() + " (" + orig.size() + " objects)");
        } else {
            final Path src = TreeBuilder.copy(req.srcdir(), work.resolve("orig-src"));
            orig = builder.build(src, work.resolve("orig"), "original tree");
        }
        checkCompiler(target, orig, req.force(), req.progress());
        final long tOrig = System.nanoTime() - t0;

        t0 = System.nanoTime();
        final Path patchedSrc = TreeBuilder.copy(req.srcdir(), work.resolve("patched-src"));
        TreeBuilder.applyPatch(patchedSrc, req.patch());
        // Seeding the patched build with the original's outputs (times kept) makes make
        // recompile only what the patch touched.
        final Path patchedOut = work.resolve("patched");
        TreeBuilder.copy(req.originalBuild().orElse(work.resolve("orig")), patchedOut);
        final Map<String, Path> patched = builder.build(patchedSrc, patchedOut, "patched tree");
        final long tPatched = System.nanoTime() - t0;

        t0 = System.nanoTime();
        final LineMap lines = LineMap.ofPatch(Files.readString(req.patch()));
        final List<ObjectDiff> diffs = new ArrayList<>();
        for (final var e : patched.entrySet()) {
            final Path o = orig.get(e.getKey());
            if (null != o && Arrays.equals(Files.readAllBytes(o), Files.readAllBytes(e.getValue()))) {
                continue;
            }
            // An object only the patched tree has comes from a source file the patch added:
            // everything in it is new (its functions are reached from changed ones elsewhere).
            final ObjectDiff d = null == o ? ObjectDiffer.diffNew(Elf.of().parse(e.getValue()), target, lines)
                    : ObjectDiffer.diff(Elf.of().parse(o), Elf.of().parse(e.getValue()), target, lines);
            req.progress().accept("  DIFF    " + e.getKey() + ": " + d.outcome() + " (" + d.changed().size()
                    + " changed, " + d.added().size() + " new, " + d.refusals().size() + " refused)");
            diffs.add(d);
        }
        final long tDiff = System.nanoTime() - t0;

        final Outcome outcome = diffs.stream().anyMatch(d -> d.outcome() == Outcome.REFUSED) ? Outcome.REFUSED
                : diffs.stream().anyMatch(d -> d.outcome() == Outcome.CHANGED) ? Outcome.CHANGED : Outcome.NO_CHANGE;
        if (outcome != Outcome.CHANGED) {
            return new BuildResult(name, outcome, Optional.empty(), Optional.empty(), diffs,
                    new BuildResult.Timings(ms(tOrig), ms(tPatched), ms(tDiff), 0));
        }
        t0 = System.nanoTime();
        final Path parts = Files.createDirectories(work.resolve("parts"));
        final List<Path> files = new ArrayList<>();
        for (final ObjectDiff d : diffs) {
            if (d.object().isPresent()) {
                final Path p = parts.resolve(files.size() + "-" + d.file().replaceAll("[^A-Za-z0-9_.-]", "_") + ".o");
                Files.write(p, d.object().get());
                files.add(p);
            }
        }
        final Path out = req.output().orElse(Path.of(name + ".livepatch")).toAbsolutePath();
        Files.createDirectories(out.getParent());
        final BuildId id = PayloadLinker.link(files, name, Elf.of().parse(req.target()), req.depends(), parts, out);
        final long tLink = System.nanoTime() - t0;
        req.progress().accept("  PAYLOAD " + out + " (build-id " + id.hex() + ")");
        req.progress().accept(String.format("  TIMES   original build %d ms, patched build %d ms, diff %d ms (%d pairs), "
                + "link %d ms", ms(tOrig), ms(tPatched), ms(tDiff), diffs.size(), ms(tLink)));
        return new BuildResult(name, outcome, Optional.of(out), Optional.of(id), diffs,
                new BuildResult.Timings(ms(tOrig), ms(tPatched), ms(tDiff), ms(tLink)));
    }

    private static long ms(final long nanos) {
        return nanos / 1_000_000;
    }

    /** The payload must be compiled by the compiler that built the target, or code layout and inlining differ. */
    private static void checkCompiler(final Target target, final Map<String, Path> objects, final boolean force,
                                      final java.util.function.Consumer<String> progress) throws IOException {
        final Set<String> theirs = target.compilers();
        if (objects.isEmpty() || theirs.isEmpty()) {
            return;
        }
        final Set<String> ours = Target.comments(Elf.of().parse(objects.values().iterator().next()));
        if (ours.stream().noneMatch(theirs::contains)) {
            final String msg = "compiler mismatch: the target was built by " + theirs + ", this build uses " + ours;
            if (!force) {
                throw new BuildException(msg + " (use --force to build anyway; the payload may not match the "
                        + "running code)");
            }
            progress.accept("  WARNING " + msg + " (--force)");
        }
    }
}
