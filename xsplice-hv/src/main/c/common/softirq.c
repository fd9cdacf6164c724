/* Softirqs (Xen: xen/common/softirq.c): deferred per-CPU work run on the way back to a guest. */
#include <xen/config.h>
#include <xen/softirq.h>
#include <xen/sched.h>

static struct { uint64_t ticks; } __aligned(SMP_CACHE_BYTES) timer_ticks[NR_CPUS];

void raise_softirq(unsigned int nr)
{
    cpu_info[smp_processor_id()].softirq_pending |= 1u << nr;
}

static noinline void timer_softirq_action(unsigned int cpu)
{
    timer_ticks[cpu].ticks++;
}

static noinline void schedule(unsigned int cpu)
{
    struct cpu_info *ci = &cpu_info[cpu];
    ci->next_vcpu = (ci->next_vcpu + 1) % NR_DOMAINS;
}

void do_softirq(void)
{
    unsigned int cpu = smp_processor_id();
    struct cpu_info *ci = &cpu_info[cpu];
    unsigned int pending = ci->softirq_pending;

    if (likely(!pending))
        return;
    ci->softirq_pending = 0;
    cpu_stats[cpu].softirqs++;
    if (pending & (1u << TIMER_SOFTIRQ))
        timer_softirq_action(cpu);
    if (pending & (1u << SCHEDULE_SOFTIRQ))
        schedule(cpu);
}
