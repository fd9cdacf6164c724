/*
 * xsplice/livepatch.h: what a hand-written hot-patch payload needs.
 *
 * A payload written in C holds replacement functions and one XSPLICE_PATCH() entry per
 * function it replaces; `xsplice-build cfile` compiles it, fills in the sizes, adds the
 * build-id and depends notes and links it with `ld -r --build-id=sha1`.
 *
 *     #include <xsplice/livepatch.h>
 *     extern const char *xen_extra_version(void);
 *     const char *hello_world(void) { return "Hello World"; }
 *     XSPLICE_PATCH(xen_extra_version, hello_world);
 *
 * The layout is Xen's struct livepatch_func, payload version 2 (104 bytes).
 */
#ifndef XSPLICE_LIVEPATCH_H
#define XSPLICE_LIVEPATCH_H

#include <stdint.h>

#define LIVEPATCH_PAYLOAD_VERSION 2
#define LIVEPATCH_OPAQUE_SIZE 31

struct livepatch_expectation {
    uint8_t enabled : 1;
    uint8_t len : 5;        /* number of data bytes to compare, 1..31 */
    uint8_t rsv : 2;
    uint8_t data[LIVEPATCH_OPAQUE_SIZE];
};

struct livepatch_func {
    const char *name;       /* the function to replace */
    void *new_addr;         /* NULL: write new_size NOPs instead of a jump */
    void *old_addr;         /* NULL: resolved from name when the payload is loaded */
    uint32_t new_size;      /* 0 here: xsplice-build fills in the symbol's size */
    uint32_t old_size;      /* 0 here: xsplice-build fills it in from the target */
    uint8_t version;
    uint8_t _pad[39];
    struct livepatch_expectation expect;
};

_Static_assert(sizeof(struct livepatch_func) == 104, "struct livepatch_func must be 104 bytes");

/*
 * The payload as hooks see it (Xen's livepatch_payload_t): a block the hypervisor keeps per
 * payload. funcs[i] is a copy of this payload's i-th XSPLICE_PATCH entry with old_addr
 * resolved; fstate[i] is that function's patch state. Layout: include/public/xsplice.h of
 * the reference hypervisor.
 */
#define LIVEPATCH_FUNC_NOT_APPLIED 0
#define LIVEPATCH_FUNC_APPLIED     1

struct livepatch_fstate {
    uint32_t applied;       /* LIVEPATCH_FUNC_* */
    uint32_t len;           /* bytes the patch writes at patch_addr */
    void *patch_addr;       /* old_addr, + 4 after an ENDBR64 */
    uint8_t insn_buffer[32];/* the bytes the patch overwrote */
    uint8_t patch[32];      /* the bytes the patch writes */
    uint64_t _pad[2];
};

typedef struct livepatch_payload {
    const char *name;
    const struct livepatch_func *funcs;
    struct livepatch_fstate *fstate;
    uint32_t nfuncs;
    uint32_t _pad0;
    uint64_t _pad[4];
} livepatch_payload_t;

_Static_assert(sizeof(struct livepatch_fstate) == 96, "struct livepatch_fstate must be 96 bytes");
_Static_assert(sizeof(livepatch_payload_t) == 64, "livepatch_payload_t must be 64 bytes");

/*
 * The hypervisor API for apply/revert action hooks (Xen: common_livepatch_apply/revert):
 * patch or restore funcs[i] and update fstate[i]. Only inside an action hook, which runs on
 * the master CPU while every other CPU is parked; anywhere else they return -EPERM (-1).
 * Applying an applied function (reverting a reverted one) returns 0 and changes nothing.
 */
extern int common_livepatch_apply(const struct livepatch_func *func, struct livepatch_fstate *state);
extern int common_livepatch_revert(const struct livepatch_func *func, struct livepatch_fstate *state);

/* The hypervisor's console (xl dmesg): printk("fmt", ...), lines prefixed "(XEN) ". */
extern void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

typedef void livepatch_loadcall_t(void);
typedef void livepatch_unloadcall_t(void);
typedef int livepatch_precall_t(livepatch_payload_t *arg);
typedef int livepatch_actioncall_t(livepatch_payload_t *arg);
typedef void livepatch_postcall_t(livepatch_payload_t *arg);

/* aligned(8) stops gcc from padding large entries to 32 bytes, which would break the
 * array; payloads are compiled with -fpie so that code needs only PC32/PLT32/64. */
#define XSPLICE_SECTION(s) __attribute__((used, section(s), aligned(8)))
#define XSPLICE_CONCAT_(a, b) a##b
#define XSPLICE_CONCAT(a, b) XSPLICE_CONCAT_(a, b)

/* Replace function `old` of the running hypervisor by `new` of this payload. */
#define XSPLICE_PATCH(old, new)                                                       \
    static const struct livepatch_func XSPLICE_SECTION(".livepatch.funcs")            \
    xsplice_func_##new = {                                                            \
        .name = #old,                                                                 \
        .new_addr = (void *)(new),                                                    \
        .version = LIVEPATCH_PAYLOAD_VERSION,                                         \
    }

/* As XSPLICE_PATCH, but old_addr stays 0 even for a target that pins addresses (a
 * distribution's xen.gz): the hypervisor looks `old` up by name when the payload is uploaded.
 * The name goes to a non-alloc section that only xsplice-build reads. */
#define XSPLICE_PATCH_BY_NAME(old, new)                                               \
    __asm__(".pushsection " XSPLICE_BY_NAME_SECTION ",\"\",@progbits\n\t"            \
            ".asciz \"" #old "\"\n\t.popsection");                                   \
    XSPLICE_PATCH(old, new)
#define XSPLICE_BY_NAME_SECTION ".xsplice.by_name"

/* As XSPLICE_PATCH, and refuse to apply unless `old` starts with the given bytes. */
#define XSPLICE_PATCH_EXPECT(old, new, ...)                                           \
    static const struct livepatch_func XSPLICE_SECTION(".livepatch.funcs")            \
    xsplice_func_##new = {                                                            \
        .name = #old,                                                                 \
        .new_addr = (void *)(new),                                                    \
        .version = LIVEPATCH_PAYLOAD_VERSION,                                         \
        .expect = { .enabled = 1,                                                     \
                    .len = sizeof((const uint8_t[]){ __VA_ARGS__ }),                  \
                    .data = { __VA_ARGS__ } },                                        \
    }

/* Overwrite the first `count` bytes of `old` with NOPs (count <= 31). */
#define XSPLICE_NOP(old, count)                                                       \
    static const struct livepatch_func XSPLICE_SECTION(".livepatch.funcs")            \
    xsplice_nop_##old = {                                                             \
        .name = #old,                                                                 \
        .new_size = (count),                                                          \
        .version = LIVEPATCH_PAYLOAD_VERSION,                                         \
    }

/* Hooks, with Xen's semantics (see docs/patch-author-guide.md). Each pointer is named after
 * its function so that two payloads' hooks never share a (static) symbol name. */
#define XSPLICE_LOAD_HOOK(fn)                                                         \
    static livepatch_loadcall_t *const XSPLICE_SECTION(".livepatch.hooks.load")       \
    XSPLICE_CONCAT(xsplice_load_, fn) = (fn)
#define XSPLICE_UNLOAD_HOOK(fn)                                                       \
    static livepatch_unloadcall_t *const XSPLICE_SECTION(".livepatch.hooks.unload")   \
    XSPLICE_CONCAT(xsplice_unload_, fn) = (fn)
#define XSPLICE_PREAPPLY_HOOK(fn)                                                     \
    static livepatch_precall_t *const XSPLICE_SECTION(".livepatch.hooks.preapply")    \
    XSPLICE_CONCAT(xsplice_preapply_, fn) = (fn)
#define XSPLICE_APPLY_HOOK(fn)                                                        \
    static livepatch_actioncall_t *const XSPLICE_SECTION(".livepatch.hooks.apply")    \
    XSPLICE_CONCAT(xsplice_apply_, fn) = (fn)
#define XSPLICE_POSTAPPLY_HOOK(fn)                                                    \
    static livepatch_postcall_t *const XSPLICE_SECTION(".livepatch.hooks.postapply")  \
    XSPLICE_CONCAT(xsplice_postapply_, fn) = (fn)
#define XSPLICE_PREREVERT_HOOK(fn)                                                    \
    static livepatch_precall_t *const XSPLICE_SECTION(".livepatch.hooks.prerevert")   \
    XSPLICE_CONCAT(xsplice_prerevert_, fn) = (fn)
#define XSPLICE_REVERT_HOOK(fn)                                                       \
    static livepatch_actioncall_t *const XSPLICE_SECTION(".livepatch.hooks.revert")   \
    XSPLICE_CONCAT(xsplice_revert_, fn) = (fn)
#define XSPLICE_POSTREVERT_HOOK(fn)                                                   \
    static livepatch_postcall_t *const XSPLICE_SECTION(".livepatch.hooks.postrevert") \
    XSPLICE_CONCAT(xsplice_postrevert_, fn) = (fn)

/* Link a declaration to a hypervisor symbol by its dl_sym name, e.g. a static function:
 *     extern int helper(void) XSPLICE_SYMBOL("common/kernel.c#helper");
 * The quotes keep the assembler from reading '#' as the start of a comment. */
#define XSPLICE_SYMBOL(name) __asm__("\"" name "\"")

/* .modinfo metadata shown by `xl livepatch list`: XSPLICE_MODINFO(version, "1.0").
 * Written by the assembler so that it defines no symbol: Xen 4.17 counts even a payload's
 * static symbols as new symbols, and two payloads with the same one collide (EEXIST).
 * The value must not contain quotes or backslashes. */
#define XSPLICE_MODINFO(key, value)                                                   \
    __asm__(".pushsection .modinfo,\"a\",@progbits\n\t.asciz \"" #key "=" value    \
            "\"\n\t.popsection")

/*
 * Bug frames and alternatives in payload code, in Xen's x86 form (the hypervisor's
 * asm/bug.h and asm/alternative.h): the loader checks them and registers the frames with the
 * payload's region, so WARN_ON() in a payload prints "Xen WARN at file:line" with a trace
 * naming [payload] and continues; BUG_ON()/ASSERT() crash with Xen's report. Alternatives are
 * applied by the loader for the running CPU's features before the text is made executable.
 */
#define XSPLICE_BUG_DISP_WIDTH 24
#define XSPLICE_BUG_LINE_LO_WIDTH (31 - XSPLICE_BUG_DISP_WIDTH)

#define XSPLICE_BUG_FRAME(type, line, ptr, second_frame, msg)                         \
    asm volatile (".Lbug%=: ud2\n"                                                    \
                  ".pushsection .bug_frames.%c[bf_type], \"a\", @progbits\n"          \
                  ".p2align 2\n"                                                      \
                  ".Lfrm%=:\n"                                                        \
                  ".long (.Lbug%= - .Lfrm%=) + %c[bf_line_hi]\n"                      \
                  ".long (%c[bf_ptr] - .Lfrm%=) + %c[bf_line_lo]\n"                   \
                  ".if " #second_frame "\n"                                           \
                  ".long 0, %c[bf_msg] - .Lfrm%=\n"                                   \
                  ".endif\n"                                                          \
                  ".popsection\n"                                                     \
                  :: [bf_type] "i" (type), [bf_ptr] "i" (ptr), [bf_msg] "i" (msg),    \
                     [bf_line_lo] "i" (((line) & ((1 << XSPLICE_BUG_LINE_LO_WIDTH) - 1)) \
                                       << XSPLICE_BUG_DISP_WIDTH),                    \
                     [bf_line_hi] "i" (((line) >> XSPLICE_BUG_LINE_LO_WIDTH)          \
                                       << XSPLICE_BUG_DISP_WIDTH))

#ifndef WARN_ON
#define WARN() XSPLICE_BUG_FRAME(1, __LINE__, __FILE__, 0, 0)
#define BUG() do { XSPLICE_BUG_FRAME(2, __LINE__, __FILE__, 0, 0); __builtin_unreachable(); } while (0)
#define WARN_ON(p) ({ int xsplice_warn_ = !!(p); if (__builtin_expect(xsplice_warn_, 0)) WARN(); xsplice_warn_; })
#define BUG_ON(p) do { if (__builtin_expect(!!(p), 0)) BUG(); } while (0)
#define ASSERT(p) do {                                                                \
    if (__builtin_expect(!(p), 0)) {                                                  \
        XSPLICE_BUG_FRAME(3, __LINE__, __FILE__, 1, #p);                              \
        __builtin_unreachable();                                                      \
    }                                                                                 \
} while (0)
/* fn(regs) runs from the invalid-opcode trap, then execution continues. */
#define run_in_exception_handler(fn) XSPLICE_BUG_FRAME(0, 0, fn, 0, 0)
#endif

/* `old` runs unless the CPU has `feature` (word * 32 + bit, Xen's numbering), then `new`. */
#define XSPLICE_ALTERNATIVE(old, new, feature)                                        \
    ".LXEN%=_orig_s:\n\t" old "\n.LXEN%=_orig_e:\n\t"                                 \
    ".skip -(((.LXEN%=_repl_e - .LXEN%=_repl_s) - (.LXEN%=_orig_e - .LXEN%=_orig_s)) > 0) * " \
    "((.LXEN%=_repl_e - .LXEN%=_repl_s) - (.LXEN%=_orig_e - .LXEN%=_orig_s)), 0x90\n" \
    ".LXEN%=_orig_p:\n\t"                                                             \
    ".pushsection .altinstructions, \"a\", @progbits\n\t"                             \
    " .long .LXEN%=_orig_s - .\n\t"                                                   \
    " .long .LXEN%=_repl_s - .\n\t"                                                   \
    " .word " #feature "\n\t"                                                         \
    " .byte .LXEN%=_orig_e - .LXEN%=_orig_s\n\t"                                      \
    " .byte .LXEN%=_repl_e - .LXEN%=_repl_s\n\t"                                      \
    " .byte .LXEN%=_orig_p - .LXEN%=_orig_e\n\t"                                      \
    " .byte 0\n\t"                                                                    \
    ".popsection\n\t"                                                                 \
    ".pushsection .altinstr_replacement, \"ax\", @progbits\n\t"                       \
    ".LXEN%=_repl_s:\n\t" new "\n.LXEN%=_repl_e:\n\t"                                 \
    ".popsection\n"
#define xsplice_alternative_io(old, new, feature, output, input...)                   \
    asm volatile (XSPLICE_ALTERNATIVE(old, new, feature) : output : input)

#endif /* XSPLICE_LIVEPATCH_H */
