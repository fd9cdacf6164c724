#ifndef XEN_HYPERCALL_H
#define XEN_HYPERCALL_H
#include <xen/config.h>
#include <xen/guest_access.h>
#include <xen/sched.h>

/* Hypercall numbers (Xen: xen/include/public/xen.h). */
#define __HYPERVISOR_sched_op        29
#define __HYPERVISOR_xen_version     17
#define __HYPERVISOR_console_io      18
#define __HYPERVISOR_sysctl          35
#define __HYPERVISOR_domctl          36
#define NR_hypercalls                64

/* xen_version sub-ops (public/version.h). */
#define XENVER_version           0
#define XENVER_extraversion      1
#define XENVER_compile_info      2
#define XENVER_capabilities      3
#define XENVER_changeset         4
#define XENVER_platform_parameters 5
#define XENVER_get_features      6
#define XENVER_pagesize          7
#define XENVER_guest_handle      8
#define XENVER_commandline       9
#define XENVER_build_id          10

typedef char xen_extraversion_t[16];
typedef char xen_capabilities_info_t[1024];
typedef char xen_changeset_info_t[64];
typedef char xen_commandline_t[1024];
struct xen_compile_info {
    char compiler[64];
    char compile_by[16];
    char compile_domain[32];
    char compile_date[32];
};
struct xen_platform_parameters { uint64_t virt_start; };
struct xen_build_id { uint32_t len; unsigned char buf[]; };

/* domctl (public/domctl.h), the subset served. */
#define XEN_DOMCTL_INTERFACE_VERSION 0x00000015
#define XEN_DOMCTL_getdomaininfo     5
struct xen_domctl_getdomaininfo {
    uint16_t domain;
    uint16_t pad;
    uint32_t flags;
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t cpu_time;
    uint32_t nr_online_vcpus;
    uint32_t max_vcpu_id;
    uint32_t ssidref;
    uint8_t  handle[16];
    uint32_t cpupool;
};
struct xen_domctl {
    uint32_t cmd;
    uint32_t interface_version;
    uint16_t domain;
    uint16_t pad[3];
    union {
        struct xen_domctl_getdomaininfo getdomaininfo;
        uint8_t pad[128];
    } u;
};

/* sysctl (public/sysctl.h), the subset served. */
#define XEN_SYSCTL_INTERFACE_VERSION 0x00000015
#define XEN_SYSCTL_physinfo          3
#define XEN_SYSCTL_sched_id          4
#define XEN_SYSCTL_debug_keys        7
/* Not in Xen: a test aid for the live-patch stack check (common/livepatch.c). */
#define XEN_SYSCTL_xsplice_test_sleep 0x7801
#define XEN_SCHEDULER_CREDIT2        6
#define XEN_SYSCTL_PHYSCAP_hvm       (1u << 0)
#define XEN_SYSCTL_PHYSCAP_pv        (1u << 1)
#define XEN_SYSCTL_PHYSCAP_directio  (1u << 2)
#define XEN_SYSCTL_PHYSCAP_hap       (1u << 3)
#define XEN_SYSCTL_PHYSCAP_shadow    (1u << 4)
struct xen_sysctl_physinfo {
    uint32_t threads_per_core;
    uint32_t cores_per_socket;
    uint32_t nr_cpus;
    uint32_t max_cpu_id;
    uint32_t nr_nodes;
    uint32_t max_node_id;
    uint32_t cpu_khz;
    uint32_t capabilities;
    uint64_t total_pages;
    uint64_t free_pages;
    uint64_t scrub_pages;
    uint64_t outstanding_pages;
    uint64_t max_mfn;
    uint32_t hw_cap[8];
    uint64_t ucode_rev[NR_CPUS];  /* xsplice: per-CPU microcode revision (issue 5) */
};
struct xen_sysctl {
    uint32_t cmd;
    uint32_t interface_version;
    union {
        struct xen_sysctl_physinfo physinfo;
        struct { uint32_t sched_id; } sched_id;
        struct { uint64_t keys; uint32_t nr_keys; } debug_keys;   /* keys: guest handle */
        struct { uint64_t ms; uint64_t slices; } test_sleep;
        uint8_t pad[128];
    } u;
};

#define CONSOLEIO_write 0

/* The hypercall table (Xen: arch/x86/hypercall.c / pv/hypercall.c). */
typedef int64_t hypercall_fn_t(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t do_xen_version(uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
int64_t do_domctl(uint64_t u_domctl, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t do_sysctl(uint64_t u_sysctl, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t do_console_io(uint64_t cmd, uint64_t count, uint64_t buffer, uint64_t, uint64_t);
int64_t do_sched_op(uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
void pv_hypercall(struct cpu_user_regs *regs);
void hvm_hypercall(struct cpu_user_regs *regs);
#endif
