package org.xsplice.build.diff;

/**
 * One thing the payload carries from the patched object, and why.
 *
 * @param element the symbol or section (output name)
 * @param what    a short class: function, data, strings, jump-table, constants, fixup, ex_table
 * @param reason  why it is there, e.g. "referenced by xen_extra_version"
 */
public record Inclusion(String element, String what, String reason) {
}
