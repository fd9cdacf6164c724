#ifndef ASM_EXTABLE_H
#define ASM_EXTABLE_H
#include <xen/config.h>

/* Xen's x86 form (xen/arch/x86/include/asm/asm_defns.h _ASM_EXTABLE): two 32-bit offsets
 * relative to the entry's own fields, in .ex_table; fixup code lives in .fixup. */
#define _ASM_EXTABLE(from, to)           \
    "  .pushsection .ex_table, \"a\"\n"  \
    "  .balign 4\n"                      \
    "  .long " #from " - .\n"            \
    "  .long " #to " - .\n"              \
    "  .popsection\n"

static inline uint64_t ex_addr(const struct exception_table_entry *e)
{
    return (uint64_t)(intptr_t)&e->addr + (int64_t)e->addr;
}
static inline uint64_t ex_cont(const struct exception_table_entry *e)
{
    return (uint64_t)(intptr_t)&e->cont + (int64_t)e->cont;
}

void sort_exception_tables(void);
/* Fixup address for a fault at addr, or 0 (hypervisor table, then payload regions). */
uint64_t search_exception_table(uint64_t addr);
const struct exception_table_entry *search_one_extable(const struct exception_table_entry *first,
                                                       const struct exception_table_entry *last,
                                                       uint64_t value);
#endif
