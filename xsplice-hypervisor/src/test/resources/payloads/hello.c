/* Replaces xen_extra_version(); calls a hypervisor function, reads hypervisor data and reaches
 * a static hypervisor function by its file#name. */
#include <xsplice/livepatch.h>

extern const char xen_extra[];
extern int xen_counter;
extern const char *xen_extra_version(void);
extern int xen_minor_version(void);
extern const char *static_suffix(void) XSPLICE_SYMBOL("version.c#extra_suffix");

static char buf[64];

const char *hello_xen_extra_version(void)
{
    const char *s = xen_counter > 40 ? xen_extra : static_suffix();
    int i = 0;
    buf[i++] = 'H';
    buf[i++] = '0' + xen_minor_version() % 10;
    while (*s && i < 62)
        buf[i++] = *s++;
    buf[i] = 0;
    return buf;
}

int hello_exported_helper(int x)
{
    return x * 3;
}

XSPLICE_PATCH(xen_extra_version, hello_xen_extra_version);
XSPLICE_MODINFO(version, "1.0");
