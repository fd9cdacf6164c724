package org.xsplice.hypervisor.loader;

import java.util.Arrays;
import java.util.List;

import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;

/** Byte patches of a payload at the places the ELF toolkit finds: headers, symbols, relocations. */
final class Bytes {
    private Bytes() {
    }

    static byte[] put(final byte[] in, final long off, final int width, final long value) {
        final byte[] b = in.clone();
        for (int i = 0; i < width; i++) {
            b[(int) off + i] = (byte) (value >>> (8 * i));
        }
        return b;
    }

    static long get(final byte[] b, final long off, final int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = v << 8 | (b[(int) off + i] & 0xff);
        }
        return v;
    }

    static ElfSection section(final byte[] b, final String name) {
        return Elf.of().parse(b).section(name).orElseThrow(() -> new AssertionError("no section " + name));
    }

    /** File offset of section {@code name}'s header. */
    static long header(final byte[] b, final String name) {
        return get(b, 40, 8) + 64L * section(b, name).index();
    }

    /** File offset of the symbol table entry of {@code name}. */
    static long symbol(final byte[] b, final String name) {
        final ElfModel m = Elf.of().parse(b);
        final ElfSymbol s = m.symbolTable().orElseThrow().find(name).orElseThrow(() -> new AssertionError("no symbol " + name));
        return m.symbolTable().orElseThrow().section().offset() + 24L * s.index();
    }

    /** File offset of relocation {@code i} of section {@code rela}. */
    static long relocation(final byte[] b, final String rela, final int i) {
        return section(b, rela).offset() + 24L * i;
    }

    static byte[] truncate(final byte[] b, final int length) {
        return Arrays.copyOf(b, length);
    }

    static List<String> sectionNames(final byte[] b) {
        return Elf.of().parse(b).sections().stream().map(ElfSection::name).toList();
    }
}
