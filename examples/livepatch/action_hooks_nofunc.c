/*
 * The regression hot-patch action_hooks_nofunc (after Xen's xen_action_hooks_nofunc.c): apply
 * and revert action hooks but no function to patch. Both actions succeed with nothing to do;
 * the post-revert hook prints the counters (0 and 0).
 */
#include <xsplice/livepatch.h>

static unsigned int apply_cnt, revert_cnt;

static int apply_hook(livepatch_payload_t *p)
{
    for (uint32_t i = 0; i < p->nfuncs; i++)
        apply_cnt++;
    printk("action_hooks_nofunc: apply hook: %u functions\n", p->nfuncs);
    return 0;
}

static int revert_hook(livepatch_payload_t *p)
{
    for (uint32_t i = 0; i < p->nfuncs; i++)
        revert_cnt++;
    printk("action_hooks_nofunc: revert hook: %u functions\n", p->nfuncs);
    return 0;
}

static void post_revert_hook(livepatch_payload_t *p)
{
    printk("action_hooks_nofunc: post-revert: %s apply_cnt=%u revert_cnt=%u\n", p->name, apply_cnt, revert_cnt);
}

XSPLICE_APPLY_HOOK(apply_hook);
XSPLICE_REVERT_HOOK(revert_hook);
XSPLICE_POSTREVERT_HOOK(post_revert_hook);
