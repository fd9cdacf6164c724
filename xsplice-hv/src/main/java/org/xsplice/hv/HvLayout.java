package org.xsplice.hv;

/**
 * Offsets and sizes of the C core's shared structures ({@code src/main/c/include/public/xsplice.h}).
 * {@link HvImage#address(String, long)} checks each object's symbol size against these, so a
 * mismatch between the two sides is caught at attach time instead of corrupting memory.
 */
public final class HvLayout {
    private HvLayout() {
    }

    public static final int ABI_VERSION = 1;
    public static final int NR_CPUS_MAX = 64;

    /** {@code struct xsplice_ctl}, symbol {@code xsplice_ctl}. */
    public static final class Ctl {
        public static final String SYMBOL = "xsplice_ctl";
        public static final long SIZE = 1024;
        public static final long ABI_VERSION = 0;
        public static final long BOOT_STATE = 4;
        public static final long NR_CPUS = 8;
        public static final long DOORBELL_FD = 12;
        public static final long COMPLETION_FD = 16;
        public static final long PAYLOAD_AREA = 24;
        public static final long PAYLOAD_AREA_SIZE = 32;
        public static final long PID = 40;
        public static final long IPI_FD = 48;
        public static final int BOOT_READY = 1;
        public static final int BOOT_SHUTDOWN = 2;

        private Ctl() {
        }
    }

    /** {@code struct livepatch_rendezvous}, symbol {@code livepatch_rendezvous}. */
    public static final class Rendezvous {
        public static final String SYMBOL = "livepatch_rendezvous";
        public static final long SIZE = 128 + 128L * NR_CPUS_MAX;
        public static final long DO_WORK = 0;
        public static final long NR_CPUS = 4;
        public static final long GENERATION = 8;
        public static final long DEADLINE = 16;
        public static final long ACTING = 24;
        public static final long RELEASE = 32;
        public static final long CPU_ACTION = 40;
        public static final long UCODE_REV = 48;
        public static final long STUCK_LIMIT_NS = 56;
        /** Generation a CPU claimed the master role for. */
        public static final long MASTER = 64;
        /** The staged {@code struct livepatch_work} for this generation, 0 = none. */
        public static final long WORK = 72;
        /** Master: generation whose work is finished. */
        public static final long DONE = 80;
        /** Master: 0 or -errno of that work. */
        public static final long RC = 88;
        /** Master: index of the write that failed, -1. */
        public static final long FAILED = 96;
        public static final long MASTER_CPU = 104;
        /** Master: 1 + index of the hook step that failed, 0 = none (a 4-byte field). */
        public static final long STEP_FAILED = 108;
        /** Master: ns from its claim to the release. */
        public static final long MASTER_NS = 112;
        /** Master: what the last action hook returned. */
        public static final long HOOK_RC = 120;
        public static final long CPU = 128;
        public static final long CPU_SIZE = 128;
        /** Offsets inside one {@code struct livepatch_cpu}. */
        public static final long CPU_ARRIVED = 0;
        public static final long CPU_LEFT = 8;
        public static final long CPU_SP = 16;
        public static final long CPU_FP = 24;
        public static final long CPU_PC = 32;
        public static final long CPU_STACK_LO = 40;
        public static final long CPU_STACK_HI = 48;
        public static final long CPU_UCODE_REV = 56;
        public static final long CPU_ACTION_DONE = 64;
        public static final long CPU_WAIT_NS = 72;
        public static final long CPU_TIMEOUTS = 80;
        public static final long CPU_RENDEZVOUS = 88;
        public static final long CPU_ARRIVE_NS = 96;
        public static final long CPU_LEAVE_NS = 104;
        public static final int CPU_ACTION_NONE = 0;
        public static final int CPU_ACTION_UCODE = 1;

        private Rendezvous() {
        }
    }

    /** Payload regions: symbol {@code livepatch_regions} (a pointer) and {@code livepatch_regions_gen}. */
    public static final class Regions {
        public static final String SYMBOL = "livepatch_regions";
        public static final String GENERATION_SYMBOL = "livepatch_regions_gen";
        public static final long TABLE_HEADER = 16;
        public static final long REGION_SIZE = 128;
        public static final long TEXT_START = 0;
        public static final long TEXT_END = 8;
        public static final long EXTABLE = 16;
        public static final long NR_EXTABLE = 24;
        public static final long SYMTAB = 32;
        public static final long NR_SYMTAB = 40;
        public static final long NAME = 48;
        public static final long DUMP = 56;
        /** {@code bug_frames[4]}: the loaded {@code .bug_frames.N} of the payload, or 0. */
        public static final long BUG_FRAMES = 64;
        /** {@code nr_bug_frames[4]}: entries in each. */
        public static final long NR_BUG_FRAMES = 96;
        public static final int BUGFRAME_NR = 4;
        public static final long SYMBOL_ENTRY_SIZE = 24;
        public static final long EXTABLE_ENTRY_SIZE = 8;

        private Regions() {
        }
    }

    /**
     * The meta region at the top of the payload area (never handed to payloads): the two
     * region-table buffers, then the state area (work list and two record-table buffers).
     */
    public static final class Meta {
        public static final long SIZE = 4L << 20;
        public static final long REGION_BUFFER = 1L << 20;
        public static final long STATE_OFFSET = 2L << 20;
        public static final long WORK_SIZE = 1L << 20;
        public static final long TABLE_SIZE = 512L << 10;

        private Meta() {
        }
    }

    /** {@code struct livepatch_work} and {@code struct livepatch_write}: what the master runs. */
    public static final class Work {
        public static final long HEADER = 64;
        public static final long NR = 0;
        public static final long TABLE = 8;
        public static final long WRITE_SIZE = 128;
        public static final long ADDR = 0;
        public static final long LEN = 8;
        public static final long FLAGS = 12;
        public static final long EXPECT = 16;
        public static final long BYTES = 48;
        public static final long FIN = 80;
        public static final int WRITE_MAX = 32;
        public static final int CHECK_LIVE = 1;
        public static final int MAX = 4096;
        /** {@code steps} and {@code nr_steps} in the header; each {@code struct livepatch_step} (hooks). */
        public static final long STEPS = 16;
        public static final long NR_STEPS = 24;
        public static final long STEP_SIZE = 32;
        public static final long STEP_KIND = 0;
        public static final long STEP_APPLY = 4;
        public static final long STEP_FN = 8;
        public static final long STEP_HANDLE = 16;
        public static final long STEP_FROM = 24;
        public static final long STEP_TO = 28;
        public static final int STEP_WRITES = 0;
        public static final int STEP_CALL = 1;
        public static final int STEP_ACTION = 2;
        public static final int STEPS_MAX = 256;

        private Work() {
        }
    }

    /** The payload handle ({@code struct livepatch_handle}, {@code struct livepatch_handle_fstate}), in the payload area. */
    public static final class Handle {
        public static final long SIZE = 64;
        public static final long NAME = 0;
        public static final long FUNCS = 8;
        public static final long FSTATE = 16;
        public static final long NFUNCS = 24;
        public static final long FUNC_SIZE = 104;
        public static final long FSTATE_SIZE = 96;
        public static final long FS_APPLIED = 0;
        public static final long FS_LEN = 4;
        public static final long FS_PATCH_ADDR = 8;
        public static final long FS_INSN_BUFFER = 16;
        public static final long FS_PATCH = 48;
        public static final int FUNC_NOT_APPLIED = 0;
        public static final int FUNC_APPLIED = 1;

        private Handle() {
        }
    }

    /** {@code struct livepatch_state} (symbol) and the record tables it points to. */
    public static final class State {
        public static final String SYMBOL = "livepatch_state";
        public static final long SIZE = 64;
        public static final long TABLE = 0;
        public static final long GENERATION = 8;
        public static final long MAGIC = 0x31544154534c5058L;
        public static final long TABLE_HEADER = 64;
        public static final long T_MAGIC = 0;
        public static final long T_NR = 8;
        public static final long T_NR_APPLIED = 16;
        public static final long T_BYTES = 24;
        public static final long RECORD = 256;
        public static final int NAME_SIZE = 128;
        public static final long R_BASE = 128;
        public static final long R_SIZE = 136;
        public static final long R_TEXT_ADDR = 144;
        public static final long R_TEXT_SIZE = 152;
        public static final long R_RW_ADDR = 160;
        public static final long R_RW_SIZE = 168;
        public static final long R_RO_ADDR = 176;
        public static final long R_RO_SIZE = 184;
        public static final long R_FILE = 192;
        public static final long R_FILE_SIZE = 200;
        public static final long R_STATE = 208;
        public static final long R_RC = 212;
        public static final long R_NR_FUNCS = 216;
        public static final long R_FLAGS = 220;
        public static final long R_APPLIED_POS = 224;
        public static final int FLAG_REVERTED = 1;
        public static final long FSTATE = 48;
        public static final long F_PATCH_ADDR = 0;
        public static final long F_LEN = 8;
        public static final long F_APPLIED = 12;
        public static final long F_SAVED = 16;

        private State() {
        }
    }

    /** {@code struct xsplice_mbox}, symbol {@code xsplice_mbox}. */
    public static final class Mbox {
        public static final String SYMBOL = "xsplice_mbox";
        public static final long SIZE = 65536;
        public static final long SEQ = 0;
        public static final long DONE = 4;
        public static final long OP = 8;
        public static final long CPU = 12;
        public static final long RC = 16;
        public static final long ARG = 24;
        public static final long RET = 72;
        public static final long BUF = 80;
        public static final int BUF_SIZE = (int) (SIZE - BUF);
        public static final int OP_PING = 0;
        public static final int OP_HYPERCALL = 1;
        public static final int OP_MPROTECT = 2;
        public static final int OP_SHUTDOWN = 3;
        public static final int OP_CALL = 4;

        private Mbox() {
        }
    }

    /** {@code struct cpu_stats[]}, symbol {@code cpu_stats}. */
    public static final class Stats {
        public static final String SYMBOL = "cpu_stats";
        public static final long SIZE = 128L * NR_CPUS_MAX;
        public static final long ENTRY = 128;
        public static final long EXITS = 0;
        public static final long HYPERCALLS = 8;
        public static final long VMEXITS = 16;
        public static final long PV_HYPERCALLS = 24;
        public static final long EFAULTS = 32;
        public static final long SOFTIRQS = 40;
        public static final long WAKEUPS = 48;
        public static final long IDLE = 56;
        public static final long DOM0_OPS = 64;

        private Stats() {
        }
    }

    /** The console ring: {@code conring}, {@code conring_prod}, {@code conring_cons}. */
    public static final class Console {
        public static final String RING = "conring";
        public static final String PROD = "conring_prod";
        public static final String CONS = "conring_cons";
        public static final long SIZE = 1L << 16;

        private Console() {
        }
    }
}
