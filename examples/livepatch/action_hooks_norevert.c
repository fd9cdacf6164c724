/*
 * The regression hot-patch action_hooks_norevert (after Xen's xen_action_hooks_norevert.c):
 * the default apply, then a revert hook that, the first time, reverts nothing and returns
 * -EINVAL. That is consistent (an error and every function still applied): the revert fails
 * with EINVAL and the payload stays APPLIED. The second time it reverts through
 * common_livepatch_revert() (Xen's test payload reverts from its post-revert hook instead).
 */
#include <xsplice/livepatch.h>

static unsigned int revert_cnt;

static const char *action_hooks_norevert_extra(void)
{
    return "norevert";
}

static int revert_hook(livepatch_payload_t *p)
{
    if (revert_cnt++ == 0) {
        printk("action_hooks_norevert: revert hook: not reverting %s\n", p->funcs[0].name);
        return -22;
    }
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        int rc = common_livepatch_revert(&p->funcs[i], &p->fstate[i]);

        if (rc)
            return rc;
    }
    printk("action_hooks_norevert: revert hook: reverted on attempt %u\n", revert_cnt);
    return 0;
}

static void post_revert_hook(livepatch_payload_t *p)
{
    printk("action_hooks_norevert: post-revert: %s %s\n", p->funcs[0].name,
           p->fstate[0].applied == LIVEPATCH_FUNC_APPLIED ? "APPLIED" : "NOT_APPLIED");
}

XSPLICE_PATCH(xen_extra_version, action_hooks_norevert_extra);
XSPLICE_REVERT_HOOK(revert_hook);
XSPLICE_POSTREVERT_HOOK(post_revert_hook);
