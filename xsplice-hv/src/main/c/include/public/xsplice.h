/*
 * The interface between the reference hypervisor (this C core) and its Java supervisor.
 *
 * The supervisor finds every object below by its ELF symbol name in xen-syms (a non-PIE
 * image, so symbol values are run-time addresses) and checks the symbol's size against the
 * layout it expects: a size mismatch means the two sides were built from different headers.
 * It reads and writes them through /proc/PID/mem (pread/pwrite; a write goes through even to
 * read-only pages, so no text page is ever writable inside the process). The supervisor
 * plans and stages; the hypervisor's text is changed by the hypervisor's own master CPU
 * (livepatch_master_act), likewise through its own /proc/self/mem, and the patch state lives
 * here (livepatch_state), so a supervisor that dies loses nothing.
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
 *      cpu_action/ucode_rev, work (a staged struct livepatch_work, or 0); then
 *      generation = gen; then do_work = 1.
 *   2. Wake idle CPUs: write 1 to each xsplice_ctl.ipi_fd[i] (dup'ed with pidfd_getfd).
 *   3. Wait until cpu[i].arrived == gen for every i < nr_cpus, or the deadline passes.
 *   4a. All arrived: the driver may inspect the parked CPUs (sp/fp/pc: the stack check).
 *       To go on it commits: acting = gen, then kicks every CPU. From that store on the
 *       driver writes nothing more; the hypervisor finishes alone (5), even if the driver dies.
 *   4b. Not all arrived, or the driver decided not to act: do_work = 0, then release = gen.
 *       Nothing was changed (EBUSY). A driver that dies before committing: every CPU leaves
 *       at the deadline by itself, nothing changed.
 *   5. The master (the first parked CPU to win the CAS on `master`) runs
 *      livepatch_master_act(): it checks that every CPU is still parked (Dekker with a CPU
 *      leaving at the deadline, see do_livepatch_work), runs the work list
 *      (livepatch_run_work: compare, write, verify, or restore everything), publishes
 *      work->table as livepatch_state.table on success (the commit point: one 8-byte
 *      release store), then writes rc, failed, done = gen (release), do_work = 0,
 *      release = gen, and kicks every CPU.
 *   6. Released CPUs run cpu_action, set action_done = gen, execute cpuid (serialising:
 *      cross-modified code) and go on. The driver waits for done == gen and left == gen.
 * A CPU waits for release until the deadline unless acting == gen; once acting it waits up
 * to stuck_limit_ns (0: 2 s) for the master and then panics (a master that hangs).
 *
 * Entry points for work on the master while every CPU is parked: livepatch_master_act() is
 * the only caller of livepatch_run_work() and, when the work list has hook steps
 * (struct livepatch_step, below), of livepatch_run_steps(); anything else that must run with
 * the world stopped goes between the Dekker check and the publication, takes its arguments
 * from struct livepatch_work (pad[] is reserved for such slots), and reports a negative
 * errno through the same rc. Hooks are payload code: they must not block (the parked CPUs
 * panic after stuck_limit_ns).
 */
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
    uint64_t arrive_ns;               /*  96: NOW() when it parked last (before arrived) */
    uint64_t leave_ns;                /* 104: NOW() when it left last (before left) */
    uint64_t pad[2];                  /* 112 */
};

struct livepatch_rendezvous {
    uint32_t do_work;                 /*   0: the flag; non-zero = park at the next check */
    uint32_t nr_cpus;                 /*   4: pCPUs expected to arrive */
    uint64_t generation;              /*   8: id of the requested rendezvous (non-zero) */
    uint64_t deadline;                /*  16: CLOCK_MONOTONIC ns after which CPUs may leave */
    uint64_t acting;                  /*  24: = generation: the driver committed, the master acts */
    uint64_t release;                 /*  32: = generation: CPUs may go */
    uint32_t cpu_action;              /*  40: LIVEPATCH_CPU_ACTION_* run by each CPU at release */
    uint32_t pad0;                    /*  44 */
    uint64_t ucode_rev;               /*  48: argument of LIVEPATCH_CPU_ACTION_UCODE */
    uint64_t stuck_limit_ns;          /*  56: 0 = 2 s */
    uint64_t master;                  /*  64: generation a CPU claimed the master role for (CAS) */
    uint64_t work;                    /*  72: const struct livepatch_work * for this generation, 0 = none */
    uint64_t done;                    /*  80: master: generation whose work is finished (release store) */
    int64_t  rc;                      /*  88: master: 0 or -errno of that work (-EBUSY: a CPU had left) */
    int64_t  failed;                  /*  96: master: index of the write that failed, -1 */
    uint32_t master_cpu;              /* 104: master: which CPU acted */
    uint32_t step_failed;             /* 108: master: 1 + index of the hook step that failed, 0 = none */
    uint64_t master_ns;               /* 112: master: ns from its claim to the release */
    int64_t  hook_rc;                 /* 120: master: what the last action hook returned */
    struct livepatch_cpu cpu[XSPLICE_NR_CPUS_MAX]; /* 128 */
};

/* ---------------------------------------------------------------------------------------
 * The work list the master runs (staged by the driver in the state area, see below, before
 * it raises the flag; read-only for the core). Each write: if CHECK_LIVE, the live bytes at
 * addr must equal expect[] (else -ESTALE, nothing written); then bytes[] is written; when
 * every write is done, every range must hold fin[] (it differs from bytes[] only where a
 * later write of the same list overlaps). On any failure every range written so far is
 * restored from expect[], newest first. Text is written through the core's own
 * /proc/self/mem descriptor, so it is never writable in the process.
 */
#define LIVEPATCH_WRITE_MAX         32
#define LIVEPATCH_WRITE_CHECK_LIVE  1u
#define LIVEPATCH_WORK_MAX          4096

struct livepatch_write {              /* 128 bytes */
    uint64_t addr;                    /*   0 */
    uint32_t len;                     /*   8: 1..LIVEPATCH_WRITE_MAX */
    uint32_t flags;                   /*  12: LIVEPATCH_WRITE_* */
    uint8_t  expect[LIVEPATCH_WRITE_MAX]; /* 16: the bytes before this write */
    uint8_t  bytes[LIVEPATCH_WRITE_MAX];  /* 48: the bytes written */
    uint8_t  fin[LIVEPATCH_WRITE_MAX];    /* 80: the bytes once the whole list is written */
    uint8_t  pad[16];                 /* 112 */
};

struct livepatch_work {               /* 64 + 128 * nr bytes */
    uint64_t nr;                      /*   0: writes, at most LIVEPATCH_WORK_MAX */
    uint64_t table;                   /*   8: records to publish on success, 0 = keep */
    uint64_t steps;                   /*  16: const struct livepatch_step *, 0 = run the writes in one go */
    uint64_t nr_steps;                /*  24 */
    uint64_t pad[4];                  /*  32: reserved for further master steps */
    struct livepatch_write write[];   /*  64 */
};

/*
 * Hook steps (Xen: livepatch_do_action with load/unload and action hooks). When a payload of
 * the action has hooks, the driver stages steps after the writes (work->steps): the master
 * runs them in order instead of livepatch_run_work's single pass:
 *   WRITES [from, to)        the default action for one payload: compare (CHECK_LIVE), write;
 *                            with a handle, its fstate[k] follows (applied, saved bytes)
 *   CALL fn                  void fn(void): a load or unload hook
 *   ACTION fn, handle        int fn(handle): an apply/revert action hook for writes [from, to);
 *                            afterwards every function must agree with its result (0: all
 *                            applied, resp. reverted; error: none), on the text (bytes[] or
 *                            expect[]) and on fstate[k].applied. Otherwise rc = -EINVAL,
 *                            failed = the write of the first function that disagrees.
 * Function k of a step is write from + k when applying, to - 1 - k when reverting. Any failure:
 * every range is restored from expect[] newest first, every handle's fstate set back, and
 * step_failed = 1 + the step's index (0 for a write failure in a WRITES step).
 */
#define LIVEPATCH_STEP_WRITES       0
#define LIVEPATCH_STEP_CALL         1
#define LIVEPATCH_STEP_ACTION       2
#define LIVEPATCH_STEPS_MAX         256

struct livepatch_step {               /* 32 bytes */
    uint32_t kind;                    /*  0: LIVEPATCH_STEP_* */
    uint32_t apply;                   /*  4: 1 = the step applies its payload, 0 = reverts it */
    uint64_t fn;                      /*  8: hook (inside the payload area) */
    uint64_t handle;                  /* 16: struct livepatch_handle *, 0 = none */
    uint32_t from;                    /* 24: the payload's writes */
    uint32_t to;                      /* 28 */
};

/* ---------------------------------------------------------------------------------------
 * Payload handle (livepatch_payload_t, Xen's struct payload as hooks see it): written by the
 * supervisor into a read-write block of the payload area, one per payload with hooks, and
 * passed to pre/post and action hooks. The same layout is declared for payload authors in
 * xsplice-build's include/xsplice/livepatch.h (struct livepatch_fstate, livepatch_payload_t).
 *
 *   handle: struct livepatch_handle | struct livepatch_func funcs[nfuncs] (a copy of the
 *           payload's entries, old_addr resolved) | struct livepatch_handle_fstate fstate[nfuncs] | names
 *
 * fstate[i] is the patch state of funcs[i]: the master keeps it current in WRITES steps; an
 * action hook changes it through common_livepatch_apply()/revert().
 */
#define LIVEPATCH_FUNC_NOT_APPLIED  0
#define LIVEPATCH_FUNC_APPLIED      1

struct livepatch_handle_fstate {      /* 96 bytes */
    uint32_t applied;                 /*  0: LIVEPATCH_FUNC_* */
    uint32_t len;                     /*  4: bytes the patch writes at patch_addr (5, or the NOP count) */
    uint64_t patch_addr;              /*  8: old_addr, + 4 after an ENDBR64 */
    uint8_t  insn_buffer[LIVEPATCH_WRITE_MAX]; /* 16: the bytes the patch overwrote (saved at apply) */
    uint8_t  patch[LIVEPATCH_WRITE_MAX];       /* 48: the bytes the patch writes (jmp rel32 or NOPs) */
    uint64_t pad[2];                  /* 80 */
};

struct livepatch_handle {             /* 64 bytes */
    uint64_t name;                    /*  0: const char * */
    uint64_t funcs;                   /*  8: const struct livepatch_func * (104-byte entries) */
    uint64_t fstate;                  /* 16: struct livepatch_handle_fstate * */
    uint32_t nfuncs;                  /* 24 */
    uint32_t pad0;                    /* 28 */
    uint64_t pad[4];                  /* 32 */
};

/* ---------------------------------------------------------------------------------------
 * Patch state (symbol "livepatch_state", 64 bytes): what a restarted supervisor recovers.
 *
 * `table` points to a struct livepatch_record_table in the state area (the top
 * XSPLICE_STATE_SIZE bytes of the payload area's meta region, read-only to the core). Tables
 * are never modified once published: the writer builds a complete new table in the buffer
 * not published, then stores its address with one 8-byte store (release). Synchronous
 * changes (upload, unload, an action's rc) are published by the supervisor; an action's
 * result by the master (work->table) at the same moment its writes are complete, so a
 * reader sees either the state before the action or the state after it, never a mix.
 *
 *  payload area                                                  meta region (top 4 MiB)
 *  [ payloads and kept payload files ...           | regions 0 | regions 1 | work | tbl A | tbl B ]
 *                                                    1 MiB       1 MiB       1 MiB 512 KiB 512 KiB
 */
#define XSPLICE_META_SIZE        (4UL << 20)
#define XSPLICE_STATE_OFFSET     (2UL << 20)  /* from the meta region's start */
#define XSPLICE_WORK_SIZE        (1UL << 20)
#define XSPLICE_TABLE_SIZE       (512UL << 10)
#define LIVEPATCH_TABLE_MAGIC    0x31544154534c5058ULL /* "XPLSTAT1" */

#define LIVEPATCH_STATE_CHECKED  1
#define LIVEPATCH_STATE_APPLIED  2
#define LIVEPATCH_RECORD_REVERTED 1u  /* reverted once: its .data/.bss is no longer pristine */

struct livepatch_state {
    uint64_t table;                   /*   0: const struct livepatch_record_table *, 0 = none */
    uint64_t generation;              /*   8: incremented after each publication */
    uint64_t pad[6];                  /*  16 */
};

struct livepatch_fstate {             /* 48 bytes, per function (Xen 4.17: livepatch_fstate) */
    uint64_t patch_addr;              /*   0: where the jump (or NOPs) goes */
    uint32_t len;                     /*   8: bytes the patch writes */
    uint32_t applied;                 /*  12: 1 = patched, 0 = not */
    uint8_t  saved[LIVEPATCH_WRITE_MAX]; /* 16: the original bytes (valid when applied) */
};

struct livepatch_record {             /* 256 + 48 * nr_funcs bytes */
    char     name[128];               /*   0: NUL-terminated */
    uint64_t base;                    /* 128: the payload's block in the payload area */
    uint64_t size;                    /* 136 */
    uint64_t text_addr;               /* 144 */
    uint64_t text_size;               /* 152 */
    uint64_t rw_addr;                 /* 160 */
    uint64_t rw_size;                 /* 168 */
    uint64_t ro_addr;                 /* 176 */
    uint64_t ro_size;                 /* 184 */
    uint64_t file;                    /* 192: the uploaded payload file, kept read-only in the payload area */
    uint64_t file_size;               /* 200 */
    uint32_t state;                   /* 208: LIVEPATCH_STATE_* */
    int32_t  rc;                      /* 212: 0 or -errno of the last action */
    uint32_t nr_funcs;                /* 216 */
    uint32_t flags;                   /* 220: LIVEPATCH_RECORD_* */
    uint32_t applied_pos;             /* 224: position in the applied stack, 1 = bottom; 0 = not applied */
    uint32_t pad0;                    /* 228 */
    uint64_t pad[3];                  /* 232 */
    struct livepatch_fstate fstate[]; /* 256 */
};

struct livepatch_record_table {       /* 64 bytes, then nr records back to back */
    uint64_t magic;                   /*   0: LIVEPATCH_TABLE_MAGIC */
    uint64_t nr;                      /*   8: records, in load order */
    uint64_t nr_applied;              /*  16 */
    uint64_t bytes;                   /*  24: size of the whole table */
    uint64_t pad[4];                  /*  32 */
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

#define LIVEPATCH_BUGFRAME_NR 4       /* run_fn, warn, bug, assert: .bug_frames.0 .. .3 */

struct livepatch_region {             /* 128 bytes */
    uint64_t text_start;              /*  0: [text_start, text_end) is searched for fixups */
    uint64_t text_end;                /*  8 */
    uint64_t extable;                 /* 16: const struct exception_table_entry *, sorted */
    uint64_t nr_extable;              /* 24 */
    uint64_t symtab;                  /* 32: const struct livepatch_symbol *, sorted by value */
    uint64_t nr_symtab;               /* 40 */
    uint64_t name;                    /* 48: const char *: payload name, printed as [name] */
    uint64_t dump;                    /* 56: const char * or 0: text debug key 'x' prints for it */
    uint64_t bug_frames[LIVEPATCH_BUGFRAME_NR];    /* 64: the payload's loaded .bug_frames.N (Xen's
                                                      x86 entries, 8 bytes; 16 for N = 3) or 0 */
    uint64_t nr_bug_frames[LIVEPATCH_BUGFRAME_NR]; /* 96: entries in each */
};

struct livepatch_region_table {       /* 16 + 128 * nr bytes */
    uint64_t nr;
    uint64_t pad;
    struct livepatch_region region[];
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
