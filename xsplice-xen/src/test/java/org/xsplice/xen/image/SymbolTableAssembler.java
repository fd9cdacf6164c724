package org.xsplice.xen.image;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes an assembler source laying out a Xen embedded symbol table the way Xen's build does
 * ({@code xen/tools/symbols}: offsets, count, compressed names, markers, token table, token
 * index, each 4-byte aligned), so the tests can link real images with gcc and ld. Each symbol's
 * address is a label the linker places; the table's own labels are listed last, as they sit
 * at the highest addresses.
 *
 * <p>Compression is a greedy longest match over a token set with a few multi-character tokens
 * (so expansion across tokens is exercised) and one single-character token per printable byte.
 */
final class SymbolTableAssembler
{
    /** A symbol to emit: its table name ({@code file#sym} allowed), type letter and address label. */
    record Entry(String name, char type, String label)
    {
    }

    static final String[] TABLE_LABELS = { "symbols_offsets", "symbols_num_syms", "symbols_names",
        "symbols_markers", "symbols_token_table", "symbols_token_index" };

    private static final String[] MULTI = { "symbols_", "xen_", "ver", ".c#", "do_", "_start", "TT", "tt" };

    private SymbolTableAssembler()
    {
    }

    static String[] tokens()
    {
        final String[] t = new String[256];
        int m = 0;
        for (int i = 0; i < 256; i++)
        {
            if (i > 0x20 && i < 0x7f)
            {
                t[i] = String.valueOf((char) i);
            }
            else if (m < MULTI.length)
            {
                t[i] = MULTI[m++];
            }
            else
            {
                // Unused fillers: Xen always emits exactly 256 tokens.
                t[i] = "~" + Integer.toHexString(i);
            }
        }
        return t;
    }

    static List<Integer> compress(final String text, final String[] tokens)
    {
        final List<Integer> out = new ArrayList<>();
        int p = 0;
        while (p < text.length())
        {
            int best = -1;
            for (int i = 0; i < 256; i++)
            {
                if (text.startsWith(tokens[i], p) && (best < 0 || tokens[i].length() > tokens[best].length()))
                {
                    best = i;
                }
            }
            if (best < 0)
            {
                throw new IllegalArgumentException("cannot encode '" + text.charAt(p) + "'");
            }
            out.add(best);
            p += tokens[best].length();
        }
        return out;
    }

    /**
     * @param entries symbols in address order, not including the table's own labels
     * @return assembler source; define ORIGIN (the symbols' origin) when assembling
     */
    static String source(final List<Entry> entries)
    {
        final List<Entry> all = new ArrayList<>(entries);
        for (final String l : TABLE_LABELS)
        {
            all.add(new Entry(l, 'R', l));
        }
        final String[] tokens = tokens();
        final StringBuilder s = new StringBuilder();
        s.append("\t.section .rodata, \"a\"\n");
        label(s, "symbols_offsets");
        for (final Entry e : all)
        {
            s.append("\t.long ").append(e.label()).append(" - ORIGIN\n");
        }
        label(s, "symbols_num_syms");
        s.append("\t.long ").append(all.size()).append('\n');
        label(s, "symbols_names");
        final List<Integer> markers = new ArrayList<>();
        int off = 0;
        for (int i = 0; i < all.size(); i++)
        {
            if (0 == (i & 0xff))
            {
                markers.add(off);
            }
            final List<Integer> c = compress(all.get(i).type() + all.get(i).name(), tokens);
            s.append("\t.byte ").append(c.size());
            for (final int b : c)
            {
                s.append(", ").append(b);
            }
            s.append('\n');
            off += 1 + c.size();
        }
        label(s, "symbols_markers");
        for (final int m : markers)
        {
            s.append("\t.long ").append(m).append('\n');
        }
        label(s, "symbols_token_table");
        final int[] index = new int[256];
        int t = 0;
        for (int i = 0; i < 256; i++)
        {
            index[i] = t;
            s.append("\t.byte ");
            for (final char ch : tokens[i].toCharArray())
            {
                s.append((int) ch).append(", ");
            }
            s.append("0\n");
            t += tokens[i].length() + 1;
        }
        label(s, "symbols_token_index");
        for (final int i : index)
        {
            s.append("\t.short ").append(i).append('\n');
        }
        return s.toString();
    }

    private static void label(final StringBuilder s, final String name)
    {
        s.append("\t.globl ").append(name).append("\n\t.balign 4\n").append(name).append(":\n");
    }
}
