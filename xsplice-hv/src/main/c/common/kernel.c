/* The xen_version hypercall (Xen: xen/common/kernel.c do_xen_version()). */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/version.h>
#include <xen/hypercall.h>
#include <string.h>
#include <stdio.h>

static int64_t copy_string_out(uint64_t arg, const char *s, size_t size)
{
    char buf[1024];
    size_t len = strnlen(s, size - 1);
    memset(buf, 0, size);
    memcpy(buf, s, len);
    return copy_to_guest(guest_handle(arg), buf, size) ? -EFAULT : 0;
}

int64_t do_xen_version(uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    (void)a3; (void)a4; (void)a5;
    switch (cmd) {
    case XENVER_version:
        return (int64_t)((xen_major_version() << 16) | xen_minor_version());

    case XENVER_extraversion:
        return copy_string_out(arg, xen_extra_version(), sizeof(xen_extraversion_t));

    case XENVER_compile_info: {
        struct xen_compile_info info;
        memset(&info, 0, sizeof(info));
        strncpy(info.compiler, xen_compiler(), sizeof(info.compiler) - 1);
        strncpy(info.compile_by, xen_compile_by(), sizeof(info.compile_by) - 1);
        strncpy(info.compile_domain, xen_compile_domain(), sizeof(info.compile_domain) - 1);
        strncpy(info.compile_date, xen_compile_date(), sizeof(info.compile_date) - 1);
        return copy_to_guest(guest_handle(arg), &info, sizeof(info)) ? -EFAULT : 0;
    }

    case XENVER_capabilities:
        return copy_string_out(arg, "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64",
                               sizeof(xen_capabilities_info_t));

    case XENVER_changeset:
        return copy_string_out(arg, xen_changeset(), sizeof(xen_changeset_info_t));

    case XENVER_platform_parameters: {
        struct xen_platform_parameters p = { .virt_start = 0xffff800000000000ULL };
        return copy_to_guest(guest_handle(arg), &p, sizeof(p)) ? -EFAULT : 0;
    }

    case XENVER_pagesize:
        return (int64_t)PAGE_SIZE;

    case XENVER_commandline:
        return copy_string_out(arg, xen_commandline, sizeof(xen_commandline_t));

    case XENVER_build_id: {
        struct xen_build_id hdr;
        const void *p;
        unsigned int len;
        int rc = xen_build_id(&p, &len);
        if (rc)
            return rc;
        if (copy_from_guest(&hdr, guest_handle(arg), sizeof(hdr)))
            return -EFAULT;
        if (hdr.len < len)
            return -ENOBUFS;
        if (copy_to_guest(guest_handle(arg + offsetof(struct xen_build_id, buf)), p, len))
            return -EFAULT;
        return len;
    }
    }
    return -ENOSYS;
}
