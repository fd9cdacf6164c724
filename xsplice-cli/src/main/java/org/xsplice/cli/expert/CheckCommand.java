package org.xsplice.cli.expert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.xsplice.cli.ExitCodes;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfFormatException;
import org.xsplice.hypervisor.loader.AreaAllocator;
import org.xsplice.hypervisor.loader.HypervisorTarget;
import org.xsplice.hypervisor.loader.LoadedFunc;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.loader.PayloadLoader;
import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code xen-xsplice check FILE --target XEN-SYMS}: every upload check, offline, against the
 * hypervisor binary's symbols and build-id, with the payload placed where the running
 * hypervisor's payload area would have it. Nothing is uploaded.
 */
@Command(name = "check", header = "Run every upload check on a payload without uploading it.")
public final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the payload")
    Path file;

    @Option(names = "--target", required = true, paramLabel = "XEN-SYMS",
            description = "the hypervisor binary with its symbol table")
    Path target;

    @Option(names = "--name", paramLabel = "NAME", description = "the name to check (default: FILE's base name)")
    String name;

    @Override
    public Integer call() throws IOException {
        final String n = null != name ? name : file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        final HypervisorTarget t;
        try {
            t = HypervisorTarget.ofImage(Elf.of().parse(target));
        } catch (final ElfFormatException | PayloadException e) {
            spec.commandLine().getErr().println("xen-xsplice: target " + target + " unusable: " + e.getMessage());
            return ExitCodes.ERROR;
        }
        try {
            final AreaAllocator area = new AreaAllocator(t.areaStart(), t.areaSize());
            final LoadedPayload p = new PayloadLoader(t).link(n, Files.readAllBytes(file), List.of(), area).payload();
            final var out = spec.commandLine().getOut();
            out.printf("%s: OK (%s, %d function%s, %d pages at %#x)%n", file, n, p.funcs().size(),
                    1 == p.funcs().size() ? "" : "s", p.pages(), p.base());
            for (final LoadedFunc f : p.funcs()) {
                out.printf("    %s patch %#x(%d) with %#x (%d)%n", f.name(), f.oldAddr(), f.oldSize(), f.newAddr(),
                        f.newSize());
            }
            out.println("build-id=" + p.buildId().hex());
            return ExitCodes.OK;
        } catch (final PayloadException e) {
            spec.commandLine().getErr().println("xen-xsplice: check " + file + " failed: " + e.errno().name() + ": "
                    + e.getMessage());
            return Errno.EAGAIN == e.errno() || Errno.EBUSY == e.errno() ? ExitCodes.RETRY : ExitCodes.ERROR;
        }
    }
}
