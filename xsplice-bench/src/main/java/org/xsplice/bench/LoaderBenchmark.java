package org.xsplice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.xsplice.build.cpayload.CPayloadMaker;
import org.xsplice.build.cpayload.CPayloadOptions;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.hypervisor.loader.AreaAllocator;
import org.xsplice.hypervisor.loader.HypervisorTarget;
import org.xsplice.hypervisor.loader.LinkedPayload;
import org.xsplice.hypervisor.loader.PayloadLoader;

/**
 * Upload checks + link of a synthetic payload: 1,000 replacement functions, each calling 18
 * hypervisor functions, so 18,000 PLT32 + 2,000 funcs R_X86_64_64 = 20,000 relocations, against
 * a gcc-built hypervisor of 1,000 functions. The replacements share one text section: with one
 * section per function the payload would pass the 1,024-section limit. Generated once under {@code target/bench-loader/}
 * (also used by the cold CLI measurement in docs/performance.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LoaderBenchmark {
    static final int FUNCTIONS = 1000;
    static final int CALLS = 18;

    private HypervisorTarget target;
    private byte[] payload;

    @Setup
    public void setup() throws IOException, InterruptedException {
        final Path dir = Path.of(System.getProperty("xsplice.bench.dir", "target/bench-loader"));
        final Path xen = dir.resolve("xen-syms");
        final Path out = dir.resolve("big.livepatch");
        if (!Files.exists(out)) {
            generate(dir, xen, out);
        }
        target = HypervisorTarget.ofImage(Elf.of().parse(xen));
        payload = Files.readAllBytes(out);
        final ElfModel m = Elf.of().parse(payload);
        final long relocations = m.relocationSections().stream().mapToLong(r -> r.relocations().size()).sum();
        System.out.printf("payload: %d bytes, %d relocations%n", payload.length, relocations);
    }

    static void generate(final Path dir, final Path xen, final Path out) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        final StringBuilder hv = new StringBuilder("volatile int g = 3;\n"
                + "char xsplice_payload_area[64 << 20] __attribute__((aligned(4096)));\n");
        for (int i = 0; i < FUNCTIONS; i++) {
            hv.append("__attribute__((noinline)) int f").append(i).append("(int x) { return x * ").append(i + 7)
                    .append(" + g; }\n");
        }
        hv.append("int main(void) { return f0(1) + f999(2); }\n");
        Files.writeString(dir.resolve("hv.c"), hv, StandardCharsets.US_ASCII);
        final Process cc = new ProcessBuilder("gcc", "-O2", "-fno-pie", "-no-pie", "-ffunction-sections",
                "-fdata-sections", "-Wl,--build-id=sha1", "-o", xen.toString(), dir.resolve("hv.c").toString())
                .inheritIO().start();
        if (0 != cc.waitFor()) {
            throw new IOException("gcc failed for the benchmark hypervisor");
        }
        final StringBuilder p = new StringBuilder("#include <xsplice/livepatch.h>\n");
        for (int i = 0; i < FUNCTIONS; i++) {
            p.append("extern int f").append(i).append("(int);\n");
        }
        for (int i = 0; i < FUNCTIONS; i++) {
            p.append("__attribute__((noinline, section(\".text.replacements\"))) int r").append(i).append("(int x) { int s = 0;");
            for (int c = 0; c < CALLS; c++) {
                p.append(" s += f").append((i * 31 + c * 7) % FUNCTIONS).append("(x + ").append(c).append(");");
            }
            p.append(" return s + 1; }\nXSPLICE_PATCH(f").append(i).append(", r").append(i).append(");\n");
        }
        final Path src = dir.resolve("big.c");
        Files.writeString(src, p, StandardCharsets.US_ASCII);
        CPayloadMaker.make(new CPayloadOptions(src, xen, out, Optional.empty(), List.of()));
    }

    @Benchmark
    public LinkedPayload uploadCheckAndLink() {
        final AreaAllocator area = new AreaAllocator(target.areaStart(), target.areaSize());
        return new PayloadLoader(target).link("big", payload, List.of(), area);
    }
}
