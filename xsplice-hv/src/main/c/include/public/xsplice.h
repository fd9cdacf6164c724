/*
 * The interface between the reference hypervisor (this C core) and its Java supervisor.
 *
 * The supervisor finds every object below by its ELF symbol name in xen-syms (a non-PIE
 * image, so symbol values are run-time addresses) and checks the symbol's size against the
 * layout it expects: a size mismatch means the two sides were built from different headers.
 * It reads and writes them through /proc/PID/mem (pread/pwrite; a write goes through even to
 * read-only pages, so no text page is ever writable inside the process).
 *
 * Ordering: a pwrite/pread on /proc/PID/mem takes the target's mmap lock (a locked
 * instruction on x86, i.e. a full barrier) and copies with ordinary stores, so two pwrites
 * issued one after the other become visible in that order, and a pwrite followed by a pread
 * is not reordered (the Dekker handshakes below rely on this). The C side uses explicit
 * acquire/release atomics and one full fence, each commented where it is used.
 *
 * All fields are little-endian x86-64, naturally aligned; every struct has a fixed size
 * stated next to it and asserted with _Static_assert.
 */
#ifndef XSPLICE_PUBLIC_XSPLICE_H
#define XSPLICE_PUBLIC_XSPLICE_H

#include <stdint.h>

#define XSPLICE_ABI_VERSION      1
#define XSPLICE_NR_CPUS_MAX      64

/* Exit status of the C core (the supervisor maps them to messages). */
#define XSPLICE_EXIT_OK          0   /* orderly shutdown (platform op SHUTDOWN) */
#define XSPLICE_EXIT_USAGE       2   /* bad command line */
#define XSPLICE_EXIT_PANIC       3   /* panic(): fault without fixup, BUG, stuck rendezvous */

/* ---------------------------------------------------------------------------------------
 * xsplice_ctl (symbol "xsplice_ctl", 1024 bytes): the boot-time facts the supervisor needs.
 * Written once by the boot CPU before boot_state becomes READY (release), read-only after.
 */
#define XSPLICE_BOOT_STARTING    0
#define XSPLICE_BOOT_READY       1
#define XSPLICE_BOOT_SHUTDOWN    2

struct xsplice_ctl {
    uint32_t abi_version;             /*   0: XSPLICE_ABI_VERSION */
    uint32_t boot_state;              /*   4: XSPLICE_BOOT_* */
    uint32_t nr_cpus;                 /*   8: pCPUs running */
    int32_t  doorbell_fd;             /*  12: eventfd, supervisor -> control thread (mailbox posted) */
    int32_t  completion_fd;           /*  16: eventfd, control thread -> supervisor (mailbox done) */
    uint32_t pad0;                    /*  20 */
    uint64_t payload_area;            /*  24: start of the reserved payload area (page aligned) */
    uint64_t payload_area_size;       /*  32: its size in bytes */
    uint64_t pid;                     /*  40: getpid() of the core, to detect a stale view */
    int32_t  ipi_fd[XSPLICE_NR_CPUS_MAX]; /* 48: eventfd per pCPU: writing 1 wakes it (an "IPI") */
    uint8_t  pad1[1024 - 48 - 4 * XSPLICE_NR_CPUS_MAX];
};

/* ---------------------------------------------------------------------------------------
 * Rendezvous (symbol "livepatch_rendezvous", 128 + 128 * XSPLICE_NR_CPUS_MAX bytes).
 *
 * Every pCPU reads do_work on each exit path right before do_softirq()
 * (check_for_livepatch_work(): one load and a branch) and in the idle loop. Protocol for a
 * driver (the Java side), one rendezvous at a time:
 *   1. gen = generation + 1; write deadline (CLOCK_MONOTONIC ns), acting = 0, release = 0,
 *      cpu_action/ucode_rev; then generation = gen; then do_work = 1.
 *   2. Wake idle CPUs: write 1 to each xsplice_ctl.ipi_fd[i] (dup'ed with pidfd_getfd).
 *   3. Wait until cpu[i].arrived == gen for every i < nr_cpus, or the deadline passes.
 *   4a. All arrived: write acting = gen, then re-read every cpu[i].arrived; if one is no
 *       longer gen it left at the deadline: go to 4b. Otherwise the CPUs are parked in
 *       do_livepatch_work(), their sp/fp published: do the action, then 5.
 *   4b. Not all arrived: nothing was changed; go to 5 and report EBUSY.
 *   5. Write do_work = 0, then release = gen. CPUs run cpu_action, set action_done = gen,
 *      execute cpuid (serialising: cross-modified code) and go on.
 * A CPU waits for release until the deadline unless acting == gen; once acting it waits up
 * to stuck_limit_ns (0: 2 s) and then panics: a driver that died mid-action leaves the
 * text in an unknown state, and Xen would not carry on either.
 */
/*
 * Master call (load/unload hooks, apply/revert action hooks): only while every CPU is parked
 * and the driver committed (acting == generation), the driver may have the master CPU
 * (LIVEPATCH_MASTER_CPU) run one function: write call_fn, call_arg, call_kind; then
 * call_seq = call_seq + 1; then kick the master's ipi_fd. The master, parked in
 * do_livepatch_work(), sees call_seq != call_done (acquire), runs the function on its own
 * stack with every other CPU still parked, stores call_rc, then call_done = call_seq
 * (release). The driver waits for call_done == call_seq (bounded), then may post the next
 * call or release. common_livepatch_apply()/revert() work only inside such a call.
 */
#define LIVEPATCH_MASTER_CPU        0
#define LIVEPATCH_CALL_VOID         0   /* void fn(void): load and unload hooks */
#define LIVEPATCH_CALL_ACTION       1   /* int fn(livepatch_payload_t *): apply/revert action hooks */

#define LIVEPATCH_CPU_ACTION_NONE   0
#define LIVEPATCH_CPU_ACTION_UCODE  1   /* each CPU sets cpu[i].ucode_rev = ucode_rev */

struct livepatch_cpu {                /* 128 bytes, one cache-line pair per pCPU */
    uint64_t arrived;                 /*   0: generation this CPU is parked for (CPU writes, release) */
    uint64_t left;                    /*   8: generation this CPU last left */
    uint64_t sp;                      /*  16: stack pointer inside do_livepatch_work() */
    uint64_t fp;                      /*  24: frame pointer of do_livepatch_work() (rbp chain start) */
    uint64_t pc;                      /*  32: return address of do_livepatch_work() */
    uint64_t stack_lo;                /*  40: this CPU's stack [stack_lo, stack_hi) */
    uint64_t stack_hi;                /*  48 */
    uint64_t ucode_rev;               /*  56: per-CPU microcode revision */
    uint64_t action_done;             /*  64: generation of the last cpu_action done */
    uint64_t wait_ns;                 /*  72: time parked in the last rendezvous */
    uint64_t timeouts;                /*  80: rendezvous this CPU left at the deadline */
    uint64_t rendezvous;              /*  88: rendezvous this CPU took part in */
    uint64_t pad[4];                  /*  96 */
};

struct livepatch_rendezvous {
    uint32_t do_work;                 /*   0: the flag; non-zero = park at the next check */
    uint32_t nr_cpus;                 /*   4: pCPUs expected to arrive */
    uint64_t generation;              /*   8: id of the requested rendezvous (non-zero) */
    uint64_t deadline;                /*  16: CLOCK_MONOTONIC ns after which CPUs may leave */
    uint64_t acting;                  /*  24: = generation once the driver committed to act */
    uint64_t release;                 /*  32: = generation: CPUs may go */
    uint32_t cpu_action;              /*  40: LIVEPATCH_CPU_ACTION_* run by each CPU at release */
    uint32_t pad0;                    /*  44 */
    uint64_t ucode_rev;               /*  48: argument of LIVEPATCH_CPU_ACTION_UCODE */
    uint64_t stuck_limit_ns;          /*  56: 0 = 2 s */
    uint64_t call_seq;                /*  64: master call requested (driver writes, release) */
    uint64_t call_done;               /*  72: = call_seq once the master ran it (master writes, release) */
    uint64_t call_fn;                 /*  80: function to call (inside the payload area, else -EPERM) */
    uint64_t call_arg;                /*  88: its argument (LIVEPATCH_CALL_ACTION: the payload handle) */
    int64_t  call_rc;                 /*  96: its result (0 for a void hook) */
    uint32_t call_kind;               /* 104: LIVEPATCH_CALL_* */
    uint8_t  pad1[20];                /* 108 */
    struct livepatch_cpu cpu[XSPLICE_NR_CPUS_MAX]; /* 128 */
};

/* ---------------------------------------------------------------------------------------
 * Exception-table and symbol regions of payloads (symbol "livepatch_regions": one 8-byte
 * pointer to a struct livepatch_region_table, 0 when no payload is registered).
 *
 * Update protocol (read-copy-update): the driver never modifies a table that is published.
 * It writes a complete new table (regions sorted by text_start, non-overlapping; each
 * region's exception table sorted by fault address, each symbol list sorted by value) into
 * memory it owns inside the payload area, then stores the new pointer with one 8-byte
 * pwrite and increments livepatch_regions_gen. Readers (the fault handler, the crash
 * report, debug key 'x') load the pointer once (acquire) and use only that table. The old
 * table may be reused only after a grace period: every pCPU has either advanced its
 * cpu_stats[i].exits counter or was seen idle (cpu_stats[i].idle == 1) after the flip.
 * The control thread never reads the table.
 */
struct exception_table_entry {        /* 8 bytes: Xen's x86 form, both relative to the field */
    int32_t addr;                     /* faulting instruction = &addr + addr */
    int32_t cont;                     /* fixup = &cont + cont */
};

struct livepatch_symbol {             /* 24 bytes */
    uint64_t value;                   /* address */
    uint64_t size;
    uint64_t name;                    /* const char *, NUL-terminated */
};

struct livepatch_region {             /* 64 bytes */
    uint64_t text_start;              /*  0: [text_start, text_end) is searched for fixups */
    uint64_t text_end;                /*  8 */
    uint64_t extable;                 /* 16: const struct exception_table_entry *, sorted */
    uint64_t nr_extable;              /* 24 */
    uint64_t symtab;                  /* 32: const struct livepatch_symbol *, sorted by value */
    uint64_t nr_symtab;               /* 40 */
    uint64_t name;                    /* 48: const char *: payload name, printed as [name] */
    uint64_t dump;                    /* 56: const char * or 0: text debug key 'x' prints for it */
};

struct livepatch_region_table {       /* 16 + 64 * nr bytes */
    uint64_t nr;
    uint64_t pad;
    struct livepatch_region region[];
};

/* ---------------------------------------------------------------------------------------
 * Payload handle (livepatch_payload_t, Xen's struct payload as hooks see it): written by the
 * supervisor into a read-write block of the payload area, one per payload, and passed to
 * pre/post and action hooks. The same layout is declared for payload authors in
 * xsplice-build's include/xsplice/livepatch.h.
 *
 *   handle: struct livepatch_handle | struct livepatch_func funcs[nfuncs] (a copy of the
 *           payload's entries, old_addr resolved) | struct livepatch_handle_fstate fstate[nfuncs] | names
 *
 * fstate[i] is the patch state of funcs[i]: the supervisor keeps it current for the default
 * action; an action hook changes it through common_livepatch_apply()/revert(). After an action
 * hook the supervisor checks that every fstate and the live text agree with the hook's result.
 */
#define LIVEPATCH_FUNC_NOT_APPLIED  0
#define LIVEPATCH_FUNC_APPLIED      1
#define LIVEPATCH_INSN_MAX          32

struct livepatch_handle_fstate {      /* 96 bytes (the author header calls it struct livepatch_fstate) */
    uint32_t applied;                 /*  0: LIVEPATCH_FUNC_* */
    uint32_t len;                     /*  4: bytes the patch writes at patch_addr (5, or the NOP count) */
    uint64_t patch_addr;              /*  8: old_addr, + 4 after an ENDBR64 */
    uint8_t  insn_buffer[LIVEPATCH_INSN_MAX]; /* 16: the bytes the patch overwrote (saved at apply) */
    uint8_t  patch[LIVEPATCH_INSN_MAX];       /* 48: the bytes the patch writes (jmp rel32 or NOPs) */
    uint64_t pad[2];                  /* 80 */
};

struct livepatch_handle {             /* 64 bytes (the author header: livepatch_payload_t) */
    uint64_t name;                    /*  0: const char * */
    uint64_t funcs;                   /*  8: const struct livepatch_func * (104-byte entries) */
    uint64_t fstate;                  /* 16: struct livepatch_handle_fstate * */
    uint32_t nfuncs;                  /* 24 */
    uint32_t pad0;                    /* 28 */
    uint64_t pad[4];                  /* 32 */
};

/* ---------------------------------------------------------------------------------------
 * Control mailbox ("platform op" from the control domain; symbol "xsplice_mbox",
 * 65536 bytes). One request at a time:
 *   supervisor: fill op, cpu, arg[], buf; then seq = seq + 1; then write 1 to doorbell_fd.
 *   control thread: runs the op, fills rc, ret, buf; then done = seq (release); then writes
 *   1 to completion_fd. The supervisor reads rc/ret/buf after seeing done == seq.
 */
#define XSPLICE_OP_PING        0      /* rc = 0, ret[0] = arg[0] */
#define XSPLICE_OP_HYPERCALL   1      /* dom0 hypercall arg[0] with args arg[1..5], run on pCPU
                                         `cpu` through the PV hypercall path; rc = its result.
                                         Guest handles point into buf (dom0's memory). */
#define XSPLICE_OP_MPROTECT    2      /* mprotect(arg[0], arg[1], arg[2]) inside the payload
                                         area only; PROT_WRITE|PROT_EXEC together is EPERM */
#define XSPLICE_OP_SHUTDOWN    3      /* orderly stop, exit status XSPLICE_EXIT_OK */
#define XSPLICE_OP_CALL        4      /* a payload's pre/post hook: rc = (int)fn(arg) with
                                         fn = arg[0] (inside the payload area, else EPERM) and
                                         arg = arg[1] (the payload handle), on the control thread */

#define XSPLICE_MBOX_SIZE      65536
#define XSPLICE_MBOX_HDR       80

struct xsplice_mbox {
    uint32_t seq;                     /*  0: written by the supervisor last */
    uint32_t done;                    /*  4: written by the core last */
    uint32_t op;                      /*  8 */
    uint32_t cpu;                     /* 12: pCPU for HYPERCALL */
    int64_t  rc;                      /* 16: 0 or -errno (hypercall: its return value) */
    uint64_t arg[6];                  /* 24 */
    uint64_t ret[1];                  /* 72 */
    uint8_t  buf[XSPLICE_MBOX_SIZE - XSPLICE_MBOX_HDR]; /* 80 */
};

/* ---------------------------------------------------------------------------------------
 * Per-CPU workload counters (symbol "cpu_stats", 128 bytes per pCPU). Each CPU increments
 * its own with plain stores; readers see torn-free 8-byte values.
 */
struct cpu_stats {
    uint64_t exits;                   /*   0: every pass through an exit path */
    uint64_t hypercalls;              /*   8 */
    uint64_t vmexits;                 /*  16: HVM exits */
    uint64_t pv_hypercalls;           /*  24 */
    uint64_t efaults;                 /*  32: guest copies that faulted and were fixed up */
    uint64_t softirqs;                /*  40 */
    uint64_t wakeups;                 /*  48: IPIs that woke the CPU from idle */
    uint64_t idle;                    /*  56: 1 while the CPU sleeps in the idle loop */
    uint64_t dom0_ops;                /*  64: control-domain hypercalls served */
    uint64_t pad[7];
};

#endif
