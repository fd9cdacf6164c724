/* Console ring and printk (Xen: xen/drivers/char/console.c). */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/console.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

char conring[CONRING_SIZE] __aligned(PAGE_SIZE);
uint64_t conring_prod, conring_cons;

static int console_lock;          /* 0 free, 1 held; a spinlock so printk works on any thread */
static bool console_line_start = true;

static void console_acquire(void)
{
    while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
        cpu_relax();
}

static void console_release(void)
{
    __atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

/* panic() from a fault taken while printing must still be able to print. */
void console_force_unlock(void)
{
    __atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

static void conring_puts(const char *s, size_t len)
{
    uint64_t p = conring_prod;
    for (size_t i = 0; i < len; i++)
        conring[(p + i) & (CONRING_SIZE - 1)] = s[i];
    /* Release: a reader that sees the new producer also sees the bytes. */
    store_release(&conring_prod, p + len);
}

void console_write_raw(const char *s, size_t len)
{
    while (len) {
        ssize_t n = write(STDOUT_FILENO, s, len);
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

/* Prefixes every line with "(XEN) " as Xen's printk does, into the ring and onto stdout. */
static void emit(const char *buf, size_t len)
{
    char out[1200];
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (console_line_start) {
            memcpy(out + o, "(XEN) ", 6);
            o += 6;
            console_line_start = false;
        }
        out[o++] = buf[i];
        if (buf[i] == '\n')
            console_line_start = true;
        if (o > sizeof(out) - 8) {
            conring_puts(out, o);
            console_write_raw(out, o);
            o = 0;
        }
    }
    conring_puts(out, o);
    console_write_raw(out, o);
}

void vprintk(const char *fmt, va_list ap)
{
    char buf[1024];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    console_acquire();
    emit(buf, (size_t)n);
    console_release();
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void console_init(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
}
