#ifndef XEN_GUEST_ACCESS_H
#define XEN_GUEST_ACCESS_H
#include <xen/config.h>

/* A guest handle is a raw guest-virtual address, as for a PV guest: the hypervisor
 * dereferences it directly and relies on the exception table when it is bad. */
typedef struct { uint64_t p; } guest_handle_t;
#define guest_handle(a) ((guest_handle_t){ (uint64_t)(a) })

/* Both return the number of bytes NOT copied (0 on success), as Xen's raw_copy_*. */
unsigned long raw_copy_to_guest(void *to, const void *from, unsigned long n);
unsigned long raw_copy_from_guest(void *to, const void *from, unsigned long n);

#define copy_to_guest(h, src, n)   raw_copy_to_guest((void *)(h).p, (src), (n))
#define copy_from_guest(dst, h, n) raw_copy_from_guest((dst), (const void *)(h).p, (n))
#endif
