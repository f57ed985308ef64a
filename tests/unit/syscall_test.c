/*
 * Unit tests of the system call room's pure parts: the struct stat and epoll_event
 * conversions (conv.c) and the table's numbers, which are checked against the riscv64
 * cross headers when they are installed (Debian's linux-libc-dev-riscv64-cross).
 * Prints "ok NAME" / "not ok NAME: reason" per group; exits non-zero on any failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user/syscall/conv.h"
#include "user/syscall/sys_int.h"

static int failures;

static void report(const char *name, const char *err)
{
    if (err) {
        printf("not ok %s: %s\n", name, err);
        failures++;
    } else {
        printf("ok %s\n", name);
    }
}

static const char *test_stat(void)
{
    static char msg[160];
    struct stat s;
    memset(&s, 0, sizeof(s));
    s.st_dev = 0x0102030405060708ull;
    s.st_ino = 0x1112131415161718ull;
    s.st_nlink = 3;
    s.st_mode = S_IFREG | 0644;
    s.st_uid = 1000;
    s.st_gid = 100;
    s.st_rdev = 0x2122;
    s.st_size = 0x123456789all;
    s.st_blksize = 4096;
    s.st_blocks = 77;
    s.st_atim = (struct timespec){1700000000, 1};
    s.st_mtim = (struct timespec){1700000001, 999999999};
    s.st_ctim = (struct timespec){-5, 42};

    struct lu_rv_stat d;
    memset(&d, 0xee, sizeof(d));
    if (lu_conv_stat(&d, &s) != 0) return "conversion of an ordinary stat failed";
    /* the guest reads these bytes at asm-generic offsets: check through raw bytes */
    const unsigned char *b = (const unsigned char *)&d;
    uint64_t u64;
    uint32_t u32;
    int64_t i64;
    int32_t i32;
#define AT(off, var) memcpy(&(var), b + (off), sizeof(var))
    AT(0, u64);
    if (u64 != 0x0102030405060708ull) return "st_dev at 0";
    AT(8, u64);
    if (u64 != 0x1112131415161718ull) return "st_ino at 8";
    AT(16, u32);
    if (u32 != (S_IFREG | 0644)) return "st_mode at 16";
    AT(20, u32);
    if (u32 != 3) return "st_nlink at 20";
    AT(24, u32);
    if (u32 != 1000) return "st_uid at 24";
    AT(28, u32);
    if (u32 != 100) return "st_gid at 28";
    AT(32, u64);
    if (u64 != 0x2122) return "st_rdev at 32";
    AT(40, u64);
    if (u64 != 0) return "__pad1 at 40 not zero";
    AT(48, i64);
    if (i64 != 0x123456789all) return "st_size at 48";
    AT(56, i32);
    if (i32 != 4096) return "st_blksize at 56";
    AT(60, i32);
    if (i32 != 0) return "__pad2 at 60 not zero";
    AT(64, i64);
    if (i64 != 77) return "st_blocks at 64";
    AT(72, i64);
    if (i64 != 1700000000) return "st_atime at 72";
    AT(80, u64);
    if (u64 != 1) return "st_atime_nsec at 80";
    AT(88, i64);
    if (i64 != 1700000001) return "st_mtime at 88";
    AT(96, u64);
    if (u64 != 999999999) return "st_mtime_nsec at 96";
    AT(104, i64);
    if (i64 != -5) return "st_ctime at 104 (negative times survive)";
    AT(112, u64);
    if (u64 != 42) return "st_ctime_nsec at 112";
    AT(120, u64);
    if (u64 != 0) return "__unused4/5 at 120 not zero";
#undef AT

    /* a real file, through the host kernel */
    struct stat h;
    if (stat("/proc/self/exe", &h) != 0) return "stat /proc/self/exe failed on the host";
    if (lu_conv_stat(&d, &h) || d.st_ino != h.st_ino || d.st_size != h.st_size ||
        d.st_mode != h.st_mode || d.st_mtime_nsec != (uint64_t)h.st_mtim.tv_nsec) {
        snprintf(msg, sizeof(msg), "host file fields differ (ino %llu/%llu size %lld/%lld)",
                 (unsigned long long)d.st_ino, (unsigned long long)h.st_ino, (long long)d.st_size,
                 (long long)h.st_size);
        return msg;
    }

    /* more links than the guest's 32-bit st_nlink: the kernel's answer is EOVERFLOW */
    s.st_nlink = 0x100000001ull;
    if (lu_conv_stat(&d, &s) != -EOVERFLOW) return "nlink above 32 bits did not give -EOVERFLOW";
    return NULL;
}

static const char *test_epoll(void)
{
    struct lu_rv_epoll_event g = {
        .events = 0x80000019u, .pad = 0xdeadbeef, .data = 0xfedcba9876543210ull};
    struct epoll_event h;
    memset(&h, 0, sizeof(h));
    lu_conv_epoll_to_host(&h, &g);
    if (h.events != 0x80000019u || h.data.u64 != 0xfedcba9876543210ull)
        return "guest to host lost a field";
    /* packed host layout: data right after the 4-byte events */
    uint64_t raw;
    memcpy(&raw, (const unsigned char *)&h + 4, sizeof(raw));
    if (raw != 0xfedcba9876543210ull) return "host data is not at offset 4 (not packed?)";

    struct lu_rv_epoll_event back;
    memset(&back, 0xff, sizeof(back));
    lu_conv_epoll_to_guest(&back, &h);
    if (back.events != g.events || back.data != g.data || back.pad != 0)
        return "host to guest: wrong fields or padding not cleared";
    memcpy(&raw, (const unsigned char *)&back + 8, sizeof(raw));
    if (raw != 0xfedcba9876543210ull) return "guest data is not at offset 8";
    return NULL;
}

/* ---- table numbers against the cross headers ---- */

/* The whole header (about 30 KiB; 1 MiB is plenty), NUL-terminated, or NULL. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 1 << 20;
    char *s = malloc(cap);
    size_t len = s ? fread(s, 1, cap - 1, f) : 0;
    fclose(f);
    if (s) s[len] = 0;
    return s;
}

/* Does the header define __NR_<name> (or __NR3264_<name>) as nr? */
static bool header_has(const char *hdr, const char *prefix, const char *name, int nr)
{
    char pat[128];
    snprintf(pat, sizeof(pat), "#define %s%s ", prefix, name);
    for (const char *p = hdr; (p = strstr(p, pat)); p += strlen(pat)) {
        const char *v = p + strlen(pat);
        while (*v == ' ' || *v == '\t')
            v++;
        if (atoi(v) == nr && *v >= '0' && *v <= '9') return true;
    }
    return false;
}

struct row {
    int nr;
    const char *name;
};
#define ROW(nr, name, fn, fmt) {nr, #name},
static const struct row rows[] = {LU_SC_LIST(ROW)};
#undef ROW

static const char *test_numbers(bool *skipped)
{
    static char msg[160];
    char *hdr = slurp("/usr/riscv64-linux-gnu/include/asm-generic/unistd.h");
    *skipped = !hdr;
    if (!hdr) return NULL;
    /* table names whose header macro is spelled differently */
    static const struct {
        const char *table, *header;
    } alias[] = {
        {"newfstatat", "fstatat"},
    };
    const char *err = NULL;
    bool seen[LU_SC_COUNT] = {false};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]) && !err; i++) {
        const struct row *r = &rows[i];
        if (seen[r->nr]) {
            snprintf(msg, sizeof(msg), "number %d listed twice", r->nr);
            err = msg;
            break;
        }
        seen[r->nr] = true;
        /* riscv's own: __NR_arch_specific_syscall (244) + 14 / + 15 in asm/unistd.h */
        if (!strcmp(r->name, "riscv_hwprobe") || !strcmp(r->name, "riscv_flush_icache")) {
            if (r->nr != 244 + (r->name[6] == 'h' ? 14 : 15)) {
                snprintf(msg, sizeof(msg), "%s is %d", r->name, r->nr);
                err = msg;
            }
            continue;
        }
        const char *name = r->name;
        for (size_t k = 0; k < sizeof(alias) / sizeof(alias[0]); k++)
            if (!strcmp(name, alias[k].table)) name = alias[k].header;
        if (!header_has(hdr, "__NR_", name, r->nr) && !header_has(hdr, "__NR3264_", name, r->nr)) {
            snprintf(msg, sizeof(msg), "%s = %d not in asm-generic/unistd.h", r->name, r->nr);
            err = msg;
        }
    }
    free(hdr);
    return err;
}

int main(void)
{
    report("syscall_conv_stat", test_stat());
    report("syscall_conv_epoll", test_epoll());
    bool skipped;
    const char *err = test_numbers(&skipped);
    if (skipped)
        printf("ok syscall_numbers (skipped: no riscv64 cross headers)\n");
    else
        report("syscall_numbers", err);
    return failures ? 1 : 0;
}
