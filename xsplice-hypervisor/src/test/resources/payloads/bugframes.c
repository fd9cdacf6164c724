/* A replacement with a WARN_ON, an ASSERT, a run_in_exception_handler and an alternative
 * (feature 0 * 32 + 0, FPU: the replacement returns 4 instead of 0). */
#include <xsplice/livepatch.h>

static void bugframes_fn(const void *regs)
{
    (void)regs;
}

int bugframes_major_version(void)
{
    volatile int v = 4;
    unsigned int r;

    WARN_ON(v != 4);
    ASSERT(v == 4);
    if (v == 5)
        run_in_exception_handler(bugframes_fn);
    xsplice_alternative_io("xor %k0, %k0", "mov $4, %k0", 0, "=r"(r));
    return (int)r + v - 4;
}

XSPLICE_PATCH(xen_major_version, bugframes_major_version);
