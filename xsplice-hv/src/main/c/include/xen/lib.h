#ifndef XEN_LIB_H
#define XEN_LIB_H
#include <xen/config.h>
#include <stdarg.h>
#include <asm/bug.h>

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Time since boot (Xen: NOW()), CLOCK_MONOTONIC nanoseconds: the clock the driver's deadline uses. */
s_time_t NOW(void);
extern unsigned long cpu_khz;
void init_time(void);

#endif
