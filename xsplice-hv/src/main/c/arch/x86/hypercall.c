/* Hypercall dispatch (Xen: xen/arch/x86/pv/hypercall.c, hvm/hypercall.c). */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/hypercall.h>
#include <xen/sched.h>
#include <xen/softirq.h>
#include <string.h>

int64_t do_console_io(uint64_t cmd, uint64_t count, uint64_t buffer, uint64_t a4, uint64_t a5)
{
    char kbuf[128];
    (void)a4; (void)a5;
    if (cmd != CONSOLEIO_write)
        return -ENOSYS;
    if (count >= sizeof(kbuf))
        count = sizeof(kbuf) - 1;
    ASSERT(count < sizeof(kbuf));
    if (copy_from_guest(kbuf, guest_handle(buffer), count))
        return -EFAULT;
    kbuf[count] = '\0';
    printk("(d%u) %s", current->domain->domain_id, kbuf);
    return 0;
}

#define SCHEDOP_yield 0
int64_t do_sched_op(uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    (void)arg; (void)a3; (void)a4; (void)a5;
    if (cmd != SCHEDOP_yield)
        return -ENOSYS;
    WARN_ON(!current->domain);
    raise_softirq(SCHEDULE_SOFTIRQ);
    return 0;
}

static hypercall_fn_t *const hypercall_table[NR_hypercalls] = {
    [__HYPERVISOR_xen_version] = do_xen_version,
    [__HYPERVISOR_console_io]  = do_console_io,
    [__HYPERVISOR_sched_op]    = do_sched_op,
    [__HYPERVISOR_sysctl]      = do_sysctl,
    [__HYPERVISOR_domctl]      = do_domctl,
};

static int64_t dispatch(const struct cpu_user_regs *regs)
{
    uint64_t nr = regs->rax;
    ASSERT(current->domain);
    if (nr >= NR_hypercalls || !hypercall_table[nr])
        return -ENOSYS;
    return hypercall_table[nr](regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8);
}

void pv_hypercall(struct cpu_user_regs *regs)
{
    cpu_stats[smp_processor_id()].hypercalls++;
    regs->rax = (uint64_t)dispatch(regs);
}

void hvm_hypercall(struct cpu_user_regs *regs)
{
    cpu_stats[smp_processor_id()].hypercalls++;
    regs->rax = (uint64_t)dispatch(regs);
}
