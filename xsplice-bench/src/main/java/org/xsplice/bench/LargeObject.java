package org.xsplice.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Generates the benchmark's input: a program of many C functions (calls between them, switch
 * statements, string literals, pointer tables, statics), compiled by gcc with
 * {@code -O2 -ffunction-sections -fdata-sections} and combined with {@code ld -r} into one
 * relocatable object of several MB with tens of thousands of relocations. The result is cached
 * under {@code target/bench-elf/} (or {@code $XSPLICE_BENCH_DIR}), keyed by the parameters.
 */
public final class LargeObject {
    private LargeObject() {
    }

    /** {@return the path of the combined object, generating it first if needed} */
    public static Path get(final int files, final int functionsPerFile) throws IOException, InterruptedException {
        final Path dir = Path.of(System.getenv().getOrDefault("XSPLICE_BENCH_DIR", "target/bench-elf"))
                .resolve(files + "x" + functionsPerFile).toAbsolutePath();
        final Path out = dir.resolve("large.o");
        if (Files.isRegularFile(out)) {
            return out;
        }
        Files.createDirectories(dir);
        final int total = files * functionsPerFile;
        final List<Process> running = new ArrayList<>();
        final List<String> objects = new ArrayList<>();
        for (int f = 0; f < files; f++) {
            final Path c = dir.resolve("unit" + f + ".c");
            Files.writeString(c, unit(f, functionsPerFile, total));
            objects.add("unit" + f + ".o");
            running.add(new ProcessBuilder("gcc", "-O2", "-ffunction-sections", "-fdata-sections", "-c",
                    "unit" + f + ".c", "-o", "unit" + f + ".o").directory(dir.toFile()).inheritIO().start());
            // Two compilers at a time: the machine is shared.
            if (running.size() == 2) {
                waitAll(running);
            }
        }
        waitAll(running);
        final List<String> ld = new ArrayList<>(List.of("ld", "-r", "--build-id=sha1", "-o", "large.tmp.o"));
        ld.addAll(objects);
        running.add(new ProcessBuilder(ld).directory(dir.toFile()).inheritIO().start());
        waitAll(running);
        Files.move(dir.resolve("large.tmp.o"), out);
        return out;
    }

    private static void waitAll(final List<Process> ps) throws InterruptedException, IOException {
        for (final Process p : ps) {
            if (!p.waitFor(10, TimeUnit.MINUTES) || 0 != p.exitValue()) {
                throw new IOException("generating the benchmark object failed: " + p.info().commandLine().orElse("?"));
            }
        }
        ps.clear();
    }

    private static String unit(final int file, final int count, final int total) {
        final StringBuilder b = new StringBuilder(count * 900);
        b.append("#include <stdio.h>\n#include <string.h>\n");
        b.append("int shared_").append(file).append(";\n");
        for (int i = 0; i < count; i++) {
            final int id = file * count + i;
            b.append("int f").append(id).append("(int);\n");
        }
        for (int i = 0; i < count; i++) {
            final int id = file * count + i;
            // Callees spread over the whole program, so most calls cross files.
            final int a = (id * 7 + 1) % total;
            final int c = (id * 13 + 5) % total;
            final int d = (id * 31 + 11) % total;
            b.append("static int counter").append(id).append(";\n");
            b.append("const char *strs").append(id).append("[4] = {\"a").append(id).append("\", \"bb").append(id)
                    .append("\", \"ccc").append(id).append("\", \"dddd").append(id).append("\"};\n");
            b.append("__attribute__((noinline)) int f").append(id).append("(int x) {\n");
            b.append("  counter").append(id).append(" += x;\n");
            b.append("  if (x > 1000000) return 0;\n");
            b.append("  switch (x & 7) {\n");
            b.append("  case 0: return f").append(a).append("(x + 1) + puts(strs").append(id).append("[0]);\n");
            b.append("  case 1: return f").append(c).append("(x - 1) * 3 + counter").append(id).append(";\n");
            b.append("  case 2: return printf(\"%d %s\\n\", x, strs").append(id).append("[x & 3]);\n");
            b.append("  case 3: return f").append(d).append("(x ^ 5) + (int) strlen(strs").append(id).append("[2]);\n");
            b.append("  case 4: return shared_").append(file).append(" += f").append(a).append("(x >> 1);\n");
            b.append("  case 5: return (int) strlen(\"literal-").append(id).append("\") + counter").append(id).append(";\n");
            b.append("  case 6: return f").append(c).append("(x + 2) - f").append(d).append("(x - 2);\n");
            b.append("  default: return counter").append(id).append(" ^ shared_").append(file).append(";\n");
            b.append("  }\n}\n");
        }
        return b.toString();
    }
}
