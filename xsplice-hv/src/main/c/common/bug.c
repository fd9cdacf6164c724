/*
 * The invalid-opcode trap's half of bug frames (Xen: xen/common/bug.c do_bug_frame(),
 * x86 traps.c do_invalid_op()): find the frame of the ud2 at rip, in the hypervisor's
 * tables, then in the registered region of the payload whose text holds rip.
 */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/livepatch.h>
#include <asm/bug.h>
#include <string.h>

/* Bounds from xen.lds: one contiguous run, each type ending at its stop symbol. */
extern const struct bug_frame __start_bug_frames[], __stop_bug_frames_0[], __stop_bug_frames_1[],
    __stop_bug_frames_2[], __stop_bug_frames_3[];
extern const char __executable_start[], _etext[];

static const struct bug_frame *const stop_frames[BUGFRAME_NR] = {
    __stop_bug_frames_0, __stop_bug_frames_1, __stop_bug_frames_2, __stop_bug_frames_3,
};

static const struct bug_frame *search_frames(const char *start, const char *end, unsigned int type,
                                             uint64_t addr)
{
    for (const char *p = start; p < end; p += BUG_FRAME_SIZE(type)) {
        const struct bug_frame *b = (const struct bug_frame *)p;
        if (bug_loc(b) == addr)
            return b;
    }
    return NULL;
}

/* The frame for a ud2 at addr, and its type; NULL when addr is no known bug location. */
static const struct bug_frame *find_frame(uint64_t addr, unsigned int *type, const char **payload)
{
    const struct bug_frame *b;

    *payload = NULL;
    if (addr >= (uint64_t)(uintptr_t)__executable_start && addr < (uint64_t)(uintptr_t)_etext) {
        const char *start = (const char *)__start_bug_frames;
        for (unsigned int t = 0; t < BUGFRAME_NR; t++) {
            if ((b = search_frames(start, (const char *)stop_frames[t], t, addr))) {
                *type = t;
                return b;
            }
            start = (const char *)stop_frames[t];
        }
        return NULL;
    }
    const struct livepatch_region *r = livepatch_find_region(addr);
    if (!r)
        return NULL;
    for (unsigned int t = 0; t < BUGFRAME_NR; t++) {
        const char *start = (const char *)(uintptr_t)r->bug_frames[t];
        if (start && (b = search_frames(start, start + r->nr_bug_frames[t] * BUG_FRAME_SIZE(t), t, addr))) {
            *type = t;
            *payload = r->name ? (const char *)(uintptr_t)r->name : "payload";
            return b;
        }
    }
    return NULL;
}

bool do_bug_frame(const struct cpu_trap_regs *regs, uint64_t *rip)
{
    static const uint8_t ud2[2] = { 0x0f, 0x0b };
    const struct bug_frame *b;
    const char *filename, *prefix = "", *payload;
    unsigned int type, line;

    if (memcmp((const void *)(uintptr_t)*rip, ud2, sizeof(ud2)) || !(b = find_frame(*rip, &type, &payload)))
        panic("FATAL TRAP: vector = 6 (invalid opcode)\n[error_code=0000] at %#lx", (unsigned long)*rip);

    if (type == BUGFRAME_run_fn) {
        bug_fn_t *fn = (bug_fn_t *)(uintptr_t)bug_ptr(b);
        fn(regs);
        *rip += sizeof(ud2);
        return true;
    }

    /* Xen shortens long paths to their last 50 characters, marked "...". */
    filename = bug_ptr(b);
    if (strlen(filename) > 50) {
        filename += strlen(filename) - 50;
        prefix = "...";
    }
    line = bug_line(b);
    (void)payload;

    switch (type) {
    case BUGFRAME_warn:
        printk("Xen WARN at %s%s:%u\n", prefix, filename, line);
        show_execution_state(regs);
        *rip += sizeof(ud2);
        return true;
    case BUGFRAME_bug:
        printk("Xen BUG at %s%s:%u\n", prefix, filename, line);
        show_execution_state(regs);
        panic("Xen BUG at %s%s:%u", prefix, filename, line);
    default: {
        const char *predicate = bug_msg(b);
        printk("Assertion '%s' failed at %s%s:%u\n", predicate, prefix, filename, line);
        show_execution_state(regs);
        panic("Assertion '%s' failed at %s%s:%u", predicate, prefix, filename, line);
    }
    }
}
