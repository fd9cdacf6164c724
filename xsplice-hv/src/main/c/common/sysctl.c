/* System control (Xen: xen/common/sysctl.c do_sysctl()). */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/hypercall.h>
#include <xen/keyhandler.h>
#include <xen/sched.h>
#include <xen/livepatch.h>
#include <string.h>
#include <cpuid.h>

#define TOTAL_PAGES ((4096UL << 20) / PAGE_SIZE)   /* the model's 4 GiB of "RAM" */

static void physinfo(struct xen_sysctl_physinfo *pi)
{
    unsigned int a, b, c, d;
    uint64_t used = 0;

    memset(pi, 0, sizeof(*pi));
    pi->threads_per_core = 1;
    pi->cores_per_socket = nr_cpu_ids;
    pi->nr_cpus = nr_cpu_ids;
    pi->max_cpu_id = nr_cpu_ids - 1;
    pi->nr_nodes = 1;
    pi->max_node_id = 0;
    pi->cpu_khz = (uint32_t)cpu_khz;
    pi->capabilities = XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_pv | XEN_SYSCTL_PHYSCAP_directio
                       | XEN_SYSCTL_PHYSCAP_hap | XEN_SYSCTL_PHYSCAP_shadow;
    for (unsigned int i = 0; i < NR_DOMAINS; i++)
        used += domains[i].tot_pages;
    pi->total_pages = TOTAL_PAGES;
    pi->free_pages = TOTAL_PAGES - used;
    pi->max_mfn = TOTAL_PAGES - 1;
    /* hw_caps as Xen prints them: the featureset words, leaf 1 edx/ecx then 0x80000001 edx/ecx. */
    __cpuid(1, a, b, c, d);
    pi->hw_cap[0] = d;
    pi->hw_cap[1] = c;
    __cpuid(0x80000001, a, b, c, d);
    pi->hw_cap[2] = d;
    pi->hw_cap[3] = c;
    __cpuid_count(7, 0, a, b, c, d);
    pi->hw_cap[4] = b;
    pi->hw_cap[5] = c;
    pi->hw_cap[6] = d;
    for (unsigned int i = 0; i < nr_cpu_ids; i++)
        pi->ucode_rev[i] = ACCESS_ONCE(livepatch_rendezvous.cpu[i].ucode_rev);
}

int64_t do_sysctl(uint64_t u_sysctl, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct xen_sysctl op;
    (void)a2; (void)a3; (void)a4; (void)a5;

    if (!current->domain->is_privileged)
        return -EPERM;
    if (copy_from_guest(&op, guest_handle(u_sysctl), sizeof(op)))
        return -EFAULT;
    if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
        return -EACCES;

    switch (op.cmd) {
    case XEN_SYSCTL_physinfo:
        physinfo(&op.u.physinfo);
        break;
    case XEN_SYSCTL_sched_id:
        op.u.sched_id.sched_id = XEN_SCHEDULER_CREDIT2;
        break;
    case XEN_SYSCTL_debug_keys:
        for (uint32_t i = 0; i < op.u.debug_keys.nr_keys; i++) {
            unsigned char c;
            if (copy_from_guest(&c, guest_handle(op.u.debug_keys.keys + i), 1))
                return -EFAULT;
            handle_keypress(c);
        }
        return 0;
    case XEN_SYSCTL_xsplice_test_sleep:
        if (op.u.test_sleep.ms > 60000)
            return -EINVAL;
        op.u.test_sleep.slices = xsplice_test_sleeper(op.u.test_sleep.ms);
        break;
    default:
        return -ENOSYS;
    }
    return copy_to_guest(guest_handle(u_sysctl), &op, sizeof(op)) ? -EFAULT : 0;
}
