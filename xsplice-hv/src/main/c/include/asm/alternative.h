#ifndef ASM_ALTERNATIVE_H
#define ASM_ALTERNATIVE_H
/*
 * Alternatives (Xen: xen/arch/x86/include/asm/alternative.h, arch/x86/alternative.c). The
 * original instruction is assembled in place, padded with NOPs to the longer of the two;
 * the replacement goes to .altinstr_replacement, and a 14-byte entry to .altinstructions:
 *   s32 orig_offset (orig - &orig_offset), s32 repl_offset (repl - &repl_offset),
 *   u16 cpuid (feature), u8 orig_len, u8 repl_len, u8 pad_len, u8 priv
 * At boot, before the pCPUs start, apply_alternatives() copies in the replacement of every
 * entry whose feature the CPU has (a payload's entries are applied by the loader).
 */
#include <asm/cpufeature.h>

#ifndef __ASSEMBLY__
struct __attribute__((packed)) alt_instr {
    int32_t  orig_offset;
    int32_t  repl_offset;
    uint16_t cpuid;
    uint8_t  orig_len;
    uint8_t  repl_len;
    uint8_t  pad_len;
    uint8_t  priv;
};
_Static_assert(sizeof(struct alt_instr) == 14, "alt_instr layout");

#define ALT_ORIG_PTR(a) ((uint8_t *)&(a)->orig_offset + (a)->orig_offset)
#define ALT_REPL_PTR(a) ((uint8_t *)&(a)->repl_offset + (a)->repl_offset)

/* Largest original (with padding): the copy buffer and the loader's check use it. */
#define ALT_MAX_LEN 255

#define ALT_OLDINSTR(old)                                                        \
    ".LXEN%=_orig_s:\n\t" old "\n.LXEN%=_orig_e:\n\t"                            \
    ".skip -(((.LXEN%=_repl_e - .LXEN%=_repl_s) - (.LXEN%=_orig_e - .LXEN%=_orig_s)) > 0) * " \
    "((.LXEN%=_repl_e - .LXEN%=_repl_s) - (.LXEN%=_orig_e - .LXEN%=_orig_s)), 0x90\n" \
    ".LXEN%=_orig_p:\n\t"

#define ALT_ENTRY(feature)                                                       \
    " .long .LXEN%=_orig_s - .\n\t"                                              \
    " .long .LXEN%=_repl_s - .\n\t"                                              \
    " .word " #feature "\n\t"                                                    \
    " .byte .LXEN%=_orig_e - .LXEN%=_orig_s\n\t"                                 \
    " .byte .LXEN%=_repl_e - .LXEN%=_repl_s\n\t"                                 \
    " .byte .LXEN%=_orig_p - .LXEN%=_orig_e\n\t"                                 \
    " .byte 0\n\t"

/* `old` runs unless the CPU has `feature`, then `new` (feature: a number, as asm text). */
#define ALTERNATIVE(old, new, feature)                                           \
    ALT_OLDINSTR(old)                                                            \
    ".pushsection .altinstructions, \"a\", @progbits\n\t"                        \
    ALT_ENTRY(feature)                                                           \
    ".popsection\n\t"                                                            \
    ".pushsection .altinstr_replacement, \"ax\", @progbits\n\t"                  \
    ".LXEN%=_repl_s:\n\t" new "\n.LXEN%=_repl_e:\n\t"                            \
    ".popsection\n"

#define alternative(old, new, feature) \
    asm volatile (ALTERNATIVE(old, new, feature) ::: "memory")
#define alternative_io(old, new, feature, output, input...) \
    asm volatile (ALTERNATIVE(old, new, feature) : output : input)

void apply_alternatives(struct alt_instr *start, struct alt_instr *end);
void alternative_instructions(void);
#endif
#endif
