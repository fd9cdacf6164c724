/* Calls a function the reference hypervisor does not have. */
#include <xsplice/livepatch.h>

extern unsigned int no_such_function(void);

unsigned int unknown_minor_version(void)
{
    return no_such_function();
}

XSPLICE_PATCH(xen_minor_version, unknown_minor_version);
