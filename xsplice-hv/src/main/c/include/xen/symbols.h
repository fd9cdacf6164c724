#ifndef XEN_SYMBOLS_H
#define XEN_SYMBOLS_H
#include <xen/config.h>

#define KSYM_NAME_LEN 128
void symbols_init(void);
/* Formats addr as "name+0xoff/0xsize" (hypervisor) or "name+0xoff/0xsize [payload]" into buf;
 * returns false (and formats nothing) when no symbol covers it. Safe in a signal handler. */
bool symbols_format(uint64_t addr, char *buf, size_t len);
#endif
