package org.xsplice.build.diff;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a source patch moves line numbers, per file, read from the patch's hunk headers. The
 * differ uses it to recognise a function whose only difference is a {@code __LINE__} value:
 * every differing 32-bit immediate {@code a -> b} must be a line the patch moved from {@code a}
 * to {@code b} without touching it. Without a map (diffing bare objects) no such change is
 * forgiven, which is the safe side.
 */
public final class LineMap {
    private static final Pattern FILE = Pattern.compile("^\\+\\+\\+ (?:b/)?(\\S+).*");
    private static final Pattern HUNK = Pattern.compile("^@@ -(\\d+)(?:,(\\d+))? \\+(\\d+)(?:,(\\d+))? @@.*");

    private record Hunk(long oldStart, long oldLen, long newStart, long newLen) {
    }

    private final Map<String, List<Hunk>> files;

    private LineMap(final Map<String, List<Hunk>> files) {
        this.files = files;
    }

    /** {@return a map that moves nothing} */
    public static LineMap none() {
        return new LineMap(Map.of());
    }

    /** {@return the line map of a unified diff} */
    public static LineMap ofPatch(final String patch) {
        final Map<String, List<Hunk>> files = new LinkedHashMap<>();
        List<Hunk> current = null;
        for (final String line : patch.split("\n")) {
            final Matcher f = FILE.matcher(line);
            if (f.matches()) {
                current = files.computeIfAbsent(f.group(1), _ -> new ArrayList<>());
                continue;
            }
            final Matcher h = HUNK.matcher(line);
            if (h.matches() && null != current) {
                current.add(new Hunk(Long.parseLong(h.group(1)), null == h.group(2) ? 1 : Long.parseLong(h.group(2)),
                        Long.parseLong(h.group(3)), null == h.group(4) ? 1 : Long.parseLong(h.group(4))));
            }
        }
        return new LineMap(files);
    }

    /** {@return the new number of untouched line {@code line} of {@code hunks}, or -1 if a hunk covers it} */
    private static long map(final List<Hunk> hunks, final long line) {
        long delta = 0;
        for (final Hunk h : hunks) {
            // Context lines are part of the hunk's range but unchanged: treat the whole range as
            // touched, except that lines before it keep their numbers.
            if (line < h.oldStart) {
                break;
            }
            if (line < h.oldStart + h.oldLen) {
                return -1;
            }
            delta = (h.newStart + h.newLen) - (h.oldStart + h.oldLen);
        }
        return line + delta;
    }

    /** {@return whether some patched file moved untouched line {@code from} to {@code to}} */
    public boolean moved(final long from, final long to) {
        if (from == to || from <= 0 || to <= 0) {
            return false;
        }
        for (final List<Hunk> hunks : files.values()) {
            if (map(hunks, from) == to) {
                return true;
            }
        }
        return false;
    }

    /** {@return the files the patch touches, as named in the patch} */
    public List<String> files() {
        return List.copyOf(files.keySet());
    }
}
