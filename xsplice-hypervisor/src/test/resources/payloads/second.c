/* Stacks on hello: calls a new symbol hello exported. */
#include <xsplice/livepatch.h>

extern int hello_exported_helper(int x);

int second_minor_version(void)
{
    return hello_exported_helper(6);
}

XSPLICE_PATCH(xen_minor_version, second_minor_version);
