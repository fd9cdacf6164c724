/* NOP mode: overwrite the first bytes of tiny_function (3 bytes: xor %eax,%eax; ret) but its ret. */
#include <xsplice/livepatch.h>

XSPLICE_NOP(tiny_function, 2);
