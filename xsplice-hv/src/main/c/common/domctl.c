/* Domain control (Xen: xen/common/domctl.c do_domctl()). Only the control domain may call it. */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/hypercall.h>
#include <xen/sched.h>
#include <string.h>

static void getdomaininfo(const struct domain *d, struct xen_domctl_getdomaininfo *info)
{
    ASSERT(d->max_vcpus > 0);
    memset(info, 0, sizeof(*info));
    info->domain = (uint16_t)d->domain_id;
    info->flags = (d->type == GUEST_HVM ? 1u << 1 : 0) | (1u << 3); /* hvm_guest, running */
    info->tot_pages = d->tot_pages;
    info->max_pages = d->tot_pages;
    info->cpu_time = d->cpu_time_ns;
    info->nr_online_vcpus = d->max_vcpus;
    info->max_vcpu_id = d->max_vcpus - 1;
    info->handle[0] = (uint8_t)d->domain_id;
}

int64_t do_domctl(uint64_t u_domctl, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct xen_domctl op;
    struct domain *d;
    int64_t ret = 0;
    (void)a2; (void)a3; (void)a4; (void)a5;

    if (!current->domain->is_privileged)
        return -EPERM;
    if (copy_from_guest(&op, guest_handle(u_domctl), sizeof(op)))
        return -EFAULT;
    if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION)
        return -EACCES;

    switch (op.cmd) {
    case XEN_DOMCTL_getdomaininfo:
        d = rcu_lock_domain_by_id(op.domain);
        if (!d)
            return -ESRCH;
        WARN_ON(d->domain_id != op.domain);
        getdomaininfo(d, &op.u.getdomaininfo);
        if (copy_to_guest(guest_handle(u_domctl), &op, sizeof(op)))
            ret = -EFAULT;
        break;
    default:
        ret = -ENOSYS;
        break;
    }
    return ret;
}
