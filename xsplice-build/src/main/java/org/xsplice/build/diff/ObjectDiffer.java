package org.xsplice.build.diff;

import java.io.IOException;
import java.nio.file.Path;

import org.xsplice.build.diff.internal.DiffRun;
import org.xsplice.build.diff.internal.Obj;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;

/**
 * The object differ: compares an original and a patched object compiled from the same source
 * file and produces the payload part for it. Stages (see docs/xsplice-build.md): correlate
 * (the funnel), compare, check data and groups, select, include, regenerate special sections,
 * livepatch_func entries, write.
 *
 * {@snippet :
 * ObjectDiff d = ObjectDiffer.diff(Path.of("orig/common/version.o"), Path.of("patched/common/version.o"),
 *         Target.load(Path.of("xen-syms")), LineMap.none());
 * System.exit(d.outcome().exitCode());
 * }
 */
public final class ObjectDiffer {
    private ObjectDiffer() {
    }

    /**
     * @param orig    the object built from the original tree
     * @param patched the same object built from the patched tree
     * @param target  the running hypervisor's binary
     * @param lines   how the patch moved lines ({@link LineMap#none()} if unknown)
     * @return the verdict, report data and payload part
     * @throws DiffException                        if an object is not usable at all
     * @throws org.xsplice.elf.ElfFormatException if an object is malformed
     */
    public static ObjectDiff diff(final ElfModel orig, final ElfModel patched, final Target target,
                                  final LineMap lines) {
        final Obj o = Obj.of(orig, "original");
        final Obj p = Obj.of(patched, "patched");
        if (!o.file.equals(p.file)) {
            throw new DiffException("objects come from different sources: " + o.file + " and " + p.file);
        }
        return new DiffRun(o, p, target, lines).run();
    }

    /**
     * {@return the diff of an object the patch added (a new source file): compared with an
     * empty object of the same source, so every function and variable in it is new}
     */
    public static ObjectDiff diffNew(final ElfModel patched, final Target target, final LineMap lines) {
        final Obj p = Obj.of(patched, "patched");
        final ElfModel empty = Elf.of().parse(Elf.of().build(b -> b.withSymbol(org.xsplice.elf.ElfSymbol.ofFile(p.file))));
        return new DiffRun(Obj.of(empty, "original"), p, target, lines).run();
    }

    /** {@return as {@link #diff(ElfModel, ElfModel, Target, LineMap)}, reading the files} */
    public static ObjectDiff diff(final Path orig, final Path patched, final Target target, final LineMap lines)
            throws IOException {
        return diff(Elf.of().parse(orig), Elf.of().parse(patched), target, lines);
    }
}
