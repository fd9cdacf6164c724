package org.xsplice.build.diff;

/**
 * Why a patch cannot become a payload, with the advice a patch author needs.
 *
 * @param kind        the class of problem
 * @param object      the object file (its STT_FILE name)
 * @param element     the symbol or section concerned
 * @param explanation what the differ found, precisely
 */
public record Refusal(Kind kind, String object, String element, String explanation) {

    /** The classes of unreconcilable differences, each with its standard advice. */
    public enum Kind {
        CHANGED_DATA("existing data cannot be changed in place: the running hypervisor keeps using the old "
                + "object. Leave the initializer alone and set the new value from a load or apply hook "
                + "(.livepatch.hooks.load), or keep extra state in a shadow variable keyed by the object"),
        CHANGED_BSS("the size or layout of existing zero-initialized data cannot change: other code still "
                + "addresses the old object. Allocate the extra state as a shadow variable, or add a new "
                + "variable with a new name and use it only from patched functions"),
        CHANGED_GROUP("section groups (COMDAT) are resolved by the linker when the hypervisor is linked; a "
                + "payload cannot change or add one. Move the code out of the group (a plain function)"),
        TOO_SMALL("the function is shorter than the 5-byte jump the patch writes at its start (9 with "
                + "ENDBR64). Patch its callers instead, or make the change in a new function they call"),
        AMBIGUOUS_LOCAL("the differ cannot tell which of several local symbols with the same name is meant, "
                + "so it cannot point the payload at the right one. Give the static a unique name"),
        UNSUPPORTED_RELOCATION("Xen's loader accepts only R_X86_64_NONE/64/PC32/PLT32 in payloads. "
                + "Thread-local (__thread) and absolute 32-bit accesses cannot be loaded: move the access "
                + "into an unchanged helper the patched function calls, or build with -fpie"),
        UNKNOWN_SPECIAL_SECTION("the section refers to patched code but the differ does not know its entry "
                + "layout, so it cannot keep only the entries of the included functions. Teach the differ "
                + "the layout (SpecialSections) or avoid the construct in patched functions"),
        DUPLICATE_NEW_SYMBOL("Xen refuses a payload whose new symbol already exists in the hypervisor "
                + "(EEXIST \"duplicate new symbol\"). Give the new function or variable a new name"),
        MISSING_IN_TARGET("the unchanged symbol the patched code refers to is not in the target binary (it "
                + "was inlined or discarded when the target was linked), so the payload cannot call it. "
                + "Check that --target is the binary built from this tree, or make the callee non-inline. A C "
                + "library function the reference hypervisor imports cannot be called from a payload either: "
                + "call a hypervisor function that wraps it");

        private final String advice;

        Kind(final String advice) {
            this.advice = advice;
        }

        /** {@return the advice for a patch author} */
        public String advice() {
            return advice;
        }
    }

    /** {@return one line: kind, where, explanation} */
    public String describe() {
        return kind + " " + object + ": " + element + ": " + explanation;
    }
}
