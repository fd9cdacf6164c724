#ifndef ASM_BUG_H
#define ASM_BUG_H
/*
 * Bug frames (Xen: xen/arch/x86/include/asm/bug.h, xen/include/xen/bug.h). BUG(), WARN(),
 * ASSERT() and run_in_exception_handler() compile to a `ud2` plus an entry in
 * .bug_frames.<type>; the invalid-opcode trap finds the entry by the ud2's address. Keeping
 * file, line and predicate out of the instruction stream means a changed line number moves
 * no code, so a live patch need not replace a function whose only change is a WARN's line.
 *
 * Entry (Xen's x86 layout, 8 bytes; 16 for ASSERT, whose second half points at the predicate):
 *   word 0: loc_disp:24 (signed, ud2 - &entry)   | line_hi:7 << 24
 *   word 1: ptr_disp:24 (signed, ptr - &entry)   | line_lo:7 << 24   (ptr: file, or run_fn's fn)
 *   word 2: 0,  word 3: msg - &entry               (ASSERT only)
 * The line bits ride in the relocation addends; a negative displacement borrows one from
 * them, which bug_line() gives back.
 */
#include <xen/config.h>

#define BUGFRAME_run_fn   0
#define BUGFRAME_warn     1
#define BUGFRAME_bug      2
#define BUGFRAME_assert   3
#define BUGFRAME_NR       4

#define BUG_DISP_WIDTH    24
#define BUG_LINE_LO_WIDTH (31 - BUG_DISP_WIDTH)
#define BUG_LINE_HI_WIDTH (31 - BUG_DISP_WIDTH)

#ifndef __ASSEMBLY__
struct bug_frame {
    signed int loc_disp:BUG_DISP_WIDTH;
    unsigned int line_hi:BUG_LINE_HI_WIDTH;
    signed int ptr_disp:BUG_DISP_WIDTH;
    unsigned int line_lo:BUG_LINE_LO_WIDTH;
    signed int msg_disp[];
};

#define bug_loc(b)  ((uint64_t)(uintptr_t)(b) + (int64_t)(b)->loc_disp)
#define bug_ptr(b)  ((const void *)((const char *)(b) + (b)->ptr_disp))
#define bug_line(b) (((((b)->line_hi + ((b)->loc_disp < 0)) & ((1 << BUG_LINE_HI_WIDTH) - 1))  \
                      << BUG_LINE_LO_WIDTH) +                                                  \
                     (((b)->line_lo + ((b)->ptr_disp < 0)) & ((1 << BUG_LINE_LO_WIDTH) - 1)))
#define bug_msg(b)  ((const char *)(b) + (b)->msg_disp[1])

/* Bytes per entry of each .bug_frames.N (ASSERT frames carry the predicate). */
#define BUG_FRAME_SIZE(type) ((type) == BUGFRAME_assert ? 16 : 8)

#define _ASM_BUGFRAME_TEXT(second_frame)                                        \
    ".Lbug%=: ud2\n"                                                            \
    ".pushsection .bug_frames.%c[bf_type], \"a\", @progbits\n"                  \
    ".p2align 2\n"                                                              \
    ".Lfrm%=:\n"                                                                \
    ".long (.Lbug%= - .Lfrm%=) + %c[bf_line_hi]\n"                              \
    ".long (%c[bf_ptr] - .Lfrm%=) + %c[bf_line_lo]\n"                           \
    ".if " #second_frame "\n"                                                   \
    ".long 0, %c[bf_msg] - .Lfrm%=\n"                                           \
    ".endif\n"                                                                  \
    ".popsection\n"

#define _ASM_BUGFRAME_INFO(type, line, ptr, msg)                                \
    [bf_type]    "i" (type),                                                    \
    [bf_ptr]     "i" (ptr),                                                     \
    [bf_msg]     "i" (msg),                                                     \
    [bf_line_lo] "i" (((line) & ((1 << BUG_LINE_LO_WIDTH) - 1)) << BUG_DISP_WIDTH), \
    [bf_line_hi] "i" (((line) >> BUG_LINE_LO_WIDTH) << BUG_DISP_WIDTH)

#define BUG_FRAME(type, line, ptr, second_frame, msg) do {                      \
    _Static_assert(!((line) >> (BUG_LINE_LO_WIDTH + BUG_LINE_HI_WIDTH)), "line too large"); \
    _Static_assert((type) < BUGFRAME_NR, "bug frame type");                     \
    asm volatile (_ASM_BUGFRAME_TEXT(second_frame)                              \
                  :: _ASM_BUGFRAME_INFO(type, line, ptr, msg));                 \
} while (0)

#define WARN()  BUG_FRAME(BUGFRAME_warn, __LINE__, __FILE__, 0, NULL)
#define BUG()   do { BUG_FRAME(BUGFRAME_bug, __LINE__, __FILE__, 0, NULL); __builtin_unreachable(); } while (0)

#define WARN_ON(p) ({ bool ret_warn_on_ = (p); if (unlikely(ret_warn_on_)) WARN(); unlikely(ret_warn_on_); })
#define BUG_ON(p)  do { if (unlikely(p)) BUG(); } while (0)

/* Calls fn(regs) from the invalid-opcode trap with the interrupted context's registers. */
struct cpu_trap_regs;
typedef void bug_fn_t(const struct cpu_trap_regs *regs);
#define run_in_exception_handler(fn) BUG_FRAME(BUGFRAME_run_fn, 0, fn, 0, NULL)

#define assert_failed(msg) do {                                                 \
    BUG_FRAME(BUGFRAME_assert, __LINE__, __FILE__, 1, msg);                     \
    __builtin_unreachable();                                                    \
} while (0)

/* Checked in every build here (Xen checks in debug builds): the model is always "debug". */
#define ASSERT(p) do { if (unlikely(!(p))) assert_failed(#p); } while (0)

/* The interrupted context as the trap handler saw it (ucontext gregs, indexed by REG_*). */
struct cpu_trap_regs {
    const long long *gregs;
};

/* The invalid-opcode trap: true when rip was a bug frame that lets execution continue
 * (WARN, run_fn: *rip is advanced past the ud2); BUG/ASSERT do not return. */
bool do_bug_frame(const struct cpu_trap_regs *regs, uint64_t *rip);
/* Registers, stack and call trace of a trapped context (Xen: show_execution_state()). */
void show_execution_state(const struct cpu_trap_regs *regs);
#endif
#endif
