#ifndef XEN_LIVEPATCH_H
#define XEN_LIVEPATCH_H
#include <xen/config.h>

extern struct livepatch_rendezvous livepatch_rendezvous;
extern struct livepatch_region_table *livepatch_regions;
extern uint64_t livepatch_regions_gen;

void do_livepatch_work(void);
void livepatch_init(void);
void livepatch_printall(unsigned char key);
const struct livepatch_region *livepatch_find_region(uint64_t addr);
const struct livepatch_symbol *livepatch_symbol(const struct livepatch_region *r, uint64_t addr);

/*
 * Called on every way back to a guest, right before do_softirq(), and in the idle loop
 * (Xen: xen/common/livepatch.c check_for_livepatch_work()). Idle cost: one load and one
 * not-taken branch; everything else is in the out-of-line do_livepatch_work().
 */
static inline void check_for_livepatch_work(void)
{
#ifndef NO_LIVEPATCH_CHECK
    /* Plain (relaxed) load: a CPU that misses a just-set flag sees it at its next exit. */
    if (unlikely(ACCESS_ONCE(livepatch_rendezvous.do_work)))
        do_livepatch_work();
#endif
}
#endif
