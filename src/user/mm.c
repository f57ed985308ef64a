/*
 * The guest address space of Linux user mode: one reserved host range, a flag byte per
 * guest page, guest memory access checks, and the memory system calls (brk, mmap, munmap,
 * mprotect, mremap, madvise).
 *
 * Invariants:
 * - Every host page of [base, base + LU_SPACE) is mapped at all times: guest mappings, or
 *   the PROT_NONE reservation where the guest has nothing. A hole would let the host's own
 *   allocations land inside guest-reachable memory, so unmapping maps the reservation back
 *   over the range, and the rare host call that leaves a hole (mremap) refills it at once.
 * - pages[p] says what the guest may do with page p (LU_PAGE_READ/WRITE/EXEC, VALID if
 *   mapped). The host protection is the guest's, with EXEC shown as READ (engines read
 *   code as data) and WRITE removed while the page holds translated code (LU_PAGE_CODE).
 * - Any change that can alter or remove executable bytes calls exec_invalidate() on the
 *   range after the change.
 * - Page flags change under lu_mem.lock, except LU_PAGE_CODE (atomics; see lu_core.h).
 */
#include <errno.h>
#include <linux/mman.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exec/exec.h"
#include "user/lu_core.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

struct lu_mem lu_mem = {.lock = PTHREAD_MUTEX_INITIALIZER};
uint64_t lu_mm_top = LU_STACK_TOP - (8u << 20) - LU_STACK_GUARD;

#define PG(g) ((g) >> 12)
#define PAGE_MASK_LO (LU_PAGE - 1)
/* Nothing is mapped below this by a hint-less mmap (like vm.mmap_min_addr). */
#define LU_MMAP_MIN 0x10000ull

static inline uint64_t page_up(uint64_t x) { return (x + PAGE_MASK_LO) & ~PAGE_MASK_LO; }

static void code_page_hook(uint64_t guest_page);

int lu_mm_init(void)
{
    void *p = mmap(NULL, LU_SPACE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    void *f = mmap(NULL, LU_SPACE / LU_PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (f == MAP_FAILED) {
        int e = errno;
        munmap(p, LU_SPACE);
        return -e;
    }
    lu_mem.base = (uintptr_t)p;
    lu_mem.pages = f;
    lu_mem.mmap_base = lu_mm_top;
    exec_code_page_hook = code_page_hook;
    return 0;
}

uint8_t lu_prot_flags(int prot)
{
    uint8_t f = LU_PAGE_VALID;
    if (prot & PROT_READ)
        f |= LU_PAGE_READ;
    if (prot & PROT_WRITE)
        f |= LU_PAGE_WRITE;
    if (prot & PROT_EXEC)
        f |= LU_PAGE_EXEC;
    return f;
}

int lu_host_prot(uint8_t f)
{
    int p = 0;
    if (!(f & LU_PAGE_VALID))
        return PROT_NONE;
    if (f & (LU_PAGE_READ | LU_PAGE_EXEC | LU_PAGE_WRITE))
        p |= PROT_READ;
    if ((f & LU_PAGE_WRITE) && !(f & LU_PAGE_CODE))
        p |= PROT_WRITE;
    return p;
}

bool lu_mm_range_ok(uint64_t g, uint64_t len)
{
    return len && g < LU_SPACE && len <= LU_SPACE - g;
}

bool lu_mm_range_free(uint64_t g, uint64_t len)
{
    for (uint64_t p = PG(g); p < PG(g + len); p++)
        if (lu_mem.pages[p])
            return false;
    return true;
}

uint64_t lu_mm_find_free(uint64_t len, uint64_t top)
{
    uint64_t end = top & ~PAGE_MASK_LO;
    len = page_up(len);
    while (end >= LU_MMAP_MIN + len) {
        uint64_t start = end - len, p = PG(end);
        /* scan down; the first used page ends this candidate, and the search continues
         * below it, so each page is looked at once */
        while (p > PG(start) && !lu_mem.pages[p - 1])
            p--;
        if (p == PG(start))
            return start;
        end = (p - 1) << 12;
    }
    return 0;
}

/* Does any page of the range hold (or may hold) translated code? */
static bool range_has_code(uint64_t g, uint64_t len)
{
    for (uint64_t p = PG(g); p < PG(g + len); p++)
        if (lu_mem.pages[p] & (LU_PAGE_EXEC | LU_PAGE_CODE))
            return true;
    return false;
}

void lu_mm_set_flags(uint64_t g, uint64_t len, uint8_t flags)
{
    memset(lu_mem.pages + PG(g), flags, PG(page_up(len)));
}

/* Map the reservation back over a range the host left empty. A failure here means the
 * host put its own mapping into the guest range: continuing could corrupt omnivm. */
static void refill_hole(uint64_t g, uint64_t len)
{
    void *h = lu_g2h(g);
    void *r = mmap(h, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
                   -1, 0);
    if (r != h) {
        fprintf(stderr, "omnivm: internal error: host mapping appeared in the guest range at %p\n", h);
        abort();
    }
}

int lu_mm_map(uint64_t g, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
    len = page_up(len);
    bool code = range_has_code(g, len);
    int hflags = (flags & ~(MAP_FIXED_NOREPLACE | MAP_GROWSDOWN | 0x40 /* x86 MAP_32BIT */)) | MAP_FIXED;
    uint8_t f = lu_prot_flags(prot);
    void *r = mmap(lu_g2h(g), len, lu_host_prot(f), hflags, fd, (off_t)off);
    if (r == MAP_FAILED)
        return -errno;
    lu_mm_set_flags(g, len, f);
    if (code)
        exec_invalidate(g, len);
    return 0;
}

int lu_mm_unmap(uint64_t g, uint64_t len)
{
    len = page_up(len);
    bool code = range_has_code(g, len);
    void *r = mmap(lu_g2h(g), len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
                   -1, 0);
    if (r == MAP_FAILED)
        return -errno;
    lu_mm_set_flags(g, len, 0);
    if (code)
        exec_invalidate(g, len);
    return 0;
}

/* ---- code pages ---- */

/* The engine translated the first block of a page: write-protect it so a guest store
 * faults and drops the stale translations. Called with the engine's cache lock held, so
 * it takes no lock of ours (mm calls exec_invalidate with lu_mem.lock held). */
static void code_page_hook(uint64_t guest_page)
{
    uint64_t g = guest_page & ~PAGE_MASK_LO;
    if (g >= LU_SPACE)
        return;
    uint8_t old = __atomic_fetch_or(&lu_mem.pages[PG(g)], LU_PAGE_CODE, __ATOMIC_SEQ_CST);
    if (!(old & LU_PAGE_CODE) && (old & LU_PAGE_WRITE))
        mprotect(lu_g2h(g), LU_PAGE, lu_host_prot(old | LU_PAGE_CODE));
}

/* Unprotect first, then drop translations: a block translated in between is dropped by
 * exec_code_written(), and one translated after it write-protects the page again through
 * the hook. The reverse order could leave a live translation on a writable page. */
void lu_code_unprotect(uint64_t g)
{
    g &= ~PAGE_MASK_LO;
    uint8_t f = __atomic_and_fetch(&lu_mem.pages[PG(g)], (uint8_t)~LU_PAGE_CODE, __ATOMIC_SEQ_CST);
    mprotect(lu_g2h(g), LU_PAGE, lu_host_prot(f));
    exec_code_written(g);
}

int lu_mm_fault_fixup(uint64_t g, bool write)
{
    if (g >= LU_SPACE)
        return 0;
    uint8_t f = __atomic_load_n(&lu_mem.pages[PG(g)], __ATOMIC_SEQ_CST);
    if (!(f & LU_PAGE_VALID))
        return 0;
    if (write) {
        if (!(f & LU_PAGE_WRITE))
            return 0;
        lu_code_unprotect(g);
        return 1;
    }
    if (!(f & (LU_PAGE_READ | LU_PAGE_EXEC | LU_PAGE_WRITE)))
        return 0;
    /* the guest may read this page: the host protection lags behind (a racing mprotect) */
    mprotect(lu_g2h(g & ~PAGE_MASK_LO), LU_PAGE, lu_host_prot(f));
    return 1;
}

int lu_fetch(struct cpu_common *c, uint64_t addr, void *buf, unsigned len)
{
    if (!len)
        return 0;
    if (addr >= LU_SPACE || len > LU_SPACE - addr)
        return -EFAULT;
    for (uint64_t p = PG(addr); p <= PG(addr + len - 1); p++)
        if ((lu_mem.pages[p] & (LU_PAGE_VALID | LU_PAGE_EXEC)) != (LU_PAGE_VALID | LU_PAGE_EXEC))
            return -EFAULT;
    memcpy(buf, lu_g2h(addr), len);
    return 0;
}

/* ---- guest memory access for system calls ---- */

bool lu_access_ok(uint64_t g, uint64_t len, int prot)
{
    if (!len)
        return true;
    if (g >= LU_SPACE || len > LU_SPACE - g)
        return false;
    uint8_t need = LU_PAGE_VALID;
    if (prot & PROT_READ)
        need |= LU_PAGE_READ;
    if (prot & PROT_WRITE)
        need |= LU_PAGE_WRITE;
    for (uint64_t p = PG(g); p <= PG(g + len - 1); p++)
        if ((lu_mem.pages[p] & need) != need)
            return false;
    return true;
}

/* Drop translations and write protection of code pages in a range about to be written. */
static void unprotect_range(uint64_t g, uint64_t len)
{
    for (uint64_t p = PG(g); p <= PG(g + len - 1); p++)
        if (__atomic_load_n(&lu_mem.pages[p], __ATOMIC_RELAXED) & LU_PAGE_CODE)
            lu_code_unprotect(p << 12);
}

int lu_prepare_write(uint64_t g, uint64_t len)
{
    if (!len)
        return 0;
    if (!lu_access_ok(g, len, PROT_WRITE))
        return -EFAULT;
    unprotect_range(g, len);
    return 0;
}

/* memcpy that turns a host fault (the guest unmapped the buffer from another thread
 * after the check) into -EFAULT: the fault handler jumps back through copy_jmp. */
static int guarded_copy(void *dst, const void *src, size_t len)
{
    struct lu_thread *t = lu_cur;
    if (!t) {
        memcpy(dst, src, len);
        return 0;
    }
    struct lu_tcore *tc = lu_tc(t);
    sigjmp_buf env;
    sigjmp_buf *volatile old = tc->copy_jmp;
    if (sigsetjmp(env, 0)) {
        tc->copy_jmp = old;
        return -EFAULT;
    }
    tc->copy_jmp = &env;
    memcpy(dst, src, len);
    tc->copy_jmp = old;
    return 0;
}

int lu_copy_from_guest(void *dst, uint64_t g, size_t len)
{
    if (!len)
        return 0;
    if (!lu_access_ok(g, len, PROT_READ))
        return -EFAULT;
    return guarded_copy(dst, lu_g2h(g), len);
}

int lu_copy_to_guest(uint64_t g, const void *src, size_t len)
{
    if (!len)
        return 0;
    if (!lu_access_ok(g, len, PROT_WRITE))
        return -EFAULT;
    unprotect_range(g, len);
    return guarded_copy(lu_g2h(g), src, len);
}

long lu_strncpy_from_guest(char *dst, uint64_t g, size_t max)
{
    size_t i = 0;
    while (i < max) {
        uint64_t a = g + i;
        if (a >= LU_SPACE || !lu_access_ok(a, 1, PROT_READ))
            return -EFAULT;
        /* copy up to the end of this page, then look for the NUL */
        size_t n = LU_PAGE - (a & PAGE_MASK_LO);
        if (n > max - i)
            n = max - i;
        if (guarded_copy(dst + i, lu_g2h(a), n))
            return -EFAULT;
        char *z = memchr(dst + i, 0, n);
        if (z)
            return z - dst;
        i += n;
    }
    return -ENAMETOOLONG;
}

/* ---- system calls ---- */

long lu_sys_brk(struct lu_thread *t, const uint64_t a[6])
{
    uint64_t want = a[0];
    pthread_mutex_lock(&lu_mem.lock);
    uint64_t cur = lu_mem.brk_cur;
    if (want < lu_mem.brk_start || want >= LU_SPACE)
        goto out;
    uint64_t old_top = page_up(cur), new_top = page_up(want);
    if (new_top > old_top) {
        uint64_t len = new_top - old_top;
        if (new_top > lu_mm_top || !lu_mm_range_free(old_top, len) ||
            lu_mm_map(old_top, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
            goto out;
    } else if (new_top < old_top) {
        lu_mm_unmap(new_top, old_top - new_top);
    }
    lu_mem.brk_cur = cur = want;
out:
    pthread_mutex_unlock(&lu_mem.lock);
    return (long)cur;
}

#define LU_PROT_KNOWN (PROT_READ | PROT_WRITE | PROT_EXEC | 0x8 /* PROT_SEM */)

long lu_sys_mmap(struct lu_thread *t, const uint64_t a[6])
{
    uint64_t addr = a[0], len = a[1], off = a[5];
    int prot = (int)a[2], flags = (int)a[3], fd = (int)a[4];
    if (!len || (off & PAGE_MASK_LO))
        return -EINVAL;
    if (len > LU_SPACE)
        return -ENOMEM;
    len = page_up(len);
    int type = flags & MAP_TYPE;
    if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    if (prot & ~LU_PROT_KNOWN)
        return -EINVAL;
    if (flags & MAP_ANONYMOUS) {
        fd = -1;
        off = 0;
    }
    long r;
    uint64_t g;
    pthread_mutex_lock(&lu_mem.lock);
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        r = -EINVAL;
        if (addr & PAGE_MASK_LO)
            goto out;
        r = -ENOMEM;
        if (!lu_mm_range_ok(addr, len))
            goto out;
        r = -EEXIST;
        if (!(flags & MAP_FIXED) && !lu_mm_range_free(addr, len))
            goto out;
        g = addr;
    } else {
        g = page_up(addr);
        if (!g || g < LU_MMAP_MIN || !lu_mm_range_ok(g, len) || !lu_mm_range_free(g, len))
            g = lu_mm_find_free(len, lu_mm_top);
        r = -ENOMEM;
        if (!g)
            goto out;
    }
    r = lu_mm_map(g, len, prot, flags, fd, off);
    if (!r)
        r = (long)g;
out:
    pthread_mutex_unlock(&lu_mem.lock);
    return r;
}

long lu_sys_munmap(struct lu_thread *t, const uint64_t a[6])
{
    uint64_t addr = a[0], len = a[1];
    if ((addr & PAGE_MASK_LO) || !len || len > LU_SPACE)
        return -EINVAL;
    len = page_up(len);
    if (!lu_mm_range_ok(addr, len))
        return -EINVAL;
    pthread_mutex_lock(&lu_mem.lock);
    long r = lu_mm_unmap(addr, len);
    pthread_mutex_unlock(&lu_mem.lock);
    return r;
}

long lu_sys_mprotect(struct lu_thread *t, const uint64_t a[6])
{
    uint64_t addr = a[0], len = a[1];
    int prot = (int)a[2] & ~(PROT_GROWSDOWN | PROT_GROWSUP);
    if ((addr & PAGE_MASK_LO) || (prot & ~LU_PROT_KNOWN))
        return -EINVAL;
    if (len > LU_SPACE)
        return -ENOMEM;
    len = page_up(len);
    if (!len)
        return 0;
    if (!lu_mm_range_ok(addr, len))
        return -ENOMEM;
    long r = 0;
    pthread_mutex_lock(&lu_mem.lock);
    bool code = false;
    for (uint64_t p = PG(addr); p < PG(addr + len); p++) {
        uint8_t f = lu_mem.pages[p];
        if (!(f & LU_PAGE_VALID)) {
            r = -ENOMEM;
            goto out;
        }
        code |= (f & LU_PAGE_CODE) != 0;
    }
    uint8_t nf = lu_prot_flags(prot);
    if (mprotect(lu_g2h(addr), len, lu_host_prot(nf))) {
        r = -errno;
        goto out;
    }
    /* new flags drop LU_PAGE_CODE: the translations go with the invalidation below */
    lu_mm_set_flags(addr, len, nf);
    if (code)
        exec_invalidate(addr, len);
out:
    pthread_mutex_unlock(&lu_mem.lock);
    return r;
}

/* All pages VALID with one protection (Linux wants one mapping): its flags, or 0. */
static uint8_t uniform_flags(uint64_t g, uint64_t len)
{
    uint8_t f0 = lu_mem.pages[PG(g)] & ~LU_PAGE_CODE;
    if (!(f0 & LU_PAGE_VALID))
        return 0;
    for (uint64_t p = PG(g) + 1; p < PG(g + len); p++)
        if ((lu_mem.pages[p] & ~LU_PAGE_CODE) != f0)
            return 0;
    return f0;
}

/* Move [old, old+oldlen) to new (free or to be replaced) with the host's mremap; the
 * pages keep their contents. */
static long move_mapping(uint64_t old, uint64_t oldlen, uint64_t new, uint64_t newlen, uint8_t f,
                         int mflags)
{
    bool code = range_has_code(new, newlen);
    void *r = mremap(lu_g2h(old), oldlen, newlen, MREMAP_MAYMOVE | MREMAP_FIXED | (mflags & MREMAP_DONTUNMAP),
                     lu_g2h(new));
    if (r == MAP_FAILED)
        return -errno;
    if (code)
        exec_invalidate(new, newlen);
    bool old_code = range_has_code(old, oldlen);
    if (!(mflags & MREMAP_DONTUNMAP)) {
        refill_hole(old, oldlen);
        lu_mm_set_flags(old, oldlen, 0);
    }
    if (old_code)
        exec_invalidate(old, oldlen);
    lu_mm_set_flags(new, newlen, f);
    return (long)new;
}

long lu_sys_mremap(struct lu_thread *t, const uint64_t a[6])
{
    uint64_t old = a[0], oldlen = a[1], newlen = a[2], new = a[4];
    int flags = (int)a[3];
    if ((old & PAGE_MASK_LO) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)))
        return -EINVAL;
    if ((flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) && !(flags & MREMAP_MAYMOVE))
        return -EINVAL;
    if (oldlen > LU_SPACE || newlen > LU_SPACE)
        return -ENOMEM;
    oldlen = page_up(oldlen);
    newlen = page_up(newlen);
    /* old_len 0 (a second mapping of shared memory) is not supported */
    if (!newlen || !oldlen)
        return -EINVAL;
    long r;
    pthread_mutex_lock(&lu_mem.lock);
    uint8_t f;
    r = -EFAULT;
    if (!lu_mm_range_ok(old, oldlen) || !(f = uniform_flags(old, oldlen)))
        goto out;
    if (flags & MREMAP_FIXED) {
        r = -EINVAL;
        if ((new & PAGE_MASK_LO) || !lu_mm_range_ok(new, newlen) ||
            (new < old + oldlen && old < new + newlen))
            goto out;
        r = move_mapping(old, oldlen, new, newlen, f, flags);
        goto out;
    }
    if (newlen <= oldlen) {
        if (newlen < oldlen)
            lu_mm_unmap(old + newlen, oldlen - newlen);
        r = (long)old;
        goto out;
    }
    uint64_t ext = old + oldlen, extlen = newlen - oldlen;
    if (lu_mm_range_ok(ext, extlen) && lu_mm_range_free(ext, extlen)) {
        /* grow in place: open a hole after the mapping for the host to grow into */
        if (!munmap(lu_g2h(ext), extlen)) {
            void *p = mremap(lu_g2h(old), oldlen, newlen, 0);
            if (p != MAP_FAILED) {
                lu_mm_set_flags(ext, extlen, f);
                r = (long)old;
                goto out;
            }
            refill_hole(ext, extlen);
        }
    }
    r = -ENOMEM;
    if (!(flags & MREMAP_MAYMOVE))
        goto out;
    uint64_t dst = lu_mm_find_free(newlen, lu_mm_top);
    if (!dst)
        goto out;
    r = move_mapping(old, oldlen, dst, newlen, f, flags);
out:
    pthread_mutex_unlock(&lu_mem.lock);
    return r;
}

long lu_sys_madvise(struct lu_thread *t, const uint64_t a[6])
{
    uint64_t addr = a[0], len = a[1];
    int advice = (int)a[2];
    if (addr & PAGE_MASK_LO)
        return -EINVAL;
    if (len > LU_SPACE)
        return -EINVAL;
    len = page_up(len);
    if (!len)
        return 0;
    if (!lu_mm_range_ok(addr, len))
        return -ENOMEM;
    bool drops;
    switch (advice) {
    case MADV_DONTNEED: case MADV_FREE: case MADV_REMOVE: case 24 /* MADV_DONTNEED_LOCKED */:
        drops = true;
        break;
    case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
    case MADV_DOFORK: case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP: case MADV_WIPEONFORK:
    case MADV_KEEPONFORK: case 20 /* COLD */: case 21 /* PAGEOUT */: case 25 /* COLLAPSE */:
        drops = false;
        break;
    case MADV_DONTFORK:
        /* would leave a hole in the reservation of a forked child: advisory, so ignore */
        return 0;
    default:
        /* POPULATE_* (write faults on code pages), HWPOISON and unknown advice */
        return -EINVAL;
    }
    long r = 0;
    pthread_mutex_lock(&lu_mem.lock);
    for (uint64_t p = PG(addr); p < PG(addr + len); p++)
        if (!(lu_mem.pages[p] & LU_PAGE_VALID)) {
            r = -ENOMEM;
            goto out;
        }
    bool code = drops && range_has_code(addr, len);
    if (madvise(lu_g2h(addr), len, advice)) {
        r = -errno;
        goto out;
    }
    if (code)
        exec_invalidate(addr, len);
out:
    pthread_mutex_unlock(&lu_mem.lock);
    return r;
}
