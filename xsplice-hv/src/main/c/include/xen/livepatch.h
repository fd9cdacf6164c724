#ifndef XEN_LIVEPATCH_H
#define XEN_LIVEPATCH_H
#include <xen/config.h>

extern struct livepatch_rendezvous livepatch_rendezvous;
extern struct livepatch_region_table *livepatch_regions;
extern uint64_t livepatch_regions_gen;
extern struct livepatch_state livepatch_state;

/* Runs a staged work list on the calling CPU (the master, every other CPU parked): 0 or
 * -errno with *failed set and nothing changed. See include/public/xsplice.h. */
int livepatch_run_work(const struct livepatch_work *w, int64_t *failed);

void do_livepatch_work(void) __attribute__((cold));
void livepatch_init(void);
void livepatch_printall(unsigned char key);
uint64_t xsplice_test_sleeper(uint64_t ms);
const struct livepatch_region *livepatch_find_region(uint64_t addr);
const struct livepatch_symbol *livepatch_symbol(const struct livepatch_region *r, uint64_t addr);
int common_livepatch_apply(const void *func, struct livepatch_handle_fstate *state);
int common_livepatch_revert(const void *func, struct livepatch_handle_fstate *state);

/*
 * Called on every way back to a guest, right before do_softirq(), and in the idle loop
 * (Xen: xen/common/livepatch.c check_for_livepatch_work()). Idle cost: one compare with a
 * memory operand and one not-taken branch (cmp+jne fuse into one micro-op); everything else
 * is in the out-of-line, cold do_livepatch_work(). Written with asm goto because the C form
 * (a volatile load, test, jne) costs a third instruction on every exit.
 */
static inline void check_for_livepatch_work(void)
{
#ifndef NO_LIVEPATCH_CHECK
    /* Relaxed read: a CPU that misses a just-raised flag sees it at its next exit. */
    asm goto ("cmpl $0, %0\n\t"
              "jne %l[work]"
              : : "m"(livepatch_rendezvous.do_work) : "cc" : work);
    return;
work:
    do_livepatch_work();
#endif
}
#endif
