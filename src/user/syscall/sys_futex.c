/*
 * futex(2) on the host futex at lu_g2h(uaddr). Guest threads are host threads sharing one
 * address space, so a host futex on the translated address gives exactly the guest's
 * semantics, private or shared (a MAP_SHARED guest page is a MAP_SHARED host page), and
 * PI futexes work because guest tids are host tids.
 *
 * Per operation this file knows which words the kernel reads or writes (writes go
 * through lu_prepare_write, in case translated code shares the page) and whether the
 * fourth argument is a timeout pointer or the integer val2.
 */
#include <linux/futex.h>
#include <time.h>

#include "user/syscall/sys_int.h"

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

/* What the kernel does with a futex word: nothing (unused), only hash its address (a
 * wake), read it (compare with val) or write it (PI owner, WAKE_OP's operation). */
enum futex_word { FW_UNUSED, FW_HASH, FW_READ, FW_WRITE };

struct futex_op {
    uint8_t uaddr; /* enum futex_word */
    uint8_t uaddr2;
    bool timeout; /* a[3] is a timespec pointer (else val2, an integer) */
};

static const struct futex_op futex_ops[] = {
    [FUTEX_WAIT] = {FW_READ, FW_UNUSED, true},
    [FUTEX_WAKE] = {FW_HASH, FW_UNUSED, false},
    [FUTEX_FD] = {FW_UNUSED, FW_UNUSED, false}, /* removed from Linux: -ENOSYS below */
    [FUTEX_REQUEUE] = {FW_HASH, FW_HASH, false},
    [FUTEX_CMP_REQUEUE] = {FW_READ, FW_HASH, false},
    [FUTEX_WAKE_OP] = {FW_HASH, FW_WRITE, false},
    [FUTEX_LOCK_PI] = {FW_WRITE, FW_UNUSED, true},
    [FUTEX_UNLOCK_PI] = {FW_WRITE, FW_UNUSED, false},
    [FUTEX_TRYLOCK_PI] = {FW_WRITE, FW_UNUSED, false},
    [FUTEX_WAIT_BITSET] = {FW_READ, FW_UNUSED, true},
    [FUTEX_WAKE_BITSET] = {FW_HASH, FW_UNUSED, false},
    [FUTEX_WAIT_REQUEUE_PI] = {FW_READ, FW_WRITE, true},
    [FUTEX_CMP_REQUEUE_PI] = {FW_READ, FW_WRITE, false},
    [FUTEX_LOCK_PI2] = {FW_WRITE, FW_UNUSED, true},
};

/* Checks one futex word and gives its host address, or NULL. Words the kernel only
 * hashes (a wake's address) still must lie inside the guest space, so that no two guest
 * addresses alias one host futex. */
static void *futex_word(uint64_t g, enum futex_word how)
{
    if (g & 3) return NULL;
    if (how == FW_WRITE) return sc_out(g, 4);
    if (how == FW_READ) return sc_in(g, 4);
    return g < LU_SPACE ? lu_g2h(g) : NULL;
}

long lu_sc_futex(struct lu_thread *t, const uint64_t a[6])
{
    int op = (int)a[1];
    unsigned cmd = (unsigned)op & FUTEX_CMD_MASK;
    if (cmd >= sizeof(futex_ops) / sizeof(futex_ops[0]) || futex_ops[cmd].uaddr == FW_UNUSED)
        return -ENOSYS;
    const struct futex_op *f = &futex_ops[cmd];

    void *uaddr = futex_word(a[0], f->uaddr);
    if (!uaddr) return a[0] & 3 ? -EINVAL : -EFAULT;
    void *uaddr2 = NULL;
    if (f->uaddr2 != FW_UNUSED) {
        if (!(uaddr2 = futex_word(a[4], f->uaddr2))) return a[4] & 3 ? -EINVAL : -EFAULT;
    }

    uint64_t arg4 = a[3]; /* val2, passed as the pointer-sized argument */
    struct timespec ts;
    void *timeout = (void *)(uintptr_t)arg4;
    if (f->timeout) {
        if (arg4 && lu_copy_from_guest(&ts, arg4, sizeof(ts))) return -EFAULT;
        timeout = arg4 ? &ts : NULL;
    }
    return sc_host(SYS_futex, uaddr, op, (uint32_t)a[2], timeout, uaddr2, (uint32_t)a[5]);
}
