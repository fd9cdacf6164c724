/*
 * The hypervisor's half of live patching (Xen: xen/common/livepatch.c): the rendezvous
 * point every pCPU passes, the master CPU that carries out an action's text writes while
 * every other CPU is parked and publishes the new patch state, the registry of payload
 * regions the driver fills in, and the 'x' debug key. Loading, planning and the stack check
 * are done by the driver (the Java side); see include/public/xsplice.h for the protocol.
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
struct livepatch_state livepatch_state __aligned(SMP_CACHE_BYTES);

/* The core's own /proc/self/mem, opened at boot: the master writes text through it, so no
 * text page is ever made writable (a write through it ignores page protections). */
static int self_mem_fd = -1;

_Static_assert(sizeof(struct livepatch_cpu) == 128, "livepatch_cpu layout");
_Static_assert(sizeof(struct livepatch_rendezvous) == 128 + 128 * NR_CPUS, "rendezvous layout");
_Static_assert(sizeof(struct livepatch_region) == 128, "region layout");
_Static_assert(offsetof(struct livepatch_region, bug_frames) == 64, "region bug frames");
_Static_assert(offsetof(struct livepatch_region, nr_bug_frames) == 96, "region bug frame counts");
_Static_assert(sizeof(struct livepatch_symbol) == 24, "symbol layout");
_Static_assert(sizeof(struct exception_table_entry) == 8, "extable layout");
_Static_assert(sizeof(struct xsplice_mbox) == XSPLICE_MBOX_SIZE, "mbox layout");
_Static_assert(sizeof(struct xsplice_ctl) == 1024, "ctl layout");
_Static_assert(sizeof(struct cpu_stats) == 128, "cpu_stats layout");
_Static_assert(offsetof(struct livepatch_rendezvous, master) == 64, "rendezvous master layout");
_Static_assert(offsetof(struct livepatch_rendezvous, cpu) == 128, "rendezvous cpu layout");
_Static_assert(sizeof(struct livepatch_write) == 128, "write layout");
_Static_assert(sizeof(struct livepatch_work) == 64, "work layout");
_Static_assert(sizeof(struct livepatch_state) == 64, "state layout");
_Static_assert(sizeof(struct livepatch_fstate) == 48, "fstate layout");
_Static_assert(sizeof(struct livepatch_record) == 256, "record layout");
_Static_assert(offsetof(struct livepatch_record, applied_pos) == 224, "record layout");
_Static_assert(sizeof(struct livepatch_record_table) == 64, "record table layout");
_Static_assert(sizeof(struct livepatch_step) == 32, "step layout");
_Static_assert(sizeof(struct livepatch_handle_fstate) == 96, "handle fstate layout");
_Static_assert(sizeof(struct livepatch_handle) == 64, "handle layout");

/* Non-zero only on the master's thread while it runs an action hook: the one time the hook
 * API may patch (thread-local, so a pre/post hook on the control thread never sees it). */
static __thread int livepatch_in_action_hook;
_Static_assert(64 + 128 * LIVEPATCH_WORK_MAX <= XSPLICE_WORK_SIZE, "work list fits its buffer");
_Static_assert(XSPLICE_STATE_OFFSET + XSPLICE_WORK_SIZE + 2 * XSPLICE_TABLE_SIZE == XSPLICE_META_SIZE, "meta region");

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

static void kick_all(void)
{
    uint64_t one = 1;

    for (unsigned int i = 0; i < nr_cpu_ids; i++) {
        /* A failed kick only delays that CPU by one 1 ms sleep slice. */
        ssize_t n = write(cpu_info[i].ipi_fd, &one, sizeof(one));
        (void)n;
    }
}

extern const char __executable_start[], _etext[];

/* Only hypervisor text or the payload area may be written (and read without a fault): a
 * work list naming anything else is refused before anything is touched. */
static bool writable_range(uint64_t addr, uint32_t len)
{
    uint64_t text = (uint64_t)(uintptr_t)__executable_start, etext = (uint64_t)(uintptr_t)_etext;
    uint64_t area = (uint64_t)(uintptr_t)xsplice_payload_area;

    if (addr + len < addr)
        return false;
    return (addr >= text && addr + len <= etext) || (addr >= area && addr + len <= area + PAYLOAD_AREA_SIZE);
}

/* Restores writes last..0, newest first, so overlapping writes unwind in order. */
static void restore_writes(const struct livepatch_work *w, int64_t last)
{
    for (int64_t i = last; i >= 0; i--) {
        const struct livepatch_write *x = &w->write[i];
        ssize_t n = pwrite(self_mem_fd, x->expect, x->len, (off_t)x->addr);
        (void)n;                          /* nothing better to do: the verify below fails then */
    }
}

/* Only code in the payload area is called, as for the control mailbox's CALL op. */
static bool in_payload_area(uint64_t fn)
{
    uint64_t area = (uint64_t)(uintptr_t)xsplice_payload_area;

    return fn >= area && fn < area + PAYLOAD_AREA_SIZE;
}

static struct livepatch_handle_fstate *handle_fstate(uint64_t handle, uint32_t k)
{
    const struct livepatch_handle *h = (const struct livepatch_handle *)(uintptr_t)handle;

    return &((struct livepatch_handle_fstate *)(uintptr_t)h->fstate)[k];
}

/* The function k of step s is its write from + k when applying, to - 1 - k when reverting. */
static uint32_t step_write(const struct livepatch_step *s, uint32_t k)
{
    return s->apply ? s->from + k : s->to - 1 - k;
}

/* Sets every fstate of the steps' handles to what it was before the action. */
static void restore_states(const struct livepatch_step *st, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (!st[i].handle || st[i].kind == LIVEPATCH_STEP_CALL)
            continue;
        for (uint32_t k = 0; k < st[i].to - st[i].from; k++)
            handle_fstate(st[i].handle, k)->applied = st[i].apply ? LIVEPATCH_FUNC_NOT_APPLIED : LIVEPATCH_FUNC_APPLIED;
    }
}

/* The default action of one payload: compare, write, and keep its handle's fstate current. */
static int run_writes(const struct livepatch_work *w, const struct livepatch_step *s, int64_t *failed)
{
    for (uint32_t i = s->from; i < s->to; i++) {
        const struct livepatch_write *x = &w->write[i];
        if ((x->flags & LIVEPATCH_WRITE_CHECK_LIVE) && memcmp((const void *)(uintptr_t)x->addr, x->expect, x->len)) {
            *failed = i;
            return -ESTALE;
        }
    }
    for (uint32_t i = s->from; i < s->to; i++) {
        const struct livepatch_write *x = &w->write[i];
        ssize_t r = pwrite(self_mem_fd, x->bytes, x->len, (off_t)x->addr);
        if (r != (ssize_t)x->len) {
            *failed = i;
            return r < 0 ? -errno : -EIO;
        }
    }
    if (s->handle) {
        for (uint32_t k = 0; k < s->to - s->from; k++) {
            struct livepatch_handle_fstate *f = handle_fstate(s->handle, k);
            if (s->apply)
                memcpy(f->insn_buffer, w->write[step_write(s, k)].expect, w->write[step_write(s, k)].len);
            f->applied = s->apply ? LIVEPATCH_FUNC_APPLIED : LIVEPATCH_FUNC_NOT_APPLIED;
        }
    }
    return 0;
}

/*
 * An apply/revert action hook (Xen: data->hooks.apply.action in livepatch_do_action), then
 * Xen's was_action_consistent, stricter: every function must agree with the hook's result
 * both in the text and in its fstate. Xen panics on a disagreement; here it is -EINVAL and
 * the caller undoes the action.
 */
static int run_action_hook(const struct livepatch_work *w, const struct livepatch_step *s, int64_t *failed,
                           int64_t *hook_rc)
{
    int rc;

    livepatch_in_action_hook = 1;
    rc = ((int (*)(void *))(uintptr_t)s->fn)((void *)(uintptr_t)s->handle);
    livepatch_in_action_hook = 0;
    *hook_rc = rc;
    for (uint32_t k = 0; k < s->to - s->from; k++) {
        const struct livepatch_write *x = &w->write[step_write(s, k)];
        bool took = !memcmp((const void *)(uintptr_t)x->addr, x->bytes, x->len);
        bool kept = !memcmp((const void *)(uintptr_t)x->addr, x->expect, x->len);
        bool applied = handle_fstate(s->handle, k)->applied == LIVEPATCH_FUNC_APPLIED;
        if (!(rc ? kept : took) || applied != ((s->apply != 0) == (rc == 0))) {
            *failed = step_write(s, k);
            return -EINVAL;
        }
    }
    return rc > 0 ? -EINVAL : rc;
}

/*
 * Carries out a work list's steps (see include/public/xsplice.h, "Hook steps"), all or
 * nothing (Xen: the arch_livepatch_apply/revert loop plus was_action_consistent): on any
 * failure every range is restored newest first and every handle's state set back. Runs on
 * the master with every other CPU parked: no allocation, no lock; each write is a memcmp of
 * readable text or a pwrite on /proc/self/mem, and hooks run here too.
 *
 * Returns 0, or -errno with *failed = the index of the write at fault (or *step_failed =
 * 1 + the step at fault) and nothing changed.
 */
static int livepatch_run_steps(const struct livepatch_work *w, const struct livepatch_step *st, uint64_t n,
                               int64_t *failed, uint32_t *step_failed, int64_t *hook_rc)
{
    int64_t last = -1;
    int rc = 0;

    *failed = -1;
    if (n > LIVEPATCH_STEPS_MAX || w->nr > LIVEPATCH_WORK_MAX || self_mem_fd < 0)
        return -EINVAL;
    for (uint64_t i = 0; i < n; i++) {
        const struct livepatch_step *s = &st[i];
        if (s->from > s->to || s->to > w->nr || (s->kind != LIVEPATCH_STEP_WRITES && !in_payload_area(s->fn))
            || (s->kind == LIVEPATCH_STEP_ACTION && !s->handle) || (s->handle && !in_payload_area(s->handle))) {
            *step_failed = (uint32_t)i + 1;
            return -EINVAL;
        }
    }
    for (uint64_t i = 0; i < w->nr; i++) {
        if (!w->write[i].len || w->write[i].len > LIVEPATCH_WRITE_MAX) {
            *failed = (int64_t)i;
            return -EINVAL;
        }
        if (!writable_range(w->write[i].addr, w->write[i].len)) {
            *failed = (int64_t)i;
            return -EFAULT;
        }
    }
    for (uint64_t i = 0; i < n && !rc; i++) {
        const struct livepatch_step *s = &st[i];
        switch (s->kind) {
        case LIVEPATCH_STEP_WRITES:
            rc = run_writes(w, s, failed);
            if (rc) {
                /* Undo up to the range that failed (a short write may have changed part of
                 * it); after -ESTALE nothing of this step was written, and the bytes someone
                 * else put there stay. */
                int64_t upto = rc == -ESTALE ? (int64_t)s->from - 1 : *failed;
                if (upto > last)
                    last = upto;
                continue;
            }
            break;
        case LIVEPATCH_STEP_CALL:
            ((void (*)(void))(uintptr_t)s->fn)();
            break;
        case LIVEPATCH_STEP_ACTION:
            rc = run_action_hook(w, s, failed, hook_rc);
            if (rc)
                *step_failed = (uint32_t)i + 1;
            break;
        default:
            *step_failed = (uint32_t)i + 1;
            rc = -EINVAL;
        }
        if (s->to > s->from && (int64_t)s->to - 1 > last)
            last = (int64_t)s->to - 1;
    }
    if (!rc) {
        for (uint64_t i = 0; i < w->nr; i++) {
            const struct livepatch_write *x = &w->write[i];
            if (memcmp((const void *)(uintptr_t)x->addr, x->fin, x->len)) {
                *failed = (int64_t)i;
                rc = -EIO;
                break;
            }
        }
    }
    if (rc) {
        restore_writes(w, last);
        restore_states(st, n);
    }
    return rc;
}

/* A work list without hook steps: its writes are one WRITES step with no handle. */
int livepatch_run_work(const struct livepatch_work *w, int64_t *failed)
{
    struct livepatch_step all = {
        .kind = LIVEPATCH_STEP_WRITES, .apply = 1, .from = 0,
        .to = w->nr > LIVEPATCH_WORK_MAX ? 0 : (uint32_t)w->nr,
    };
    uint32_t step_failed = 0;
    int64_t hook_rc = 0;

    return livepatch_run_steps(w, &all, 1, failed, &step_failed, &hook_rc);
}

/*
 * The hypervisor API for action hooks (Xen: common_livepatch_apply/revert): patch or restore
 * one function of the payload and update its state. Valid only inside an apply/revert action
 * hook, on the master with every other CPU parked: -EPERM anywhere else. Applying an applied
 * function, or reverting one that is not applied, changes nothing and returns 0.
 */
static int hook_api_check(const struct livepatch_handle_fstate *state)
{
    if (!livepatch_in_action_hook)
        return -EPERM;
    if (!state || !state->len || state->len > LIVEPATCH_WRITE_MAX)
        return -EINVAL;
    return writable_range(state->patch_addr, state->len) ? 0 : -EFAULT;
}

int common_livepatch_apply(const void *func, struct livepatch_handle_fstate *state)
{
    int rc = hook_api_check(state);
    ssize_t n;

    (void)func;
    if (rc || state->applied == LIVEPATCH_FUNC_APPLIED)
        return rc;
    memcpy(state->insn_buffer, (const void *)(uintptr_t)state->patch_addr, state->len);
    n = pwrite(self_mem_fd, state->patch, state->len, (off_t)state->patch_addr);
    if (n != (ssize_t)state->len)
        return n < 0 ? -errno : -EIO;
    state->applied = LIVEPATCH_FUNC_APPLIED;
    return 0;
}

int common_livepatch_revert(const void *func, struct livepatch_handle_fstate *state)
{
    int rc = hook_api_check(state);
    ssize_t n;

    (void)func;
    if (rc || state->applied != LIVEPATCH_FUNC_APPLIED)
        return rc;
    n = pwrite(self_mem_fd, state->insn_buffer, state->len, (off_t)state->patch_addr);
    if (n != (ssize_t)state->len)
        return n < 0 ? -errno : -EIO;
    state->applied = LIVEPATCH_FUNC_NOT_APPLIED;
    return 0;
}

/*
 * The master's part of a committed rendezvous (Xen: the master branch of
 * livepatch_do_action's rendezvous). Everything after the driver's commit happens here, so a
 * driver that dies once it committed cannot leave the action half done.
 */
static void livepatch_master_act(struct livepatch_rendezvous *r, uint64_t gen, unsigned int cpu)
{
    s_time_t t0 = NOW();
    int64_t failed = -1;
    int64_t hook_rc = 0;
    uint32_t step_failed = 0;
    int rc = 0;

    /* Dekker with a CPU leaving at the deadline (it clears arrived, fences, reads acting): we
     * read acting == gen before this fence, so either it saw acting and stays, or we see its
     * arrived cleared below and do nothing. */
    smp_mb();
    for (unsigned int i = 0; i < r->nr_cpus; i++) {
        if (load_acquire(&r->cpu[i].arrived) != gen) {
            rc = -EBUSY;
            break;
        }
    }
    if (!rc) {
        const struct livepatch_work *w = (const struct livepatch_work *)(uintptr_t)ACCESS_ONCE(r->work);
        if (w) {
            rc = w->nr_steps ? livepatch_run_steps(w, (const struct livepatch_step *)(uintptr_t)w->steps, w->nr_steps,
                                                   &failed, &step_failed, &hook_rc)
                             : livepatch_run_work(w, &failed);
            /* The commit point: the records after the action, in one release store (the
             * writes are complete and verified). */
            if (!rc && w->table) {
                store_release(&livepatch_state.table, w->table);
                livepatch_state.generation++;
            }
        }
    }
    r->rc = rc;
    r->failed = failed;
    r->step_failed = step_failed;
    r->hook_rc = hook_rc;
    r->master_cpu = cpu;
    r->master_ns = (uint64_t)(NOW() - t0);
    /* Release: a driver that sees done == gen sees rc/failed and the published table. */
    store_release(&r->done, gen);
    ACCESS_ONCE(r->do_work) = 0;
    store_release(&r->release, gen);
    kick_all();
}

/* {@return true if this CPU won the master role for gen (one CAS; later callers lose)} */
static bool claim_master(struct livepatch_rendezvous *r, uint64_t gen)
{
    uint64_t m = load_acquire(&r->master);

    return m != gen && __atomic_compare_exchange_n(&r->master, &m, gen, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/*
 * The slow path of check_for_livepatch_work(): park here until the driver releases this
 * CPU, or until the master (maybe this CPU) has done the committed action. Kept out of line
 * (and out of the hot exit paths) so the check itself is one load.
 */
noinline __attribute__((cold)) void do_livepatch_work(void)
{
    struct livepatch_rendezvous *r = &livepatch_rendezvous;
    unsigned int cpu = smp_processor_id();
    struct livepatch_cpu *c = &r->cpu[cpu];
    /* Acquire: deadline/acting/work written before generation are seen. */
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
    c->arrive_ns = (uint64_t)t0;
    /* Release: the driver that sees arrived == gen also sees sp/fp/pc and arrive_ns. */
    store_release(&c->arrived, gen);

    for (;;) {
        if (load_acquire(&r->release) == gen) {
            released = true;
            break;
        }
        if (load_acquire(&r->acting) == gen) {
            if (claim_master(r, gen)) {
                livepatch_master_act(r, gen, cpu);
                released = true;
                break;
            }
            limit = ACCESS_ONCE(r->stuck_limit_ns) ? (s_time_t)r->stuck_limit_ns : STUCK_LIMIT_DEFAULT_NS;
            if (NOW() - t0 > limit)
                panic("livepatch: CPU%u parked for rendezvous %lu, not released by the master after %lld ms",
                      cpu, (unsigned long)gen, (long long)(limit / 1000000));
        } else if (NOW() > (s_time_t)ACCESS_ONCE(r->deadline)) {
            /* Leave at the deadline, unless the driver committed meanwhile. Dekker with the
             * master's "load acting; fence; load arrived": the fence orders our store before
             * our load, so at least one side sees the other's write. */
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
    c->leave_ns = (uint64_t)NOW();
    c->wait_ns = c->leave_ns - (uint64_t)t0;
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
    self_mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
    if (self_mem_fd < 0)
        printk("livepatch: cannot open /proc/self/mem (%s): actions will fail with EINVAL\n", strerror(errno));
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
