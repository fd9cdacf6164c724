/*
 * CPU features and alternatives (Xen: xen/arch/x86/cpu/common.c identify_cpu(),
 * xen/arch/x86/alternative.c apply_alternatives()). Runs on the boot CPU before any other
 * pCPU starts, so no CPU executes an instruction while it is rewritten.
 */
#include <xen/config.h>
#include <xen/lib.h>
#include <asm/alternative.h>
#include <cpuid.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct cpuinfo_x86 boot_cpu_data;

/* Bounds from xen.lds. */
extern struct alt_instr __alt_instructions[], __alt_instructions_end[];

static const struct {
    const char *name;
    unsigned int feature;
} feature_names[] = {
    { "sse2", X86_FEATURE_SSE2 },     { "sse4_2", X86_FEATURE_SSE4_2 },
    { "popcnt", X86_FEATURE_POPCNT }, { "lm", X86_FEATURE_LM },
    { "lzcnt", X86_FEATURE_LZCNT },   { "bmi1", X86_FEATURE_BMI1 },
};

static void clear_feature(const char *name, size_t len)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(feature_names); i++)
        if (strlen(feature_names[i].name) == len && !strncmp(feature_names[i].name, name, len)) {
            unsigned int f = feature_names[i].feature;
            boot_cpu_data.x86_capability[f / 32] &= ~(1u << (f % 32));
            printk("CPUID: feature %.*s disabled on the command line\n", (int)len, name);
            return;
        }
    printk("CPUID: unknown feature '%.*s' in --cpuid, ignored\n", (int)len, name);
}

void identify_cpu(const char *opt_cpuid)
{
    unsigned int a, b, c, d;
    uint32_t *caps = boot_cpu_data.x86_capability;

    __cpuid(1, a, b, c, d);
    caps[0] = d;
    caps[1] = c;
    __cpuid(0x80000000, a, b, c, d);
    if (a >= 0x80000001) {
        __cpuid(0x80000001, a, b, c, d);
        caps[2] = d;
        caps[3] = c;
    }
    __cpuid(0, a, b, c, d);
    if (a >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        caps[5] = b;
    }
    caps[X86_FEATURE_ALWAYS / 32] |= 1u << (X86_FEATURE_ALWAYS % 32);

    /* "no-popcnt,no-bmi1": each item clears one feature, as Xen's cpuid= option does. */
    for (const char *p = opt_cpuid; p && *p;) {
        const char *end = strchrnul(p, ',');
        if (end - p > 3 && !strncmp(p, "no-", 3))
            clear_feature(p + 3, (size_t)(end - p - 3));
        else
            printk("CPUID: '--cpuid %.*s' is not of the form no-NAME, ignored\n", (int)(end - p), p);
        p = *end ? end + 1 : end;
    }
}

/*
 * Writes through /proc/self/mem: the kernel writes read-only text pages without ever making
 * them writable in this process (no W+X mapping, as the payload loader also keeps it).
 */
static void text_poke(uint8_t *addr, const uint8_t *src, size_t len)
{
    int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
    if (fd < 0 || pwrite(fd, src, len, (off_t)(uintptr_t)addr) != (ssize_t)len)
        panic("alternatives: cannot write %zu bytes at %p (errno %d)", len, (void *)addr, errno);
    close(fd);
}

/* Single-byte NOPs keep every instruction boundary of the padded range valid. */
void apply_alternatives(struct alt_instr *start, struct alt_instr *end)
{
    unsigned int applied = 0, total = 0;

    for (struct alt_instr *a = start; a < end; a++, total++) {
        uint8_t buf[ALT_MAX_LEN + 1];
        uint8_t *orig = ALT_ORIG_PTR(a), *repl = ALT_REPL_PTR(a);
        unsigned int len = (unsigned int)a->orig_len + a->pad_len;

        BUG_ON(a->repl_len > len);
        BUG_ON(a->cpuid >= NCAPINTS * 32);
        if (!boot_cpu_has(a->cpuid))
            continue;
        memcpy(buf, repl, a->repl_len);
        /* A leading call/jmp rel32 is relative to where it runs, not where it was assembled. */
        if (a->repl_len >= 5 && (buf[0] & 0xfe) == 0xe8) {
            int32_t rel;
            memcpy(&rel, buf + 1, 4);
            rel += (int32_t)(repl - orig);
            memcpy(buf + 1, &rel, 4);
        }
        memset(buf + a->repl_len, 0x90, len - a->repl_len);
        text_poke(orig, buf, len);
        applied++;
    }
    printk("alternatives: %u of %u applied\n", applied, total);
}

void alternative_instructions(void)
{
    apply_alternatives(__alt_instructions, __alt_instructions_end);
}
