/*
 * The regression hot-patch nop (after Xen's xen_nop.c): no replacement code, the first 5 bytes
 * of xen_minor_version() become NOPs. That is its `mov $XEN_SUBVERSION, %eax`; what is left
 * (`ret`, or Xen's `jmp __x86_return_thunk`) returns whatever %eax held, so `xl info` shows
 * another xen_minor until the payload is reverted.
 */
#include <xsplice/livepatch.h>

XSPLICE_NOP(xen_minor_version, 5);
XSPLICE_MODINFO(version, "1.0");
