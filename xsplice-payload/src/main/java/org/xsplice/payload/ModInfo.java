package org.xsplice.payload;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code .modinfo} section: NUL-separated {@code key=value} strings, shown by GET/LIST
 * as the payload's metadata.
 *
 * @param entries the entries, in section order
 */
public record ModInfo(List<Entry> entries) {

    /** One {@code key=value} string. */
    public record Entry(String key, String value) {
        public Entry {
            if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0 || value.indexOf('\0') >= 0) {
                throw new PayloadException(Errno.EINVAL, "bad .modinfo entry '" + key + "=" + value + "'");
            }
        }
    }

    public ModInfo {
        entries = List.copyOf(entries);
    }

    /** {@return the first value for {@code key}} */
    public Optional<String> get(final String key) {
        return entries.stream().filter(e -> e.key.equals(key)).map(Entry::value).findFirst();
    }

    /**
     * Parses the section's bytes.
     *
     * @throws PayloadException EINVAL when the section is empty, its last byte is not NUL, or a
     *                          string has no '='
     */
    public static ModInfo parse(final byte[] section) {
        if (section.length == 0 || section[section.length - 1] != 0) {
            throw new PayloadException(Errno.EINVAL, "section " + PayloadSections.MODINFO
                    + (section.length == 0 ? " is empty" : " does not end with a NUL byte"));
        }
        final List<Entry> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < section.length; i++) {
            if (section[i] != 0) {
                continue;
            }
            if (i > start) {
                final String s = new String(section, start, i - start, StandardCharsets.UTF_8);
                final int eq = s.indexOf('=');
                if (eq <= 0) {
                    throw new PayloadException(Errno.EINVAL, "section " + PayloadSections.MODINFO
                            + ": string at offset " + start + " is not key=value: '" + s + "'");
                }
                out.add(new Entry(s.substring(0, eq), s.substring(eq + 1)));
            }
            start = i + 1;
        }
        return new ModInfo(out);
    }

    /** {@return the section's bytes: every entry followed by a NUL} */
    public byte[] encode() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final Entry e : entries) {
            out.writeBytes((e.key + "=" + e.value).getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /** {@return the entries as Xen's list shows metadata: "key=value" joined by ';'} */
    public String metadata() {
        final StringBuilder sb = new StringBuilder();
        for (final Entry e : entries) {
            if (!sb.isEmpty()) {
                sb.append(';');
            }
            sb.append(e.key).append('=').append(e.value);
        }
        return sb.toString();
    }
}
