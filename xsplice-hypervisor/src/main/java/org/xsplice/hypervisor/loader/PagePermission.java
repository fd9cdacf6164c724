package org.xsplice.hypervisor.loader;

/** Page protections a payload's memory gets; there is deliberately no writable+executable one. */
public enum PagePermission {
    /** Text: readable and executable. */
    RX,
    /** .data and .bss: readable and writable. */
    RW,
    /** Read-only data, notes, funcs, hooks. */
    RO,
    /** Free area: no access. */
    NONE
}
