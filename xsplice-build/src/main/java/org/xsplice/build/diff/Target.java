package org.xsplice.build.diff;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.SymbolType;

/**
 * The running hypervisor's binary ({@code xen-syms}) as the differ sees it: symbols named the way
 * Xen's {@code dl_sym} names them (globals plainly, statics {@code file#name} after the STT_FILE
 * before them), its build-id, and the compiler and flags it was built with.
 */
public final class Target {
    /** The symbol recording the compile flags ({@code common/version.c}). */
    public static final String COMPILE_FLAGS_SYMBOL = "xen_compile_flags";

    private final ElfModel model;
    private final BuildId buildId;
    private final Map<String, List<ElfSymbol>> byName = new HashMap<>();
    /** Names the binary imports from shared libraries (the reference hypervisor is a process). */
    private final Set<String> imports = new java.util.HashSet<>();

    private Target(final ElfModel model) {
        this.model = model;
        this.buildId = model.buildId().orElseThrow(() -> new DiffException("target has no .note.gnu.build-id"));
        String file = "";
        for (final ElfSymbol s : model.symbols()) {
            if (s.type() == SymbolType.Known.STT_FILE) {
                file = s.name();
                continue;
            }
            if (s.isUndefined() && !s.name().isEmpty()) {
                imports.add(s.name().replaceFirst("@.*$", ""));
                continue;
            }
            if (s.name().isEmpty() || s.type() == SymbolType.Known.STT_SECTION) {
                continue;
            }
            final String key = s.isLocal() ? file + "#" + s.name() : s.name();
            byName.computeIfAbsent(key, _ -> new ArrayList<>()).add(s);
        }
    }

    /** {@return the target read from {@code file}} */
    public static Target load(final Path file) throws IOException {
        final ElfModel m = Elf.of().parse(file);
        if (m.symbolTable().isEmpty()) {
            throw new DiffException(file + ": no symbol table (a stripped image): give the xen-syms the image was made from");
        }
        return new Target(m);
    }

    /** {@return the target's build-id} */
    public BuildId buildId() {
        return buildId;
    }

    /** {@return the symbols named {@code name} (plain, or {@code file#name}): one, none, or several if ambiguous} */
    public List<ElfSymbol> lookup(final String name) {
        return byName.getOrDefault(name, List.of());
    }

    /**
     * {@return whether the binary imports {@code name} from a shared library: the reference
     * hypervisor runs as a process linked against libc, and its loader, like Xen's, resolves only
     * the binary's own symbols, so payload code cannot call these (real Xen has no imports)}
     */
    public boolean imports(final String name) {
        return imports.contains(name);
    }

    /** {@return the first {@code n} bytes at the symbol's address, if the binary holds them} */
    public Optional<byte[]> bytesAt(final ElfSymbol sym, final int n) {
        final Optional<ElfSection> sec = sym.section();
        if (sec.isEmpty() || sec.get().type() != org.xsplice.elf.SectionType.Known.SHT_PROGBITS) {
            return Optional.empty();
        }
        final long off = sym.value() - sec.get().address();
        if (off < 0 || off + n > sec.get().size()) {
            return Optional.empty();
        }
        final byte[] b = new byte[n];
        sec.get().contents().get((int) off, b);
        return Optional.of(b);
    }

    /** {@return the compile flags recorded in {@value #COMPILE_FLAGS_SYMBOL}, if the binary has them} */
    public Optional<String> compileFlags() {
        for (final ElfSymbol s : lookup(COMPILE_FLAGS_SYMBOL)) {
            final Optional<byte[]> b = bytesAt(s, (int) s.size());
            if (b.isPresent()) {
                return Optional.of(cString(b.get(), 0));
            }
        }
        return Optional.empty();
    }

    /** {@return the compiler identifications in {@code .comment}, e.g. "GCC: (Debian 12.2.0-14) 12.2.0"} */
    public Set<String> compilers() {
        return comments(model);
    }

    /** {@return the NUL-separated strings of {@code .comment} in {@code m}} */
    public static Set<String> comments(final ElfModel m) {
        final Set<String> out = new LinkedHashSet<>();
        m.section(".comment").ifPresent(c -> {
            final byte[] b = c.bytes();
            int i = 0;
            while (i < b.length) {
                final String s = cString(b, i);
                if (!s.isEmpty()) {
                    out.add(s);
                }
                i += s.getBytes(StandardCharsets.ISO_8859_1).length + 1;
            }
        });
        return out;
    }

    static String cString(final byte[] b, final int from) {
        int end = from;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, from, end - from, StandardCharsets.ISO_8859_1);
    }

    public static String cString(final ByteBuffer b, final int from) {
        int end = from;
        while (end < b.limit() && b.get(end) != 0) {
            end++;
        }
        final byte[] a = new byte[end - from];
        b.get(from, a);
        return new String(a, StandardCharsets.ISO_8859_1);
    }
}
