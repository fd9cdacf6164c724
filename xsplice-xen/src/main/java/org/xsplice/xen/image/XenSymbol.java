package org.xsplice.xen.image;

import java.util.Objects;

/**
 * One entry of a Xen hypervisor's own symbol table, as dom0 sees it in {@code /proc/xen/xensyms}.
 *
 * @param name    global symbols by their plain name, static ones as {@code <source file>#<symbol>}
 *                (the names Xen's livepatch resolves undefined payload symbols against)
 * @param address virtual address in the running hypervisor
 * @param size    distance to the next symbol with a higher address (what Xen's own
 *                {@code symbols_lookup()} reports); 0 for the last symbol, whose end the table
 *                does not record
 * @param type    the {@code nm} type letter: {@code T}/{@code t} text, {@code D}/{@code d} data,
 *                {@code R}/{@code r} read-only data, {@code B}/{@code b} bss, ... (upper case: global)
 */
public record XenSymbol(String name, long address, long size, char type)
{
    public XenSymbol
    {
        Objects.requireNonNull(name, "name");
        if (size < 0)
        {
            throw new IllegalArgumentException("negative size for " + name);
        }
    }

    /** {@return whether the symbol is global (upper-case type letter)} */
    public boolean global()
    {
        return Character.isUpperCase(type);
    }

    /** {@return the line {@code /proc/xen/xensyms} prints for this symbol} */
    public String xensymsLine()
    {
        return String.format("%016x %c %s", address, type, name);
    }
}
