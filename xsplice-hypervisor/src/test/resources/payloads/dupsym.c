/* Defines a global the hypervisor already has. */
#include <xsplice/livepatch.h>

int xen_counter = 5;

int dupsym_minor_version(void)
{
    return xen_counter;
}

XSPLICE_PATCH(xen_minor_version, dupsym_minor_version);
