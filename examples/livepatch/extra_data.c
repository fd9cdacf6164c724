/*
 * Changes a data object rather than code, as the seed asks: the hypervisor's xen_extra (what
 * xen_extra_version() returns, so `xl info` shows it) is rewritten by a load hook, on the
 * master CPU while every other CPU is parked, and restored by the unload hook after the
 * revert. No function is patched.
 */
#include <xsplice/livepatch.h>

extern char xen_extra[16];
static char saved[16];
static const char data_world[16] = "Data World";

static void extra_data_load(void)
{
    __builtin_memcpy(saved, xen_extra, sizeof(saved));
    __builtin_memcpy(xen_extra, data_world, sizeof(data_world));
    printk("extra_data: xen_extra is now '%s'\n", xen_extra);
}

static void extra_data_unload(void)
{
    __builtin_memcpy(xen_extra, saved, sizeof(saved));
    printk("extra_data: xen_extra restored to '%s'\n", xen_extra);
}

XSPLICE_LOAD_HOOK(extra_data_load);
XSPLICE_UNLOAD_HOOK(extra_data_unload);
XSPLICE_MODINFO(version, "1.0");
