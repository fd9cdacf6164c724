#ifndef XEN_SETUP_H
#define XEN_SETUP_H
#include <xen/config.h>
extern struct xsplice_ctl xsplice_ctl;
extern struct xsplice_mbox xsplice_mbox;
extern char xsplice_payload_area[];
#define PAYLOAD_AREA_SIZE (64UL << 20)
extern __thread uint64_t tls_stack_lo, tls_stack_hi;
void traps_init(void);
void percpu_traps_init(uint64_t stack_lo, uint64_t stack_hi);
void platform_op_loop(void);
void sort_exception_tables(void);
#endif
