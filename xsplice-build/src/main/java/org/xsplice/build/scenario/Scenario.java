package org.xsplice.build.scenario;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * One source-patch scenario of the catalogue: a directory holding {@code patch.diff}, optionally
 * {@code base.diff} (applied to both trees first, for constructs the pristine tree lacks) and
 * {@code expected.properties}:
 *
 * <pre>
 * description=...             what the scenario shows
 * outcome=accepted|refused|nochange
 * changed=f,file.c#g          the livepatch_func names, exactly
 * absent_changed=h            functions that must not be changed
 * new=x                       new symbols (at least these)
 * undefined=printk,file.c#t   undefined symbols the payload must carry (resolved in the target)
 * sections=.ex_table          sections the payload must have
 * kind=CHANGED_DATA           for refused: the refusal kind
 * message=...                 a fragment the report must contain
 * live.xl_info.FIELD=...      for the live test: what {@code xl info} shows as FIELD once loaded
 * live.xl=debug-keys t        for the live test: the xl command whose effect the patch changes
 * live.dmesg=...              ... and the fragment its new {@code xl dmesg} output has once loaded
 * </pre>
 *
 * @param name     the directory name
 * @param dir      the directory
 * @param expected the expectations
 */
public record Scenario(String name, Path dir, Properties expected) {

    /** The three verdicts a scenario can expect. */
    public enum Expect { ACCEPTED, REFUSED, NOCHANGE }

    /** {@return every scenario under {@code root}, by name} */
    public static List<Scenario> load(final Path root) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            final List<Path> dirs = s.filter(Files::isDirectory).sorted().toList();
            final java.util.ArrayList<Scenario> out = new java.util.ArrayList<>();
            for (final Path d : dirs) {
                final Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(d.resolve("expected.properties"))) {
                    p.load(r);
                }
                out.add(new Scenario(d.getFileName().toString(), d, p));
            }
            return out;
        }
    }

    /** {@return the source patch} */
    public Path patch() {
        return dir.resolve("patch.diff");
    }

    /** {@return the base patch, if the scenario needs constructs the pristine tree lacks} */
    public Optional<Path> basePatch() {
        final Path b = dir.resolve("base.diff");
        return Files.exists(b) ? Optional.of(b) : Optional.empty();
    }

    /** {@return the expected verdict} */
    public Expect expect() {
        return Expect.valueOf(expected.getProperty("outcome", "").trim().toUpperCase(java.util.Locale.ROOT));
    }

    /** {@return the comma-separated values of {@code key}, or none} */
    public Set<String> list(final String key) {
        final String v = expected.getProperty(key, "").trim();
        return v.isEmpty() ? Set.of() : new TreeSet<>(Arrays.asList(v.split("\\s*,\\s*")));
    }

    /** {@return the value of {@code key}, or "" } */
    public String get(final String key) {
        return expected.getProperty(key, "").trim();
    }
}
