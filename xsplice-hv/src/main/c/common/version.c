/* Version information (Xen: xen/common/version.c). */
#include <xen/config.h>
#include <xen/version.h>
#include <generated/compile.h>
#include <link.h>
#include <string.h>

/* The exact flags this image was compiled with, so a patch build can use the same ones. */
const char xen_compile_flags[] __used = XEN_COMPILE_FLAGS;

/* The extra version string: what `xl info` shows as xen_extra (a live patch may replace
 * xen_extra_version() or this object). Writable data, 16 bytes as the version hypercall's
 * field: a payload changes a data object from a load hook, on the master CPU while every
 * other CPU is parked, and restores it from an unload hook (as Xen's payloads do). */
char xen_extra[16] = XEN_EXTRAVERSION;

char xen_commandline[1024];

unsigned int xen_major_version(void)
{
    return XEN_VERSION;
}

unsigned int xen_minor_version(void)
{
    return XEN_SUBVERSION;
}

const char *xen_extra_version(void)
{
    return xen_extra;
}

const char *xen_changeset(void)
{
    return XEN_CHANGESET;
}

const char *xen_compiler(void)
{
    return XEN_COMPILER;
}

const char *xen_compile_by(void)
{
    return XEN_COMPILE_BY;
}

const char *xen_compile_domain(void)
{
    return XEN_COMPILE_DOMAIN;
}

const char *xen_compile_date(void)
{
    return XEN_COMPILE_DATE;
}

const char *xen_banner_flags(void)
{
    return "x86_64  debug=n";
}

static const void *build_id_p;
static unsigned int build_id_len;

/* Finds the GNU build-id note in the running image's program headers (PT_NOTE), the
 * same bytes the ELF file carries in .note.gnu.build-id. */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    for (unsigned int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            const uint8_t *name = p + sizeof(*n);
            const uint8_t *desc = name + ((n->n_namesz + 3) & ~3u);
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                build_id_p = desc;
                build_id_len = n->n_descsz;
                return 1;
            }
            p = desc + ((n->n_descsz + 3) & ~3u);
        }
    }
    return 1; /* only the main program (first entry) is ours */
}

void xen_build_init(void)
{
    dl_iterate_phdr(find_build_id, NULL);
}

int xen_build_id(const void **p, unsigned int *len)
{
    if (!build_id_p)
        return -ENODATA;
    *p = build_id_p;
    *len = build_id_len;
    return 0;
}
