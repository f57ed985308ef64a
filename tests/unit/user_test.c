/*
 * Unit tests of the user-mode core: ELF validation on crafted files, page-flag bookkeeping
 * of the memory calls, guest access checks, brk, code-page write protection through the
 * host fault handler, and end-to-end runs of small static riscv64 programs (built with
 * riscv64-linux-gnu-gcc when it is installed) whose output is compared with what Linux
 * prints for them.
 *
 * Prints "ok NAME" or "not ok NAME: reason" per group; exits non-zero if any failed.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/exec.h"
#include "user/lu_core.h"

static int failed;
static char tmpdir[PATH_MAX];

static void report(const char *name, const char *why)
{
    if (why) {
        printf("not ok %s: %s\n", name, why);
        failed = 1;
    } else {
        printf("ok %s\n", name);
    }
}

/* ---- crafted ELF files ---- */

#define TEXT_VA 0x10000ull
#define DATA_VA 0x20000ull
struct img {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[3];
    uint8_t text[64];
    uint8_t data[32];
};
#define TEXT_OFF offsetof(struct img, text)
#define DATA_OFF offsetof(struct img, data)

static void good_image(struct img *m, uint16_t type)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
    m->eh.e_ident[EI_CLASS] = ELFCLASS64;
    m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    m->eh.e_ident[EI_VERSION] = EV_CURRENT;
    m->eh.e_type = type;
    m->eh.e_machine = EM_RISCV;
    m->eh.e_version = EV_CURRENT;
    m->eh.e_entry = TEXT_VA + TEXT_OFF;
    m->eh.e_phoff = offsetof(struct img, ph);
    m->eh.e_ehsize = sizeof(Elf64_Ehdr);
    m->eh.e_phentsize = sizeof(Elf64_Phdr);
    m->eh.e_phnum = 3;
    /* text: the headers and code, from file offset 0 */
    m->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
                            .p_vaddr = TEXT_VA, .p_filesz = DATA_OFF, .p_memsz = DATA_OFF,
                            .p_align = 4096};
    /* data: 32 bytes from the file, then 8 KiB of bss; offset and address agree mod 4096 */
    m->ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = DATA_OFF,
                            .p_vaddr = DATA_VA + DATA_OFF, .p_filesz = sizeof(m->data),
                            .p_memsz = sizeof(m->data) + 8192, .p_align = 4096};
    m->ph[2] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W};
    memset(m->text, 0x13, sizeof(m->text));
    memset(m->data, 0xab, sizeof(m->data));
}

static const char *write_file(const char *name, const void *p, size_t n)
{
    static char path[2 * PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, p, n) != (ssize_t)n) {
        perror(path);
        exit(1);
    }
    close(fd);
    return path;
}

static void unload(const struct lu_image *im)
{
    pthread_mutex_lock(&lu_mem.lock);
    if (im->hi > im->lo)
        lu_mm_unmap(im->lo, im->hi - im->lo);
    pthread_mutex_unlock(&lu_mem.lock);
}

/* Load a corrupted image: must fail with a message containing want. */
static const char *expect_bad(const char *name, const void *p, size_t n, const char *want)
{
    static char why[700];
    struct lu_image im;
    char err[512] = "";
    const char *path = write_file(name, p, n);
    int r = lu_elf_load(path, LU_PIE_BASE, &im, NULL, err, sizeof(err));
    if (r >= 0) {
        unload(&im);
        snprintf(why, sizeof(why), "%s loaded", name);
        return why;
    }
    if (!strstr(err, want) || strchr(err, '\n')) {
        snprintf(why, sizeof(why), "%s: message '%s', wanted '%s'", name, err, want);
        return why;
    }
    return NULL;
}

static const char *test_elf_bad(void)
{
    struct img m;
    const char *w;
#define BAD(name, mutate, want)                                                                \
    do {                                                                                       \
        good_image(&m, ET_EXEC);                                                               \
        mutate;                                                                                \
        if ((w = expect_bad(name, &m, sizeof(m), want)))                                       \
            return w;                                                                          \
    } while (0)
    if ((w = expect_bad("empty", "", 0, "not an ELF")))
        return w;
    if ((w = expect_bad("text", "#include <stdio.h>\n", 19, "not an ELF")))
        return w;
    good_image(&m, ET_EXEC);
    if ((w = expect_bad("magic-only", &m, 8, "truncated")))
        return w;
    if ((w = expect_bad("half-header", &m, 40, "truncated")))
        return w;
    if ((w = expect_bad("headers-cut", &m, offsetof(struct img, ph) + 20, "beyond the end")))
        return w;
    if ((w = expect_bad("segment-cut", &m, TEXT_OFF + 8, "beyond the end")))
        return w;
    BAD("class32", m.eh.e_ident[EI_CLASS] = ELFCLASS32, "unsupported architecture riscv32");
    BAD("x86-64", m.eh.e_machine = EM_X86_64, "unsupported architecture x86-64");
    BAD("aarch64", m.eh.e_machine = EM_AARCH64, "unsupported architecture aarch64");
    BAD("unknown-machine", m.eh.e_machine = 0x7777, "unsupported architecture machine");
    BAD("big-endian", m.eh.e_ident[EI_DATA] = ELFDATA2MSB, "unsupported architecture");
    BAD("bad-class", m.eh.e_ident[EI_CLASS] = 9, "bad ELF class");
    BAD("et-rel", m.eh.e_type = ET_REL, "not an executable");
    BAD("et-core", m.eh.e_type = ET_CORE, "not an executable");
    BAD("phentsize", m.eh.e_phentsize = 32, "program header size");
    BAD("phnum0", m.eh.e_phnum = 0, "no program headers");
    BAD("phnum-huge", m.eh.e_phnum = 60000, "too many program headers");
    BAD("phoff", m.eh.e_phoff = 1ull << 40, "beyond the end");
    BAD("phoff-wrap", m.eh.e_phoff = ~0ull - 8, "beyond the end");
    BAD("p_offset", m.ph[1].p_offset = 1ull << 33, "beyond the end");
    BAD("p_filesz", m.ph[1].p_filesz = 1ull << 33, "file size > memory size");
    BAD("p_filesz-file", (m.ph[1].p_filesz = 4096, m.ph[1].p_memsz = 8192), "beyond the end");
    BAD("offset-wrap", (m.ph[1].p_offset = ~0ull - 4, m.ph[1].p_filesz = 16), "beyond the end");
    BAD("vaddr-huge", m.ph[1].p_vaddr = 1ull << 62, "outside the guest address space");
    BAD("memsz-huge", m.ph[1].p_memsz = ~0ull - 0x1000, "outside the guest address space");
    BAD("vaddr-top", m.ph[1].p_vaddr = LU_SPACE - 0x100, "outside");
    BAD("overlap", m.ph[1].p_vaddr = TEXT_VA + 16, "overlapping");
    BAD("no-load", (m.ph[0].p_type = PT_NOTE, m.ph[1].p_type = PT_NOTE), "no loadable segments");
    BAD("vaddr-zero", (m.ph[0].p_vaddr = 0, m.ph[1].p_vaddr = 0x10000 + DATA_OFF), "outside the usable");
    BAD("into-stack", (m.ph[1].p_vaddr = LU_STACK_TOP - 0x1000 + DATA_OFF), "outside the usable");
    BAD("interp-unterminated",
        (m.ph[2] = (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = DATA_OFF, .p_filesz = 16}),
        "corrupt PT_INTERP");
    BAD("interp-beyond",
        (m.ph[2] = (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 1ull << 50, .p_filesz = 16}),
        "corrupt PT_INTERP");
    BAD("interp-huge",
        (m.ph[2] = (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 0, .p_filesz = 1ull << 40}),
        "corrupt PT_INTERP");
#undef BAD
    struct lu_image im;
    char err[512] = "";
    if (lu_elf_load(tmpdir, LU_PIE_BASE, &im, NULL, err, sizeof(err)) >= 0 || !strstr(err, "directory"))
        return "a directory was not refused";
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof(missing), "%s/missing", tmpdir);
    if (lu_elf_load(missing, LU_PIE_BASE, &im, NULL, err, sizeof(err)) != -ENOENT)
        return "a missing file did not give ENOENT";
    /* nothing may be left mapped by the failures */
    pthread_mutex_lock(&lu_mem.lock);
    bool clean = lu_mm_range_free(TEXT_VA, 0x100000) && lu_mm_range_free(LU_PIE_BASE, 0x100000);
    pthread_mutex_unlock(&lu_mem.lock);
    return clean ? NULL : "a failed load left pages mapped";
}

static const char *test_elf_good(void)
{
    struct img m;
    struct lu_image im;
    const struct lu_target *tg = NULL;
    static char err[512];
    good_image(&m, ET_EXEC);
    const char *path = write_file("good", &m, sizeof(m));
    if (lu_elf_load(path, LU_PIE_BASE, &im, &tg, err, sizeof(err)))
        return err;
    const char *why = NULL;
    uint8_t *data = lu_g2h(DATA_VA + DATA_OFF);
    if (tg != &lu_target_riscv64)
        why = "wrong target";
    else if (im.entry != TEXT_VA + TEXT_OFF || im.bias || im.phnum != 3 || im.phdr != TEXT_VA + m.eh.e_phoff)
        why = "wrong entry/phdr";
    else if (lu_mem.pages[TEXT_VA >> 12] != (LU_PAGE_VALID | LU_PAGE_READ | LU_PAGE_EXEC))
        why = "text page flags";
    else if (lu_mem.pages[DATA_VA >> 12] != (LU_PAGE_VALID | LU_PAGE_READ | LU_PAGE_WRITE) ||
             lu_mem.pages[(DATA_VA >> 12) + 2] != (LU_PAGE_VALID | LU_PAGE_READ | LU_PAGE_WRITE))
        why = "data/bss page flags";
    else if (data[0] != 0xab || data[31] != 0xab || data[32] != 0 || data[8000] != 0)
        why = "data not loaded or bss not zero";
    else if (im.hi != DATA_VA + 0x3000 || im.lo != TEXT_VA)
        why = "extent";
    else if (!lu_access_ok(TEXT_VA, 16, PROT_READ) || lu_access_ok(TEXT_VA, 16, PROT_WRITE))
        why = "text access";
    unload(&im);
    if (why)
        return why;
    /* the same file as ET_DYN lands at the PIE base */
    good_image(&m, ET_DYN);
    path = write_file("good-dyn", &m, sizeof(m));
    if (lu_elf_load(path, LU_PIE_BASE, &im, &tg, err, sizeof(err)))
        return err;
    if (im.bias != LU_PIE_BASE - TEXT_VA || im.entry != LU_PIE_BASE + TEXT_OFF ||
        lu_mem.pages[(LU_PIE_BASE + DATA_VA - TEXT_VA) >> 12] != (LU_PAGE_VALID | LU_PAGE_READ | LU_PAGE_WRITE))
        why = "ET_DYN placement";
    unload(&im);
    return why;
}

static const char *test_script(void)
{
    char interp[256], arg[256];
    const char *p = write_file("s1", "#!/bin/sh -e  \nexit\n", 20);
    if (lu_script_parse(p, interp, sizeof(interp), arg, sizeof(arg)) != 1 || strcmp(interp, "/bin/sh") ||
        strcmp(arg, "-e"))
        return "#!/bin/sh -e";
    p = write_file("s2", "#! /x/y\n", 8);
    if (lu_script_parse(p, interp, sizeof(interp), arg, sizeof(arg)) != 1 || strcmp(interp, "/x/y") || arg[0])
        return "#! /x/y";
    p = write_file("s3", "#!\n", 3);
    if (lu_script_parse(p, interp, sizeof(interp), arg, sizeof(arg)) != -ENOEXEC)
        return "empty #! accepted";
    struct img m;
    good_image(&m, ET_EXEC);
    p = write_file("s4", &m, sizeof(m));
    if (lu_script_parse(p, interp, sizeof(interp), arg, sizeof(arg)) != 0 || lu_elf_probe(p) != 1)
        return "ELF seen as script / not probed";
    m.eh.e_machine = EM_X86_64;
    p = write_file("s5", &m, sizeof(m));
    if (lu_elf_probe(p) != 0)
        return "x86-64 ELF probed as runnable";
    return NULL;
}

/* ---- memory calls ---- */

static long sys(lu_syscall_fn *f, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                uint64_t a5)
{
    uint64_t a[6] = {a0, a1, a2, a3, a4, a5};
    return f(NULL, a);
}

static uint8_t flags_at(uint64_t g) { return lu_mem.pages[g >> 12]; }

static const char *test_mmap_flags(void)
{
    const uint8_t RW = LU_PAGE_VALID | LU_PAGE_READ | LU_PAGE_WRITE;
    long a = sys(lu_sys_mmap, 0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a <= 0 || (uint64_t)a + 3 * 4096 > lu_mm_top)
        return "anonymous mmap placement";
    uint64_t g = (uint64_t)a;
    if (flags_at(g) != RW || flags_at(g + 8192) != RW || flags_at(g + 12288) == RW)
        return "mmap flags";
    long b = sys(lu_sys_mmap, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b <= 0 || (uint64_t)b + 4096 > g)
        return "second mmap is not below the first (top-down)";
    if (sys(lu_sys_mprotect, g + 4096, 4096, PROT_READ, 0, 0, 0) ||
        flags_at(g + 4096) != (LU_PAGE_VALID | LU_PAGE_READ) || flags_at(g) != RW)
        return "mprotect flags";
    if (lu_access_ok(g, 8192, PROT_WRITE) || !lu_access_ok(g, 8192, PROT_READ) ||
        !lu_access_ok(g + 8192, 4096, PROT_WRITE))
        return "access_ok after mprotect";
    if (sys(lu_sys_mprotect, g + 4096, 4096, PROT_READ | PROT_EXEC, 0, 0, 0) ||
        !(flags_at(g + 4096) & LU_PAGE_EXEC))
        return "mprotect exec";
    if (sys(lu_sys_munmap, g + 4096, 4096, 0, 0, 0, 0) || flags_at(g + 4096) != 0 || flags_at(g) != RW)
        return "munmap flags";
    if (sys(lu_sys_mprotect, g, 8192, PROT_READ, 0, 0, 0) != -ENOMEM)
        return "mprotect over a hole is not ENOMEM";
    if (sys(lu_sys_munmap, g + 1, 4096, 0, 0, 0, 0) != -EINVAL || sys(lu_sys_munmap, g, 0, 0, 0, 0, 0) != -EINVAL)
        return "munmap argument checks";
    /* hint: taken when free, moved when not */
    long h = sys(lu_sys_mmap, g + 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h != (long)(g + 4096))
        return "free hint not taken";
    long h2 = sys(lu_sys_mmap, g, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h2 <= 0 || h2 == (long)g || flags_at(g) != RW)
        return "busy hint replaced the mapping";
    if (sys(lu_sys_mmap, g, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != -EEXIST)
        return "MAP_FIXED_NOREPLACE over a mapping";
    if (sys(lu_sys_mmap, g, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != (long)g ||
        flags_at(g) != (LU_PAGE_VALID | LU_PAGE_READ))
        return "MAP_FIXED replace";
    if (sys(lu_sys_mmap, LU_SPACE - 4096, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != -ENOMEM)
        return "MAP_FIXED past the guest range";
    if (sys(lu_sys_mmap, 0, LU_SPACE + 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != -ENOMEM)
        return "huge mmap";
    if (sys(lu_sys_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != -EINVAL ||
        sys(lu_sys_mmap, 0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0) != -EINVAL ||
        sys(lu_sys_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, -1, 0) != -EBADF)
        return "mmap argument checks";
    /* file mapping */
    const char *p = write_file("mapme", "file contents", 13);
    int fd = open(p, O_RDONLY);
    long f = sys(lu_sys_mmap, 0, 13, PROT_READ, MAP_PRIVATE, (uint64_t)fd, 0);
    close(fd);
    if (f <= 0 || memcmp(lu_g2h((uint64_t)f), "file contents", 13))
        return "file mmap";
    sys(lu_sys_munmap, (uint64_t)f, 4096, 0, 0, 0, 0);
    sys(lu_sys_munmap, g, 3 * 4096, 0, 0, 0, 0);
    sys(lu_sys_munmap, (uint64_t)b, 4096, 0, 0, 0, 0);
    sys(lu_sys_munmap, (uint64_t)h2, 4096, 0, 0, 0, 0);
    pthread_mutex_lock(&lu_mem.lock);
    bool clean = lu_mm_range_free(g - 0x100000, 0x100000 + 3 * 4096);
    pthread_mutex_unlock(&lu_mem.lock);
    return clean ? NULL : "pages left after munmap";
}

static const char *test_mremap_madvise(void)
{
    long a = sys(lu_sys_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a <= 0)
        return "mmap";
    uint64_t g = (uint64_t)a;
    strcpy(lu_g2h(g), "keep me");
    /* the page above is free (top-down allocation leaves it so): grows in place */
    long r = sys(lu_sys_mremap, g, 4096, 8192, 0, 0, 0);
    if (r != (long)g || flags_at(g + 4096) != flags_at(g) || strcmp(lu_g2h(g), "keep me"))
        return "mremap grow in place";
    long blk = sys(lu_sys_mmap, g + 8192, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (blk != (long)(g + 8192))
        return "mmap blocker";
    if (sys(lu_sys_mremap, g, 8192, 16384, 0, 0, 0) != -ENOMEM)
        return "mremap without MAYMOVE into a mapping";
    r = sys(lu_sys_mremap, g, 8192, 16384, MREMAP_MAYMOVE, 0, 0);
    if (r <= 0 || r == (long)g || strcmp(lu_g2h((uint64_t)r), "keep me") || flags_at(g) != 0 ||
        flags_at((uint64_t)r + 12288) != (LU_PAGE_VALID | LU_PAGE_READ | LU_PAGE_WRITE))
        return "mremap move";
    uint64_t n = (uint64_t)r;
    if (sys(lu_sys_mremap, n, 16384, 4096, 0, 0, 0) != (long)n || flags_at(n + 4096) != 0)
        return "mremap shrink";
    if (sys(lu_sys_mremap, g, 4096, 8192, 0, 0, 0) != -EFAULT)
        return "mremap of unmapped memory";
    *(char *)lu_g2h(n + 5) = 9;
    if (sys(lu_sys_madvise, n, 4096, MADV_DONTNEED, 0, 0, 0) || *(char *)lu_g2h(n + 5) != 0)
        return "MADV_DONTNEED did not zero";
    if (sys(lu_sys_madvise, g, 4096, MADV_DONTNEED, 0, 0, 0) != -ENOMEM)
        return "madvise of unmapped memory";
    sys(lu_sys_munmap, n, 4096, 0, 0, 0, 0);
    sys(lu_sys_munmap, g + 8192, 4096, 0, 0, 0, 0);
    return NULL;
}

static const char *test_brk(void)
{
    const uint64_t start = 0x300000;
    lu_mem.brk_start = lu_mem.brk_cur = start;
    if (sys(lu_sys_brk, 0, 0, 0, 0, 0, 0) != (long)start)
        return "brk(0)";
    if (sys(lu_sys_brk, start + 10000, 0, 0, 0, 0, 0) != (long)(start + 10000))
        return "brk grow";
    if (flags_at(start + 8192) != (LU_PAGE_VALID | LU_PAGE_READ | LU_PAGE_WRITE) || flags_at(start + 12288))
        return "brk pages";
    memset(lu_g2h(start), 1, 10000);
    if (sys(lu_sys_brk, start + 100, 0, 0, 0, 0, 0) != (long)(start + 100) || flags_at(start + 4096) ||
        !flags_at(start))
        return "brk shrink";
    if (sys(lu_sys_brk, start - 4096, 0, 0, 0, 0, 0) != (long)(start + 100))
        return "brk below start";
    /* growing into a mapping fails and leaves brk alone */
    sys(lu_sys_mmap, start + 0x10000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (sys(lu_sys_brk, start + 0x20000, 0, 0, 0, 0, 0) != (long)(start + 100) || flags_at(start + 0x8000))
        return "brk over a mapping";
    sys(lu_sys_munmap, start + 0x10000, 4096, 0, 0, 0, 0);
    sys(lu_sys_brk, start, 0, 0, 0, 0, 0);
    return NULL;
}

static const char *test_access(void)
{
    long a = sys(lu_sys_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a <= 0)
        return "mmap";
    uint64_t g = (uint64_t)a;
    char buf[64];
    if (lu_copy_to_guest(g + 4090, "across pages", 13) || lu_copy_from_guest(buf, g + 4090, 13) ||
        strcmp(buf, "across pages"))
        return "copy across a page boundary";
    if (lu_copy_from_guest(buf, g + 8190, 4) != -EFAULT || lu_copy_to_guest(g - 2, buf, 4) != -EFAULT)
        return "copy over the edge of the mapping";
    if (lu_copy_from_guest(buf, LU_SPACE - 2, 4) != -EFAULT || lu_copy_from_guest(buf, ~0ull - 1, 4) != -EFAULT)
        return "copy outside the guest range";
    if (lu_access_ok(g, 0, PROT_WRITE) != true || lu_access_ok(g, 8193, PROT_READ))
        return "access_ok edges";
    /* a string ending exactly at the last byte, one running off the mapping, one too long */
    memset(lu_g2h(g), 'x', 8192);
    *(char *)lu_g2h(g + 8191) = 0;
    char big[9000];
    if (lu_strncpy_from_guest(big, g + 100, sizeof(big)) != 8091 || big[8091])
        return "string to the last byte";
    *(char *)lu_g2h(g + 8191) = 'x';
    if (lu_strncpy_from_guest(big, g + 100, sizeof(big)) != -EFAULT)
        return "string off the mapping";
    if (lu_strncpy_from_guest(buf, g, sizeof(buf)) != -ENAMETOOLONG)
        return "string too long";
    sys(lu_sys_mprotect, g, 8192, PROT_READ, 0, 0, 0);
    if (lu_prepare_write(g, 10) != -EFAULT || lu_copy_to_guest(g, "x", 1) != -EFAULT)
        return "write to a read-only page";
    sys(lu_sys_munmap, g, 8192, 0, 0, 0, 0);
    return NULL;
}

/* The code-page hook write-protects; a host store faults into lu's handler, which drops the
 * protection and retries. */
static const char *test_code_pages(void)
{
    long a = sys(lu_sys_mmap, 0, 8192, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a <= 0)
        return "mmap";
    uint64_t g = (uint64_t)a;
    uint32_t insn = 0x00000013, got = 0;
    if (lu_fetch(NULL, g + 4, &got, 4) || lu_fetch(NULL, g + 8190, &got, 4) != -EFAULT)
        return "fetch";
    exec_code_page_hook(g);
    if (!(flags_at(g) & LU_PAGE_CODE) || (flags_at(g + 4096) & LU_PAGE_CODE))
        return "hook did not mark the page";
    /* a raw store, as guest code would do it */
    *(volatile uint32_t *)lu_g2h(g + 16) = insn;
    if (flags_at(g) & LU_PAGE_CODE)
        return "write fault did not unprotect";
    exec_code_page_hook(g);
    if (lu_prepare_write(g, 4) || (flags_at(g) & LU_PAGE_CODE))
        return "prepare_write kept the page protected";
    exec_code_page_hook(g);
    if (lu_copy_to_guest(g + 20, &insn, 4) || (flags_at(g) & LU_PAGE_CODE))
        return "copy_to_guest kept the page protected";
    exec_code_page_hook(g);
    if (sys(lu_sys_mprotect, g, 4096, PROT_READ | PROT_WRITE, 0, 0, 0) || (flags_at(g) & LU_PAGE_CODE))
        return "mprotect kept the code flag";
    if (lu_fetch(NULL, g, &got, 4) != -EFAULT)
        return "fetch from a non-executable page";
    sys(lu_sys_munmap, g, 8192, 0, 0, 0, 0);
    return NULL;
}

/* ---- end to end ---- */

struct e2e {
    const char *name;
    const char *src;
    const char *args;
    const char *expect; /* stdout, then "rc=N" */
};

static const struct e2e programs[] = {
    {"hello",
     "#include <stdio.h>\n#include <stdlib.h>\n"
     "int main(int c, char **v) { printf(\"%d %s %s\\n\", c, v[1], getenv(\"UT_ENV\")); return 3; }\n",
     "arg1", "2 arg1 yes\nrc=3\n"},
    {"threads",
     "#include <pthread.h>\n#include <stdio.h>\n#include <stdatomic.h>\n"
     "static atomic_long n; static __thread long tl;\n"
     "static void *w(void *a) { tl = (long)a; for (int i = 0; i < 20000; i++) n++; return (void *)tl; }\n"
     "int main(void) { pthread_t t[6]; long s = 0; void *r;\n"
     "  for (long i = 0; i < 6; i++) pthread_create(&t[i], 0, w, (void *)i);\n"
     "  for (int i = 0; i < 6; i++) { pthread_join(t[i], &r); s += (long)r; }\n"
     "  printf(\"%ld %ld\\n\", (long)n, s); return 0; }\n",
     "", "120000 15\nrc=0\n"},
    {"fork",
     "#include <stdio.h>\n#include <signal.h>\n#include <sys/wait.h>\n#include <unistd.h>\n"
     "int main(void) { int st; pid_t p = fork(); if (!p) _exit(42);\n"
     "  waitpid(p, &st, 0); printf(\"%d\\n\", WEXITSTATUS(st));\n"
     "  if (!(p = fork())) { *(volatile int *)8 = 0; _exit(0); }\n"
     "  waitpid(p, &st, 0); printf(\"%d %d\\n\", WIFSIGNALED(st), WTERMSIG(st)); return 0; }\n",
     "", "42\n1 11\nrc=0\n"},
    {"signals",
     "#include <signal.h>\n#include <setjmp.h>\n#include <stdio.h>\n#include <string.h>\n"
     "#include <unistd.h>\n"
     "static volatile int got, code; static void *volatile addr; static sigjmp_buf jb;\n"
     "static void h(int s, siginfo_t *i, void *u) { got = s; code = i->si_code; }\n"
     "static void sv(int s, siginfo_t *i, void *u) { addr = i->si_addr; code = i->si_code; siglongjmp(jb, 1); }\n"
     "int main(void) { struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = h;\n"
     "  sa.sa_flags = SA_SIGINFO; sigaction(SIGUSR1, &sa, 0); kill(getpid(), SIGUSR1);\n"
     "  printf(\"%d %d\\n\", got, code); sa.sa_sigaction = sv; sigaction(SIGSEGV, &sa, 0);\n"
     "  if (!sigsetjmp(jb, 1)) *(volatile int *)0x123 = 1;\n"
     "  printf(\"%p %d\\n\", addr, code); fflush(stdout); signal(SIGUSR2, SIG_DFL); raise(SIGUSR2);\n"
     "  return 0; }\n",
     "", "10 0\n0x123 1\nrc=sig12\n"},
    {"execve",
     "#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n#include <unistd.h>\n"
     "int main(int c, char **v) { if (c > 1) { printf(\"%s %s %s\\n\", v[0], v[1], getenv(\"E\")); return 5; }\n"
     "  char *a[] = {\"renamed\", \"again\", 0}, *e[] = {\"E=env\", 0};\n"
     "  fflush(stdout); execve(v[0], a, e); return 1; }\n",
     "", "renamed again env\nrc=5\n"},
    {"smc",
     "#include <stdio.h>\n#include <stdint.h>\n#include <sys/mman.h>\n"
     "int main(void) { uint32_t *c = mmap(0, 4096, 7, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); int s = 0;\n"
     "  for (int i = 1; i < 5; i++) { c[0] = 0x513u | (uint32_t)i << 20; c[1] = 0x8067;\n"
     "    __builtin___clear_cache((char *)c, (char *)(c + 2)); s = s * 10 + ((int (*)(void))c)(); }\n"
     "  printf(\"%d\\n\", s); return 0; }\n",
     "", "1234\nrc=0\n"},
};

static bool have_cmd(const char *cmd)
{
    char buf[PATH_MAX + 64];
    snprintf(buf, sizeof(buf), "command -v %s >/dev/null 2>&1", cmd);
    return system(buf) == 0;
}

static void run_e2e(const char *omnivm)
{
    if (!have_cmd("riscv64-linux-gnu-gcc")) {
        printf("ok e2e # skip: riscv64-linux-gnu-gcc not installed\n");
        return;
    }
    if (access(omnivm, X_OK)) {
        printf("ok e2e # skip: %s not built\n", omnivm);
        return;
    }
    for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
        const struct e2e *e = &programs[i];
        char name[64], cmd[4 * PATH_MAX], src[PATH_MAX + 64], bin[PATH_MAX + 64], out[PATH_MAX + 64];
        snprintf(name, sizeof(name), "e2e_%s", e->name);
        snprintf(src, sizeof(src), "%s/%s.c", tmpdir, e->name);
        snprintf(bin, sizeof(bin), "%s/%s", tmpdir, e->name);
        snprintf(out, sizeof(out), "%s/%s.out", tmpdir, e->name);
        write_file(strrchr(src, '/') + 1, e->src, strlen(e->src));
        snprintf(cmd, sizeof(cmd), "riscv64-linux-gnu-gcc -static -O2 -o %s %s -lpthread", bin, src);
        if (system(cmd)) {
            report(name, "cross compile failed");
            continue;
        }
        snprintf(cmd, sizeof(cmd), "UT_ENV=yes exec timeout 60 %s user %s %s > %s 2>&1", omnivm, bin, e->args, out);
        int st = system(cmd);
        FILE *f = fopen(out, "a");
        if (WIFSIGNALED(st))
            fprintf(f, "rc=sig%d\n", WTERMSIG(st));
        else
            fprintf(f, "rc=%d\n", WEXITSTATUS(st));
        fclose(f);
        char got[4096] = "";
        f = fopen(out, "r");
        size_t n = fread(got, 1, sizeof(got) - 1, f);
        got[n] = 0;
        fclose(f);
        if (strcmp(got, e->expect)) {
            char why[600];
            snprintf(why, sizeof(why), "output '%.200s' wanted '%.200s'", got, e->expect);
            for (char *p = why; *p; p++)
                if (*p == '\n')
                    *p = '|';
            report(name, why);
        } else {
            report(name, NULL);
        }
    }
}

int main(int argc, char **argv)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/omnivm-user-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    int r = lu_mm_init();
    if (r) {
        printf("not ok user_mm_init: %s\n", strerror(-r));
        return 1;
    }
    /* a thread record so the fault handler can fix code-page stores on this thread */
    static struct lu_tcore tc;
    tc.target = &lu_target_riscv64;
    lu_cur = &tc.t;
    if (lu_signal_init() || lu_signal_thread_init(&tc.t)) {
        printf("not ok user_signal_init\n");
        return 1;
    }
    report("user_elf_bad", test_elf_bad());
    report("user_elf_good", test_elf_good());
    report("user_script", test_script());
    report("user_mmap_flags", test_mmap_flags());
    report("user_mremap_madvise", test_mremap_madvise());
    report("user_brk", test_brk());
    report("user_access", test_access());
    report("user_code_pages", test_code_pages());

    /* build/tests/unit/user_test -> build/omnivm */
    char self[PATH_MAX], omnivm[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = 0;
        snprintf(omnivm, sizeof(omnivm), "%s/../../omnivm", dirname(self));
        run_e2e(omnivm);
    }
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd)) {
    }
    return failed;
}
