/* Time (Xen: xen/arch/x86/time.c): NOW() and the TSC frequency measured at boot. */
#include <xen/config.h>
#include <xen/lib.h>
#include <time.h>
#include <x86intrin.h>

unsigned long cpu_khz;

s_time_t NOW(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (s_time_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void init_time(void)
{
    s_time_t t0 = NOW(), t1;
    uint64_t c0 = __rdtsc(), c1;
    struct timespec d = { 0, 20 * 1000000L };

    nanosleep(&d, NULL);
    t1 = NOW();
    c1 = __rdtsc();
    cpu_khz = (unsigned long)((c1 - c0) * 1000000ULL / (uint64_t)(t1 - t0));
    printk("Detected %lu.%03lu MHz processor.\n", cpu_khz / 1000, cpu_khz % 1000);
}
