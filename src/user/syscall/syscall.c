/*
 * The system call dispatcher: number -> table row (sys_table.h) -> handler, with the
 * --strace printer around it when asked. Numbers outside the table are -ENOSYS.
 *
 * The untraced path is one bounds check, one table load and one indirect call; the
 * strace flag is read once per call.
 */
#include <errno.h>
#include <stddef.h>

#include "user/syscall/sys_int.h"

/* a number >= LU_SC_COUNT in the list is a compile error here (index beyond the array) */
#define LU_SC_ROW(nr, name, fn, fmt) [nr] = {#name, fn, fmt},
static const struct sc_entry sc_table[LU_SC_COUNT] = {LU_SC_LIST(LU_SC_ROW)};
#undef LU_SC_ROW

long lu_host_ret(long r)
{
    return r == -1 ? -errno : r;
}

long lu_sc_enosys(struct lu_thread *t, const uint64_t a[6])
{
    return -ENOSYS;
}

/* The instruction cache is coherent for the guest already: translated code is dropped
 * when the guest writes its page (the page is write-protected), so nothing to flush. */
long lu_sc_riscv_flush_icache(struct lu_thread *t, const uint64_t a[6])
{
    return a[2] & ~1ull ? -EINVAL : 0;
}

long lu_syscall(struct lu_thread *t, long nr, const uint64_t a[6])
{
    static const struct sc_entry unknown = {NULL, lu_sc_enosys, "xxxxxx"};
    const struct sc_entry *e =
        (unsigned long)nr < LU_SC_COUNT && sc_table[nr].fn ? &sc_table[nr] : &unknown;
    const struct lu_options *opt = lu_proc.opt;
    if (__builtin_expect(!opt || !opt->strace, 1)) return e->fn(t, a);

    if (e->fmt[0] == '!') sc_strace_pre(t, e, a);
    long r = e->fn(t, a);
    sc_strace_post(t, e, nr, a, r);
    return r;
}
