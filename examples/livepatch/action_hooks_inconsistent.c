/*
 * Not in Xen's suite (Xen panics on this): an apply hook that patches only the first of its
 * two functions and still returns 0. The hypervisor finds the second function not applied,
 * fails the apply with EINVAL naming the payload and that function, and undoes the first
 * function's patch: nothing stays half-applied.
 */
#include <xsplice/livepatch.h>

static const char *inconsistent_extra(void)
{
    return "half";
}

static const char *inconsistent_changeset(void)
{
    return "half";
}

static int apply_hook(livepatch_payload_t *p)
{
    return common_livepatch_apply(&p->funcs[0], &p->fstate[0]);
}

XSPLICE_PATCH(xen_extra_version, inconsistent_extra);
XSPLICE_PATCH(xen_changeset, inconsistent_changeset);
XSPLICE_APPLY_HOOK(apply_hook);
