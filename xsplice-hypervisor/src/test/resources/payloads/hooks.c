/* Hooks only, no functions. */
#include <xsplice/livepatch.h>

int hook_runs;

static void on_load(void)
{
    hook_runs++;
}

static int pre_apply(livepatch_payload_t *p)
{
    (void)p;
    return 0;
}

XSPLICE_LOAD_HOOK(on_load);
XSPLICE_PREAPPLY_HOOK(pre_apply);
