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

/* An opaque handle on the payload, passed to pre/post and action hooks. */
typedef struct xsplice_payload livepatch_payload_t;

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

#endif /* XSPLICE_LIVEPATCH_H */
