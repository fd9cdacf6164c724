/* Debug keys (Xen: xen/common/keyhandler.c); `xl debug-keys K` reaches them via sysctl. */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/keyhandler.h>
#include <xen/livepatch.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <asm/bitops.h>

typedef void keyhandler_fn_t(unsigned char key);

struct keyhandler {
    keyhandler_fn_t *fn;
    const char *desc;
};

static void show_handlers(unsigned char key);
static void dump_domains(unsigned char key);
static void dump_runq(unsigned char key);
static void dump_perfc(unsigned char key);
static void read_clocks(unsigned char key);
static void do_crash_key(unsigned char key);

static const struct keyhandler key_table[128] = {
    ['C'] = { do_crash_key,       "trigger a crashdump" },
    ['h'] = { show_handlers,      "show this message" },
    ['p'] = { dump_perfc,         "dump software performance counters" },
    ['q'] = { dump_domains,       "dump domain (and guest debug) info" },
    ['r'] = { dump_runq,          "dump run queues" },
    ['t'] = { read_clocks,        "display multi-cpu clock info" },
    ['x'] = { livepatch_printall, "print livepatch info" },
};

static void show_handlers(unsigned char key)
{
    printk("'%c' pressed -> showing installed handlers\n", key);
    for (unsigned int i = 0; i < ARRAY_SIZE(key_table); i++)
        if (key_table[i].fn)
            printk(" key '%c' (ascii '%02x') => %s\n", i, i, key_table[i].desc);
}

static void dump_domains(unsigned char key)
{
    printk("'%c' pressed -> dumping domain info (now = %lld)\n", key, (long long)NOW());
    for (unsigned int i = 0; i < NR_DOMAINS; i++) {
        const struct domain *d = &domains[i];
        uint64_t hc = 0;
        ASSERT(d->max_vcpus <= NR_CPUS);
        for (unsigned int v = 0; v < d->max_vcpus; v++)
            hc += d->vcpu[v].hypercalls;
        printk("General information for domain %u: %s %s\n", d->domain_id, d->name,
               d->type == GUEST_HVM ? "HVM" : "PV");
        printk("    nr_pages=%lu max_vcpus=%u hypercalls=%lu\n",
               (unsigned long)d->tot_pages, d->max_vcpus, (unsigned long)hc);
    }
}

static void dump_runq(unsigned char key)
{
    printk("'%c' pressed -> dumping run queues\n", key);
    for (unsigned int c = 0; c < nr_cpu_ids; c++)
        printk("CPU[%02u] next=d%u idle=%lu\n", c, cpu_info[c].next_vcpu,
               (unsigned long)cpu_stats[c].idle);
}

static void dump_perfc(unsigned char key)
{
    uint64_t online = nr_cpu_ids >= 64 ? ~0ULL : (1ULL << nr_cpu_ids) - 1;

    printk("'%c' pressed -> dumping perf counters\n", key);
    WARN_ON(!nr_cpu_ids);
    printk("online CPUs: %u (hweight via %s)\n", hweight64(online), popcnt_patched() ? "popcnt" : "generic");
    for (unsigned int c = 0; c < nr_cpu_ids; c++) {
        const struct cpu_stats *s = &cpu_stats[c];
        printk("CPU%u: exits %lu hypercalls %lu vmexits %lu pv %lu efault %lu softirq %lu wakeups %lu dom0 %lu\n",
               c, (unsigned long)s->exits, (unsigned long)s->hypercalls, (unsigned long)s->vmexits,
               (unsigned long)s->pv_hypercalls, (unsigned long)s->efaults, (unsigned long)s->softirqs,
               (unsigned long)s->wakeups, (unsigned long)s->dom0_ops);
    }
}

static void read_clocks(unsigned char key)
{
    printk("'%c' pressed -> Synced stime skew: max=0ns avg=0ns samples=1 current=0ns\n", key);
    printk("NOW=%lld cpu_khz=%lu\n", (long long)NOW(), cpu_khz);
}

/* Deliberately faults with no exception-table entry: the hypervisor must crash, report and stop. */
static void do_crash_key(unsigned char key)
{
    printk("'%c' pressed -> triggering crashdump\n", key);
    uint64_t *volatile bad = (uint64_t *)(uintptr_t)0x18;
    *bad = key;
}

void handle_keypress(unsigned char key)
{
    if (key < ARRAY_SIZE(key_table) && key_table[key].fn)
        key_table[key].fn(key);
    else
        printk("'%c' pressed -> no handler\n", key);
}
