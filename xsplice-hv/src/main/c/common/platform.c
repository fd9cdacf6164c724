/*
 * The control mailbox (Xen: the control domain's platform_op/sysctl path). The boot thread
 * services it once the CPUs run. Hypercalls are not run here but handed to a pCPU, so they
 * take the same PV path as any guest's and stay inside the rendezvous' consistency model.
 */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/livepatch.h>
#include <xen/sched.h>
#include <xen/setup.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct xsplice_mbox xsplice_mbox __aligned(PAGE_SIZE);
static struct dom0_request dom0_slot;

static int64_t platform_hypercall(const struct xsplice_mbox *m)
{
    struct cpu_info *ci;

    if (m->cpu >= nr_cpu_ids)
        return -EINVAL;
    ci = &cpu_info[m->cpu];
    dom0_slot.regs = (struct cpu_user_regs){
        .rax = m->arg[0], .rdi = m->arg[1], .rsi = m->arg[2], .rdx = m->arg[3], .r10 = m->arg[4], .r8 = m->arg[5],
    };
    dom0_slot.done = 0;
    /* Release: the pCPU that sees the request sees its registers. */
    store_release(&ci->dom0_req, &dom0_slot);
    smp_send_event_check_cpu(m->cpu);
    while (!load_acquire(&dom0_slot.done))
        syscall(SYS_futex, &dom0_slot.done, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return dom0_slot.rc;
}

static int64_t platform_mprotect(const struct xsplice_mbox *m)
{
    uint64_t start = m->arg[0], len = m->arg[1], prot = m->arg[2];
    uint64_t area = (uint64_t)(uintptr_t)xsplice_payload_area;

    if ((start | len) & (PAGE_SIZE - 1) || !len)
        return -EINVAL;
    if (start < area || start + len > area + PAYLOAD_AREA_SIZE || start + len < start)
        return -EPERM;               /* only payload pages; the image itself stays as linked */
    if (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC))
        return -EINVAL;
    if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
        return -EPERM;               /* never writable and executable at once */
    return mprotect((void *)(uintptr_t)start, len, (int)prot) ? -errno : 0;
}

/* Pre/post hooks of a payload (Xen calls them from livepatch_action and after the
 * rendezvous). Only code in the payload area is called: the image's own functions are not a
 * way in for the control domain. */
static int64_t platform_call(const struct xsplice_mbox *m)
{
    uint64_t fn = m->arg[0];
    uint64_t area = (uint64_t)(uintptr_t)xsplice_payload_area;

    if (fn < area || fn >= area + PAYLOAD_AREA_SIZE)
        return -EPERM;
    return ((int (*)(void *))(uintptr_t)fn)((void *)(uintptr_t)m->arg[1]);
}

void platform_op_loop(void)
{
    struct xsplice_mbox *m = &xsplice_mbox;
    uint64_t one = 1, v;

    for (;;) {
        ssize_t n = read(xsplice_ctl.doorbell_fd, &v, sizeof(v));
        if (n < 0 && errno != EINTR)
            panic("control mailbox: doorbell read failed (errno %d)", errno);
        /* Acquire: the request fields written before seq are visible. */
        while (load_acquire(&m->seq) != m->done) {
            uint32_t seq = load_acquire(&m->seq);
            bool shutdown = false;
            switch (m->op) {
            case XSPLICE_OP_PING:
                m->ret[0] = m->arg[0];
                m->rc = 0;
                break;
            case XSPLICE_OP_HYPERCALL:
                m->rc = platform_hypercall(m);
                break;
            case XSPLICE_OP_MPROTECT:
                m->rc = platform_mprotect(m);
                break;
            case XSPLICE_OP_CALL:
                m->rc = platform_call(m);
                break;
            case XSPLICE_OP_SHUTDOWN:
                m->rc = 0;
                shutdown = true;
                break;
            default:
                m->rc = -ENOSYS;
                break;
            }
            if (shutdown) {
                store_release(&xsplice_ctl.boot_state, XSPLICE_BOOT_SHUTDOWN);
                printk("Hardware Dom0 halted: halting machine\n");
            }
            store_release(&m->done, seq);
            n = write(xsplice_ctl.completion_fd, &one, sizeof(one));
            if (shutdown)
                _exit(XSPLICE_EXIT_OK);
        }
    }
}
