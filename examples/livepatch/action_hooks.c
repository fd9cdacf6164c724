/*
 * The regression hot-patch action_hooks (after Xen's xen_action_hooks.c): apply and revert
 * action hooks replace the default action and patch each function themselves through the
 * hypervisor's common_livepatch_apply()/revert(), on the master CPU while every other CPU is
 * parked. The post-revert hook prints the counters (1 and 1). The pre-apply hook shows that
 * the same API refuses to patch outside the rendezvous (-1, EPERM).
 */
#include <xsplice/livepatch.h>

static unsigned int apply_cnt, revert_cnt;

static const char *action_hooks_extra(void)
{
    return "action_hooks";
}

static int pre_apply_hook(livepatch_payload_t *p)
{
    printk("action_hooks: pre-apply: common_livepatch_apply outside the rendezvous returns %d\n",
           common_livepatch_apply(&p->funcs[0], &p->fstate[0]));
    return 0;
}

static int apply_hook(livepatch_payload_t *p)
{
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        int rc = common_livepatch_apply(&p->funcs[i], &p->fstate[i]);

        if (rc)
            return rc;
        apply_cnt++;
        printk("action_hooks: apply hook: applied %s\n", p->funcs[i].name);
    }
    return 0;
}

static int revert_hook(livepatch_payload_t *p)
{
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        int rc = common_livepatch_revert(&p->funcs[i], &p->fstate[i]);

        if (rc)
            return rc;
        revert_cnt++;
        printk("action_hooks: revert hook: reverted %s\n", p->funcs[i].name);
    }
    return 0;
}

static void post_revert_hook(livepatch_payload_t *p)
{
    printk("action_hooks: post-revert: %s apply_cnt=%u revert_cnt=%u\n", p->name, apply_cnt, revert_cnt);
}

XSPLICE_PATCH(xen_extra_version, action_hooks_extra);
XSPLICE_PREAPPLY_HOOK(pre_apply_hook);
XSPLICE_APPLY_HOOK(apply_hook);
XSPLICE_REVERT_HOOK(revert_hook);
XSPLICE_POSTREVERT_HOOK(post_revert_hook);
