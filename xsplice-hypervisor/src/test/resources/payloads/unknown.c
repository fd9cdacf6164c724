/* Calls a function the hypervisor does not have. */
#include <xsplice/livepatch.h>

extern int no_such_hypervisor_function(void);

int unknown_minor_version(void)
{
    return no_such_hypervisor_function();
}

XSPLICE_PATCH(xen_minor_version, unknown_minor_version);
