/*
 * The pCPU loop and the two exit paths (Xen: xen/arch/x86/hvm/vmx/entry.S + vmx.c for HVM,
 * xen/arch/x86/x86_64/entry.S for PV, xen/arch/x86/domain.c idle_loop()). Both paths end the
 * same way Xen's do before returning to the guest: check_for_livepatch_work(), then
 * do_softirq().
 */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/hypercall.h>
#include <xen/livepatch.h>
#include <xen/sched.h>
#include <xen/softirq.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cpuid.h>

#define EXIT_REASON_CPUID            10
#define EXIT_REASON_VMCALL           18
#define EXIT_REASON_IO_INSTRUCTION   30

__thread unsigned int this_cpu;

static noinline void hvm_cpuid(struct cpu_user_regs *regs)
{
    if (regs->rax == 0x40000000) {
        regs->rax = 0x40000005;                  /* "XenVMMXenVMM" signature */
        regs->rdi = 0x566e6558;
        regs->rsi = 0x65584d4d;
        regs->rdx = 0x4d4d566e;
    }
}

static noinline void handle_pio(struct cpu_user_regs *regs)
{
    if (regs->io_port == 0x80)                   /* POST port: nothing behind it */
        regs->rax = ~0ULL;
}

/* Xen: vmx_vmexit_handler() */
static noinline void vmx_vmexit_handler(struct cpu_user_regs *regs)
{
    cpu_stats[smp_processor_id()].vmexits++;
    switch (regs->exit_reason) {
    case EXIT_REASON_CPUID:
        hvm_cpuid(regs);
        break;
    case EXIT_REASON_IO_INSTRUCTION:
        handle_pio(regs);
        break;
    case EXIT_REASON_VMCALL:
        hvm_hypercall(regs);
        guest_hypercall_done(current, regs, (int64_t)regs->rax);
        break;
    }
}

/* HVM exit path (Xen: vmx_asm_vmexit_handler -> vmx_vmexit_handler -> vmx_asm_do_vmentry). */
static noinline void vmx_asm_vmexit_handler(struct cpu_user_regs *regs)
{
    vmx_vmexit_handler(regs);
    /* vmx_asm_do_vmentry: on the way back into the guest. */
    check_for_livepatch_work();
    do_softirq();
}

/* PV hypercall path (Xen: lstar_enter -> pv_hypercall -> test_all_events). */
static noinline void lstar_enter(struct cpu_user_regs *regs)
{
    cpu_stats[smp_processor_id()].pv_hypercalls++;
    pv_hypercall(regs);
    guest_hypercall_done(current, regs, (int64_t)regs->rax);
    /* test_all_events: on the way back into the guest. */
    check_for_livepatch_work();
    do_softirq();
}

static void futex_wake(uint32_t *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* A hypercall of the control domain, posted by the control thread (dom0's vCPU runs here). */
static noinline void run_dom0_request(struct cpu_info *ci)
{
    struct dom0_request *req = ci->dom0_req;
    struct vcpu *saved = ci->curr_vcpu;

    ci->dom0_req = NULL;
    ci->curr_vcpu = &domains[0].vcpu[ci->cpu];
    lstar_enter(&req->regs);
    ci->curr_vcpu = saved;
    req->rc = (int64_t)req->regs.rax;
    cpu_stats[ci->cpu].dom0_ops++;
    store_release(&req->done, 1);
    futex_wake(&req->done);
}

void smp_send_event_check_cpu(unsigned int cpu)
{
    uint64_t one = 1;
    ssize_t n = write(cpu_info[cpu].ipi_fd, &one, sizeof(one));
    (void)n;
}

/* Sleeps until an IPI (eventfd write) or the timeout; drains the eventfd. */
static noinline void cpu_idle_sleep(struct cpu_info *ci, unsigned int timeout_us)
{
    struct pollfd pfd = { .fd = ci->ipi_fd, .events = POLLIN };
    struct timespec ts = { .tv_sec = timeout_us / 1000000, .tv_nsec = (timeout_us % 1000000) * 1000L };
    struct cpu_stats *st = &cpu_stats[ci->cpu];

    store_release(&st->idle, 1);
    /* Full fence: the idle flag is visible before we look at the work flag, so a driver that
     * sets do_work and then reads idle == 1 knows its IPI (sent after) will wake us. */
    smp_mb();
    if (!ACCESS_ONCE(livepatch_rendezvous.do_work) && !ACCESS_ONCE(ci->dom0_req)) {
        if (ppoll(&pfd, 1, &ts, NULL) > 0) {
            uint64_t v;
            ssize_t n = read(ci->ipi_fd, &v, sizeof(v));
            (void)n;
            st->wakeups++;
        }
    }
    store_release(&st->idle, 0);
}

/* Xen: idle_loop(). */
static noinline void idle_loop(struct cpu_info *ci)
{
    cpu_idle_sleep(ci, workload_idle_us ? workload_idle_us : 100000);
    check_for_livepatch_work();
    do_softirq();
}

static noinline void guest_exit(struct cpu_info *ci)
{
    struct cpu_user_regs regs = { 0 };
    struct vcpu *v = &domains[ci->next_vcpu].vcpu[ci->cpu];

    ci->curr_vcpu = v;
    guest_next_exit(v, &regs);
    if (v->domain->type == GUEST_HVM)
        vmx_asm_vmexit_handler(&regs);
    else
        lstar_enter(&regs);
    cpu_stats[ci->cpu].exits++;
    ci->next_vcpu = ci->next_vcpu + 1 == NR_DOMAINS ? 0 : ci->next_vcpu + 1;
}

/* A pCPU: bursts of guest exits, control-domain requests as they come, idle in between. */
void *cpu_loop(void *arg)
{
    struct cpu_info *ci = arg;
    unsigned int burst = 0;

    this_cpu = ci->cpu;
    for (;;) {
        if (unlikely(ACCESS_ONCE(ci->dom0_req)))
            run_dom0_request(ci);
        if (bench_exits && cpu_stats[ci->cpu].exits >= bench_exits)
            return NULL;
        if (workload_batch && (burst < workload_batch || !workload_idle_us)) {
            guest_exit(ci);
            burst++;
            continue;
        }
        burst = 0;
        raise_softirq(TIMER_SOFTIRQ);
        idle_loop(ci);
    }
}
