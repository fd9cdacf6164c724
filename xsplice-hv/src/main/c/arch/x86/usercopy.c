/* Guest memory copies (Xen: xen/arch/x86/usercopy.c). A fault inside `rep movsb` is fixed up
 * through .ex_table: the fixup resumes after the copy with rcx = bytes not copied. */
#include <xen/config.h>
#include <xen/guest_access.h>
#include <asm/extable.h>

/* Inlined into each copy function, so each gets its own .ex_table entry, as in Xen. */
static inline __attribute__((always_inline)) unsigned long
guarded_movsb(void *to, const void *from, unsigned long n)
{
    asm volatile (
        "1:  rep movsb\n"
        "2:\n"
        "    .pushsection .fixup, \"ax\"\n"
        "3:  jmp 2b\n"
        "    .popsection\n"
        _ASM_EXTABLE(1b, 3b)
        : "+c"(n), "+D"(to), "+S"(from) : : "memory");
    return n;
}

unsigned long raw_copy_to_guest(void *to, const void *from, unsigned long n)
{
    return guarded_movsb(to, from, n);
}

unsigned long raw_copy_from_guest(void *to, const void *from, unsigned long n)
{
    return guarded_movsb(to, from, n);
}
