package org.xsplice.hypervisor.loader;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.ElfTransform;

/**
 * Byte patches of a payload at the places the ELF toolkit finds: headers, symbols, relocations.
 * Shared with the reference hypervisor's tests (xsplice-hypervisor's test-jar), which break the
 * same payloads and send them through the control socket.
 */
public final class Bytes {
    private Bytes() {
    }

    public static byte[] put(final byte[] in, final long off, final int width, final long value) {
        final byte[] b = in.clone();
        for (int i = 0; i < width; i++) {
            b[(int) off + i] = (byte) (value >>> (8 * i));
        }
        return b;
    }

    public static long get(final byte[] b, final long off, final int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = v << 8 | (b[(int) off + i] & 0xff);
        }
        return v;
    }

    public static ElfSection section(final byte[] b, final String name) {
        return Elf.of().parse(b).section(name).orElseThrow(() -> new AssertionError("no section " + name));
    }

    /** File offset of section {@code name}'s header. */
    public static long header(final byte[] b, final String name) {
        return get(b, 40, 8) + 64L * section(b, name).index();
    }

    /** File offset of the symbol table entry of {@code name}. */
    public static long symbol(final byte[] b, final String name) {
        final ElfModel m = Elf.of().parse(b);
        final ElfSymbol s = m.symbolTable().orElseThrow().find(name).orElseThrow(() -> new AssertionError("no symbol " + name));
        return m.symbolTable().orElseThrow().section().offset() + 24L * s.index();
    }

    /** File offset of relocation {@code i} of section {@code rela}. */
    public static long relocation(final byte[] b, final String rela, final int i) {
        return section(b, rela).offset() + 24L * i;
    }

    public static byte[] truncate(final byte[] b, final int length) {
        return Arrays.copyOf(b, length);
    }

    public static List<String> sectionNames(final byte[] b) {
        return Elf.of().parse(b).sections().stream().map(ElfSection::name).toList();
    }

    /** {@return {@code b} without section {@code name}; what referred to it is dropped too} */
    public static byte[] drop(final byte[] b, final String name) {
        final ElfModel m = Elf.of().parse(b);
        return Elf.of(Elf.DanglingReferencesOption.DROP_DANGLING_REFERENCES).transform(m,
                ElfTransform.droppingSections(s -> s.name().equals(name)));
    }

    /** {@return the index of the first occurrence of ASCII {@code needle} in {@code hay}} */
    public static int indexOf(final byte[] hay, final String needle) {
        final byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= hay.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (hay[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("no " + needle);
    }
}
