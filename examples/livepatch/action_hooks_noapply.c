/*
 * The regression hot-patch action_hooks_noapply (after Xen's xen_action_hooks_noapply.c): the
 * apply hook patches nothing and returns -EINVAL. That is consistent (an error and no function
 * applied), so the apply fails with EINVAL, nothing is patched, and the post-apply hook (run
 * after every action, as in Xen) sees the function NOT_APPLIED.
 */
#include <xsplice/livepatch.h>

static unsigned int apply_cnt;

static const char *action_hooks_noapply_extra(void)
{
    return "noapply";
}

static int apply_hook(livepatch_payload_t *p)
{
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        apply_cnt++;
        printk("action_hooks_noapply: apply hook: not applying %s\n", p->funcs[i].name);
    }
    return -22;
}

static void post_apply_hook(livepatch_payload_t *p)
{
    printk("action_hooks_noapply: post-apply: apply_cnt=%u %s %s\n", apply_cnt, p->funcs[0].name,
           p->fstate[0].applied == LIVEPATCH_FUNC_APPLIED ? "APPLIED" : "NOT_APPLIED");
}

XSPLICE_PATCH(xen_extra_version, action_hooks_noapply_extra);
XSPLICE_APPLY_HOOK(apply_hook);
XSPLICE_POSTAPPLY_HOOK(post_apply_hook);
