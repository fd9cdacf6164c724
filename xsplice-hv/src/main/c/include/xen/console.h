#ifndef XEN_CONSOLE_H
#define XEN_CONSOLE_H
#include <xen/config.h>

/* The console ring (Xen: common/console.c conring). Producer/consumer are free-running byte
 * counters; the supervisor reads conring[i & (CONRING_SIZE - 1)] for conring_cons <= i < conring_prod
 * (older than conring_prod - CONRING_SIZE is overwritten) and stores conring_cons for `xl dmesg -c`. */
#define CONRING_SIZE (1UL << 16)
extern char conring[CONRING_SIZE];
extern uint64_t conring_prod, conring_cons;

void console_init(void);
void console_force_unlock(void);
void console_write_raw(const char *s, size_t len);
#endif
