package org.xsplice.elf;

import java.util.HashMap;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Finds the constant of a code/name type by its numeric value: an array for the small values
 * the hot paths meet (relocation types, symbol types), a map for the rest.
 *
 * @param <E> the constants' type
 */
final class CodeIndex<E> {
    private final Object[] small = new Object[64];
    private final Map<Integer, E> large = new HashMap<>();

    CodeIndex(final E[] values, final ToIntFunction<E> code) {
        for (final E e : values) {
            final int c = code.applyAsInt(e);
            if (c >= 0 && c < small.length) {
                small[c] = e;
            } else {
                large.put(c, e);
            }
        }
    }

    /** {@return the constant with value {@code code}, or null} */
    @SuppressWarnings("unchecked")
    E get(final int code) {
        return code >= 0 && code < small.length ? (E) small[code] : large.get(code);
    }
}
