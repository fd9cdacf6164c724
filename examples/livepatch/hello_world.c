/*
 * The regression hot-patch hello_world (after Xen's xen/test/livepatch/xen_hello_world.c):
 * replaces xen_extra_version() of the running hypervisor, so `xl info` shows
 * "xen_extra : Hello World". Built with `xsplice-build cfile hello_world.c --target xen-syms`
 * (the reference hypervisor) or `--target xen.gz` (a distribution's Xen).
 *
 * Like Xen's, it carries load and unload hooks (run on the master CPU inside the rendezvous,
 * they print to `xl dmesg`) and an .ex_table fixup: the replacement reads through a
 * non-canonical address, the fault is fixed up from this payload's own exception table, and
 * only then does it answer "Hello World". A WARN_ON guards that answer, so the payload also
 * carries a bug frame, registered with its region when it is loaded.
 */
#include <xsplice/livepatch.h>

static const char hello_world_patch_this_fnc[] = "Hello World";

/* Reads *p; a fault continues at the fixup, which returns -EFAULT (-14). */
static long hello_world_probe(const unsigned long *p)
{
    long rc = 0;
    unsigned long v;

    asm volatile("1: mov (%2), %1\n"
                 "2:\n"
                 ".pushsection .fixup, \"ax\"\n"
                 "3: mov $-14, %0\n"
                 "   jmp 2b\n"
                 ".popsection\n"
                 ".pushsection .ex_table, \"a\"\n"
                 ".balign 4\n"
                 ".long 1b - .\n"
                 ".long 3b - .\n"
                 ".popsection\n"
                 : "+r"(rc), "=&r"(v) : "r"(p) : "memory");
    return rc;
}

const char *xen_hello_world(void)
{
    /* The WARN_ON's bug frame (.bug_frames.1) travels in the payload as in Xen's hello_world;
     * it fires only if the fixup did not. */
    if (WARN_ON(hello_world_probe((const unsigned long *)0xdead000000000000UL) != -14))
        return "no fixup";
    return hello_world_patch_this_fnc;
}

static void hello_world_load(void)
{
    printk("hello_world: load hook executing\n");
}

static void hello_world_unload(void)
{
    printk("hello_world: unload hook executing\n");
}

XSPLICE_PATCH(xen_extra_version, xen_hello_world);
XSPLICE_LOAD_HOOK(hello_world_load);
XSPLICE_UNLOAD_HOOK(hello_world_unload);
XSPLICE_MODINFO(version, "1.0");
