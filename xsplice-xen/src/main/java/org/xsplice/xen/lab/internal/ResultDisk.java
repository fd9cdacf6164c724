package org.xsplice.xen.lab.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the result disk dom0's {@code /init} writes (format in {@code xenlab-init.sh}):
 * <pre>
 * XENLAB-RESULTS 1\n
 * XENLAB-CMD &lt;id&gt; &lt;exit code&gt; &lt;bytes&gt;\n &lt;bytes of output&gt; \n
 * ...
 * XENLAB-DONE\n
 * </pre>
 * Everything after the last complete record is ignored (the disk is zero-filled), so a boot that
 * stopped early still yields the commands that finished.
 */
public final class ResultDisk
{
    private static final String MAGIC = "XENLAB-RESULTS 1\n";

    /** One command's record. */
    public record Entry(int id, int exitCode, String output)
    {
    }

    /**
     * What the disk holds.
     *
     * @param entries records in disk order; entry 0 is dom0's setup
     * @param done    whether dom0 wrote the end marker after the last command
     */
    public record Contents(List<Entry> entries, boolean done)
    {
    }

    private ResultDisk()
    {
    }

    /**
     * @throws IllegalArgumentException if a record is malformed (naming its disk offset)
     */
    public static Contents read(final Path disk) throws IOException
    {
        final byte[] b = Files.readAllBytes(disk);
        final List<Entry> entries = new ArrayList<>();
        if (!startsWith(b, 0, MAGIC))
        {
            return new Contents(entries, false);
        }
        int pos = MAGIC.length();
        while (true)
        {
            if (startsWith(b, pos, "XENLAB-DONE\n"))
            {
                return new Contents(entries, true);
            }
            if (!startsWith(b, pos, "XENLAB-CMD "))
            {
                return new Contents(entries, false);
            }
            final int eol = indexOf(b, pos, (byte) '\n');
            if (eol < 0)
            {
                throw new IllegalArgumentException("result disk: unterminated record header at offset " + pos);
            }
            final String[] f = new String(b, pos, eol - pos, StandardCharsets.US_ASCII).split(" ");
            final int id;
            final int rc;
            final int len;
            try
            {
                id = Integer.parseInt(f[1], 10);
                rc = Integer.parseInt(f[2]);
                len = Integer.parseInt(f[3].trim());
            }
            catch (final NumberFormatException | ArrayIndexOutOfBoundsException e)
            {
                throw new IllegalArgumentException("result disk: malformed record header at offset " + pos, e);
            }
            final int data = eol + 1;
            if (len < 0 || data + len + 1 > b.length || '\n' != b[data + len])
            {
                throw new IllegalArgumentException("result disk: record " + id + " at offset " + pos
                                                   + " claims " + len + " bytes that are not there");
            }
            entries.add(new Entry(id, rc, new String(b, data, len, StandardCharsets.UTF_8)));
            pos = data + len + 1;
        }
    }

    private static boolean startsWith(final byte[] b, final int pos, final String s)
    {
        final byte[] t = s.getBytes(StandardCharsets.US_ASCII);
        if (pos + t.length > b.length)
        {
            return false;
        }
        for (int i = 0; i < t.length; i++)
        {
            if (b[pos + i] != t[i])
            {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(final byte[] b, final int from, final byte v)
    {
        for (int i = from; i < b.length; i++)
        {
            if (b[i] == v)
            {
                return i;
            }
        }
        return -1;
    }
}
