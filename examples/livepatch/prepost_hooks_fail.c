/*
 * The regression hot-patch prepost_hooks_fail (after Xen's xen_prepost_hooks_fail.c): the
 * pre-apply hook vetoes every apply with -EINVAL, so the payload is never applied and the
 * post-apply hook never runs.
 */
#include <xsplice/livepatch.h>

static const char *prepost_hooks_fail_extra(void)
{
    return "prepost_hooks_fail";
}

static int pre_apply_hook(livepatch_payload_t *p)
{
    printk("prepost_hooks_fail: pre-apply: refusing %s\n", p->name);
    return -22;
}

static void post_apply_hook(livepatch_payload_t *p)
{
    printk("prepost_hooks_fail: post-apply: must not run (%s)\n", p->name);
}

XSPLICE_PATCH(xen_extra_version, prepost_hooks_fail_extra);
XSPLICE_PREAPPLY_HOOK(pre_apply_hook);
XSPLICE_POSTAPPLY_HOOK(post_apply_hook);
