package org.xsplice.elf;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Mutates real gcc and ld output byte by byte and field by field (truncation, out-of-range
 * offsets and indices, huge counts, overlapping sections) and checks that the reader either
 * parses, with a full traversal working, or throws {@link ElfFormatException}; that writing a
 * parsed object back either works or throws {@link ElfWriteException}, and what it writes reads
 * cleanly; and that each try finishes within a time bound.
 */
class MalformedInputTest {
    private static final Duration BOUND = Duration.ofSeconds(5);
    private static Path dir;
    /** The originals: a gcc object (with a COMDAT group), an ld -r object with a build-id note, an executable. */
    private static List<byte[]> originals;

    @BeforeContainer
    static void compile() throws Exception {
        dir = Files.createTempDirectory("xsplice-elf-fuzz");
        for (final Map.Entry<String, String> e : CSources.program().entrySet()) {
            Tools.compile(dir, e.getKey(), e.getValue(), "-O2", "-ffunction-sections", "-fdata-sections");
        }
        Tools.check(dir, "ld", "-r", "--build-id=sha1", "-o", "all.o", "util.o", "text.o", "main.o");
        Tools.check(dir, "gcc", "-Wl,--build-id=sha1", "-o", "prog", "all.o");
        originals = List.of(Files.readAllBytes(dir.resolve("util.o")), Files.readAllBytes(dir.resolve("all.o")),
                Files.readAllBytes(dir.resolve("prog")));
    }

    @AfterContainer
    static void clean() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (final Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Parses and walks everything; only the documented exceptions may come out. */
    static void readFully(final byte[] bytes) {
        // The outcome is counted on the property's thread: jqwik statistics are per property.
        Statistics.collect(assertTimeoutPreemptively(BOUND, () -> outcome(bytes)));
    }

    private static String outcome(final byte[] bytes) {
        final ElfModel m;
        try {
            m = Elf.of().parse(bytes);
            traverse(m);
        } catch (final ElfFormatException expected) {
            return "format error: " + expected.field().replaceAll("\\d+", "N");
        }
        if (ObjectType.Known.ET_REL != m.type()) {
            return "parsed (linked file)";
        }
        final byte[] written;
        try {
            written = Elf.of(Elf.DanglingReferencesOption.DROP_DANGLING_REFERENCES).transform(m, ElfTransform.ACCEPT_ALL);
        } catch (final ElfWriteException expected) {
            return "parsed, write refused";
        }
        // What the writer produces must always read back cleanly.
        traverse(Elf.of().parse(written));
        return "parsed and rewritten";
    }

    private static void traverse(final ElfModel m) {
        m.validate();
        long sink = m.header().entry();
        for (final ElfSection s : m.sections()) {
            sink += s.name().length() + s.contents().remaining() + s.flagSet().size();
        }
        for (final SymbolTable t : Stream.of(m.symbolTable(), m.dynamicSymbolTable()).flatMap(o -> o.stream()).toList()) {
            for (final ElfSymbol s : t.symbols()) {
                sink += s.name().length() + s.section().map(ElfSection::index).orElse(0) + s.type().code();
            }
            sink += t.find("main").isPresent() ? 1 : 0;
            sink += t.containing(0x1000).isPresent() ? 1 : 0;
        }
        for (final RelocationSection r : m.relocationSections()) {
            for (final Relocation x : r.relocations()) {
                sink += x.symbol().map(ElfSymbol::index).orElse(0) + x.type().name().length();
            }
            sink += r.target().isPresent() ? m.relocations(r.target().get()).size() : 0;
        }
        sink += m.notes().size() + m.buildId().map(b -> b.bytes().length).orElse(0);
        sink += m.programHeaders().size() + m.groups().size() + m.elements().size();
        if (sink == Long.MIN_VALUE) {
            throw new AssertionError("unreachable; keeps the traversal from being optimised away");
        }
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 400)
    void randomBytesChanged(@ForAll @IntRange(max = 2) final int which, @ForAll final long seed,
                            @ForAll @IntRange(min = 1, max = 12) final int changes) {
        final byte[] b = originals.get(which).clone();
        final Random r = new Random(seed);
        final Layout l = Layout.of(originals.get(which));
        for (int i = 0; i < changes; i++) {
            // Half the changes hit the structures (headers, tables), where most checks live.
            final int pos = r.nextBoolean() ? l.structurePosition(r) : r.nextInt(b.length);
            b[pos] = (byte) r.nextInt(256);
        }
        readFully(b);
    }

    @Property(tries = 200)
    void truncated(@ForAll @IntRange(max = 2) final int which, @ForAll @IntRange(max = 1 << 20) final int keep) {
        final byte[] o = originals.get(which);
        final byte[] b = new byte[keep % (o.length + 1)];
        System.arraycopy(o, 0, b, 0, b.length);
        readFully(b);
    }

    @Property(tries = 600)
    void fieldSetToAnInterestingValue(@ForAll @IntRange(max = 2) final int which, @ForAll("fields") final Field field,
                                      @ForAll @IntRange(max = 1 << 16) final int element,
                                      @ForAll("values") final long value) {
        final byte[] b = originals.get(which).clone();
        final Layout l = Layout.of(b);
        l.set(b, field, element, value == -2 ? b.length : value == -3 ? b.length + 1 : value);
        readFully(b);
    }

    @Property(tries = 150)
    void sectionsOverlap(@ForAll @IntRange(max = 2) final int which, @ForAll @IntRange(max = 1 << 16) final int a,
                         @ForAll @IntRange(max = 1 << 16) final int c, @ForAll final boolean size) {
        final byte[] b = originals.get(which).clone();
        final Layout l = Layout.of(b);
        final int from = c % l.shnum;
        l.set(b, Field.SH_OFFSET, a, l.sectionField(b, from, 24));
        if (size) {
            l.set(b, Field.SH_SIZE, a, l.sectionField(b, from, 32));
        }
        readFully(b);
    }

    @Provide
    Arbitrary<Field> fields() {
        return Arbitraries.of(Field.class);
    }

    @Provide
    Arbitrary<Long> values() {
        return Arbitraries.oneOf(
                Arbitraries.of(0L, 1L, 2L, -1L, -2L, -3L, 3L, 7L, 8L, 24L, 0xff00L, 0xfff1L, 0xfff2L, 0xffffL,
                        0x7fffffffL, 0x80000000L, 0xffffffffL, 0x100000000L, Long.MAX_VALUE, Long.MIN_VALUE),
                Arbitraries.longs().between(0, 1 << 20),
                Arbitraries.longs());
    }

    // ------------------------------------------------------------------ where fields are

    /** The fields the mutation targets; each is written little-endian at its place in the original. */
    enum Field {
        E_SHOFF, E_SHNUM, E_SHSTRNDX, E_PHOFF, E_PHNUM, E_SHENTSIZE, E_PHENTSIZE,
        SH_NAME, SH_TYPE, SH_OFFSET, SH_SIZE, SH_LINK, SH_INFO, SH_ADDRALIGN, SH_ENTSIZE,
        ST_NAME, ST_INFO, ST_SHNDX, R_SYM, R_TYPE, R_OFFSET, NOTE_NAMESZ, NOTE_DESCSZ, GROUP_WORD,
        P_OFFSET, P_FILESZ
    }

    /** Offsets of the original's tables, read with plain little-endian arithmetic (not with the code under test). */
    record Layout(long shoff, int shnum, long phoff, int phnum, List<long[]> symtabs, List<long[]> relas,
                  List<long[]> notes, List<long[]> groups) {
        static Layout of(final byte[] b) {
            final ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            final long shoff = bb.getLong(40);
            final int shnum = bb.getShort(60) & 0xffff;
            final List<long[]> symtabs = new ArrayList<>();
            final List<long[]> relas = new ArrayList<>();
            final List<long[]> notes = new ArrayList<>();
            final List<long[]> groups = new ArrayList<>();
            for (int i = 0; i < shnum; i++) {
                final int h = (int) (shoff + 64L * i);
                final long[] range = {bb.getLong(h + 24), bb.getLong(h + 32)};
                switch (bb.getInt(h + 4)) {
                    case 2, 11 -> symtabs.add(range);
                    case 4 -> relas.add(range);
                    case 7 -> notes.add(range);
                    case 17 -> groups.add(range);
                    default -> { }
                }
            }
            return new Layout(shoff, shnum, bb.getLong(32), bb.getShort(56) & 0xffff, symtabs, relas, notes, groups);
        }

        int structurePosition(final Random r) {
            return switch (r.nextInt(4)) {
                case 0 -> r.nextInt(64);
                case 1 -> (int) (shoff + r.nextInt(shnum * 64));
                case 2 -> pick(symtabs, r);
                default -> relas.isEmpty() ? r.nextInt(64) : pick(relas, r);
            };
        }

        private static int pick(final List<long[]> ranges, final Random r) {
            final long[] x = ranges.get(r.nextInt(ranges.size()));
            return (int) (x[0] + r.nextInt((int) Math.max(1, x[1])));
        }

        long sectionField(final byte[] b, final int index, final int off) {
            return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong((int) (shoff + 64L * index + off));
        }

        void set(final byte[] b, final Field f, final int element, final long v) {
            final ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            final int sh = (int) (shoff + 64L * (element % shnum));
            switch (f) {
                case E_SHOFF -> bb.putLong(40, v);
                case E_SHNUM -> bb.putShort(60, (short) v);
                case E_SHSTRNDX -> bb.putShort(62, (short) v);
                case E_PHOFF -> bb.putLong(32, v);
                case E_PHNUM -> bb.putShort(56, (short) v);
                case E_SHENTSIZE -> bb.putShort(58, (short) v);
                case E_PHENTSIZE -> bb.putShort(54, (short) v);
                case SH_NAME -> bb.putInt(sh, (int) v);
                case SH_TYPE -> bb.putInt(sh + 4, (int) v);
                case SH_OFFSET -> bb.putLong(sh + 24, v);
                case SH_SIZE -> bb.putLong(sh + 32, v);
                case SH_LINK -> bb.putInt(sh + 40, (int) v);
                case SH_INFO -> bb.putInt(sh + 44, (int) v);
                case SH_ADDRALIGN -> bb.putLong(sh + 48, v);
                case SH_ENTSIZE -> bb.putLong(sh + 56, v);
                case ST_NAME, ST_INFO, ST_SHNDX -> {
                    final long[] t = symtabs.get(element % symtabs.size());
                    final int e = (int) (t[0] + 24L * (element % (t[1] / 24)));
                    switch (f) {
                        case ST_NAME -> bb.putInt(e, (int) v);
                        case ST_INFO -> bb.put(e + 4, (byte) v);
                        default -> bb.putShort(e + 6, (short) v);
                    }
                }
                case R_SYM, R_TYPE, R_OFFSET -> {
                    if (relas.isEmpty()) {
                        return;
                    }
                    final long[] t = relas.get(element % relas.size());
                    if (t[1] < 24) {
                        return;
                    }
                    final int e = (int) (t[0] + 24L * (element % (t[1] / 24)));
                    switch (f) {
                        case R_SYM -> bb.putInt(e + 12, (int) v);
                        case R_TYPE -> bb.putInt(e + 8, (int) v);
                        default -> bb.putLong(e, v);
                    }
                }
                case NOTE_NAMESZ, NOTE_DESCSZ -> {
                    if (!notes.isEmpty()) {
                        bb.putInt((int) notes.get(element % notes.size())[0] + (Field.NOTE_NAMESZ == f ? 0 : 4), (int) v);
                    }
                }
                case GROUP_WORD -> {
                    if (!groups.isEmpty()) {
                        final long[] g = groups.get(element % groups.size());
                        bb.putInt((int) (g[0] + 4L * (element % (g[1] / 4))), (int) v);
                    }
                }
                case P_OFFSET, P_FILESZ -> {
                    if (phnum > 0) {
                        bb.putLong((int) (phoff + 56L * (element % phnum)) + (Field.P_OFFSET == f ? 8 : 32), v);
                    }
                }
            }
        }
    }
}
