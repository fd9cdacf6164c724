package org.xsplice.hv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.SectionType;
import org.xsplice.hypervisor.symbols.Symbol;
import org.xsplice.hypervisor.symbols.SymbolTable;

/**
 * The reference hypervisor's image, {@code xen-syms}: its ELF model, build-id and symbols.
 * Non-PIE, so a symbol's value is its run-time address.
 *
 * @param file    the image
 * @param elf     its parsed model
 * @param buildId its GNU build-id note
 * @param symbols its symbol table ({@code file#name} for statics)
 */
public record HvImage(Path file, ElfModel elf, BuildId buildId, SymbolTable symbols) {

    /** {@return the image read from {@code file}} */
    public static HvImage read(final Path file) throws IOException {
        final ElfModel elf = Elf.of().parse(file);
        final BuildId id = elf.buildId()
                .orElseThrow(() -> new IOException(file + ": no .note.gnu.build-id (not linked with --build-id=sha1?)"));
        if (elf.symbolTable().isEmpty()) {
            throw new IOException(file + ": no symbol table (stripped?); the reference hypervisor needs xen-syms");
        }
        return new HvImage(file, elf, id, SymbolTable.fromElf(elf, Optional.empty()));
    }

    /** {@return the address of a global symbol that must exist, after checking its size} */
    public long address(final String name, final long expectedSize) {
        final Symbol s = symbols.lookup(name).orElseThrow(() ->
                new IllegalStateException(file + ": symbol " + name + " is missing: binary and supervisor do not match"));
        if (expectedSize >= 0 && s.size() != expectedSize) {
            throw new IllegalStateException(file + ": symbol " + name + " has size " + s.size() + ", the supervisor expects "
                    + expectedSize + ": binary and supervisor were built from different headers");
        }
        return s.address();
    }

    /** {@return the bytes of a NUL-terminated string object in the image file (e.g. {@code xen_compile_flags})} */
    public Optional<String> stringConstant(final String name) {
        final Optional<Symbol> s = symbols.lookup(name);
        if (s.isEmpty()) {
            return Optional.empty();
        }
        for (final ElfSection sec : elf.sections()) {
            final long a = sec.address();
            if (0 != a && s.get().address() >= a && s.get().address() + s.get().size() <= a + sec.size()
                    && SectionType.Known.SHT_PROGBITS == sec.type()) {
                final byte[] b = sec.bytes();
                final int off = (int) (s.get().address() - a);
                int n = 0;
                while (n < s.get().size() && 0 != b[off + n]) {
                    n++;
                }
                return Optional.of(new String(b, off, n, StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    /**
     * Finds the image, building it from the C sources when it is missing: {@code $XSPLICE_HV_BINARY}
     * or {@code -Dxsplice.hv.binary}; else {@code xsplice-hv/target/hv/xen-syms} under
     * {@code $XSPLICE_HOME} (or the current directory's project).
     *
     * @param env the environment to read (tests pass their own)
     */
    public static Path locate(final Map<String, String> env) throws IOException {
        final String explicit = firstNonNull(env.get("XSPLICE_HV_BINARY"), System.getProperty("xsplice.hv.binary"));
        final Path sources;
        final Path binary;
        if (null != explicit) {
            binary = Path.of(explicit);
            final String src = System.getProperty("xsplice.hv.sources");
            sources = null != src ? Path.of(src) : binary.getParent().getParent().getParent().resolve("src/main/c");
        } else {
            final Path home = Path.of(firstNonNull(env.get("XSPLICE_HOME"), System.getProperty("xsplice.home"), "."));
            binary = home.resolve("xsplice-hv/target/hv/xen-syms");
            sources = home.resolve("xsplice-hv/src/main/c");
        }
        if (Files.isExecutable(binary)) {
            return binary;
        }
        if (!Files.isRegularFile(sources.resolve("Makefile"))) {
            throw new IOException("no reference hypervisor at " + binary + " and no sources to build it at " + sources
                    + " (set XSPLICE_HV_BINARY or XSPLICE_HOME)");
        }
        build(sources, binary.getParent());
        return binary;
    }

    /** Runs {@code make} on the C sources into {@code outDir}. */
    public static void build(final Path sources, final Path outDir) throws IOException {
        build(sources, outDir, Map.of());
    }

    /**
     * Runs {@code make} on the C sources into {@code outDir} with extra make variables, e.g.
     * {@code SOURCE_DATE_EPOCH} and {@code XEN_CHANGESET} for a byte-identical rebuild.
     */
    public static void build(final Path sources, final Path outDir, final Map<String, String> vars) throws IOException {
        final List<String> cmd = new ArrayList<>(List.of("make", "-s", "-C", sources.toString(), "O=" + outDir.toAbsolutePath()));
        vars.forEach((k, v) -> cmd.add(k + "=" + v));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(300, TimeUnit.SECONDS) || 0 != p.exitValue()) {
                throw new IOException("building the reference hypervisor failed (" + String.join(" ", cmd) + "):\n" + out);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while building", e));
        }
    }

    private static String firstNonNull(final String... values) {
        for (final String v : values) {
            if (null != v && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }
}
