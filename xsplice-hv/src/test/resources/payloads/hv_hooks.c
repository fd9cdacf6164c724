/* Hooks only, no functions. */
#include <xsplice/livepatch.h>

int hooks_runs;

static void hooks_on_load(void)
{
    hooks_runs++;
}

static int hooks_pre_apply(livepatch_payload_t *p)
{
    (void)p;
    return 0;
}

XSPLICE_LOAD_HOOK(hooks_on_load);
XSPLICE_PREAPPLY_HOOK(hooks_pre_apply);
