/*
 * Executable memory on Linux (osal/execmem.h): a memfd mapped twice (RX and RW views in
 * one reservation, so the distance between them is small and fixed), or one RWX mapping
 * when memfd is unavailable or OMNIVM_JIT_RWX=1 asks for it.
 *
 * Why dual mapping: it keeps every page either writable or executable in each view, which
 * hardened kernels (PaX/SELinux execmem denials) require, at no run-time cost: code is
 * written and patched through the RW view while the RX view runs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "osal/execmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define EXECMEM_ALIGN (2ull << 20)

static size_t round_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

/* Reserve len bytes of address space, preferably within 2 GiB of near. */
static uint8_t *reserve(size_t len, const void *near)
{
    if (near) {
        uintptr_t n = (uintptr_t)near & ~(uintptr_t)(EXECMEM_ALIGN - 1);
        /* below the program text first (the heap grows above it), then above */
        uintptr_t hints[] = {n > len + (256u << 20) ? n - len - (256u << 20) : 0,
                             n + (512u << 20)};
        for (unsigned i = 0; i < 2; i++) {
            if (!hints[i]) continue;
            void *p = mmap((void *)hints[i], len, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED) continue;
            intptr_t lo = (intptr_t)p - (intptr_t)near, hi = lo + (intptr_t)len;
            if (lo > -(1ll << 31) + (1 << 20) && hi < (1ll << 31) - (1 << 20)) return p;
            munmap(p, len);
        }
    }
    void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int map_views(struct execmem *m, int fd)
{
    if (mmap(m->rx, m->size, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
        return -errno;
    if (mmap(m->rw, m->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
        return -errno;
    return 0;
}

int execmem_alloc(struct execmem *m, size_t size, const void *near)
{
    memset(m, 0, sizeof(*m));
    m->fd = -1;
    size = round_up(size ? size : 1, 4096);
    if (size > (1ull << 30)) return -EINVAL; /* the views must stay within rel32 reach */
    const char *env = getenv("OMNIVM_JIT_RWX");
    bool rwx = env && env[0] == '1';
    if (!rwx) {
        int fd = memfd_create("omnivm-jit", MFD_CLOEXEC);
        if (fd >= 0 && ftruncate(fd, (off_t)size) == 0) {
            uint8_t *base = reserve(2 * size, near);
            if (base) {
                m->rx = base;
                m->rw = base + size;
                m->size = size;
                if (map_views(m, fd) == 0) {
                    m->dual = true;
                    m->fd = fd;
                    return 0;
                }
                munmap(base, 2 * size);
            }
        }
        if (fd >= 0) close(fd);
    }
    uint8_t *p = reserve(size, near);
    if (!p) return -ENOMEM;
    if (mprotect(p, size, PROT_READ | PROT_WRITE | PROT_EXEC)) {
        int e = errno;
        munmap(p, size);
        return -e;
    }
    m->rx = m->rw = p;
    m->size = size;
    return 0;
}

void execmem_free(struct execmem *m)
{
    if (!m->rx) return;
    munmap(m->rx, m->dual ? 2 * m->size : m->size);
    if (m->fd >= 0) close(m->fd);
    memset(m, 0, sizeof(*m));
    m->fd = -1;
}

int execmem_fork_child(struct execmem *m, size_t keep)
{
    if (!m->rx || !m->dual) return 0; /* a private RWX mapping is copied by fork itself */
    int fd = memfd_create("omnivm-jit", MFD_CLOEXEC);
    if (fd < 0) return -errno;
    if (ftruncate(fd, (off_t)m->size)) {
        int e = errno;
        close(fd);
        return -e;
    }
    /* copy the first `keep` bytes (which the parent no longer changes) into the new file,
     * then map it over both views at the same addresses */
    if (keep > m->size) keep = m->size;
    size_t done = 0;
    while (done < keep) {
        ssize_t n = pwrite(fd, m->rw + done, keep - done, (off_t)done);
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            return -e;
        }
        done += (size_t)n;
    }
    int r = map_views(m, fd);
    if (r) {
        close(fd);
        return r;
    }
    close(m->fd);
    m->fd = fd;
    return 0;
}
