/* Replaces xen_extra_version() of the reference hypervisor. Links against a hypervisor
 * function and data by name, and a static of version.c as version.c#build_id_len. */
#include <xsplice/livepatch.h>

extern const char xen_extra[];
extern unsigned int xen_major_version(void);
extern unsigned int static_build_id_len XSPLICE_SYMBOL("version.c#build_id_len");

static char hello_buf[64];

const char *hello_xen_extra_version(void)
{
    int i = 0;
    const char *s = "Hello World";
    while (*s)
        hello_buf[i++] = *s++;
    hello_buf[i++] = ' ';
    hello_buf[i++] = '0' + xen_major_version();
    hello_buf[i++] = static_build_id_len ? xen_extra[0] : '?';
    hello_buf[i] = 0;
    return hello_buf;
}

int hello_helper(int x)
{
    return x + 1;
}

XSPLICE_PATCH(xen_extra_version, hello_xen_extra_version);
XSPLICE_MODINFO(version, "1.0");
