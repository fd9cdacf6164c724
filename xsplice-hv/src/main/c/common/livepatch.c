/*
 * The hypervisor's half of live patching (Xen: xen/common/livepatch.c): the rendezvous
 * point every pCPU passes, the registry of payload regions the driver fills in, and the
 * 'x' debug key. Loading and patching are done by the driver (the Java side) through
 * memory writes; see include/public/xsplice.h for the protocol.
 */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/livepatch.h>
#include <xen/sched.h>
#include <xen/setup.h>
#include <cpuid.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct livepatch_rendezvous livepatch_rendezvous __aligned(SMP_CACHE_BYTES);
struct livepatch_region_table *livepatch_regions;
uint64_t livepatch_regions_gen;

_Static_assert(sizeof(struct livepatch_cpu) == 128, "livepatch_cpu layout");
_Static_assert(sizeof(struct livepatch_rendezvous) == 128 + 128 * NR_CPUS, "rendezvous layout");
_Static_assert(sizeof(struct livepatch_region) == 64, "region layout");
_Static_assert(sizeof(struct livepatch_symbol) == 24, "symbol layout");
_Static_assert(sizeof(struct exception_table_entry) == 8, "extable layout");
_Static_assert(sizeof(struct xsplice_mbox) == XSPLICE_MBOX_SIZE, "mbox layout");
_Static_assert(sizeof(struct xsplice_ctl) == 1024, "ctl layout");
_Static_assert(sizeof(struct cpu_stats) == 128, "cpu_stats layout");
_Static_assert(sizeof(struct livepatch_handle_fstate) == 96, "fstate layout");
_Static_assert(sizeof(struct livepatch_handle) == 64, "payload handle layout");

/* /proc/self/mem, opened at boot: text is written through it, so no text page is ever
 * writable inside the process (the supervisor writes the same way through /proc/PID/mem). */
static int livepatch_mem_fd = -1;
/* Non-zero only while the master runs a master call: the one time text may change. */
static int livepatch_master_calling;

#define STUCK_LIMIT_DEFAULT_NS 2000000000LL

static inline uint64_t current_stack_pointer(void)
{
    uint64_t sp;
    asm volatile ("mov %%rsp, %0" : "=r"(sp));
    return sp;
}

/* cpuid is architecturally serialising: code another agent modified is refetched. */
static inline void serialise(void)
{
    unsigned int a, b, c, d;
    __cpuid(0, a, b, c, d);
    asm volatile ("" : : "r"(a), "r"(b), "r"(c), "r"(d) : "memory");
}

/*
 * Wait politely: spin briefly, then sleep on this CPU's IPI eventfd in 1 ms slices. There may
 * be more pCPU threads than host cores, and the CPUs still on their way (and the driver) need
 * those cores. The driver kicks every CPU after the release, so the slice only bounds the
 * delay for a driver that does not.
 */
static inline void rendezvous_relax(unsigned int *spins)
{
    if (++*spins < 256) {
        cpu_relax();
        return;
    }
    struct pollfd pfd = { .fd = cpu_info[smp_processor_id()].ipi_fd, .events = POLLIN };
    struct timespec slice = { 0, 1000 * 1000 };
    if (ppoll(&pfd, 1, &slice, NULL) > 0) {
        uint64_t v;
        ssize_t n = read(pfd.fd, &v, sizeof(v));
        (void)n;
    }
}

/* Only code in the payload area is called, as for the control mailbox's CALL op. */
static bool in_payload_area(uint64_t fn)
{
    uint64_t area = (uint64_t)(uintptr_t)xsplice_payload_area;

    return fn >= area && fn < area + PAYLOAD_AREA_SIZE;
}

/*
 * Runs the call the driver posted (see include/public/xsplice.h, "Master call") on this, the
 * master CPU, while every other CPU stays parked (Xen runs load/unload and action hooks in
 * livepatch_do_action() the same way). Acquire on call_seq: fn/arg/kind written before it are
 * seen; release on call_done: the driver that sees it also sees call_rc and every write the
 * call made.
 */
static noinline void master_call(struct livepatch_rendezvous *r)
{
    uint64_t seq = load_acquire(&r->call_seq);
    uint64_t fn = ACCESS_ONCE(r->call_fn);
    int64_t rc;

    if (!in_payload_area(fn)) {
        rc = -EPERM;
    } else if (ACCESS_ONCE(r->call_kind) == LIVEPATCH_CALL_ACTION) {
        livepatch_master_calling = 1;
        rc = ((int (*)(void *))(uintptr_t)fn)((void *)(uintptr_t)ACCESS_ONCE(r->call_arg));
        livepatch_master_calling = 0;
    } else {
        livepatch_master_calling = 1;
        ((void (*)(void))(uintptr_t)fn)();
        livepatch_master_calling = 0;
        rc = 0;
    }
    ACCESS_ONCE(r->call_rc) = rc;
    store_release(&r->call_done, seq);
}

/* Writes hypervisor text (or read-only data) through /proc/self/mem; -errno on failure. */
static int livepatch_text_write(uint64_t addr, const uint8_t *bytes, uint32_t len)
{
    ssize_t n = pwrite(livepatch_mem_fd, bytes, len, (off_t)addr);

    if (n < 0)
        return -errno;
    return n == (ssize_t)len ? 0 : -EIO;
}

static int livepatch_func_check(const struct livepatch_handle_fstate *state)
{
    if (!livepatch_master_calling || smp_processor_id() != LIVEPATCH_MASTER_CPU)
        return -EPERM;               /* text changes only while every other CPU is parked */
    if (!state || !state->len || state->len > LIVEPATCH_INSN_MAX)
        return -EINVAL;
    return 0;
}

/*
 * The hypervisor API for action hooks (Xen: common_livepatch_apply/revert): patch or restore
 * one function of the payload, updating its state. Valid only inside an apply/revert action
 * hook (on the master, every other CPU parked): -EPERM elsewhere. Applying an applied function
 * or reverting a reverted one changes nothing and returns 0.
 */
int common_livepatch_apply(const void *func, struct livepatch_handle_fstate *state)
{
    int rc = livepatch_func_check(state);

    (void)func;
    if (rc || state->applied == LIVEPATCH_FUNC_APPLIED)
        return rc;
    memcpy(state->insn_buffer, (const void *)(uintptr_t)state->patch_addr, state->len);
    rc = livepatch_text_write(state->patch_addr, state->patch, state->len);
    if (!rc)
        state->applied = LIVEPATCH_FUNC_APPLIED;
    return rc;
}

int common_livepatch_revert(const void *func, struct livepatch_handle_fstate *state)
{
    int rc = livepatch_func_check(state);

    (void)func;
    if (rc || state->applied != LIVEPATCH_FUNC_APPLIED)
        return rc;
    rc = livepatch_text_write(state->patch_addr, state->insn_buffer, state->len);
    if (!rc)
        state->applied = LIVEPATCH_FUNC_NOT_APPLIED;
    return rc;
}

/*
 * The slow path of check_for_livepatch_work(): park here until the driver releases this
 * CPU. Kept out of line (and out of the hot exit paths) so the check itself is one load.
 */
noinline __attribute__((cold)) void do_livepatch_work(void)
{
    struct livepatch_rendezvous *r = &livepatch_rendezvous;
    unsigned int cpu = smp_processor_id();
    struct livepatch_cpu *c = &r->cpu[cpu];
    /* Acquire: deadline/acting/cpu_action written before generation are seen. */
    uint64_t gen = load_acquire(&r->generation);
    unsigned int spins = 0;
    bool released = false;
    s_time_t t0, limit;

    if (!gen || ACCESS_ONCE(c->left) == gen)
        return;                          /* flag still up from a rendezvous we already left */

    c->sp = current_stack_pointer();
    c->fp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
    c->pc = (uint64_t)(uintptr_t)__builtin_return_address(0);
    t0 = NOW();
    /* Release: the driver that sees arrived == gen also sees sp/fp/pc. */
    store_release(&c->arrived, gen);

    for (;;) {
        if (load_acquire(&r->release) == gen) {
            released = true;
            break;
        }
        if (load_acquire(&r->acting) == gen) {
            if (cpu == LIVEPATCH_MASTER_CPU && load_acquire(&r->call_seq) != ACCESS_ONCE(r->call_done)) {
                master_call(r);
                spins = 0;
                continue;
            }
            limit = ACCESS_ONCE(r->stuck_limit_ns) ? (s_time_t)r->stuck_limit_ns : STUCK_LIMIT_DEFAULT_NS;
            if (NOW() - t0 > limit)
                panic("livepatch: CPU%u parked for rendezvous %lu, not released after %lld ms",
                      cpu, (unsigned long)gen, (long long)(limit / 1000000));
        } else if (NOW() > (s_time_t)ACCESS_ONCE(r->deadline)) {
            /* Leave at the deadline, unless the driver committed meanwhile. Dekker with the
             * driver's "store acting; load arrived": the fence orders our store before our
             * load, so at least one side sees the other's write. */
            store_release(&c->arrived, 0);
            smp_mb();
            if (ACCESS_ONCE(r->acting) == gen) {
                store_release(&c->arrived, gen);
                continue;
            }
            c->timeouts++;
            break;
        }
        rendezvous_relax(&spins);
    }

    if (released) {
        if (ACCESS_ONCE(r->cpu_action) == LIVEPATCH_CPU_ACTION_UCODE)
            c->ucode_rev = ACCESS_ONCE(r->ucode_rev);
        store_release(&c->action_done, gen);
        c->rendezvous++;
    }
    c->wait_ns = (uint64_t)(NOW() - t0);
    store_release(&c->left, gen);
    serialise();
}

/*
 * Test aids for the stack check (not in Xen): a dom0 sysctl makes the CPU running it sleep
 * `ms` milliseconds inside xsplice_test_sleeper(), in 1 ms naps that each pass the rendezvous
 * check. A rendezvous meanwhile finds this CPU parked with xsplice_test_nap() as the caller of
 * do_livepatch_work() (its pc) and xsplice_test_sleeper() one frame further up, so patching
 * either must be refused until the sleep is over. Both are noinline with frame pointers, so
 * the rbp chain names them.
 */
noinline void xsplice_test_nap(void)
{
    struct timespec ts = { 0, 1000 * 1000 };

    check_for_livepatch_work();
    nanosleep(&ts, NULL);
    asm volatile ("" ::: "memory");       /* keep the call a call, not a tail jump */
}

/* Number of CPUs inside xsplice_test_sleeper() (tests read it by symbol to know it started). */
uint64_t xsplice_test_sleeping;

noinline uint64_t xsplice_test_sleeper(uint64_t ms)
{
    s_time_t end = NOW() + (s_time_t)ms * 1000000;
    uint64_t naps = 0;

    __atomic_add_fetch(&xsplice_test_sleeping, 1, __ATOMIC_RELEASE);
    while (NOW() < end) {
        xsplice_test_nap();
        naps++;
    }
    __atomic_sub_fetch(&xsplice_test_sleeping, 1, __ATOMIC_RELEASE);
    return naps;
}

void livepatch_init(void)
{
    livepatch_mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
    if (livepatch_mem_fd < 0)
        panic("livepatch: cannot open /proc/self/mem (errno %d)", errno);
    livepatch_rendezvous.nr_cpus = nr_cpu_ids;
    for (unsigned int i = 0; i < nr_cpu_ids; i++) {
        livepatch_rendezvous.cpu[i].stack_lo = (uint64_t)(uintptr_t)cpu_info[i].stack;
        livepatch_rendezvous.cpu[i].stack_hi = (uint64_t)(uintptr_t)cpu_info[i].stack + cpu_info[i].stack_size;
    }
}

/* Binary search by text_start over the table published last (acquire: its contents are
 * complete before the pointer was stored). */
const struct livepatch_region *livepatch_find_region(uint64_t addr)
{
    const struct livepatch_region_table *t = load_acquire(&livepatch_regions);
    uint64_t lo = 0, hi;

    if (!t)
        return NULL;
    hi = t->nr;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        const struct livepatch_region *r = &t->region[mid];
        if (addr < r->text_start)
            hi = mid;
        else if (addr >= r->text_end)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

/* The payload symbol covering addr in r's sorted symbol list, or NULL. */
const struct livepatch_symbol *livepatch_symbol(const struct livepatch_region *r, uint64_t addr)
{
    const struct livepatch_symbol *s = (const struct livepatch_symbol *)(uintptr_t)r->symtab;
    uint64_t lo = 0, hi = r->nr_symtab;

    while (lo < hi) {                        /* last symbol with value <= addr */
        uint64_t mid = lo + (hi - lo) / 2;
        if (s[mid].value <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return NULL;
    s = &s[lo - 1];
    return addr < s->value + (s->size ? s->size : 1) ? s : NULL;
}

/* Debug key 'x' (Xen: livepatch_printall()). The driver gives each region the text to print
 * in Xen's format; without one the region's bounds are shown. */
void livepatch_printall(unsigned char key)
{
    const struct livepatch_region_table *t = load_acquire(&livepatch_regions);

    printk("'%c' pressed - Dumping all livepatch patches\n", key);
    if (!t || !t->nr) {
        printk("No patches loaded\n");
        return;
    }
    for (uint64_t i = 0; i < t->nr; i++) {
        const struct livepatch_region *r = &t->region[i];
        if (r->dump)
            printk("%s", (const char *)(uintptr_t)r->dump);
        else
            printk("name=%s text=%#lx-%#lx extable=%lu symbols=%lu\n",
                   r->name ? (const char *)(uintptr_t)r->name : "?",
                   (unsigned long)r->text_start, (unsigned long)r->text_end,
                   (unsigned long)r->nr_extable, (unsigned long)r->nr_symtab);
    }
}
