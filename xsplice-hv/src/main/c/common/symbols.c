/*
 * Address -> symbol for crash reports (Xen: xen/common/symbols.c, which reads a table
 * embedded at link time). This image reads its own ELF symbol table instead, mapped once at
 * boot so the fault path only searches memory. Local symbols print as "file#name", as Xen's
 * do with CONFIG_LIVEPATCH; payload addresses are found through the region registry.
 */
#include <xen/config.h>
#include <xen/lib.h>
#include <xen/livepatch.h>
#include <xen/symbols.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const Elf64_Sym *symtab;
static size_t nr_syms;
static const char *strtab;

void symbols_init(void)
{
    struct stat st;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    const uint8_t *img;
    const Elf64_Ehdr *eh;
    const Elf64_Shdr *sh;

    if (fd < 0 || fstat(fd, &st))
        panic("symbols_init: cannot open own image (errno %d)", errno);
    img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (img == MAP_FAILED)
        panic("symbols_init: cannot map own image (errno %d)", errno);
    eh = (const Elf64_Ehdr *)img;
    sh = (const Elf64_Shdr *)(img + eh->e_shoff);
    for (unsigned int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB)
            continue;
        symtab = (const Elf64_Sym *)(img + sh[i].sh_offset);
        nr_syms = sh[i].sh_size / sizeof(Elf64_Sym);
        strtab = (const char *)(img + sh[sh[i].sh_link].sh_offset);
    }
    if (!symtab)
        panic("symbols_init: xen-syms has no symbol table (was it stripped?)");
    printk("Symbol table: %zu symbols\n", nr_syms);
}

/* Linear scan: symbols are in file order (STT_FILE, its locals, ..., then the globals), so
 * the last STT_FILE seen names the file of a local symbol. */
static bool hypervisor_symbol(uint64_t addr, char *buf, size_t len)
{
    const char *file = NULL, *best_file = NULL;
    const Elf64_Sym *best = NULL;

    for (size_t i = 1; i < nr_syms; i++) {
        const Elf64_Sym *s = &symtab[i];
        unsigned int type = ELF64_ST_TYPE(s->st_info);
        if (type == STT_FILE) {
            file = strtab + s->st_name;
            continue;
        }
        if ((type != STT_FUNC && type != STT_OBJECT) || !s->st_size)
            continue;
        if (addr < s->st_value || addr >= s->st_value + s->st_size)
            continue;
        if (!best || ELF64_ST_BIND(s->st_info) != STB_LOCAL) {
            best = s;
            best_file = ELF64_ST_BIND(s->st_info) == STB_LOCAL ? file : NULL;
        }
    }
    if (!best)
        return false;
    snprintf(buf, len, "%s%s%s+%#lx/%#lx", best_file ? best_file : "", best_file ? "#" : "",
             strtab + best->st_name, (unsigned long)(addr - best->st_value), (unsigned long)best->st_size);
    return true;
}

static bool payload_symbol(uint64_t addr, char *buf, size_t len)
{
    const struct livepatch_region *r = livepatch_find_region(addr);
    const struct livepatch_symbol *s = r ? livepatch_symbol(r, addr) : NULL;

    if (!s)
        return false;
    snprintf(buf, len, "%s+%#lx/%#lx [%s]", (const char *)(uintptr_t)s->name,
             (unsigned long)(addr - s->value), (unsigned long)s->size,
             r->name ? (const char *)(uintptr_t)r->name : "payload");
    return true;
}

/* Payloads first: their code lives inside xsplice_payload_area, itself a hypervisor object. */
bool symbols_format(uint64_t addr, char *buf, size_t len)
{
    return payload_symbol(addr, buf, len) || hypervisor_symbol(addr, buf, len);
}
