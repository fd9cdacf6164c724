package org.xsplice.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.regex.Pattern;

/** readelf and objdump output, checked for warnings and normalised so two layouts of one object compare equal. */
final class Readelf {
    private static final Pattern SECTION_ROW = Pattern.compile(
            "^(\\s*\\[\\s*\\d+\\]\\s+\\S+\\s+\\S+\\s+[0-9a-f]{16}) [0-9a-f]{6,} ", Pattern.MULTILINE);
    private static final Pattern AT_OFFSET = Pattern.compile("at offset 0x[0-9a-f]+");
    private static final Pattern HEADERS_START = Pattern.compile("^\\s*Start of section headers:.*$", Pattern.MULTILINE);

    private Readelf() {
    }

    /** {@return {@code readelf -aW} of {@code file}, after checking that readelf printed no warning} */
    static String all(final Path dir, final Path file) throws Exception {
        final Tools.Result r = Tools.run(dir, "readelf", "-aW", file.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err(), "readelf warnings for " + file);
        assertFalse(r.out().contains("Warning"), r.out());
        return r.out();
    }

    /** {@return {@code readelf -aW} without file offsets (section offsets, table positions)} */
    static String normalised(final Path dir, final Path file) throws Exception {
        String s = all(dir, file);
        s = SECTION_ROW.matcher(s).replaceAll("$1 ______ ");
        s = AT_OFFSET.matcher(s).replaceAll("at offset _");
        s = HEADERS_START.matcher(s).replaceAll("  Start of section headers: _");
        return s;
    }

    /** {@return {@code objdump -dr} without its first lines (which name the file); objdump must not complain} */
    static String disassembly(final Path dir, final Path file) throws Exception {
        final String out = Tools.check(dir, "objdump", "-dr", file.toString());
        return out.substring(out.indexOf("Disassembly"));
    }
}
