/*
 * --strace: one line per system call on stderr, in the shape of qemu-user and strace:
 *     PID name(arg, "string", 0x..., ...) = result
 *     PID name(...) = -1 ENOENT (No such file or directory)
 * PID is the calling thread's id (the process id in a single-threaded guest). The line
 * is driven by the row's format string (sys_table.h) and written with one write(2), so
 * lines of different threads never interleave mid-line. Guest memory is read only
 * through lu_copy_from_guest(), so a bad pointer prints as its address, never faults.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "user/syscall/sys_int.h"

#define SC_STR_MAX 32 /* bytes of a string or buffer shown before "..." */

struct sc_line {
    char buf[1024];
    size_t len;
};

static __attribute__((format(printf, 2, 3))) void put(struct sc_line *l, const char *fmt, ...)
{
    if (l->len >= sizeof(l->buf)) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
    va_end(ap);
    if (n > 0) l->len += (size_t)n;
    if (l->len >= sizeof(l->buf)) l->len = sizeof(l->buf) - 1;
}

/* Guest bytes as a C string literal, at most SC_STR_MAX of them. Reads byte-wise near
 * the end of a mapping so a string ending just before an unmapped page still prints. */
static void put_guest_bytes(struct sc_line *l, uint64_t g, uint64_t len, bool nul_ends)
{
    unsigned char b[SC_STR_MAX];
    size_t want = len < SC_STR_MAX ? (size_t)len : SC_STR_MAX, got = 0;
    if (want && lu_copy_from_guest(b, g, want) == 0)
        got = want;
    else
        while (got < want && lu_copy_from_guest(b + got, g + got, 1) == 0)
            got++;
    if (!got && want) {
        put(l, "0x%llx", (unsigned long long)g);
        return;
    }
    put(l, "\"");
    size_t i;
    for (i = 0; i < got && !(nul_ends && b[i] == 0); i++) {
        unsigned c = b[i];
        switch (c) {
        case '\n': put(l, "\\n"); break;
        case '\t': put(l, "\\t"); break;
        case '\r': put(l, "\\r"); break;
        case '"': put(l, "\\\""); break;
        case '\\': put(l, "\\\\"); break;
        default:
            if (c >= 0x20 && c < 0x7f)
                put(l, "%c", c);
            else
                put(l, "\\%o", c);
        }
    }
    put(l, "\"");
    if (i == got && got < len) put(l, "...");
}

static void put_arg(struct sc_line *l, char kind, const uint64_t a[6], int i, long ret)
{
    uint64_t v = a[i];
    switch (kind) {
    case 'd': put(l, "%d", (int)v); break;
    case 'l': put(l, "%lld", (long long)v); break;
    case 'u': put(l, "%llu", (unsigned long long)v); break;
    case 'o': put(l, v ? "0%llo" : "0", (unsigned long long)v); break;
    case 'f':
        if ((int)v == -100)
            put(l, "AT_FDCWD");
        else
            put(l, "%d", (int)v);
        break;
    case 'p':
        if (v)
            put(l, "0x%llx", (unsigned long long)v);
        else
            put(l, "NULL");
        break;
    case 's':
        if (v)
            put_guest_bytes(l, v, SC_STR_MAX + 1, true);
        else
            put(l, "NULL");
        break;
    case 'b': put_guest_bytes(l, v, i < 5 ? a[i + 1] : 0, false); break;
    case 'B':
        if (ret > 0)
            put_guest_bytes(l, v, (uint64_t)ret, false);
        else
            put(l, "0x%llx", (unsigned long long)v);
        break;
    default: put(l, v ? "0x%llx" : "0", (unsigned long long)v); break;
    }
}

static void put_call(struct sc_line *l, struct lu_thread *t, const struct sc_entry *e, long nr,
                     const uint64_t a[6], long ret)
{
    const char *f = e->fmt[0] == '!' ? e->fmt + 1 : e->fmt;
    put(l, "%d ", t ? t->tid : (int)getpid());
    if (e->name)
        put(l, "%s(", e->name);
    else
        put(l, "syscall_%ld(", nr);
    for (int i = 0; i < 6 && f[i] && f[i] != '='; i++) {
        if (i) put(l, ", ");
        put_arg(l, f[i], a, i, ret);
    }
    put(l, ")");
}

static void put_result(struct sc_line *l, const struct sc_entry *e, long ret)
{
    const char *eq = strchr(e->fmt, '=');
    if (ret == LU_RET_KEEP_REGS)
        put(l, " = ?");
    else if (ret < 0 && ret >= -4095) {
        const char *name = strerrorname_np((int)-ret);
        put(l, " = -1 %s (%s)", name ? name : "E?", strerror((int)-ret));
    } else if (eq && eq[1] == 'x')
        put(l, " = 0x%lx", (unsigned long)ret);
    else
        put(l, " = %ld", ret);
    put(l, "\n");
}

static void emit(struct sc_line *l)
{
    if (l->len && l->buf[l->len - 1] != '\n')
        l->buf[l->len - 1] = '\n'; /* a truncated line still ends its line */
    const char *p = l->buf;
    size_t n = l->len;
    int saved = errno;
    while (n) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w <= 0 && errno == EINTR) continue;
        if (w <= 0) break;
        p += w;
        n -= (size_t)w;
    }
    errno = saved;
}

void sc_strace_pre(struct lu_thread *t, const struct sc_entry *e, const uint64_t a[6])
{
    struct sc_line l = {.len = 0};
    put_call(&l, t, e, -1, a, 0);
    put(&l, "\n");
    emit(&l);
}

void sc_strace_post(struct lu_thread *t, const struct sc_entry *e, long nr, const uint64_t a[6],
                    long ret)
{
    struct sc_line l = {.len = 0};
    if (e->fmt[0] == '!') /* strace's own words for a call whose line was already printed */
        put(&l, "%d <... %s resumed>", t ? t->tid : (int)getpid(), e->name);
    else
        put_call(&l, t, e, nr, a, ret);
    put_result(&l, e, ret);
    emit(&l);
}
