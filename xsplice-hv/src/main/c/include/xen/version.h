#ifndef XEN_VERSION_H
#define XEN_VERSION_H
#include <xen/config.h>
unsigned int xen_major_version(void);
unsigned int xen_minor_version(void);
const char *xen_extra_version(void);
const char *xen_changeset(void);
const char *xen_compiler(void);
const char *xen_compile_by(void);
const char *xen_compile_domain(void);
const char *xen_compile_date(void);
const char *xen_banner_flags(void);
int xen_build_id(const void **p, unsigned int *len);
void xen_build_init(void);
extern const char xen_compile_flags[];
extern char xen_commandline[1024];
#endif
