/*
 * Boot image loading for system mode: reads whole files, recognises the RISC-V Linux
 * Image header (and names other architectures' kernels), loads ELF64 segments at their
 * physical addresses and finds the HTIF `tohost`/`fromhost` symbols.
 *
 * Invariants: every offset and size taken from a file is checked against the file size
 * with overflow-safe arithmetic before it is dereferenced; guest placement goes through
 * physmap_ram_ptr() so nothing lands outside guest RAM. Each failure prints exactly one
 * "omnivm: ..." line naming the file and returns a negative errno.
 */
#include "board/loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}
static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* [off, off+len) inside a file of size n, without overflow */
static bool in_file(uint64_t off, uint64_t len, size_t n)
{
    return off <= n && len <= n - off;
}

int loader_read_file(const char *path, const char *what, size_t max, struct loader_file *f)
{
    memset(f, 0, sizeof(*f));
    f->path = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        error_msg("cannot open %s '%s': %s", what, path, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        error_msg("%s '%s' is not a regular file", what, path);
        close(fd);
        return -e;
    }
    if ((uint64_t)st.st_size > max) {
        error_msg("%s '%s' is too large (%llu bytes, at most %zu)", what, path,
                  (unsigned long long)st.st_size, max);
        close(fd);
        return -EFBIG;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        error_msg("out of memory reading %s '%s'", what, path);
        close(fd);
        return -ENOMEM;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(fd, buf + done, n - done);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            error_msg("cannot read %s '%s': %s", what, path, strerror(e));
            free(buf);
            close(fd);
            return -e;
        }
        done += (size_t)r;
    }
    close(fd);
    f->data = buf;
    f->size = n;
    return 0;
}

void loader_file_free(struct loader_file *f)
{
    free(f->data);
    f->data = NULL;
    f->size = 0;
}

static const char *elf_machine_name(uint16_t m, bool is64)
{
    switch (m) {
    case EM_RISCV: return is64 ? "riscv64" : "riscv32";
    case EM_X86_64: return "x86-64";
    case EM_386: return "i386";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    default: return "an unknown machine";
    }
}

/*
 * The EFI stub of a riscv Image carries a PE/COFF header whose sections say how many
 * bytes the file must have; a truncated kernel fails here instead of crashing the guest
 * half-way through boot. Images without the stub pass (the flat header has no size).
 */
static int check_pe_sections(const struct loader_file *f, uint32_t pe_off)
{
    const uint8_t *d = f->data;
    if (pe_off == 0 || rd16(d) != 0x5a4d) /* "MZ": no PE header to check */
        return 0;
    if (!in_file(pe_off, 24, f->size) || memcmp(d + pe_off, "PE\0\0", 4)) {
        error_msg("kernel '%s': corrupt EFI header (no PE signature at 0x%x)", f->path, pe_off);
        return -EINVAL;
    }
    unsigned nsec = rd16(d + pe_off + 6);
    unsigned optsz = rd16(d + pe_off + 20);
    uint64_t sec = (uint64_t)pe_off + 24 + optsz;
    if (!in_file(sec, (uint64_t)nsec * 40, f->size)) {
        error_msg("kernel '%s': truncated (EFI section table beyond end of file)", f->path);
        return -EINVAL;
    }
    for (unsigned i = 0; i < nsec; i++) {
        const uint8_t *s = d + sec + 40u * i;
        uint32_t raw_size = rd32(s + 16), raw_ptr = rd32(s + 20);
        if (!in_file(raw_ptr, raw_size, f->size)) {
            error_msg("kernel '%s': truncated (section %.8s needs %llu bytes, file has %zu)",
                      f->path, (const char *)s, (unsigned long long)raw_ptr + raw_size, f->size);
            return -EINVAL;
        }
    }
    return 0;
}

/* Linux arch/riscv boot image header: code0, code1, text_offset, image_size, flags,
 * version, res1, res2, magic "RISCV\0\0\0" (deprecated), magic2 "RSC\x05", res3 (PE). */
static int probe_riscv_image(const struct loader_file *f, struct loader_probe *p)
{
    const uint8_t *d = f->data;
    p->kind = LOADER_RISCV_IMAGE;
    p->arch = "riscv64";
    p->text_offset = rd64(d + 8);
    p->image_size = rd64(d + 16);
    uint32_t version = rd32(d + 32);
    if (version < 2) {
        /* version 1 headers have no reliable image_size; 0 then means "file size" */
        if (p->image_size == 0) p->image_size = f->size;
    }
    if (p->image_size == 0 || p->image_size < f->size) {
        /* image_size counts the bss too, so it is never below the file size */
        error_msg("kernel '%s': corrupt Image header (image_size %#llx < file size %#zx)", f->path,
                  (unsigned long long)p->image_size, f->size);
        return -EINVAL;
    }
    if (p->image_size > (1ull << 34)) {
        error_msg("kernel '%s': corrupt Image header (image_size %#llx)", f->path,
                  (unsigned long long)p->image_size);
        return -EINVAL;
    }
    if (p->text_offset > (1ull << 32) || (p->text_offset & 0xfff)) {
        error_msg("kernel '%s': corrupt Image header (text_offset %#llx)", f->path,
                  (unsigned long long)p->text_offset);
        return -EINVAL;
    }
    return check_pe_sections(f, rd32(d + 60));
}

static int probe_elf(const struct loader_file *f, struct loader_probe *p)
{
    const uint8_t *d = f->data;
    p->kind = LOADER_ELF;
    p->elf64 = d[EI_CLASS] == ELFCLASS64;
    if (d[EI_CLASS] != ELFCLASS64 && d[EI_CLASS] != ELFCLASS32) {
        error_msg("'%s': corrupt ELF header (class %u)", f->path, d[EI_CLASS]);
        return -EINVAL;
    }
    if (!in_file(0, p->elf64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr), f->size)) {
        error_msg("'%s': truncated ELF header", f->path);
        return -EINVAL;
    }
    if (d[EI_DATA] != ELFDATA2LSB) {
        error_msg("'%s': big-endian ELF files are not supported", f->path);
        return -EINVAL;
    }
    p->elf_machine = rd16(d + 18);
    p->arch = elf_machine_name(p->elf_machine, p->elf64);
    if (p->elf_machine == EM_RISCV && p->elf64) p->arch = "riscv64";
    return 0;
}

int loader_probe(const struct loader_file *f, struct loader_probe *p)
{
    memset(p, 0, sizeof(*p));
    const uint8_t *d = f->data;
    if (f->size >= 64 && (!memcmp(d + 48, "RISCV\0\0\0", 8) || !memcmp(d + 56, "RSC\x05", 4)))
        return probe_riscv_image(f, p);
    if (f->size >= 4 && !memcmp(d, ELFMAG, SELFMAG)) return probe_elf(f, p);
    if (f->size >= 64 && !memcmp(d + 56, "ARM\x64", 4)) {
        p->kind = LOADER_ARM64_IMAGE;
        p->arch = "aarch64";
        return 0;
    }
    if (f->size >= 0x206 && !memcmp(d + 0x202, "HdrS", 4)) {
        p->kind = LOADER_X86_BZIMAGE;
        p->arch = "x86-64";
        return 0;
    }
    p->kind = LOADER_UNKNOWN;
    return 0;
}

/* Looks up name in the ELF's SHT_SYMTAB; 0 if absent or the table is malformed (symbols
 * are optional, so a bad table only loses HTIF, it does not fail the load). */
static uint64_t elf_symbol(const struct loader_file *f, const Elf64_Ehdr *eh, const char *name)
{
    const uint8_t *d = f->data;
    if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), f->size))
        return 0;
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        Elf64_Shdr sh;
        memcpy(&sh, d + eh->e_shoff + i * sizeof(sh), sizeof(sh));
        if (sh.sh_type != SHT_SYMTAB || sh.sh_link >= eh->e_shnum ||
            sh.sh_entsize != sizeof(Elf64_Sym) || !in_file(sh.sh_offset, sh.sh_size, f->size))
            continue;
        Elf64_Shdr strh;
        memcpy(&strh, d + eh->e_shoff + sh.sh_link * sizeof(strh), sizeof(strh));
        if (!in_file(strh.sh_offset, strh.sh_size, f->size)) continue;
        const char *strtab = (const char *)d + strh.sh_offset;
        for (uint64_t k = 0; k < sh.sh_size / sizeof(Elf64_Sym); k++) {
            Elf64_Sym sym;
            memcpy(&sym, d + sh.sh_offset + k * sizeof(sym), sizeof(sym));
            if (sym.st_name >= strh.sh_size) continue;
            size_t maxlen = strh.sh_size - sym.st_name;
            if (strnlen(strtab + sym.st_name, maxlen) == strlen(name) &&
                !memcmp(strtab + sym.st_name, name, strlen(name)))
                return sym.st_value;
        }
    }
    return 0;
}

int loader_load_elf(const struct physmap *pm, const struct loader_file *f, struct loader_elf *out)
{
    const uint8_t *d = f->data;
    memset(out, 0, sizeof(*out));
    if (f->size < sizeof(Elf64_Ehdr) || memcmp(d, ELFMAG, SELFMAG) || d[EI_CLASS] != ELFCLASS64 ||
        d[EI_DATA] != ELFDATA2LSB) {
        error_msg("'%s' is not a little-endian ELF64 file", f->path);
        return -ENOEXEC;
    }
    Elf64_Ehdr eh;
    memcpy(&eh, d, sizeof(eh));
    if (eh.e_machine != EM_RISCV) {
        error_msg("'%s' is an ELF for %s, not riscv64", f->path,
                  elf_machine_name(eh.e_machine, true));
        return -ENOEXEC;
    }
    if (eh.e_type != ET_EXEC) {
        error_msg("'%s' is not an executable ELF (type %u); link it at a fixed address", f->path,
                  eh.e_type);
        return -ENOEXEC;
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 512 ||
        !in_file(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), f->size)) {
        error_msg("'%s': corrupt ELF program headers", f->path);
        return -ENOEXEC;
    }
    unsigned loaded = 0;
    out->low = UINT64_MAX;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, d + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        if (ph.p_filesz > ph.p_memsz || !in_file(ph.p_offset, ph.p_filesz, f->size) ||
            ph.p_paddr + ph.p_memsz < ph.p_paddr) {
            error_msg("'%s': corrupt ELF segment %u", f->path, i);
            return -ENOEXEC;
        }
        uint8_t *host = physmap_ram_ptr(pm, ph.p_paddr, ph.p_memsz);
        if (!host) {
            error_msg("'%s': segment %u at %#llx..%#llx is outside guest RAM (try a larger --mem)",
                      f->path, i, (unsigned long long)ph.p_paddr,
                      (unsigned long long)(ph.p_paddr + ph.p_memsz));
            return -ERANGE;
        }
        memcpy(host, d + ph.p_offset, ph.p_filesz);
        memset(host + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
        if (ph.p_paddr < out->low) out->low = ph.p_paddr;
        if (ph.p_paddr + ph.p_memsz > out->high) out->high = ph.p_paddr + ph.p_memsz;
        loaded++;
    }
    if (!loaded) {
        error_msg("'%s' has no loadable segments", f->path);
        return -ENOEXEC;
    }
    out->entry = eh.e_entry;
    out->tohost = elf_symbol(f, &eh, "tohost");
    out->fromhost = elf_symbol(f, &eh, "fromhost");
    return 0;
}

int loader_load_raw(const struct physmap *pm, const struct loader_file *f, uint64_t addr,
                    uint64_t mem_size, const char *what)
{
    if (mem_size < f->size) mem_size = f->size;
    uint8_t *host = physmap_ram_ptr(pm, addr, mem_size ? mem_size : 1);
    if (!host) {
        error_msg("%s '%s' (%llu bytes at %#llx) does not fit in guest RAM (try a larger --mem)",
                  what, f->path, (unsigned long long)mem_size, (unsigned long long)addr);
        return -ERANGE;
    }
    memcpy(host, f->data, f->size);
    memset(host + f->size, 0, mem_size - f->size);
    return 0;
}
