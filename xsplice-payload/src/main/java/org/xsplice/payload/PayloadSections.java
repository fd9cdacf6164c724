package org.xsplice.payload;

/**
 * Names of the sections a livepatch payload is made of, as Xen's loader and
 * livepatch-build-tools know them.
 */
public final class PayloadSections {
    /** The payload's own GNU build-id note. Required. */
    public static final String BUILD_ID = ".note.gnu.build-id";
    /** GNU build-id note of the hypervisor the payload was built for. Required (Xen 4.14+). */
    public static final String XEN_DEPENDS = ".livepatch.xen_depends";
    /** GNU build-id note of what must be on top of the applied stack at apply time. Required. */
    public static final String DEPENDS = ".livepatch.depends";
    /** Array of {@code struct livepatch_func}. */
    public static final String FUNCS = ".livepatch.funcs";
    /** NUL-separated {@code key=value} strings. */
    public static final String MODINFO = ".modinfo";
    /** Exception-table entries: pairs of 32-bit self-relative offsets {insn, fixup}. */
    public static final String EX_TABLE = ".ex_table";
    /** Code the exception-table fixups jump to. */
    public static final String FIXUP = ".fixup";
    /** Prefix of the four bug-frame sections {@code .bug_frames.0} .. {@code .bug_frames.3}. */
    public static final String BUG_FRAMES_PREFIX = ".bug_frames.";
    public static final String ALTINSTRUCTIONS = ".altinstructions";
    public static final String ALTINSTR_REPLACEMENT = ".altinstr_replacement";
    /** Prefix shared by every hook section. */
    public static final String HOOKS_PREFIX = ".livepatch.hooks.";

    private PayloadSections() {
    }
}
