/* NOP mode: overwrite the 5-byte mov of xen_minor_version (6 bytes: mov $17,%eax; ret) but its ret. */
#include <xsplice/livepatch.h>

XSPLICE_NOP(xen_minor_version, 5);
