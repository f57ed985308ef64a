/*
 * CLINT / ACLINT (MSWI + MTIMER) as in the RISC-V ACLINT specification, SiFive layout.
 *
 * Invariants (all under a->lock):
 * - mtime is never stored: it is the shared virtual clock, so harts' time CSRs and this
 *   device always agree. A guest write to mtime moves that clock (vclock_set_ticks) and
 *   re-evaluates every hart's timer.
 * - After every mtimecmp change and every timer callback, hart h's MTIP level equals
 *   (vclock_ticks() >= mtimecmp[h]); while it is low, h's evloop timer is armed at the
 *   host time of tick mtimecmp[h], so MTIP rises on time without the hart polling. As
 *   vclock deadlines are never early, a callback usually finds the timer due; if not
 *   (mtime moved, or a stale callback after a re-arm) it simply re-arms.
 * - mtip_level/msip cache what was last driven on the lines, so lines change only on
 *   real edges.
 */
#include "hw/aclint.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/evloop.h"
#include "core/vclock.h"

#define ACLINT_MSIP_BASE 0x0000
#define ACLINT_MTIMECMP_BASE 0x4000
#define ACLINT_MTIME 0xbff8

struct aclint;

struct aclint_hart {
    struct aclint *a;
    unsigned id;
    uint64_t mtimecmp;
    uint32_t msip;
    int mtip_level;
    struct evtimer *timer;
    struct irq_line mtip_out, msip_out;
};

struct aclint {
    pthread_mutex_t lock;
    unsigned nharts;
    struct aclint_hart *h;
};

/* Called with a->lock held. */
static void aclint_timer_check(struct aclint_hart *h)
{
    int level = vclock_ticks() >= h->mtimecmp;
    if (level)
        evloop_timer_del(h->timer);
    else
        evloop_timer_mod(h->timer, vclock_ticks_to_host_ns(h->mtimecmp));
    if (level != h->mtip_level) {
        h->mtip_level = level;
        irq_set(&h->mtip_out, level);
    }
}

static void aclint_timer_cb(void *opaque)
{
    struct aclint_hart *h = opaque;
    pthread_mutex_lock(&h->a->lock);
    aclint_timer_check(h);
    pthread_mutex_unlock(&h->a->lock);
}

/* The bytes [off, off+size) of a 64-bit register, for any width the bus allows. */
static uint64_t aclint_extract(uint64_t reg, unsigned off, unsigned size)
{
    uint64_t v = reg >> (off * 8);
    return size >= 8 ? v : v & ((1ull << (size * 8)) - 1);
}

static uint64_t aclint_merge(uint64_t reg, unsigned off, unsigned size, uint64_t value)
{
    uint64_t mask = size >= 8 ? ~0ull : ((1ull << (size * 8)) - 1);
    return (reg & ~(mask << (off * 8))) | ((value & mask) << (off * 8));
}

static uint64_t aclint_read(void *opaque, uint64_t offset, unsigned size)
{
    struct aclint *a = opaque;
    uint64_t v = 0;
    pthread_mutex_lock(&a->lock);
    if (offset >= ACLINT_MTIME && offset < ACLINT_MTIME + 8) {
        v = aclint_extract(vclock_ticks(), offset & 7, size);
    } else if (offset >= ACLINT_MTIMECMP_BASE) {
        uint64_t h = (offset - ACLINT_MTIMECMP_BASE) / 8;
        if (h < a->nharts)
            v = aclint_extract(a->h[h].mtimecmp, offset & 7, size);
    } else {
        uint64_t h = offset / 4;
        if (h < a->nharts && size <= 4)
            v = aclint_extract(a->h[h].msip, offset & 3, size);
        else if (h + 1 < a->nharts && size == 8) /* two msip words */
            v = a->h[h].msip | (uint64_t)a->h[h + 1].msip << 32;
    }
    pthread_mutex_unlock(&a->lock);
    return v;
}

static void aclint_msip_write(struct aclint_hart *h, uint32_t v)
{
    uint32_t bit = v & 1; /* the other 31 bits are hardwired to 0 */
    if (bit != h->msip) {
        h->msip = bit;
        irq_set(&h->msip_out, (int)bit);
    }
}

static void aclint_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct aclint *a = opaque;
    pthread_mutex_lock(&a->lock);
    if (offset >= ACLINT_MTIME && offset < ACLINT_MTIME + 8) {
        vclock_set_ticks(aclint_merge(vclock_ticks(), offset & 7, size, value));
        for (unsigned i = 0; i < a->nharts; i++)
            aclint_timer_check(&a->h[i]);
    } else if (offset >= ACLINT_MTIMECMP_BASE) {
        uint64_t h = (offset - ACLINT_MTIMECMP_BASE) / 8;
        if (h < a->nharts) {
            a->h[h].mtimecmp = aclint_merge(a->h[h].mtimecmp, offset & 7, size, value);
            aclint_timer_check(&a->h[h]);
        }
    } else {
        uint64_t h = offset / 4;
        if (h < a->nharts && size <= 4) {
            uint32_t w = (uint32_t)aclint_merge(a->h[h].msip, offset & 3, size, value);
            aclint_msip_write(&a->h[h], w);
        } else if (h + 1 < a->nharts && size == 8) {
            aclint_msip_write(&a->h[h], (uint32_t)value);
            aclint_msip_write(&a->h[h + 1], (uint32_t)(value >> 32));
        }
    }
    pthread_mutex_unlock(&a->lock);
}

const struct mmio_ops aclint_mmio_ops = {.read = aclint_read, .write = aclint_write};

void aclint_connect(struct aclint *a, unsigned hart, struct irq_line mtip, struct irq_line msip)
{
    if (hart >= a->nharts)
        return;
    pthread_mutex_lock(&a->lock);
    struct aclint_hart *h = &a->h[hart];
    h->mtip_out = mtip;
    h->msip_out = msip;
    /* drive the current levels so wiring after a guest access still agrees */
    irq_set(&h->mtip_out, h->mtip_level);
    irq_set(&h->msip_out, (int)h->msip);
    pthread_mutex_unlock(&a->lock);
}

struct aclint *aclint_new(unsigned nharts)
{
    if (nharts < 1 || nharts > ACLINT_MAX_HARTS)
        return NULL;
    struct aclint *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    pthread_mutex_init(&a->lock, NULL);
    a->nharts = nharts;
    a->h = calloc(nharts, sizeof(*a->h));
    if (!a->h) {
        aclint_free(a);
        return NULL;
    }
    for (unsigned i = 0; i < nharts; i++) {
        struct aclint_hart *h = &a->h[i];
        h->a = a;
        h->id = i;
        h->mtimecmp = UINT64_MAX;
        if (!(h->timer = evloop_timer_new(aclint_timer_cb, h))) {
            aclint_free(a);
            return NULL;
        }
    }
    return a;
}

void aclint_free(struct aclint *a)
{
    if (!a)
        return;
    if (a->h)
        for (unsigned i = 0; i < a->nharts; i++)
            evloop_timer_free(a->h[i].timer); /* waits out a running callback */
    free(a->h);
    pthread_mutex_destroy(&a->lock);
    free(a);
}
