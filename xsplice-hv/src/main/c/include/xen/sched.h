#ifndef XEN_SCHED_H
#define XEN_SCHED_H
#include <xen/config.h>
#include <pthread.h>

/* Guest registers at an exit (Xen: struct cpu_user_regs), the subset the model uses. */
struct cpu_user_regs {
    uint64_t rax, rdi, rsi, rdx, r10, r8;
    uint64_t rip;
    uint32_t exit_reason;         /* HVM only: EXIT_REASON_* */
    uint32_t io_port;
};

enum guest_type { GUEST_PV, GUEST_HVM };

struct domain;
struct vcpu {
    unsigned int vcpu_id;
    unsigned int processor;       /* pCPU it runs on */
    struct domain *domain;
    uint64_t pc;                  /* position in the guest's built-in program */
    uint64_t hypercalls;
} __aligned(SMP_CACHE_BYTES);     /* each vCPU is written by its own pCPU only */

#define GUEST_MEM_SIZE (64UL * 1024)
struct domain {
    unsigned int domain_id;
    const char *name;
    enum guest_type type;
    bool is_privileged;
    unsigned int max_vcpus;
    uint64_t tot_pages;
    uint8_t *guest_mem;           /* GUEST_MEM_SIZE bytes, followed by an unmapped guard page */
    struct vcpu vcpu[NR_CPUS];
    uint64_t cpu_time_ns;
};

#define NR_DOMAINS 3
extern struct domain domains[NR_DOMAINS];
struct domain *rcu_lock_domain_by_id(unsigned int id);

/* A control-domain (dom0) hypercall handed to a pCPU by the control thread. */
struct dom0_request {
    struct cpu_user_regs regs;
    int64_t rc;
    uint32_t done;                /* futex word */
};

/* Per-pCPU state (Xen: struct cpu_info / per_cpu variables). */
struct cpu_info {
    unsigned int cpu;
    pthread_t thread;
    int ipi_fd;
    void *stack;
    size_t stack_size;
    struct dom0_request *dom0_req; /* set by the control thread, cleared by the pCPU */
    unsigned int softirq_pending;
    struct vcpu *curr_vcpu;
    unsigned int next_vcpu;
} __aligned(SMP_CACHE_BYTES);

extern struct cpu_info cpu_info[NR_CPUS];
extern struct cpu_stats cpu_stats[NR_CPUS];
extern unsigned int nr_cpu_ids;
extern __thread unsigned int this_cpu;
#define smp_processor_id() (this_cpu)
#define current (cpu_info[this_cpu].curr_vcpu)

/* Workload pacing (arch/x86/setup.c parses --workload). */
extern unsigned int workload_batch;    /* exits per burst; 0 = none */
extern unsigned int workload_idle_us;  /* sleep between bursts; 0 = never idle */
extern uint64_t bench_exits;           /* --bench-exits: stop after this many exits per CPU */

void domain_init(void);
void guest_next_exit(struct vcpu *v, struct cpu_user_regs *regs);
void guest_hypercall_done(struct vcpu *v, struct cpu_user_regs *regs, int64_t rc);
void start_secondary_cpus(void);
void smp_send_event_check_cpu(unsigned int cpu);
void *cpu_loop(void *arg);
#endif
