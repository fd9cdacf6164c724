/* Stacked on hv_hello: calls the new symbol hello_helper it exports. */
#include <xsplice/livepatch.h>

extern int hello_helper(int x);

unsigned int second_minor_version(void)
{
    return hello_helper(16);
}

XSPLICE_PATCH(xen_minor_version, second_minor_version);
