/*
 * Faults (Xen: xen/arch/x86/traps.c do_page_fault(), fixup_exception(), show_registers(),
 * show_trace(); xen/drivers/char/console.c panic()). A guest-memory copy that faults resumes
 * at its fixup; any other fault is a hypervisor crash: report, then stop.
 */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/console.h>
#include <xen/sched.h>
#include <xen/symbols.h>
#include <xen/version.h>
#include <asm/bug.h>
#include <asm/extable.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

__thread uint64_t tls_stack_lo, tls_stack_hi;
static int crashing;

#define ALTSTACK_SIZE (64 * 1024)

/* Each thread takes its faults on its own alternate stack (its normal one may be the cause). */
void percpu_traps_init(uint64_t stack_lo, uint64_t stack_hi)
{
    stack_t ss;
    tls_stack_lo = stack_lo;
    tls_stack_hi = stack_hi;
    ss.ss_sp = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ss.ss_size = ALTSTACK_SIZE;
    ss.ss_flags = 0;
    if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL))
        panic("percpu_traps_init: no alternate signal stack (errno %d)", errno);
}

static void print_symbol(const char *fmt, uint64_t addr)
{
    char name[256];
    if (!symbols_format(addr, name, sizeof(name)))
        snprintf(name, sizeof(name), "%#lx", (unsigned long)addr);
    printk(fmt, (unsigned long)addr, name);
}

static bool on_stack(uint64_t p, size_t len)
{
    return p >= tls_stack_lo && p + len <= tls_stack_hi && !(p & 7);
}

/* Frame-pointer walk (Xen: show_trace() with CONFIG_FRAME_POINTER), bounded by the stack. */
static void show_trace(uint64_t rip, uint64_t rbp)
{
    printk("Xen call trace:\n");
    print_symbol("   [<%016lx>] R %s\n", rip);
    for (unsigned int depth = 0; depth < 64 && on_stack(rbp, 16); depth++) {
        const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
        uint64_t ret = frame[1];
        /* The bottom of a pCPU's stack is the host's thread start, outside the hypervisor. */
        if (!ret || !symbols_format(ret, (char[8]){ 0 }, 8))
            break;
        print_symbol("   [<%016lx>] F %s\n", ret);
        if (frame[0] <= rbp)
            break;
        rbp = frame[0];
    }
    printk("\n");
}

static void show_stack(uint64_t rsp)
{
    printk("Xen stack trace from rsp=%016lx:\n", (unsigned long)rsp);
    for (unsigned int i = 0; i < 24 && on_stack(rsp + i * 8, 8); i++)
        printk("%s%016lx%s", i % 4 ? " " : "   ", (unsigned long)((const uint64_t *)(uintptr_t)rsp)[i],
               i % 4 == 3 ? "\n" : "");
    printk("\n");
}

static __thread bool in_fault_handler;

/* A fault inside the fault handler (a corrupt payload region table, a bad frame chain while
 * reporting) must not recurse on the alternate stack: say so and stop at once. */
static void nested_fault(void)
{
    static const char msg[] = "(XEN) fault inside the fault handler: stopping\n";
    console_write_raw(msg, sizeof(msg) - 1);
    _exit(XSPLICE_EXIT_PANIC);
}

static void stop_other_reporters(void)
{
    if (__atomic_exchange_n(&crashing, 1, __ATOMIC_ACQ_REL))
        for (;;)
            pause();                     /* another CPU is already reporting */
    console_force_unlock();
}

static __attribute__((noreturn)) void crash_stop(void)
{
    printk("Manual reset required ('noreboot' specified)\n");
    _exit(XSPLICE_EXIT_PANIC);
}

static void show_registers(const greg_t *g)
{
    printk("----[ Xen-%u.%u%s  %s  Not tainted ]----\n", xen_major_version(), xen_minor_version(),
           xen_extra_version(), xen_banner_flags());
    printk("CPU:    %u\n", smp_processor_id());
    print_symbol("RIP:    e008:[<%016lx>] %s\n", (uint64_t)g[REG_RIP]);
    printk("RFLAGS: %016lx   CONTEXT: hypervisor\n", (unsigned long)g[REG_EFL]);
    printk("rax: %016lx   rbx: %016lx   rcx: %016lx\n", (unsigned long)g[REG_RAX], (unsigned long)g[REG_RBX], (unsigned long)g[REG_RCX]);
    printk("rdx: %016lx   rsi: %016lx   rdi: %016lx\n", (unsigned long)g[REG_RDX], (unsigned long)g[REG_RSI], (unsigned long)g[REG_RDI]);
    printk("rbp: %016lx   rsp: %016lx   r8:  %016lx\n", (unsigned long)g[REG_RBP], (unsigned long)g[REG_RSP], (unsigned long)g[REG_R8]);
    printk("r9:  %016lx   r10: %016lx   r11: %016lx\n", (unsigned long)g[REG_R9], (unsigned long)g[REG_R10], (unsigned long)g[REG_R11]);
    printk("r12: %016lx   r13: %016lx   r14: %016lx\n", (unsigned long)g[REG_R12], (unsigned long)g[REG_R13], (unsigned long)g[REG_R14]);
    printk("r15: %016lx   cr2: %016lx\n", (unsigned long)g[REG_R15], (unsigned long)g[REG_CR2]);
}

static void do_page_fault(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    uint64_t fixup;

    if (unlikely(in_fault_handler))
        nested_fault();
    in_fault_handler = true;
    fixup = search_exception_table((uint64_t)g[REG_RIP]);
    if (likely(fixup)) {
        g[REG_RIP] = (greg_t)fixup;      /* fixup_exception(): resume there on sigreturn */
        in_fault_handler = false;
        return;
    }
    stop_other_reporters();
    show_registers(g);
    show_stack((uint64_t)g[REG_RSP]);
    show_trace((uint64_t)g[REG_RIP], (uint64_t)g[REG_RBP]);
    printk("\n****************************************\n");
    printk("Panic on CPU %u:\n", smp_processor_id());
    printk("%s\n", sig == SIGBUS ? "FATAL BUS ERROR" : "FATAL PAGE FAULT");
    printk("[error_code=%04lx]\n", (unsigned long)g[REG_ERR]);
    printk("Faulting linear address: %016lx\n", (unsigned long)(uintptr_t)si->si_addr);
    printk("****************************************\n\n");
    crash_stop();
}

void show_execution_state(const struct cpu_trap_regs *regs)
{
    const greg_t *g = (const greg_t *)regs->gregs;
    show_registers(g);
    show_stack((uint64_t)g[REG_RSP]);
    show_trace((uint64_t)g[REG_RIP], (uint64_t)g[REG_RBP]);
}

/* #UD (Xen: do_invalid_op()): a ud2 with a bug frame is a WARN/BUG/ASSERT/run_fn; any other
 * invalid opcode is fatal. WARN and run_fn resume after the ud2 on sigreturn. */
static void do_invalid_op(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    const struct cpu_trap_regs regs = { .gregs = (const long long *)g };
    uint64_t rip = (uint64_t)g[REG_RIP];

    (void)sig;
    (void)si;
    if (unlikely(in_fault_handler))
        nested_fault();
    in_fault_handler = true;
    if (do_bug_frame(&regs, &rip))
        g[REG_RIP] = (greg_t)rip;
    in_fault_handler = false;
}

void panic(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    uint64_t rbp = (uint64_t)(uintptr_t)__builtin_frame_address(0);

    stop_other_reporters();
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* From a trap handler the report (and its trace) was printed already, and this frame is
     * on the alternate stack. */
    if (tls_stack_hi && !in_fault_handler)
        show_trace((uint64_t)(uintptr_t)__builtin_return_address(0), rbp);
    printk("\n****************************************\n");
    printk("Panic on CPU %u:\n", smp_processor_id());
    printk("%s\n", buf);
    printk("****************************************\n\n");
    crash_stop();
}

void traps_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = do_page_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
        panic("traps_init: sigaction failed (errno %d)", errno);
    sa.sa_sigaction = do_invalid_op;
    if (sigaction(SIGILL, &sa, NULL))
        panic("traps_init: sigaction(SIGILL) failed (errno %d)", errno);
}
