/*
 * The regression hot-patch prepost_hooks (after Xen's xen_prepost_hooks.c): pre/post apply and
 * revert hooks around the default action. The first revert is vetoed by the pre-revert hook
 * (it returns -1: EPERM), the second goes through. Every hook prints to `xl dmesg`.
 */
#include <xsplice/livepatch.h>

static unsigned int pre_apply_cnt, post_apply_cnt, pre_revert_cnt, post_revert_cnt;
static int pre_revert_retry = 1;

static const char *prepost_hooks_extra(void)
{
    return "prepost_hooks";
}

static int pre_apply_hook(livepatch_payload_t *p)
{
    for (uint32_t i = 0; i < p->nfuncs; i++)
        printk("prepost_hooks: pre-apply %u: applying %s\n", ++pre_apply_cnt, p->funcs[i].name);
    return 0;
}

static void post_apply_hook(livepatch_payload_t *p)
{
    for (uint32_t i = 0; i < p->nfuncs; i++)
        printk("prepost_hooks: post-apply %u: applied %s\n", ++post_apply_cnt, p->funcs[i].name);
}

static int pre_revert_hook(livepatch_payload_t *p)
{
    for (uint32_t i = 0; i < p->nfuncs; i++)
        printk("prepost_hooks: pre-revert %u: reverting %s\n", ++pre_revert_cnt, p->funcs[i].name);
    /* The first revert attempt fails, the second succeeds. */
    return -(pre_revert_retry--);
}

static void post_revert_hook(livepatch_payload_t *p)
{
    for (uint32_t i = 0; i < p->nfuncs; i++)
        printk("prepost_hooks: post-revert %u: reverted %s\n", ++post_revert_cnt, p->funcs[i].name);
}

XSPLICE_PATCH(xen_extra_version, prepost_hooks_extra);
XSPLICE_PREAPPLY_HOOK(pre_apply_hook);
XSPLICE_POSTAPPLY_HOOK(post_apply_hook);
XSPLICE_PREREVERT_HOOK(pre_revert_hook);
XSPLICE_POSTREVERT_HOOK(post_revert_hook);
