/* Replaces a function that starts with ENDBR64 and is large enough (9 bytes or more). */
#include <xsplice/livepatch.h>

int endbr_replacement(void)
{
    return 7;
}

XSPLICE_PATCH(endbr_big_function, endbr_replacement);
