#ifndef ASM_CPUFEATURE_H
#define ASM_CPUFEATURE_H
/*
 * CPU features (Xen: xen/arch/x86/include/asm/cpufeature.h, cpufeatureset.h). A feature is
 * word * 32 + bit in the featureset, Xen's numbering: word 0 = CPUID.1:EDX, 1 = CPUID.1:ECX,
 * 2 = CPUID.80000001:EDX, 3 = CPUID.80000001:ECX, 5 = CPUID.7.0:EBX; word 9 holds synthetic
 * features the hypervisor sets itself. The boot option `--cpuid no-NAME[,no-NAME...]` clears
 * features before alternatives are applied (Xen's `cpuid=no-NAME`).
 */
#include <xen/config.h>

#define NCAPINTS 10

#define X86_FEATURE_SSE2        ( 0 * 32 + 26)
#define X86_FEATURE_SSE4_2      ( 1 * 32 + 20)
#define X86_FEATURE_POPCNT      ( 1 * 32 + 23)
#define X86_FEATURE_LM          ( 2 * 32 + 29)
#define X86_FEATURE_LZCNT       ( 3 * 32 +  5)
#define X86_FEATURE_BMI1        ( 5 * 32 +  3)
#define X86_FEATURE_ALWAYS      ( 9 * 32 +  0)   /* synthetic: always set */

struct cpuinfo_x86 {
    uint32_t x86_capability[NCAPINTS];
};
extern struct cpuinfo_x86 boot_cpu_data;

#define boot_cpu_has(f) (!!(boot_cpu_data.x86_capability[(f) / 32] & (1u << ((f) % 32))))

/* Reads CPUID into boot_cpu_data, then applies the `--cpuid` clearing (NULL: none). */
void identify_cpu(const char *opt_cpuid);
#endif
