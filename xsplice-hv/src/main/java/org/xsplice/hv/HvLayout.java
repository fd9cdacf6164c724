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
        public static final long CALL_SEQ = 64;
        public static final long CALL_DONE = 72;
        public static final long CALL_FN = 80;
        public static final long CALL_ARG = 88;
        public static final long CALL_RC = 96;
        public static final long CALL_KIND = 104;
        /** The CPU that runs master calls (load/unload and action hooks). */
        public static final int MASTER_CPU = 0;
        public static final int CALL_VOID = 0;
        public static final int CALL_ACTION = 1;
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
        public static final long REGION_SIZE = 64;
        public static final long TEXT_START = 0;
        public static final long TEXT_END = 8;
        public static final long EXTABLE = 16;
        public static final long NR_EXTABLE = 24;
        public static final long SYMTAB = 32;
        public static final long NR_SYMTAB = 40;
        public static final long NAME = 48;
        public static final long DUMP = 56;
        public static final long SYMBOL_ENTRY_SIZE = 24;
        public static final long EXTABLE_ENTRY_SIZE = 8;

        private Regions() {
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
        public static final int INSN_MAX = 32;
        public static final int FUNC_NOT_APPLIED = 0;
        public static final int FUNC_APPLIED = 1;

        private Handle() {
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
