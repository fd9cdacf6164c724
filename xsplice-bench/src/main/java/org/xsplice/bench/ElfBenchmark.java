package org.xsplice.bench;

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

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        bytes = Files.readAllBytes(LargeObject.get(files, functions));
        decoded = Elf.of().parse(bytes).validate();
        relocationCount = decoded.relocationSections().stream().mapToInt(r -> r.relocations().size()).sum();
        System.out.printf("%nlarge object: %d bytes, %d sections, %d symbols, %d relocations%n", bytes.length,
                decoded.sections().size(), decoded.symbols().size(), relocationCount);
    }

    @Benchmark
    public long read(final Throughput t) {
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
        t.bytes += bytes.length;
        t.relocations += relocationCount;
        return sink;
    }

    @Benchmark
    public byte[] readWrite(final Throughput t) {
        final byte[] out = Elf.of().transform(Elf.of().parse(bytes), ElfTransform.ACCEPT_ALL);
        t.bytes += bytes.length;
        t.relocations += relocationCount;
        return out;
    }

    @Benchmark
    public byte[] write(final Throughput t) {
        final byte[] out = Elf.of().transform(decoded, ElfTransform.ACCEPT_ALL);
        t.bytes += bytes.length;
        t.relocations += relocationCount;
        return out;
    }
}
