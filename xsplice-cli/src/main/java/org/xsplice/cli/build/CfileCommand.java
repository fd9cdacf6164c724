package org.xsplice.cli.build;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.xsplice.build.cpayload.CPayloadException;
import org.xsplice.build.cpayload.CPayloadMaker;
import org.xsplice.build.cpayload.CPayloadOptions;
import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.TargetFiles;
import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.sign.SigningException;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code xsplice-build cfile FILE.c --target TARGET}: a payload from hand-written C, for the
 * reference hypervisor's binary or a distribution's Xen image ({@link TargetFiles}).
 */
@Command(name = "cfile", header = "Make a payload from a C file of replacement functions.",
        description = "Compiles FILE.c with xsplice/livepatch.h, fills in the livepatch_func sizes from the "
                + "target's symbols, adds the depends notes and links with ld -r --build-id=sha1.")
public final class CfileCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE.c", description = "the C source")
    Path source;

    @Option(names = "--target", required = true, paramLabel = "TARGET",
            description = "the hypervisor the payload is for: a binary with its symbol table (xen-syms), "
                    + "or a distribution's xen.gz / xen (old_addr, old_size, build-id and compiler flags from the image)")
    Path target;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "the payload (default: NAME.livepatch)")
    Path output;

    @Option(names = "--name", paramLabel = "N", description = "payload name (default: the file's base name)")
    String name;

    @Option(names = "-I", paramLabel = "DIR", description = "an include directory (repeatable)")
    List<Path> includes = new ArrayList<>();

    @ArgGroup(exclusive = true)
    Depends depends;

    @Mixin
    SigningOptions signing;

    static final class Depends {
        @Option(names = "--depends", paramLabel = "BUILD-ID", description = "stack on the payload with this build-id (hex)")
        String buildId;

        @Option(names = "--depends-file", paramLabel = "PAYLOAD", description = "stack on this payload")
        Path file;
    }

    @Override
    public Integer call() throws IOException {
        final String n = null != name ? name : source.getFileName().toString().replaceFirst("\\.c$", "");
        final Path out = null != output ? output : Path.of(n + ".livepatch");
        try {
            Optional<BuildId> dep = Optional.empty();
            if (null != depends && null != depends.buildId) {
                dep = Optional.of(BuildId.parse(depends.buildId));
            } else if (null != depends) {
                dep = Optional.of(Elf.of().parse(depends.file).buildId().orElseThrow(() ->
                        new CPayloadException(depends.file + " has no build-id note")));
            }
            final BuildId id = CPayloadMaker.make(new CPayloadOptions(source, TargetFiles.build(target), out, dep,
                    includes));
            spec.commandLine().getOut().println(out + ": build-id " + id.hex()
                    + signing.signInPlace(out).map(s -> ", " + s).orElse(""));
            return ExitCodes.OK;
        } catch (final CPayloadException | IllegalArgumentException | SigningException e) {
            spec.commandLine().getErr().println("xsplice-build: cfile " + source + " failed: " + e.getMessage());
            return ExitCodes.ERROR;
        }
    }
}
