package org.xsplice.hypervisor.symbols.internal;

import org.xsplice.payload.Errno;
import org.xsplice.hypervisor.symbols.Symbol;
import org.xsplice.hypervisor.symbols.SymbolException;
import org.xsplice.hypervisor.symbols.SymbolTable;

/** Parses {@code name[+off]} and {@code 0xADDR} (the forms Xen prints and {@code xl symbol} accepts). */
final class Expressions {
    private Expressions() {
    }

    static long resolve(final SymbolTable table, final String expression) {
        final String e = expression.strip();
        if (e.isEmpty()) {
            throw new SymbolException(Errno.EINVAL, "empty symbol expression");
        }
        if (e.startsWith("0x") || e.startsWith("0X")) {
            return number(e, expression);
        }
        final int plus = e.lastIndexOf('+');
        final String name = plus < 0 ? e : e.substring(0, plus).strip();
        final long offset = plus < 0 ? 0 : number(e.substring(plus + 1).strip(), expression);
        // "<do_domctl>+0xf/0x1a0" as printed may be pasted back: drop the brackets and the size.
        final String bare = name.startsWith("<") && name.endsWith(">") ? name.substring(1, name.length() - 1) : name;
        final Symbol s = table.find(bare).orElseThrow(
                () -> new SymbolException(Errno.ENOENT, "unknown symbol '" + bare + "'"));
        return s.address() + offset;
    }

    private static long number(final String text, final String expression) {
        final String t = text.contains("/") ? text.substring(0, text.indexOf('/')) : text;
        try {
            return t.startsWith("0x") || t.startsWith("0X") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
        } catch (final NumberFormatException ex) {
            throw new SymbolException(Errno.EINVAL, "malformed number '" + t + "' in '" + expression + "'");
        }
    }
}
