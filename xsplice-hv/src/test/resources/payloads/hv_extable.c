/* Payload code that reads through a pointer it is given; a bad pointer faults and the
 * payload's own .ex_table entry continues at its .fixup, which returns -EFAULT (-14). */
#include <xsplice/livepatch.h>

long extable_probe(unsigned long ptr, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
    long v;
    (void)a2; (void)a3; (void)a4; (void)a5;
    asm volatile("1: movslq (%1), %0\n"
                 "2:\n"
                 ".pushsection .fixup, \"ax\"\n"
                 "3: mov $-14, %0\n"
                 "   jmp 2b\n"
                 ".popsection\n"
                 ".pushsection .ex_table, \"a\"\n"
                 ".balign 4\n"
                 ".long 1b - .\n"
                 ".long 3b - .\n"
                 ".popsection\n"
                 : "=r"(v) : "r"(ptr));
    return v;
}

const char *extable_changeset(void)
{
    return "extable";
}

XSPLICE_PATCH(xen_changeset, extable_changeset);
