/* Exception tables (Xen: xen/arch/x86/extable.c). */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/livepatch.h>
#include <asm/extable.h>
#include <sys/mman.h>

/* Bounds from xen.lds: .ex_table is page aligned on both ends so it can be sealed read-only. */
extern struct exception_table_entry __start___ex_table[], __stop___ex_table[];
extern const char __executable_start[], _etext[];

static void swap_ex(struct exception_table_entry *l, struct exception_table_entry *r)
{
    /* Entries are relative to their own position: moving one changes its offsets. */
    int64_t delta = (char *)r - (char *)l;
    struct exception_table_entry tmp = *l;
    l->addr = (int32_t)(r->addr + delta);
    l->cont = (int32_t)(r->cont + delta);
    r->addr = (int32_t)(tmp.addr - delta);
    r->cont = (int32_t)(tmp.cont - delta);
}

/* Insertion sort by absolute fault address: the table is small and mostly sorted already. */
static void sort_exception_table(struct exception_table_entry *start, struct exception_table_entry *stop)
{
    for (struct exception_table_entry *i = start + 1; i < stop; i++)
        for (struct exception_table_entry *j = i; j > start && ex_addr(j - 1) > ex_addr(j); j--)
            swap_ex(j - 1, j);
}

void sort_exception_tables(void)
{
    sort_exception_table(__start___ex_table, __stop___ex_table);
    if (mprotect(__start___ex_table, (size_t)((char *)__stop___ex_table - (char *)__start___ex_table + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1), PROT_READ))
        panic("cannot seal .ex_table read-only (errno %d)", errno);
    printk("Sorted %ld exception-table entries\n", (long)(__stop___ex_table - __start___ex_table));
}

const struct exception_table_entry *search_one_extable(const struct exception_table_entry *first,
                                                       const struct exception_table_entry *last,
                                                       uint64_t value)
{
    while (first <= last) {
        const struct exception_table_entry *mid = first + (last - first) / 2;
        uint64_t a = ex_addr(mid);
        if (a == value)
            return mid;
        if (a < value)
            first = mid + 1;
        else
            last = mid - 1;
    }
    return NULL;
}

uint64_t search_exception_table(uint64_t addr)
{
    const struct exception_table_entry *e;

    if (addr >= (uint64_t)(uintptr_t)__executable_start && addr < (uint64_t)(uintptr_t)_etext) {
        e = search_one_extable(__start___ex_table, __stop___ex_table - 1, addr);
        return e ? ex_cont(e) : 0;
    }
    const struct livepatch_region *r = livepatch_find_region(addr);
    if (r && r->nr_extable) {
        const struct exception_table_entry *t = (const struct exception_table_entry *)(uintptr_t)r->extable;
        e = search_one_extable(t, t + r->nr_extable - 1, addr);
        return e ? ex_cont(e) : 0;
    }
    return 0;
}
