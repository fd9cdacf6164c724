#include <stdio.h>
const char *xen_extra_version(void);
int xen_minor_version(void);

/* Reserved like the reference hypervisor's: inside the image, so within +-2 GiB of its text. */
char xsplice_payload_area[16 << 20] __attribute__((aligned(4096)));

int main(void)
{
    printf("%s %d\n", xen_extra_version(), xen_minor_version());
    return 0;
}
