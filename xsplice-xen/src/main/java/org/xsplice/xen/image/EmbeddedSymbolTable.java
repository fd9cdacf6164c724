package org.xsplice.xen.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Decodes the symbol table Xen embeds in its own image (generated at build time by
 * {@code xen/tools/symbols}, the same scheme as Linux's kallsyms) from the bytes of a loaded
 * segment, with no ELF symbol table needed: a distribution's stripped {@code xen.gz} still
 * carries it, because the hypervisor uses it for backtraces, {@code /proc/xen/xensyms} and
 * livepatch symbol resolution.
 *
 * <p>The tables, each 4-byte aligned, in this order in {@code .rodata} (x86, where
 * {@code SYMBOLS_ORIGIN} is defined and addresses are 32-bit offsets from it):
 * <pre>
 * symbols_offsets      u32[N]   address - origin, sorted by address
 * symbols_num_syms     u32      N
 * symbols_names        N x { u8 len; u8 token[len] }  compressed "type letter + name"
 * symbols_markers      u32[ceil(N/256)]  offset in symbols_names of entry 256*i
 * symbols_token_table  256 NUL-terminated strings
 * symbols_token_index  u16[256]  offset of each token in symbols_token_table
 * </pre>
 * Xen does not export the tables' addresses, so the decoder finds them by their structure:
 * the token index (256 strictly increasing u16 starting at 0) right after a table of exactly
 * 256 strings that it indexes; then the markers right before the token table; then the count
 * whose names stream ends at the markers and agrees with every marker. Newer Xen versions put a
 * zero-length name after a symbol to record its end; such entries end the previous symbol and
 * are not symbols themselves.
 *
 * <p>A decoded table is checked against itself: where it names its own tables
 * ({@code symbols_token_index}, {@code symbols_markers}), their addresses must be where they were
 * found, which proves the segment's load address and the origin are right.
 */
public final class EmbeddedSymbolTable
{
    /** {@code XEN_VIRT_START} of x86-64 Xen 4.14 and later, the origin of the table's offsets. */
    public static final long X86_64_ORIGIN = 0xffff82d040000000L;

    /** {@link XenImageFormatException#structure()} when a segment holds no table at all. */
    public static final String ABSENT = "embedded symbol table";

    private static final int TOKENS = 256;
    /** A token longer than this is not one Xen's compressor makes (it merges pairs of symbols' bytes). */
    private static final int MAX_TOKEN = 128;
    /** More markers than this would mean over a million symbols. */
    private static final int MAX_MARKERS = 4096;

    private EmbeddedSymbolTable()
    {
    }

    /**
     * Finds and decodes the table in a loaded segment.
     *
     * @param segment the segment's bytes (little-endian), position 0 at {@code segmentAddress}
     * @param segmentAddress virtual address of the segment's first byte in the running hypervisor
     * @param origin {@code SYMBOLS_ORIGIN}, e.g. {@link #X86_64_ORIGIN}
     * @return the symbols in table order (by address)
     * @throws XenImageFormatException if no consistent table is in the segment, or the table
     *         contradicts the segment address
     */
    public static List<XenSymbol> decode(final ByteBuffer segment, final long segmentAddress, final long origin)
    {
        final ByteBuffer b = segment.slice().order(ByteOrder.LITTLE_ENDIAN);
        final Layout layout = locate(b);
        final List<XenSymbol> symbols = expand(b, layout, origin);
        selfCheck(symbols, layout, segmentAddress);
        return symbols;
    }

    /** Where the tables are, as offsets into the segment. */
    record Layout(int offsets, int count, int names, int markers, int tokenTable, int tokenIndex, int entries)
    {
    }

    static Layout locate(final ByteBuffer b)
    {
        for (int p = 0; p + 2 * TOKENS <= b.limit(); p += 4)
        {
            if (0 != b.getShort(p) || 0 == b.getShort(p + 2))
            {
                continue;
            }
            final int[] index = tokenIndexAt(b, p);
            if (null == index)
            {
                continue;
            }
            final int table = tokenTableBefore(b, p, index);
            if (table < 0)
            {
                continue;
            }
            final Layout layout = namesBefore(b, table, p);
            if (null != layout)
            {
                return layout;
            }
        }
        throw new XenImageFormatException(ABSENT, 0,
            "no symbols_token_index/symbols_token_table pair with consistent names and markers in "
            + b.limit() + " bytes");
    }

    /** 256 strictly increasing u16, first 0, each gap a plausible token length plus NUL. */
    private static int[] tokenIndexAt(final ByteBuffer b, final int p)
    {
        final int[] index = new int[TOKENS];
        for (int i = 0; i < TOKENS; i++)
        {
            index[i] = Short.toUnsignedInt(b.getShort(p + 2 * i));
            if (i > 0)
            {
                final int gap = index[i] - index[i - 1];
                if (gap < 2 || gap > MAX_TOKEN + 1)
                {
                    return null;
                }
            }
        }
        return index;
    }

    /**
     * The token table ends (its last NUL, then zero padding to 4) right before the index. Returns
     * its start, or -1 when the strings before {@code p} are not exactly the 256 indexed tokens.
     */
    private static int tokenTableBefore(final ByteBuffer b, final int p, final int[] index)
    {
        // Skip the last token's NUL and up to 3 bytes of alignment padding.
        int q = p - 1;
        while (q >= 0 && p - q <= 5 && 0 == b.get(q))
        {
            q--;
        }
        // q is now the last character of the last token.
        if (q < 0 || 0 == b.get(q) || p - q < 2 || p - q > 5)
        {
            return -1;
        }
        int s = q;
        while (s > 0 && 0 != b.get(s - 1) && q - s < MAX_TOKEN)
        {
            s--;
        }
        final int table = s - index[TOKENS - 1];
        if (table < 0 || 0 != (table & 3))
        {
            return -1;
        }
        for (int i = 0; i < TOKENS; i++)
        {
            final int start = table + index[i];
            final int end = i + 1 < TOKENS ? table + index[i + 1] - 1 : q + 1;
            if (0 != b.get(end))
            {
                return -1;
            }
            for (int c = start; c < end; c++)
            {
                if (0 == b.get(c))
                {
                    return -1;
                }
            }
        }
        return table;
    }

    /** Tries every marker count: the markers end at the token table; the names end at the markers. */
    private static Layout namesBefore(final ByteBuffer b, final int tokenTable, final int tokenIndex)
    {
        for (int m = 1; m <= MAX_MARKERS && tokenTable - 4 * m >= 0; m++)
        {
            final int markers = tokenTable - 4 * m;
            if (0 != b.getInt(markers) || !increasing(b, markers, m))
            {
                continue;
            }
            // symbols_num_syms sits before the names; scan back within what m markers allow.
            final long lastMarker = Integer.toUnsignedLong(b.getInt(markers + 4 * (m - 1)));
            final long furthest = Math.max(0, markers - lastMarker - 256L * 256 - 4);
            for (int count = markers - 4; count >= furthest; count -= 4)
            {
                final long n = Integer.toUnsignedLong(b.getInt(count));
                if (n == 0 || (n + 255) / 256 != m || count - 4 * n < 0)
                {
                    continue;
                }
                if (namesConsistent(b, count + 4, (int) n, markers, m))
                {
                    return new Layout(count - 4 * (int) n, count, count + 4, markers, tokenTable, tokenIndex, (int) n);
                }
            }
        }
        return null;
    }

    private static boolean increasing(final ByteBuffer b, final int at, final int count)
    {
        for (int i = 1; i < count; i++)
        {
            if (Integer.toUnsignedLong(b.getInt(at + 4 * i)) <= Integer.toUnsignedLong(b.getInt(at + 4 * (i - 1))))
            {
                return false;
            }
        }
        return true;
    }

    /** Walks {@code n} names from {@code names}: they must end at the markers and match each one. */
    private static boolean namesConsistent(final ByteBuffer b, final int names, final int n, final int markers,
                                           final int m)
    {
        int o = names;
        for (int i = 0; i < n; i++)
        {
            if (o >= markers)
            {
                return false;
            }
            if (0 == (i & 0xff) && Integer.toUnsignedLong(b.getInt(markers + 4 * (i >> 8))) != o - names)
            {
                return false;
            }
            o += 1 + Byte.toUnsignedInt(b.get(o));
        }
        return o <= markers && markers - o < 4;
    }

    private static List<XenSymbol> expand(final ByteBuffer b, final Layout l, final long origin)
    {
        final String[] tokens = new String[TOKENS];
        for (int i = 0; i < TOKENS; i++)
        {
            final int start = l.tokenTable() + Short.toUnsignedInt(b.getShort(l.tokenIndex() + 2 * i));
            int end = start;
            while (0 != b.get(end))
            {
                end++;
            }
            final byte[] t = new byte[end - start];
            b.get(start, t);
            tokens[i] = new String(t, StandardCharsets.ISO_8859_1);
        }
        final int n = l.entries();
        final long[] address = new long[n];
        final String[] text = new String[n];
        int o = l.names();
        final StringBuilder s = new StringBuilder(64);
        for (int i = 0; i < n; i++)
        {
            address[i] = origin + Integer.toUnsignedLong(b.getInt(l.offsets() + 4 * i));
            if (i > 0 && Long.compareUnsigned(address[i], address[i - 1]) < 0)
            {
                throw new XenImageFormatException("symbols_offsets", l.offsets() + 4L * i,
                    "entry " + i + " is below entry " + (i - 1) + " (the table must be sorted by address)");
            }
            final int len = Byte.toUnsignedInt(b.get(o));
            s.setLength(0);
            for (int k = 1; k <= len; k++)
            {
                s.append(tokens[Byte.toUnsignedInt(b.get(o + k))]);
            }
            if (len > 0 && s.length() < 2)
            {
                throw new XenImageFormatException("symbols_names", o, "entry " + i + " expands to \"" + s
                    + "\", shorter than a type letter and a name");
            }
            text[i] = len == 0 ? null : s.toString();
            o += 1 + len;
        }
        // Size = distance to the next higher address, found walking back from the end.
        final List<XenSymbol> symbols = new ArrayList<>(n);
        final long[] next = new long[n];
        long higher = 0;
        boolean known = false;
        for (int i = n - 1; i >= 0; i--)
        {
            if (i + 1 < n && address[i + 1] != address[i])
            {
                higher = address[i + 1];
                known = true;
            }
            next[i] = known ? higher - address[i] : 0;
        }
        for (int i = 0; i < n; i++)
        {
            if (null != text[i])
            {
                symbols.add(new XenSymbol(text[i].substring(1), address[i], next[i], text[i].charAt(0)));
            }
        }
        return symbols;
    }

    private static void selfCheck(final List<XenSymbol> symbols, final Layout l, final long segmentAddress)
    {
        check(symbols, "symbols_token_index", segmentAddress + l.tokenIndex(), l.tokenIndex());
        check(symbols, "symbols_markers", segmentAddress + l.markers(), l.markers());
    }

    private static void check(final List<XenSymbol> symbols, final String name, final long expected, final int at)
    {
        for (final XenSymbol s : symbols)
        {
            if (s.name().equals(name) && s.address() != expected)
            {
                throw new XenImageFormatException(name, at, String.format(
                    "the table places it at 0x%x but it was found at 0x%x: wrong segment address or origin",
                    s.address(), expected));
            }
        }
    }

    /** {@return the symbols whose name is {@code name}, in table order} */
    public static List<XenSymbol> named(final List<XenSymbol> symbols, final String name)
    {
        Objects.requireNonNull(name, "name");
        return symbols.stream().filter(s -> s.name().equals(name)).toList();
    }
}
