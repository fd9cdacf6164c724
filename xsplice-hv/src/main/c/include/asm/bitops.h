#ifndef ASM_BITOPS_H
#define ASM_BITOPS_H
/* Population count (Xen: xen/arch/x86/include/asm/bitops.h hweight*()): POPCNT when the CPU
 * has it, patched in at boot through an alternative, else a generic SWAR sum. */
#include <xen/config.h>
#include <asm/alternative.h>

/* true once apply_alternatives() found X86_FEATURE_POPCNT (the mov $1 replaced the xor). */
static inline bool popcnt_patched(void)
{
    unsigned int r;
    alternative_io("xor %k0, %k0", "mov $1, %k0", X86_FEATURE_POPCNT, "=r"(r));
    return r;
}

static inline unsigned int generic_hweight64(uint64_t w)
{
    w -= (w >> 1) & 0x5555555555555555ULL;
    w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
    w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned int)((w * 0x0101010101010101ULL) >> 56);
}

static inline unsigned int hweight64(uint64_t w)
{
    if (popcnt_patched()) {
        uint64_t r;
        asm ("popcnt %1, %0" : "=r"(r) : "rm"(w));
        return (unsigned int)r;
    }
    return generic_hweight64(w);
}
#endif
