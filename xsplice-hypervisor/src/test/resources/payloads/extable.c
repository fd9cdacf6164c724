/* A replacement with an exception-table entry: a read through a bad pointer continues at
 * the fixup, which returns -14 (EFAULT). */
#include <xsplice/livepatch.h>

__attribute__((noinline)) int extable_read(const int *p)
{
    int v;
    asm volatile("1: movl (%1), %0\n"
                 "2:\n"
                 ".pushsection .fixup, \"ax\"\n"
                 "3: movl $-14, %0\n"
                 "   jmp 2b\n"
                 ".popsection\n"
                 ".pushsection .ex_table, \"a\"\n"
                 ".balign 4\n"
                 ".long 1b - .\n"
                 ".long 3b - .\n"
                 ".popsection\n"
                 : "=r"(v) : "r"(p));
    return v;
}

int extable_major_version(void)
{
    return extable_read((const int *)0x10) == -14 ? 4 : 0;
}

XSPLICE_PATCH(xen_major_version, extable_major_version);
