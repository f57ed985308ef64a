/*
 * ELF loader for user mode: validates an ELF64 executable or shared object against the
 * file and the guest address space, then maps its PT_LOAD segments into the guest range.
 * Also recognises "#!" scripts and probes files for execve.
 *
 * Invariants:
 * - Nothing from the file is trusted: every offset, size and address is checked (with
 *   overflow-safe arithmetic) before it is used; a bad file gives one line in err and a
 *   negative return, never a crash.
 * - Segments are mapped from the file when file offset and address agree modulo the page
 *   size, otherwise copied; the bytes between p_filesz and p_memsz read as zero, including
 *   the tail of the last file page.
 * - The caller holds no lock; the loader runs before any guest thread exists.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user/lu_core.h"

#define LU_MAX_PHNUM 256
#define PAGE_LO (LU_PAGE - 1)

static const char *machine_name(uint16_t m, bool is64)
{
    switch (m) {
    case EM_RISCV: return is64 ? "riscv64" : "riscv32";
    case EM_X86_64: return "x86-64";
    case EM_386: return "i386";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    case EM_MIPS: return "mips";
    case EM_PPC: return "ppc";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390";
    case EM_LOONGARCH: return "loongarch";
    case EM_SPARCV9: return "sparc64";
    default: return NULL;
    }
}

static int fail(char *err, size_t n, int code, const char *fmt, const char *arg)
{
    snprintf(err, n, fmt, arg);
    return code;
}

static int read_exact(int fd, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -EIO;
        done += (size_t)r;
    }
    return 0;
}

/* Map one PT_LOAD segment (already validated) at bias. */
static int map_segment(int fd, const Elf64_Phdr *ph, uint64_t bias, char *err, size_t errlen)
{
    int prot = 0;
    if (ph->p_flags & PF_R)
        prot |= PROT_READ;
    if (ph->p_flags & PF_W)
        prot |= PROT_WRITE;
    if (ph->p_flags & PF_X)
        prot |= PROT_EXEC;
    uint64_t va = ph->p_vaddr + bias;
    uint64_t start = va & ~PAGE_LO;
    uint64_t file_end = va + ph->p_filesz;                       /* bytes from the file */
    uint64_t mem_end = (va + ph->p_memsz + PAGE_LO) & ~PAGE_LO;  /* page-aligned end */
    uint64_t file_pages_end = (file_end + PAGE_LO) & ~PAGE_LO;
    int r;

    pthread_mutex_lock(&lu_mem.lock);
    if (ph->p_filesz) {
        uint64_t len = file_pages_end - start;
        /* writable while we zero the tail and (for copies) fill it */
        if (((ph->p_vaddr - ph->p_offset) & PAGE_LO) == 0) {
            r = lu_mm_map(start, len, prot | PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
                          ph->p_offset & ~PAGE_LO);
        } else {
            r = lu_mm_map(start, len, prot | PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (!r)
                r = read_exact(fd, lu_g2h(va), ph->p_filesz, ph->p_offset);
        }
        if (r)
            goto bad;
        if (file_pages_end > file_end)
            memset(lu_g2h(file_end), 0, file_pages_end - file_end);
        if (mprotect(lu_g2h(start), len, lu_host_prot(lu_prot_flags(prot)))) {
            r = -errno;
            goto bad;
        }
        lu_mm_set_flags(start, len, lu_prot_flags(prot));
        start = file_pages_end;
    }
    if (mem_end > start) {
        r = lu_mm_map(start, mem_end - start, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (r)
            goto bad;
    }
    pthread_mutex_unlock(&lu_mem.lock);
    return 0;
bad:
    pthread_mutex_unlock(&lu_mem.lock);
    snprintf(err, errlen, "cannot map segment at 0x%llx: %s", (unsigned long long)va, strerror(-r));
    return r;
}

int lu_elf_load(const char *path, uint64_t base, struct lu_image *img,
                const struct lu_target **target, char *err, size_t errlen)
{
    memset(img, 0, sizeof(*img));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, -errno, "%s", strerror(errno));
    struct stat st;
    Elf64_Phdr *ph = NULL;
    int r;
    if (fstat(fd, &st)) {
        r = fail(err, errlen, -errno, "%s", strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        r = fail(err, errlen, -EISDIR, "is a directory%s", "");
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = fail(err, errlen, -EACCES, "not a regular file%s", "");
        goto out;
    }
    uint64_t fsize = (uint64_t)st.st_size;
    unsigned char ident[EI_NIDENT];
    if (fsize < 4 || read_exact(fd, ident, 4, 0) || memcmp(ident, ELFMAG, SELFMAG)) {
        r = fail(err, errlen, -ENOEXEC, "not an ELF file%s", "");
        goto out;
    }
    if (fsize < EI_NIDENT || read_exact(fd, ident, EI_NIDENT, 0)) {
        r = fail(err, errlen, -ENOEXEC, "truncated ELF file (no header)%s", "");
        goto out;
    }
    bool is64 = ident[EI_CLASS] == ELFCLASS64;
    if (ident[EI_CLASS] != ELFCLASS64 && ident[EI_CLASS] != ELFCLASS32) {
        r = fail(err, errlen, -ENOEXEC, "bad ELF class%s", "");
        goto out;
    }
    if (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB) {
        r = fail(err, errlen, -ENOEXEC, "bad ELF data encoding%s", "");
        goto out;
    }
    /* e_machine sits at the same offset for both classes; read it for the message */
    uint16_t machine;
    if (fsize < 20 || read_exact(fd, &machine, 2, 18)) {
        r = fail(err, errlen, -ENOEXEC, "truncated ELF file (no header)%s", "");
        goto out;
    }
    if (ident[EI_DATA] == ELFDATA2MSB)
        machine = (uint16_t)((machine >> 8) | (machine << 8));
    const struct lu_target *tg = ident[EI_DATA] == ELFDATA2LSB ? lu_target_for(machine, is64) : NULL;
    if (!tg) {
        const char *name = machine_name(machine, is64);
        char buf[64];
        if (!name) {
            snprintf(buf, sizeof(buf), "machine %u", machine);
            name = buf;
        }
        if (ident[EI_DATA] == ELFDATA2MSB && name != buf) {
            snprintf(buf, sizeof(buf), "%s (big-endian)", machine_name(machine, is64));
            name = buf;
        }
        r = fail(err, errlen, -ENOEXEC, "unsupported architecture %s", name);
        goto out;
    }
    Elf64_Ehdr eh;
    if (fsize < sizeof(eh) || read_exact(fd, &eh, sizeof(eh), 0)) {
        r = fail(err, errlen, -ENOEXEC, "truncated ELF file (no header)%s", "");
        goto out;
    }
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
        r = fail(err, errlen, -ENOEXEC, "not an executable (ELF type %s)",
                 eh.e_type == ET_REL ? "REL" : eh.e_type == ET_CORE ? "CORE" : "unknown");
        goto out;
    }
    if (eh.e_version != EV_CURRENT || ident[EI_VERSION] != EV_CURRENT) {
        r = fail(err, errlen, -ENOEXEC, "bad ELF version%s", "");
        goto out;
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr)) {
        r = fail(err, errlen, -ENOEXEC, "bad program header size%s", "");
        goto out;
    }
    if (eh.e_phnum == 0 || eh.e_phnum > LU_MAX_PHNUM) {
        r = fail(err, errlen, -ENOEXEC, eh.e_phnum ? "too many program headers%s" : "no program headers%s", "");
        goto out;
    }
    uint64_t phsize = (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
    if (eh.e_phoff > fsize || phsize > fsize - eh.e_phoff) {
        r = fail(err, errlen, -ENOEXEC, "program headers beyond the end of the file (truncated?)%s", "");
        goto out;
    }
    ph = malloc(phsize);
    if (!ph || read_exact(fd, ph, phsize, eh.e_phoff)) {
        r = fail(err, errlen, -EIO, "cannot read program headers%s", "");
        goto out;
    }

    /* validate every header before mapping anything */
    uint64_t lo = UINT64_MAX, hi = 0, prev_end = 0;
    unsigned nload = 0;
    uint64_t phdr_va = 0;
    bool have_phdr = false;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        const Elf64_Phdr *p = &ph[i];
        if (p->p_type == PT_LOAD) {
            if (p->p_filesz > p->p_memsz) {
                r = fail(err, errlen, -ENOEXEC, "corrupt program header (file size > memory size)%s", "");
                goto out;
            }
            if (p->p_offset > fsize || p->p_filesz > fsize - p->p_offset) {
                r = fail(err, errlen, -ENOEXEC, "segment beyond the end of the file (truncated?)%s", "");
                goto out;
            }
            if (p->p_vaddr >= LU_SPACE || p->p_memsz > LU_SPACE - p->p_vaddr) {
                r = fail(err, errlen, -ENOEXEC, "segment outside the guest address space%s", "");
                goto out;
            }
            if (nload && p->p_vaddr < prev_end) {
                r = fail(err, errlen, -ENOEXEC, "overlapping or unsorted segments%s", "");
                goto out;
            }
            if (p->p_memsz) {
                if ((p->p_vaddr & ~PAGE_LO) < lo)
                    lo = p->p_vaddr & ~PAGE_LO;
                prev_end = p->p_vaddr + p->p_memsz;
                if (prev_end > hi)
                    hi = prev_end;
            }
            if (!have_phdr && eh.e_phoff >= p->p_offset && phsize <= p->p_filesz &&
                eh.e_phoff - p->p_offset <= p->p_filesz - phsize)
                phdr_va = p->p_vaddr + (eh.e_phoff - p->p_offset);
            nload++;
        } else if (p->p_type == PT_INTERP) {
            if (p->p_filesz < 2 || p->p_filesz > sizeof(img->interp) || p->p_offset > fsize ||
                p->p_filesz > fsize - p->p_offset) {
                r = fail(err, errlen, -ENOEXEC, "corrupt PT_INTERP%s", "");
                goto out;
            }
            if (read_exact(fd, img->interp, p->p_filesz, p->p_offset) ||
                img->interp[p->p_filesz - 1] != 0 || strlen(img->interp) != p->p_filesz - 1) {
                img->interp[0] = 0;
                r = fail(err, errlen, -ENOEXEC, "corrupt PT_INTERP%s", "");
                goto out;
            }
        } else if (p->p_type == PT_GNU_STACK) {
            img->exec_stack = (p->p_flags & PF_X) != 0;
        } else if (p->p_type == PT_PHDR) {
            phdr_va = p->p_vaddr;
            have_phdr = true;
        }
    }
    if (!nload || hi == 0) {
        r = fail(err, errlen, -ENOEXEC, "no loadable segments%s", "");
        goto out;
    }
    hi = (hi + PAGE_LO) & ~PAGE_LO;
    uint64_t bias = 0;
    if (eh.e_type == ET_DYN)
        bias = base - lo;
    /* the image must fit below the area kept for mmap, stack and trampoline */
    if (lo + bias < LU_PAGE || hi + bias > lu_mm_top || hi + bias < lo + bias) {
        r = fail(err, errlen, -ENOEXEC, "segments outside the usable guest address space%s", "");
        goto out;
    }
    pthread_mutex_lock(&lu_mem.lock);
    bool free_range = lu_mm_range_free(lo + bias, hi - lo);
    pthread_mutex_unlock(&lu_mem.lock);
    if (!free_range) {
        r = fail(err, errlen, -ENOEXEC, "segments overlap memory already in use%s", "");
        goto out;
    }
    if (eh.e_entry + bias >= LU_SPACE) {
        r = fail(err, errlen, -ENOEXEC, "entry point outside the guest address space%s", "");
        goto out;
    }
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
            continue;
        if ((r = map_segment(fd, &ph[i], bias, err, errlen)))
            goto out;
    }
    img->bias = bias;
    img->entry = eh.e_entry + bias;
    img->phdr = phdr_va ? phdr_va + bias : 0;
    img->phnum = eh.e_phnum;
    img->phent = eh.e_phentsize;
    img->lo = lo + bias;
    img->hi = hi + bias;
    if (target)
        *target = tg;
    r = 0;
out:
    free(ph);
    close(fd);
    return r;
}

int lu_script_parse(const char *path, char *interp, size_t ilen, char *arg, size_t alen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char buf[256];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    if (n < 2 || buf[0] != '#' || buf[1] != '!')
        return 0;
    buf[n] = 0;
    char *nl = strchr(buf, '\n');
    if (!nl && n == (ssize_t)sizeof(buf) - 1)
        return -ENOEXEC; /* interpreter line too long (Linux: 256 bytes) */
    if (nl)
        *nl = 0;
    char *p = buf + 2;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return -ENOEXEC;
    char *e = p;
    while (*e && *e != ' ' && *e != '\t')
        e++;
    char *a = e;
    if (*a) {
        *a++ = 0;
        while (*a == ' ' || *a == '\t')
            a++;
        /* the rest of the line is one argument, trailing blanks dropped (like Linux) */
        char *end = a + strlen(a);
        while (end > a && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            *--end = 0;
    }
    if (strlen(p) >= ilen || strlen(a) >= alen)
        return -ENAMETOOLONG;
    strcpy(interp, p);
    strcpy(arg, a);
    return 1;
}

int lu_elf_probe(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    unsigned char h[20];
    ssize_t n = pread(fd, h, sizeof(h), 0);
    close(fd);
    if (n >= 2 && h[0] == '#' && h[1] == '!')
        return 1;
    if (n < 20 || memcmp(h, ELFMAG, SELFMAG))
        return 0;
    uint16_t machine = (uint16_t)(h[18] | (h[19] << 8));
    return h[EI_DATA] == ELFDATA2LSB && lu_target_for(machine, h[EI_CLASS] == ELFCLASS64) ? 1 : 0;
}
