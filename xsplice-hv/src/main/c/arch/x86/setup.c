/* Boot (Xen: xen/arch/x86/setup.c __start_xen(), smpboot.c). */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/console.h>
#include <xen/livepatch.h>
#include <xen/sched.h>
#include <xen/setup.h>
#include <xen/symbols.h>
#include <xen/version.h>
#include <asm/alternative.h>
#include <asm/extable.h>
#include <pthread.h>
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

struct xsplice_ctl xsplice_ctl __aligned(PAGE_SIZE);
struct cpu_info cpu_info[NR_CPUS];
struct cpu_stats cpu_stats[NR_CPUS] __aligned(SMP_CACHE_BYTES);
unsigned int nr_cpu_ids = 4;
unsigned int workload_batch = 256;
unsigned int workload_idle_us = 1000;
uint64_t bench_exits;
static char opt_name[64] = "xen";
static const char *opt_cpuid;
static const char *opt_selftest;

/* Where payloads go: inside the image (NOBITS, so it costs nothing until touched) and hence
 * within +-2 GiB of every hypervisor function, as rel32 jumps and PC32 relocations need. */
char xsplice_payload_area[PAYLOAD_AREA_SIZE] __aligned(PAGE_SIZE);

#define CPU_STACK_SIZE (256UL * 1024)

static __attribute__((noreturn)) void usage(const char *msg)
{
    fprintf(stderr, "xen-syms: %s\nusage: xen-syms [--cpus N] [--name NAME] [--workload busy|normal|idle] [--bench-exits N] [--cpuid no-NAME,...] [--selftest run_fn|warn|bug|assert]\n", msg);
    exit(XSPLICE_EXIT_USAGE);
}

static void set_workload(const char *w)
{
    if (!strcmp(w, "busy")) {
        workload_batch = 1024;
        workload_idle_us = 0;
    } else if (!strcmp(w, "normal")) {
        workload_batch = 256;
        workload_idle_us = 1000;
    } else if (!strcmp(w, "idle")) {
        workload_batch = 0;
        workload_idle_us = 0;
    } else {
        usage("unknown workload");
    }
}

static void parse_cmdline(int argc, char **argv)
{
    size_t o = 0;
    for (int i = 1; i < argc; i++)
        o += (size_t)snprintf(xen_commandline + o, o < sizeof(xen_commandline) ? sizeof(xen_commandline) - o : 0,
                              "%s%s", i > 1 ? " " : "", argv[i]);
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(opt, "--cpus") && val) {
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || n < 1 || n > NR_CPUS)
                usage("--cpus must be 1..64");
            nr_cpu_ids = (unsigned int)n;
        } else if (!strcmp(opt, "--name") && val) {
            snprintf(opt_name, sizeof(opt_name), "%s", val);
        } else if (!strcmp(opt, "--workload") && val) {
            set_workload(val);
        } else if (!strcmp(opt, "--cpuid") && val) {
            opt_cpuid = val;
        } else if (!strcmp(opt, "--selftest") && val) {
            opt_selftest = val;
        } else if (!strcmp(opt, "--bench-exits") && val) {
            bench_exits = strtoull(val, NULL, 10);
            if (!bench_exits)
                usage("--bench-exits must be positive");
        } else {
            usage("unknown option");
        }
        i++;
    }
}

static void *cpu_start(void *arg)
{
    struct cpu_info *ci = arg;
    percpu_traps_init((uint64_t)(uintptr_t)ci->stack, (uint64_t)(uintptr_t)ci->stack + ci->stack_size);
    return cpu_loop(ci);
}

static void prepare_cpus(void)
{
    for (unsigned int c = 0; c < nr_cpu_ids; c++) {
        struct cpu_info *ci = &cpu_info[c];
        /* A guard page below each stack turns an overflow into a crash, not corruption. */
        uint8_t *m = mmap(NULL, CPU_STACK_SIZE + PAGE_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (m == MAP_FAILED || mprotect(m, PAGE_SIZE, PROT_NONE))
            panic("cannot allocate the stack of CPU%u", c);
        ci->cpu = c;
        ci->stack = m + PAGE_SIZE;
        ci->stack_size = CPU_STACK_SIZE;
        ci->ipi_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (ci->ipi_fd < 0)
            panic("cannot create the IPI eventfd of CPU%u (errno %d)", c, errno);
        xsplice_ctl.ipi_fd[c] = ci->ipi_fd;
    }
}

void start_secondary_cpus(void)
{
    for (unsigned int c = 0; c < nr_cpu_ids; c++) {
        pthread_attr_t attr;
        char tname[16];
        pthread_attr_init(&attr);
        pthread_attr_setstack(&attr, cpu_info[c].stack, cpu_info[c].stack_size);
        if (pthread_create(&cpu_info[c].thread, &attr, cpu_start, &cpu_info[c]))
            panic("cannot start CPU%u", c);
        pthread_attr_destroy(&attr);
        snprintf(tname, sizeof(tname), "cpu%u", c);
        pthread_setname_np(cpu_info[c].thread, tname);
    }
    printk("Brought up %u CPUs\n", nr_cpu_ids);
}

static void main_thread_stack(void)
{
    pthread_attr_t attr;
    void *lo;
    size_t size;
    pthread_getattr_np(pthread_self(), &attr);
    pthread_attr_getstack(&attr, &lo, &size);
    pthread_attr_destroy(&attr);
    percpu_traps_init((uint64_t)(uintptr_t)lo, (uint64_t)(uintptr_t)lo + size);
}

static void selftest_fn(const struct cpu_trap_regs *regs)
{
    printk("selftest: run_in_exception_handler called with rip %#lx\n", (unsigned long)regs->gregs[REG_RIP]);
}

/*
 * Test aid (not in Xen): `--selftest KIND` makes the boot CPU take one bug frame of that kind
 * before the hypervisor reports READY, so a test sees WARN and run_fn continue and BUG and
 * ASSERT crash with Xen's report, through the real trap path.
 */
static noinline void selftest(const char *kind)
{
    volatile unsigned int boot_cpus = nr_cpu_ids;

    if (!strcmp(kind, "run_fn"))
        run_in_exception_handler(selftest_fn);
    else if (!strcmp(kind, "warn"))
        WARN_ON(boot_cpus > 0);
    else if (!strcmp(kind, "bug"))
        BUG_ON(boot_cpus > 0);
    else if (!strcmp(kind, "assert"))
        ASSERT(boot_cpus == 0);
    else
        usage("unknown --selftest");
    printk("selftest: %s continued\n", kind);
}

static void run_bench(void)
{
    s_time_t t0 = NOW();
    for (unsigned int c = 0; c < nr_cpu_ids; c++)
        pthread_join(cpu_info[c].thread, NULL);
    s_time_t dt = NOW() - t0;
    uint64_t total = 0;
    for (unsigned int c = 0; c < nr_cpu_ids; c++)
        total += cpu_stats[c].exits;
    /* Machine-readable line for bench/hv-exit-path. */
    printf("bench cpus=%u exits=%lu ns=%lld exits_per_s_per_cpu=%.0f ns_per_exit=%.2f\n",
           nr_cpu_ids, (unsigned long)total, (long long)dt,
           (double)total / nr_cpu_ids / ((double)dt / 1e9), (double)dt * nr_cpu_ids / (double)total);
    exit(XSPLICE_EXIT_OK);
}

int main(int argc, char **argv)
{
    parse_cmdline(argc, argv);
    console_init();
    printk("Xen version %u.%u%s (%s@%s) (%s) %s\n", xen_major_version(), xen_minor_version(),
           xen_extra_version(), xen_compile_by(), xen_compile_domain(), xen_compiler(), xen_compile_date());
    printk("Latest ChangeSet: %s\n", xen_changeset());
    printk("Command line: %s\n", xen_commandline);
    traps_init();
    main_thread_stack();
    symbols_init();
    sort_exception_tables();
    xen_build_init();
    init_time();
    identify_cpu(opt_cpuid);
    alternative_instructions();
    prepare_cpus();
    domain_init();
    livepatch_init();

    xsplice_ctl.abi_version = XSPLICE_ABI_VERSION;
    xsplice_ctl.nr_cpus = nr_cpu_ids;
    xsplice_ctl.payload_area = (uint64_t)(uintptr_t)xsplice_payload_area;
    xsplice_ctl.payload_area_size = PAYLOAD_AREA_SIZE;
    xsplice_ctl.pid = (uint64_t)getpid();
    xsplice_ctl.doorbell_fd = eventfd(0, EFD_CLOEXEC);
    xsplice_ctl.completion_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (xsplice_ctl.doorbell_fd < 0 || xsplice_ctl.completion_fd < 0)
        panic("cannot create the control eventfds (errno %d)", errno);
    printk("livepatch: payload area %#lx-%#lx, rendezvous block at %p\n",
           (unsigned long)xsplice_ctl.payload_area,
           (unsigned long)(xsplice_ctl.payload_area + PAYLOAD_AREA_SIZE), (void *)&livepatch_rendezvous);

    start_secondary_cpus();
    if (bench_exits)
        run_bench();
    if (opt_selftest)
        selftest(opt_selftest);
    printk("Hypervisor '%s' ready: %u CPUs, workload %u exits/burst, idle %u us\n", opt_name,
           nr_cpu_ids, workload_batch, workload_idle_us);
    /* Release: every field above is visible to a supervisor that reads READY. */
    store_release(&xsplice_ctl.boot_state, XSPLICE_BOOT_READY);
    platform_op_loop();
    return 0;
}
