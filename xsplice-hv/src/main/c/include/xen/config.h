/* Build-wide definitions every file includes first (Xen: xen/include/xen/config.h). */
#ifndef XEN_CONFIG_H
#define XEN_CONFIG_H

#define _GNU_SOURCE 1
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <errno.h>

#include <public/xsplice.h>

#define NR_CPUS            XSPLICE_NR_CPUS_MAX
#define PAGE_SIZE          4096UL
#define SMP_CACHE_BYTES    64

#define likely(x)          __builtin_expect(!!(x), 1)
#define unlikely(x)        __builtin_expect(!!(x), 0)
#define noinline           __attribute__((noinline))
#define __used             __attribute__((used))
#define __aligned(a)       __attribute__((aligned(a)))
#define ARRAY_SIZE(a)      (sizeof(a) / sizeof((a)[0]))

#define ACCESS_ONCE(x)     (*(volatile __typeof__(x) *)&(x))
/* Named orderings (x86-64 TSO: acquire/release are plain moves that stop compiler reordering). */
#define load_acquire(p)    __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_release(p,v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_mb()           __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define cpu_relax()        __builtin_ia32_pause()

typedef int64_t s_time_t;

#endif
