/*
 * The built-in workload: a few domains whose vCPUs produce exits (Xen has real guests; the
 * model replays small guest programs). Domain 0 is the PV control domain (its toolstack
 * polls getdomaininfo and the version), domain 1 an HVM guest (CPUID, port I/O, VMCALL
 * hypercalls), domain 2 a PV guest that now and then hands the hypervisor a bad pointer.
 */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/hypercall.h>
#include <xen/sched.h>
#include <sys/mman.h>
#include <string.h>

struct domain domains[NR_DOMAINS];

/* HVM exit reasons (Xen: asm/hvm/vmx/vmx.h). */
#define EXIT_REASON_CPUID            10
#define EXIT_REASON_HLT              12
#define EXIT_REASON_VMCALL           18
#define EXIT_REASON_IO_INSTRUCTION   30

/* Guest "virtual" addresses are host addresses inside guest_mem (a PV-style direct mapping). */
#define GUEST_BUF(d, off) ((uint64_t)(uintptr_t)((d)->guest_mem + (off)))

struct domain *rcu_lock_domain_by_id(unsigned int id)
{
    return id < NR_DOMAINS ? &domains[id] : NULL;
}

static void domain_create(unsigned int id, const char *name, enum guest_type type, bool priv)
{
    struct domain *d = &domains[id];
    /* One extra page left unmapped after guest memory: a guest pointer into it faults. */
    uint8_t *mem = mmap(NULL, GUEST_MEM_SIZE + PAGE_SIZE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        panic("domain_create: cannot map guest memory for d%u", id);
    munmap(mem + GUEST_MEM_SIZE, PAGE_SIZE);
    d->domain_id = id;
    d->name = name;
    d->type = type;
    d->is_privileged = priv;
    d->max_vcpus = nr_cpu_ids;
    d->tot_pages = (id == 0 ? 1024UL << 20 : 256UL << 20) / PAGE_SIZE;
    d->guest_mem = mem;
    for (unsigned int v = 0; v < nr_cpu_ids; v++) {
        d->vcpu[v].vcpu_id = v;
        d->vcpu[v].processor = v;
        d->vcpu[v].domain = d;
    }
    printk("Created d%u (%s, %s, %u vCPUs)\n", id, name, type == GUEST_HVM ? "HVM" : "PV", d->max_vcpus);
}

void domain_init(void)
{
    domain_create(0, "Domain-0", GUEST_PV, true);
    domain_create(1, "hvm-guest", GUEST_HVM, false);
    domain_create(2, "pv-guest", GUEST_PV, false);
}

static void hypercall_regs(struct cpu_user_regs *r, uint64_t nr, uint64_t a1, uint64_t a2)
{
    r->exit_reason = EXIT_REASON_VMCALL;
    r->rax = nr;
    r->rdi = a1;
    r->rsi = a2;
    r->rdx = r->r10 = r->r8 = 0;
}

/* Per-vCPU scratch area inside guest memory: 1 KiB each. */
static uint64_t vcpu_buf(const struct vcpu *v)
{
    return GUEST_BUF(v->domain, (v->vcpu_id % 32) * 1024 + 32 * 1024);
}

static void dom0_program(struct vcpu *v, struct cpu_user_regs *r)
{
    struct domain *d = v->domain;
    uint64_t buf = vcpu_buf(v);
    switch (v->pc % 4) {
    case 0:
    case 2: {
        struct xen_domctl op;
        memset(&op, 0, sizeof(op));
        op.cmd = XEN_DOMCTL_getdomaininfo;
        op.interface_version = XEN_DOMCTL_INTERFACE_VERSION;
        op.domain = (uint16_t)((v->pc / 4) % NR_DOMAINS);
        memcpy((void *)buf, &op, sizeof(op));
        hypercall_regs(r, __HYPERVISOR_domctl, buf, 0);
        break;
    }
    case 1:
        hypercall_regs(r, __HYPERVISOR_xen_version, XENVER_extraversion, buf);
        break;
    default:
        hypercall_regs(r, __HYPERVISOR_xen_version, XENVER_version, 0);
        break;
    }
    (void)d;
}

static void hvm_program(struct vcpu *v, struct cpu_user_regs *r)
{
    switch (v->pc % 5) {
    case 0:
        r->exit_reason = EXIT_REASON_CPUID;
        r->rax = 0x40000000;       /* the hypervisor leaves */
        break;
    case 1:
        r->exit_reason = EXIT_REASON_IO_INSTRUCTION;
        r->io_port = 0x80;
        break;
    case 2:
        hypercall_regs(r, __HYPERVISOR_xen_version, XENVER_version, 0);
        break;
    case 3:
        hypercall_regs(r, __HYPERVISOR_xen_version, XENVER_extraversion, vcpu_buf(v));
        break;
    default:
        hypercall_regs(r, __HYPERVISOR_xen_version, XENVER_compile_info, vcpu_buf(v));
        break;
    }
}

/* Every 4096th hypercall of d2 passes a pointer into the unmapped page after its memory. */
#define BAD_POINTER_PERIOD 4096

static void pv_program(struct vcpu *v, struct cpu_user_regs *r)
{
    struct domain *d = v->domain;
    if (v->pc % BAD_POINTER_PERIOD == BAD_POINTER_PERIOD - 1) {
        hypercall_regs(r, __HYPERVISOR_xen_version, XENVER_extraversion,
                       GUEST_BUF(d, GUEST_MEM_SIZE + 64));
        return;
    }
    switch (v->pc % 3) {
    case 0:
        hypercall_regs(r, __HYPERVISOR_xen_version, XENVER_extraversion, vcpu_buf(v));
        break;
    case 1:
        hypercall_regs(r, __HYPERVISOR_xen_version, XENVER_version, 0);
        break;
    default:
        hypercall_regs(r, __HYPERVISOR_sched_op, 0, 0);
        break;
    }
}

void guest_next_exit(struct vcpu *v, struct cpu_user_regs *regs)
{
    switch (v->domain->domain_id) {
    case 0: dom0_program(v, regs); break;
    case 1: hvm_program(v, regs); break;
    default: pv_program(v, regs); break;
    }
    v->pc++;
}

void guest_hypercall_done(struct vcpu *v, struct cpu_user_regs *regs, int64_t rc)
{
    (void)regs;
    v->hypercalls++;
    if (rc == -EFAULT)
        cpu_stats[smp_processor_id()].efaults++;
}
