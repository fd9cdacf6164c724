package org.xsplice.hypervisor.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.SectionType;
import org.xsplice.payload.PayloadException;

/**
 * Fuzzing of the loader from valid payloads (the corpus in {@code src/test/resources/fuzz/}:
 * a gcc-built hypervisor and payloads made from the C files under {@code payloads/}). Each try
 * mutates one seed in the places a loader reads (header fields, section headers, symbols,
 * relocations, funcs entries, or any byte) and links it: the only acceptable outcomes are a
 * linked payload or a {@link PayloadException}, within a time bound, with the payload area
 * back to empty afterwards.
 */
class LoaderFuzzTest {
    private static final String[] SEEDS = {"hello", "nop", "endbr", "hooks", "extable", "second"};
    /**
     * Bounds per link: CPU time of this thread (immune to the scheduling stalls of a loaded CI
     * machine) for runaway work, wall time for a hang.
     */
    private static final long CPU_BOUND_NS = 2_000_000_000L;
    private static final long WALL_BOUND_NS = 30_000_000_000L;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
    private static HypervisorTarget target;
    private static final List<byte[]> seeds = new ArrayList<>();
    /** Per seed: file offsets of the fields worth corrupting, with their widths. */
    private static final List<List<long[]>> fields = new ArrayList<>();
    private static LoadedPayload hello;

    @BeforeContainer
    static void corpus() throws IOException {
        target = HypervisorTarget.ofImage(Elf.of().parse(resource("xen-syms")));
        for (final String s : SEEDS) {
            final byte[] b = resource(s + ".livepatch");
            seeds.add(b);
            fields.add(fieldsOf(b));
        }
        hello = new PayloadLoader(target).link("hello", seeds.getFirst(), List.of(),
                new AreaAllocator(target.areaStart(), target.areaSize())).payload();
    }

    private static byte[] resource(final String name) throws IOException {
        try (InputStream in = LoaderFuzzTest.class.getClassLoader().getResourceAsStream("fuzz/" + name)) {
            if (null == in) {
                throw new IOException("corpus file fuzz/" + name + " missing");
            }
            return in.readAllBytes();
        }
    }

    private static List<long[]> fieldsOf(final byte[] b) {
        final List<long[]> out = new ArrayList<>();
        for (final int[] f : new int[][] {{4, 1}, {5, 1}, {7, 1}, {16, 2}, {18, 2}, {32, 8}, {40, 8}, {52, 2},
            {56, 2}, {58, 2}, {60, 2}, {62, 2}}) {
            out.add(new long[] {f[0], f[1]});
        }
        final ElfModel m = Elf.of().parse(b);
        final long shoff = m.header().sectionHeaderOffset();
        for (final ElfSection s : m.sections()) {
            final long h = shoff + 64L * s.index();
            for (final int[] f : new int[][] {{0, 4}, {4, 4}, {8, 8}, {16, 8}, {24, 8}, {32, 8}, {40, 4}, {44, 4},
                {48, 8}, {56, 8}}) {
                out.add(new long[] {h + f[0], f[1]});
            }
            final int entry = SectionType.Known.SHT_SYMTAB == s.type() || SectionType.Known.SHT_RELA == s.type() ? 24
                    : s.name().equals(".livepatch.funcs") ? 104 : 0;
            for (long e = s.offset(); entry > 0 && e + entry <= s.offset() + s.size(); e += entry) {
                if (104 == entry) {
                    for (final int[] f : new int[][] {{0, 8}, {8, 8}, {16, 8}, {24, 4}, {28, 4}, {32, 1}, {72, 1}}) {
                        out.add(new long[] {e + f[0], f[1]});
                    }
                } else if (SectionType.Known.SHT_SYMTAB == s.type()) {
                    for (final int[] f : new int[][] {{0, 4}, {4, 1}, {6, 2}, {8, 8}, {16, 8}}) {
                        out.add(new long[] {e + f[0], f[1]});
                    }
                } else {
                    for (final int[] f : new int[][] {{0, 8}, {8, 4}, {12, 4}, {16, 8}}) {
                        out.add(new long[] {e + f[0], f[1]});
                    }
                }
            }
        }
        return out;
    }

    /** One change to a seed. */
    record Mutation(int kind, int where, long value) {
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        final Arbitrary<Long> values = Arbitraries.oneOf(
                Arbitraries.of(0L, 1L, 2L, 3L, 4L, 8L, 9L, 10L, 24L, 31L, 32L, 64L, 104L, 0x7fL, 0xffL, 0xfff1L, 0xfff2L,
                        0xff05L, 0xffffL, 0x7fffffffL, 0x80000000L, 0xffffffffL, -1L, 0x1_0000_0000L, 1L << 62),
                Arbitraries.longs());
        final Arbitrary<Mutation> one = Combinators.combine(Arbitraries.integers().between(0, 9),
                Arbitraries.integers().greaterOrEqual(0), values).as(Mutation::new);
        return one.list().ofMinSize(1).ofMaxSize(4);
    }

    @Property(tries = 1_500_000, shrinking = ShrinkingMode.BOUNDED)
    void onlyPayloadExceptionsComeOut(@ForAll("mutations") final List<Mutation> ms,
                                      @ForAll("seedIndex") final int seed) {
        byte[] b = seeds.get(seed).clone();
        final List<long[]> f = fields.get(seed);
        for (final Mutation m : ms) {
            b = apply(b, f, m);
        }
        final AreaAllocator area = new AreaAllocator(target.areaStart(), target.areaSize());
        final List<LoadedPayload> loaded = 5 == seed ? List.of(hello) : List.of();
        final long t0 = System.nanoTime();
        final long c0 = THREADS.getCurrentThreadCpuTime();
        try {
            final LinkedPayload p = new PayloadLoader(target).link("fuzz", b, loaded, area);
            area.free(p.payload().base());
            Statistics.collect("linked");
        } catch (final PayloadException e) {
            assertTrue(null != e.getMessage() && !e.getMessage().isBlank());
            Statistics.collect(e.errno().name());
        }
        final long cpu = THREADS.getCurrentThreadCpuTime() - c0;
        final long wall = System.nanoTime() - t0;
        assertTrue(cpu < CPU_BOUND_NS, "link used " + cpu / 1_000_000 + " ms of CPU");
        assertTrue(wall < WALL_BOUND_NS, "link took " + wall / 1_000_000 + " ms");
        assertEquals(target.areaSize(), area.freeBytes(), "payload area back to empty");
    }

    @Provide
    Arbitrary<Integer> seedIndex() {
        return Arbitraries.integers().between(0, SEEDS.length - 1);
    }

    private static byte[] apply(final byte[] b, final List<long[]> fields, final Mutation m) {
        if (0 == b.length) {
            return b;
        }
        return switch (m.kind()) {
            // Any byte, flipped or set.
            case 0 -> Bytes.put(b, m.where() % b.length, 1, Bytes.get(b, m.where() % b.length, 1) ^ (1 + (m.value() & 0x7f)));
            case 1 -> Bytes.put(b, m.where() % b.length, 1, m.value());
            // Truncation.
            case 2 -> Bytes.truncate(b, m.where() % b.length);
            // A field the loader reads, set to an interesting or random value.
            default -> {
                final long[] f = fields.get(m.where() % fields.size());
                yield f[0] + f[1] <= b.length ? Bytes.put(b, f[0], (int) f[1], m.value()) : b;
            }
        };
    }

    static {
        // Fail loudly if the corpus cannot be read at class initialisation by jqwik.
        try {
            LoaderFuzzTest.class.getClassLoader().getResource("fuzz/xen-syms").toURI();
        } catch (final Exception e) {
            throw new UncheckedIOException(new IOException("fuzz corpus missing", e));
        }
    }
}
