/* Defines a global the reference hypervisor already has (common/version.c's xen_commandline). */
#include <xsplice/livepatch.h>

char xen_commandline[1024];

unsigned int dupsym_minor_version(void)
{
    return (unsigned int)xen_commandline[0];
}

XSPLICE_PATCH(xen_minor_version, dupsym_minor_version);
