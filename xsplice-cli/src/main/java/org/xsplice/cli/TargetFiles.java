package org.xsplice.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.xsplice.build.cpayload.CPayloadTarget;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.hypervisor.loader.HypervisorTarget;
import org.xsplice.xen.offline.XenImageTarget;

/**
 * Picks the reader for a {@code --target} file by its content, so that the reference
 * hypervisor's binary and a distribution's Xen are equal targets of {@code check} and
 * {@code cfile}:
 *
 * <pre>
 *  gzip (xen.gz) | ELF32 (xen, the multiboot wrapper)            ──► XenImageTarget
 *  ELF64 without .symtab, or with Xen's {@value #XEN_TABLE} (xen-syms)   (Xen's embedded table,
 *                                                                       Xen 4.17's rules)
 *  ELF64 with .symtab and no embedded table (the reference hypervisor) ──► ELF symbols
 * </pre>
 */
public final class TargetFiles {
    /** A symbol every Xen image with an embedded symbol table links. */
    static final String XEN_TABLE = "symbols_token_index";

    private TargetFiles() {
    }

    /** {@return the target as the payload loader sees it} */
    public static HypervisorTarget hypervisor(final Path file) throws IOException {
        final ElfModel elf = elfWithSymbols(file);
        return null != elf ? HypervisorTarget.ofImage(elf) : XenImageTarget.read(file);
    }

    /** {@return the target a C payload is built for} */
    public static CPayloadTarget build(final Path file) throws IOException {
        final ElfModel elf = elfWithSymbols(file);
        return null != elf ? CPayloadTarget.ofElf(elf, file.toString()) : XenImageTarget.read(file);
    }

    /**
     * The ELF64 model when the file is a binary with a symbol table that is not Xen's own (the
     * reference hypervisor), else null (a Xen image, or not an image).
     */
    private static ElfModel elfWithSymbols(final Path file) throws IOException {
        final byte[] head = new byte[5];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, head.length) < head.length) {
                return null;
            }
        }
        final boolean elf64 = 0x7f == head[0] && 'E' == head[1] && 'L' == head[2] && 'F' == head[3] && 2 == head[4];
        if (!elf64) {
            return null;
        }
        final ElfModel m = Elf.of().parse(file);
        final boolean xen = m.symbols().stream().anyMatch(s -> XEN_TABLE.equals(s.name()));
        return m.symbolTable().isPresent() && !xen ? m : null;
    }
}
