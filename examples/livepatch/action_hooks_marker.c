/*
 * The regression hot-patch action_hooks_marker (after Xen's xen_action_hooks_marker.c): every
 * hook kind prints a numbered line with the function's applied marker, so `xl dmesg` shows
 * the order Xen defines: pre-apply, load, apply, post-apply; pre-revert, revert, unload,
 * post-revert; and the marker NOT_APPLIED before the apply, APPLIED after it, and back.
 */
#include <xsplice/livepatch.h>

static unsigned int seq;

static const char *marker(const livepatch_payload_t *p)
{
    return p->fstate[0].applied == LIVEPATCH_FUNC_APPLIED ? "APPLIED" : "NOT_APPLIED";
}

static const char *action_hooks_marker_extra(void)
{
    return "marker";
}

static int pre_apply_hook(livepatch_payload_t *p)
{
    printk("marker %u: pre-apply %s %s\n", ++seq, p->funcs[0].name, marker(p));
    return 0;
}

static void load_hook(void)
{
    printk("marker %u: load\n", ++seq);
}

static int apply_hook(livepatch_payload_t *p)
{
    int rc = common_livepatch_apply(&p->funcs[0], &p->fstate[0]);

    printk("marker %u: apply %s %s\n", ++seq, p->funcs[0].name, marker(p));
    return rc;
}

static void post_apply_hook(livepatch_payload_t *p)
{
    printk("marker %u: post-apply %s %s\n", ++seq, p->funcs[0].name, marker(p));
}

static int pre_revert_hook(livepatch_payload_t *p)
{
    printk("marker %u: pre-revert %s %s\n", ++seq, p->funcs[0].name, marker(p));
    return 0;
}

static int revert_hook(livepatch_payload_t *p)
{
    int rc = common_livepatch_revert(&p->funcs[0], &p->fstate[0]);

    printk("marker %u: revert %s %s\n", ++seq, p->funcs[0].name, marker(p));
    return rc;
}

static void unload_hook(void)
{
    printk("marker %u: unload\n", ++seq);
}

static void post_revert_hook(livepatch_payload_t *p)
{
    printk("marker %u: post-revert %s %s\n", ++seq, p->funcs[0].name, marker(p));
}

XSPLICE_PATCH(xen_extra_version, action_hooks_marker_extra);
XSPLICE_PREAPPLY_HOOK(pre_apply_hook);
XSPLICE_LOAD_HOOK(load_hook);
XSPLICE_APPLY_HOOK(apply_hook);
XSPLICE_POSTAPPLY_HOOK(post_apply_hook);
XSPLICE_PREREVERT_HOOK(pre_revert_hook);
XSPLICE_REVERT_HOOK(revert_hook);
XSPLICE_UNLOAD_HOOK(unload_hook);
XSPLICE_POSTREVERT_HOOK(post_revert_hook);
