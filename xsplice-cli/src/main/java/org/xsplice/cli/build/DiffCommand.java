package org.xsplice.cli.build;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.xsplice.build.diff.DiffException;
import org.xsplice.build.diff.LineMap;
import org.xsplice.build.diff.ObjectDiff;
import org.xsplice.build.diff.ObjectDiffer;
import org.xsplice.build.diff.Target;
import org.xsplice.build.report.BuildReport;
import org.xsplice.cli.ExitCodes;
import org.xsplice.elf.ElfFormatException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code xsplice-build diff ORIG.o PATCHED.o --target BINARY -o OUT.o}: one object pair. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = "Diff one object pair into a payload part.",
        footer = "Exit codes: 0 changed (OUT written), 1 error, 2 unreconcilable difference, 3 no change.")
public final class DiffCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ORIG.o")
    Path orig;

    @Parameters(index = "1", paramLabel = "PATCHED.o")
    Path patched;

    @Option(names = "--target", required = true, paramLabel = "BINARY")
    Path target;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.o")
    Path output;

    @Option(names = "--patch", paramLabel = "FILE", description = "the source patch, to recognise moved __LINE__ values")
    Path patch;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final ObjectDiff d;
        try {
            d = ObjectDiffer.diff(orig, patched, Target.load(target),
                    null == patch ? LineMap.none() : LineMap.ofPatch(Files.readString(patch)));
        } catch (final DiffException | ElfFormatException e) {
            spec.commandLine().getErr().println("xsplice-build diff: " + e.getMessage());
            return ExitCodes.ERROR;
        }
        if (d.object().isPresent()) {
            Files.write(output, d.object().get());
        }
        spec.commandLine().getOut().print(BuildReport.render(patched.getFileName().toString(), List.of(d)));
        return d.outcome().exitCode();
    }
}
