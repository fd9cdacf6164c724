package org.xsplice.cli.expert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.TargetFiles;
import org.xsplice.elf.ElfFormatException;
import org.xsplice.hypervisor.loader.HypervisorTarget;
import org.xsplice.hypervisor.loader.LoadedFunc;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;
import org.xsplice.xen.image.XenImageFormatException;
import org.xsplice.xen.offline.OfflineXen;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code xen-xsplice check FILE... --target TARGET [--apply]}: every upload check, offline,
 * against the hypervisor's symbols and build-id, with the payload placed where the running
 * hypervisor's payload area would have it. The target is the reference hypervisor's binary or a
 * distribution's Xen ({@code xen.gz}, {@code xen}, {@code xen-syms}): see {@link TargetFiles}.
 * Several payloads are uploaded in order, each seeing those before it (stacking, duplicate
 * symbols); {@code --apply} also applies each one as Xen would decide before its rendezvous
 * ({@code .livepatch.depends}, expectations). Nothing is uploaded.
 */
@Command(name = "check", header = "Run every upload check on a payload without uploading it.")
public final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0..*", arity = "1..*", paramLabel = "FILE",
            description = "the payloads, uploaded in this order")
    List<Path> files;

    @Option(names = "--target", required = true, paramLabel = "TARGET",
            description = "the hypervisor: a binary with its symbol table, or a distribution's xen.gz / xen")
    Path target;

    @Option(names = "--name", paramLabel = "NAME",
            description = "the name to check (default: FILE's base name; only with one FILE)")
    String name;

    @Option(names = "--apply", description = "also apply each payload after its upload (depends, expectations)")
    boolean apply;

    @Override
    public Integer call() throws IOException {
        if (null != name && files.size() > 1) {
            spec.commandLine().getErr().println("xen-xsplice: check: --name needs exactly one FILE");
            return ExitCodes.ERROR;
        }
        final HypervisorTarget t;
        try {
            t = TargetFiles.hypervisor(target);
        } catch (final ElfFormatException | PayloadException | XenImageFormatException e) {
            spec.commandLine().getErr().println("xen-xsplice: target " + target + " unusable: " + e.getMessage());
            return ExitCodes.ERROR;
        }
        final OfflineXen xen = new OfflineXen(t);
        int rc = ExitCodes.OK;
        for (final Path file : files) {
            final String n = null != name ? name : file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
            try {
                final LoadedPayload p = xen.upload(n, Files.readAllBytes(file));
                final var out = spec.commandLine().getOut();
                out.printf("%s: OK (%s, %d function%s, %d pages at %#x)%n", file, n, p.funcs().size(),
                        1 == p.funcs().size() ? "" : "s", p.pages(), p.base());
                for (final LoadedFunc f : p.funcs()) {
                    out.printf("    %s patch %#x(%d) with %#x (%d)%n", f.name(), f.oldAddr(), f.oldSize(), f.newAddr(),
                            f.newSize());
                }
                out.println("build-id=" + p.buildId().hex());
                if (apply) {
                    xen.apply(n, false);
                    out.printf("%s: apply OK%n", file);
                }
            } catch (final PayloadException e) {
                final boolean atApply = apply && xen.loaded().stream().anyMatch(p -> p.name().equals(n));
                spec.commandLine().getErr().println("xen-xsplice: check " + file + " failed"
                        + (atApply ? " at apply" : "") + ": " + e.errno().name() + ": " + e.getMessage());
                rc = Errno.EAGAIN == e.errno() || Errno.EBUSY == e.errno() ? ExitCodes.RETRY : ExitCodes.ERROR;
            }
        }
        return rc;
    }
}
