/* Three functions at once: the version strings and numbers xl info shows (soak and crash tests). */
#include <xsplice/livepatch.h>
static const char soak_extra[] = "-soaked";
const char *soak_extra_version(void) { return soak_extra; }
unsigned int soak_major_version(void) { return 4; }
unsigned int soak_minor_version(void) { return 17; }
XSPLICE_PATCH(xen_extra_version, soak_extra_version);
XSPLICE_PATCH(xen_major_version, soak_major_version);
XSPLICE_PATCH(xen_minor_version, soak_minor_version);
