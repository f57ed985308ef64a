/*
 * SiFive PLIC model (RISC-V PLIC specification 1.0.0), level-triggered sources only.
 *
 * Invariants (all under p->lock):
 * - A source is "claimed" from the claim read until a complete write for it; while
 *   claimed its gateway forwards nothing, so its pending bit stays 0.
 * - pending(src) = level(src) && !claimed(src). The spec lets a level request stay
 *   pending after the device lowers its line; following the line instead spares the
 *   guest spurious claims (a claim that returns 0), which Linux would otherwise count.
 * - Each context output level is "some enabled pending source has priority above the
 *   threshold", recomputed after every change (out_level caches the last value driven).
 * - Claim picks the highest priority, ties to the lowest source ID, among the enabled
 *   pending sources with priority above 0. As the spec says, the threshold only gates the
 *   notification, not the claim.
 * - A complete write for a source not enabled in that context is ignored, as the spec
 *   requires; otherwise the gateway re-opens and a still-high line is pending again.
 */
#include "hw/plic.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#define PLIC_PENDING_BASE 0x1000
#define PLIC_ENABLE_BASE 0x2000
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_CONTEXT_BASE 0x200000
#define PLIC_CONTEXT_STRIDE 0x1000
#define PLIC_MAX_CONTEXTS 15872 /* what the enable and context windows have room for */

struct plic_context {
    uint32_t *enable; /* nwords */
    uint32_t threshold;
    struct irq_line out;
    int out_level;
};

struct plic {
    pthread_mutex_t lock;
    unsigned ndev, nwords, nctx;
    uint32_t *priority; /* [0..ndev], [0] unused */
    uint32_t *level;    /* input lines, bit per source */
    uint32_t *claimed;  /* bit per source */
    uint32_t *pending;  /* bit per source */
    struct plic_context *ctx;
};

static bool bit_get(const uint32_t *w, unsigned n) { return w[n / 32] >> (n % 32) & 1; }

static void bit_put(uint32_t *w, unsigned n, bool v)
{
    if (v)
        w[n / 32] |= 1u << (n % 32);
    else
        w[n / 32] &= ~(1u << (n % 32));
}

/* The enabled pending source of context c with the highest priority above min_prio (ties
 * to the lowest ID), or 0. */
static unsigned plic_best(const struct plic *p, const struct plic_context *c, uint32_t min_prio)
{
    unsigned best = 0;
    uint32_t best_prio = min_prio;
    for (unsigned w = 0; w < p->nwords; w++) {
        uint32_t bits = p->pending[w] & c->enable[w];
        while (bits) {
            unsigned src = w * 32 + (unsigned)__builtin_ctz(bits);
            bits &= bits - 1;
            if (p->priority[src] > best_prio) { /* strict: ties keep the lower ID */
                best_prio = p->priority[src];
                best = src;
            }
        }
    }
    return best;
}

static void plic_update(struct plic *p)
{
    for (unsigned i = 0; i < p->nctx; i++) {
        struct plic_context *c = &p->ctx[i];
        int level = plic_best(p, c, c->threshold) != 0;
        if (level != c->out_level) {
            c->out_level = level;
            irq_set(&c->out, level);
        }
    }
}

static void plic_gateway(struct plic *p, unsigned src)
{
    bit_put(p->pending, src, bit_get(p->level, src) && !bit_get(p->claimed, src));
}

void plic_set_irq(void *opaque, unsigned n, int level)
{
    struct plic *p = opaque;
    if (n == 0 || n > p->ndev)
        return;
    pthread_mutex_lock(&p->lock);
    bit_put(p->level, n, level != 0);
    plic_gateway(p, n);
    plic_update(p);
    pthread_mutex_unlock(&p->lock);
}

struct irq_line plic_irq_input(struct plic *p, unsigned n)
{
    return (struct irq_line){.set = plic_set_irq, .opaque = p, .n = n};
}

void plic_connect_context(struct plic *p, unsigned ctx, struct irq_line out)
{
    if (ctx >= p->nctx)
        return;
    pthread_mutex_lock(&p->lock);
    p->ctx[ctx].out = out;
    /* drive the new line with the current level so wiring order does not matter */
    p->ctx[ctx].out_level = plic_best(p, &p->ctx[ctx], p->ctx[ctx].threshold) != 0;
    irq_set(&out, p->ctx[ctx].out_level);
    pthread_mutex_unlock(&p->lock);
}

static uint32_t plic_read32(struct plic *p, uint64_t off)
{
    if (off < PLIC_PENDING_BASE) {
        unsigned src = (unsigned)(off / 4);
        return src >= 1 && src <= p->ndev ? p->priority[src] : 0;
    }
    if (off < PLIC_ENABLE_BASE) {
        unsigned w = (unsigned)((off - PLIC_PENDING_BASE) / 4);
        return w < p->nwords ? p->pending[w] : 0;
    }
    if (off < PLIC_CONTEXT_BASE) {
        uint64_t rel = off - PLIC_ENABLE_BASE;
        uint64_t ctx = rel / PLIC_ENABLE_STRIDE;
        unsigned w = (unsigned)(rel % PLIC_ENABLE_STRIDE / 4);
        return ctx < p->nctx && w < p->nwords ? p->ctx[ctx].enable[w] : 0;
    }
    uint64_t rel = off - PLIC_CONTEXT_BASE;
    uint64_t ctx = rel / PLIC_CONTEXT_STRIDE;
    if (ctx >= p->nctx)
        return 0;
    struct plic_context *c = &p->ctx[ctx];
    switch (rel % PLIC_CONTEXT_STRIDE) {
    case 0:
        return c->threshold;
    case 4: {
        unsigned src = plic_best(p, c, 0); /* claims ignore the threshold (spec) */
        if (src) {
            bit_put(p->claimed, src, true);
            plic_gateway(p, src);
            plic_update(p);
        }
        return src;
    }
    default:
        return 0;
    }
}

static void plic_write32(struct plic *p, uint64_t off, uint32_t v)
{
    if (off < PLIC_PENDING_BASE) {
        unsigned src = (unsigned)(off / 4);
        if (src >= 1 && src <= p->ndev)
            p->priority[src] = v & PLIC_MAX_PRIORITY;
    } else if (off < PLIC_ENABLE_BASE) {
        return; /* pending bits are read-only here */
    } else if (off < PLIC_CONTEXT_BASE) {
        uint64_t rel = off - PLIC_ENABLE_BASE;
        uint64_t ctx = rel / PLIC_ENABLE_STRIDE;
        unsigned w = (unsigned)(rel % PLIC_ENABLE_STRIDE / 4);
        if (ctx >= p->nctx || w >= p->nwords)
            return;
        if (w == 0)
            v &= ~1u; /* source 0 does not exist */
        if (w == p->nwords - 1 && (p->ndev + 1) % 32)
            v &= (1u << ((p->ndev + 1) % 32)) - 1; /* sources beyond ndev do not exist */
        p->ctx[ctx].enable[w] = v;
    } else {
        uint64_t rel = off - PLIC_CONTEXT_BASE;
        uint64_t ctx = rel / PLIC_CONTEXT_STRIDE;
        if (ctx >= p->nctx)
            return;
        struct plic_context *c = &p->ctx[ctx];
        switch (rel % PLIC_CONTEXT_STRIDE) {
        case 0:
            c->threshold = v & PLIC_MAX_PRIORITY;
            break;
        case 4:
            if (v >= 1 && v <= p->ndev && bit_get(c->enable, v) && bit_get(p->claimed, v)) {
                bit_put(p->claimed, v, false);
                plic_gateway(p, v);
            }
            break;
        default:
            return;
        }
    }
    plic_update(p);
}

/* The PLIC's registers are 32 bits wide. An 8-byte access is taken as two word
 * accesses (low first), narrower reads see the bytes of their word (a narrow read of the
 * claim register claims), narrower writes are ignored: a partial complete or enable
 * write has no defined meaning. */
static uint64_t plic_read(void *opaque, uint64_t offset, unsigned size)
{
    struct plic *p = opaque;
    uint64_t v;
    pthread_mutex_lock(&p->lock);
    if (size == 8) {
        v = plic_read32(p, offset);
        v |= (uint64_t)plic_read32(p, offset + 4) << 32;
    } else {
        v = plic_read32(p, offset & ~3ull) >> (offset & 3) * 8;
        if (size < 4)
            v &= (1ull << (size * 8)) - 1;
    }
    pthread_mutex_unlock(&p->lock);
    return v;
}

static void plic_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct plic *p = opaque;
    if (size < 4)
        return;
    pthread_mutex_lock(&p->lock);
    plic_write32(p, offset, (uint32_t)value);
    if (size == 8)
        plic_write32(p, offset + 4, (uint32_t)(value >> 32));
    pthread_mutex_unlock(&p->lock);
}

const struct mmio_ops plic_mmio_ops = {.read = plic_read, .write = plic_write};

uint64_t plic_mmio_size(const struct plic *p)
{
    uint64_t end = PLIC_CONTEXT_BASE + (uint64_t)PLIC_CONTEXT_STRIDE * p->nctx;
    return (end + 0xfff) & ~0xfffull;
}

struct plic *plic_new(unsigned ndev, unsigned nharts)
{
    if (ndev < 1 || ndev > PLIC_MAX_NDEV || nharts < 1 || nharts > PLIC_MAX_CONTEXTS / 2)
        return NULL;
    struct plic *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    p->ndev = ndev;
    p->nwords = (ndev + 1 + 31) / 32; /* source IDs 0..ndev */
    p->nctx = 2 * nharts;
    p->priority = calloc(ndev + 1, sizeof(uint32_t));
    p->level = calloc(p->nwords, sizeof(uint32_t));
    p->claimed = calloc(p->nwords, sizeof(uint32_t));
    p->pending = calloc(p->nwords, sizeof(uint32_t));
    p->ctx = calloc(p->nctx, sizeof(*p->ctx));
    if (!p->priority || !p->level || !p->claimed || !p->pending || !p->ctx) {
        plic_free(p);
        return NULL;
    }
    for (unsigned i = 0; i < p->nctx; i++)
        if (!(p->ctx[i].enable = calloc(p->nwords, sizeof(uint32_t)))) {
            plic_free(p);
            return NULL;
        }
    return p;
}

void plic_free(struct plic *p)
{
    if (!p)
        return;
    if (p->ctx)
        for (unsigned i = 0; i < p->nctx; i++)
            free(p->ctx[i].enable);
    free(p->ctx);
    free(p->priority);
    free(p->level);
    free(p->claimed);
    free(p->pending);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
