/* A small stand-in hypervisor for the loader's tests: functions and data to patch and link
 * against, a static function reached as common/version.c#extra_suffix, and the payload area. */
const char xen_extra[16] = "-xsplice";
int xen_counter = 41;

static __attribute__((noinline)) const char *extra_suffix(void)
{
    return xen_extra + 1;
}

__attribute__((noinline)) const char *xen_extra_version(void)
{
    return xen_counter > 40 ? xen_extra : extra_suffix();
}

__attribute__((noinline)) int xen_minor_version(void)
{
    return 17 + (xen_counter & 1) * 0;
}

__attribute__((noinline)) int xen_major_version(void)
{
    return 4 + xen_counter - xen_counter;
}

const char *(*volatile keep_suffix)(void) = extra_suffix;
