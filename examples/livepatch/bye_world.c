/*
 * The regression hot-patch bye_world (after Xen's xen_bye_world.c): built with
 * `--depends-file hello_world.livepatch`, so it applies only stacked on hello_world, and
 * replaces xen_extra_version() once more.
 */
#include <xsplice/livepatch.h>

static const char bye_world_patch_this_fnc[] = "Bye World";

const char *xen_bye_world(void)
{
    return bye_world_patch_this_fnc;
}

XSPLICE_PATCH(xen_extra_version, xen_bye_world);
XSPLICE_MODINFO(version, "1.0");
