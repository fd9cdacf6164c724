/*
 * The regression hot-patch hello_world (after Xen's xen/test/livepatch/xen_hello_world.c):
 * replaces xen_extra_version() of the running hypervisor, so `xl info` shows
 * "xen_extra : Hello World". Built with `xsplice-build cfile hello_world.c --target xen-syms`
 * (the reference hypervisor) or `--target xen.gz` (a distribution's Xen).
 */
#include <xsplice/livepatch.h>

static const char hello_world_patch_this_fnc[] = "Hello World";

const char *xen_hello_world(void)
{
    return hello_world_patch_this_fnc;
}

XSPLICE_PATCH(xen_extra_version, xen_hello_world);
XSPLICE_MODINFO(version, "1.0");
