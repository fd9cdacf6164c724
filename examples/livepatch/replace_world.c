/*
 * The regression hot-patch replace_world (after Xen's xen_replace_world.c): used with
 * REPLACE, which reverts every applied payload (hello_world, bye_world) and applies this one
 * in one rendezvous. (xen_extra is a 16-byte field in the version hypercall.) Its entry keeps
 * old_addr 0, for every target: the hypervisor finds xen_extra_version by name at upload.
 */
#include <xsplice/livepatch.h>

static const char replace_world_patch_this_fnc[] = "Hello Again";

const char *xen_replace_world(void)
{
    return replace_world_patch_this_fnc;
}

XSPLICE_PATCH_BY_NAME(xen_extra_version, xen_replace_world);
XSPLICE_MODINFO(version, "1.0");
