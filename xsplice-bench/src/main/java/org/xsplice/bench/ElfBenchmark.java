package org.xsplice.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.ElfTransform;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationSection;

/**
 * Parses and rewrites a large gcc object (see {@link LargeObject}). {@code read} decodes every
 * section header, symbol, relocation and note of a fresh model; {@code readWrite} also writes
 * the object back with {@link ElfTransform#ACCEPT_ALL}; {@code write} only writes, from a model
 * decoded once. The {@link Throughput} counters report bytes/s of input and relocations/s.
 * Because the benchmark machine is shared, {@link CpuClock} also prints, at the end of each
 * benchmark, the throughput per CPU-second of the benchmark thread (GC threads not included).
 *
 * <pre>
 * java -jar xsplice-bench/target/benchmarks.jar ElfBenchmark -f 1 -wi 3 -i 5 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ElfBenchmark {
    /** Number of C files; each holds {@link #functions} functions. */
    @Param("16")
    public int files;

    /** Functions per file. */
    @Param("400")
    public int functions;

    private byte[] bytes;
    private int relocationCount;
    private ElfModel decoded;

    /** Per-operation counters, reported by JMH as rates. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Throughput {
        /** Input bytes processed. */
        public long bytes;
        /** Relocations processed. */
        public long relocations;
    }

    /** CPU time of the benchmark thread in measurement iterations; printed once per benchmark. */
    @State(Scope.Thread)
    public static class CpuClock {
        private static final com.sun.management.ThreadMXBean THREADS =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        private boolean measuring;
        private long cpuNanos;
        private long bytes;
        private long start;

        @Setup(Level.Iteration)
        public void iteration(final IterationParams p) {
            measuring = IterationType.MEASUREMENT == p.getType();
        }

        void start() {
            start = THREADS.getCurrentThreadCpuTime();
        }

        void stop(final long processed) {
            if (measuring) {
                cpuNanos += THREADS.getCurrentThreadCpuTime() - start;
                bytes += processed;
            }
        }

        @TearDown(Level.Trial)
        public void report(final BenchmarkParams p) {
            if (cpuNanos > 0) {
                System.out.printf("%n%s: %.0f MB/s per CPU-second of the benchmark thread (%.0f MB in %.2f s)%n",
                        p.getBenchmark(), bytes / 1e6 / (cpuNanos / 1e9), bytes / 1e6, cpuNanos / 1e9);
            }
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        bytes = Files.readAllBytes(LargeObject.get(files, functions));
        decoded = Elf.of().parse(bytes).validate();
        relocationCount = decoded.relocationSections().stream().mapToInt(r -> r.relocations().size()).sum();
        System.out.printf("%nlarge object: %d bytes, %d sections, %d symbols, %d relocations%n", bytes.length,
                decoded.sections().size(), decoded.symbols().size(), relocationCount);
    }

    @Benchmark
    public long read(final Throughput t, final CpuClock c) {
        c.start();
        final ElfModel m = Elf.of().parse(bytes);
        long sink = 0;
        for (final ElfSection s : m.sections()) {
            sink += s.name().length() + s.size();
        }
        for (final ElfSymbol s : m.symbols()) {
            sink += s.value() + s.name().length();
        }
        for (final RelocationSection r : m.relocationSections()) {
            for (final Relocation x : r.relocations()) {
                sink += x.offset() + x.symbolIndex() + x.type().code();
            }
        }
        sink += m.notes().size();
        done(t, c);
        return sink;
    }

    @Benchmark
    public byte[] readWrite(final Throughput t, final CpuClock c) {
        c.start();
        final byte[] out = Elf.of().transform(Elf.of().parse(bytes), ElfTransform.ACCEPT_ALL);
        done(t, c);
        return out;
    }

    @Benchmark
    public byte[] write(final Throughput t, final CpuClock c) {
        c.start();
        final byte[] out = Elf.of().transform(decoded, ElfTransform.ACCEPT_ALL);
        done(t, c);
        return out;
    }

    private void done(final Throughput t, final CpuClock c) {
        c.stop(bytes.length);
        t.bytes += bytes.length;
        t.relocations += relocationCount;
    }
}
