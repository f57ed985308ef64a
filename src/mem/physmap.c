/*
 * The guest-physical address map (mem/physmap.h): a sorted array of non-overlapping
 * regions, RAM and ROM backed by host memory, MMIO by device callbacks.
 *
 * Invariants:
 * - pm->r[0..n) is sorted by base and no two regions overlap; a region never wraps the
 *   64-bit address space (base + size - 1 >= base).
 * - Regions are only added before the machine starts, so lookups take no lock.
 * - RAM this file allocates is anonymous, zeroed and reserved lazily (MAP_NORESERVE), so a
 *   large --mem costs nothing until the guest touches it.
 * - MMIO is reached only with naturally aligned 1/2/4/8-byte accesses (the contract of
 *   struct mmio_ops); physmap_read/physmap_write split everything else.
 */
#include "mem/physmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static uint64_t region_last(const struct mem_region *r) { return r->base + (r->size - 1); }

/* Index of the region containing paddr, or -1. */
static int find_index(const struct physmap *pm, uint64_t paddr)
{
    unsigned lo = 0, hi = pm->n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const struct mem_region *r = &pm->r[mid];
        if (paddr < r->base)
            hi = mid;
        else if (paddr > region_last(r))
            lo = mid + 1;
        else
            return (int)mid;
    }
    return -1;
}

const struct mem_region *physmap_find(const struct physmap *pm, uint64_t paddr)
{
    int i = find_index(pm, paddr);
    return i < 0 ? NULL : &pm->r[i];
}

static int add_region(struct physmap *pm, const struct mem_region *nr)
{
    if (!nr->size || nr->base + (nr->size - 1) < nr->base)
        return -EINVAL;
    if (pm->n >= PHYSMAP_MAX_REGIONS)
        return -ENOSPC;
    unsigned pos = 0;
    while (pos < pm->n && pm->r[pos].base < nr->base)
        pos++;
    /* the neighbours on either side are the only ones that can overlap */
    if (pos > 0 && region_last(&pm->r[pos - 1]) >= nr->base)
        return -EEXIST;
    if (pos < pm->n && pm->r[pos].base <= region_last(nr))
        return -EEXIST;
    memmove(&pm->r[pos + 1], &pm->r[pos], (pm->n - pos) * sizeof(pm->r[0]));
    pm->r[pos] = *nr;
    pm->n++;
    return 0;
}

static int add_backed(struct physmap *pm, const char *name, uint64_t base, uint64_t size,
                      uint8_t *host, enum mem_kind kind)
{
    struct mem_region r = {.base = base, .size = size, .kind = kind, .host = host, .name = name};
    if (!size || base + (size - 1) < base)
        return -EINVAL;
    if (size > (uint64_t)SIZE_MAX)
        return -ENOMEM;
    bool mapped = false;
    if (!host) {
        void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            return -ENOMEM;
        r.host = p;
        mapped = true;
    }
    int err = add_region(pm, &r);
    if (err && mapped)
        munmap(r.host, (size_t)size);
    return err;
}

int physmap_add_ram(struct physmap *pm, const char *name, uint64_t base, uint64_t size,
                    uint8_t *host)
{
    return add_backed(pm, name, base, size, host, MEM_RAM);
}

int physmap_add_rom(struct physmap *pm, const char *name, uint64_t base, uint64_t size,
                    uint8_t *host)
{
    return add_backed(pm, name, base, size, host, MEM_ROM);
}

int physmap_add_mmio(struct physmap *pm, const char *name, uint64_t base, uint64_t size,
                     const struct mmio_ops *ops, void *opaque)
{
    if (!ops || !ops->read || !ops->write)
        return -EINVAL;
    struct mem_region r = {.base = base, .size = size, .kind = MEM_MMIO, .ops = ops,
                           .opaque = opaque, .name = name};
    return add_region(pm, &r);
}

void *physmap_ram_ptr(const struct physmap *pm, uint64_t paddr, uint64_t len)
{
    const struct mem_region *r = physmap_find(pm, paddr);
    if (!r || r->kind != MEM_RAM)
        return NULL;
    uint64_t off = paddr - r->base;
    if (len > r->size - off)
        return NULL;
    return r->host + off;
}

/* The largest naturally aligned access at paddr that fits in n bytes (1, 2, 4 or 8). */
static unsigned mmio_chunk(uint64_t paddr, size_t n)
{
    unsigned s = 8;
    while (s > 1 && ((paddr & (s - 1)) || s > n))
        s >>= 1;
    return s;
}

/* Copies between buf and [paddr, paddr+len); write selects the direction. ROM is
 * writable here: loaders fill it. */
static int physmap_copy(const struct physmap *pm, uint64_t paddr, uint8_t *buf, size_t len,
                        bool write)
{
    while (len) {
        const struct mem_region *r = physmap_find(pm, paddr);
        if (!r)
            return -EFAULT;
        uint64_t off = paddr - r->base, avail = r->size - off;
        size_t n = avail < len ? (size_t)avail : len;
        if (r->kind != MEM_MMIO) {
            if (write)
                memcpy(r->host + off, buf, n);
            else
                memcpy(buf, r->host + off, n);
        } else {
            for (size_t done = 0; done < n;) {
                unsigned s = mmio_chunk(off + done, n - done);
                uint64_t v = 0;
                if (write) {
                    memcpy(&v, buf + done, s); /* little-endian host and guests */
                    r->ops->write(r->opaque, off + done, v, s);
                } else {
                    v = r->ops->read(r->opaque, off + done, s);
                    memcpy(buf + done, &v, s);
                }
                done += s;
            }
        }
        buf += n;
        paddr += n;
        len -= n;
        if (len && paddr == 0)
            return -EFAULT; /* wrapped past the top of the address space */
    }
    return 0;
}

int physmap_read(const struct physmap *pm, uint64_t paddr, void *buf, size_t len)
{
    return physmap_copy(pm, paddr, buf, len, false);
}

int physmap_write(const struct physmap *pm, uint64_t paddr, const void *buf, size_t len)
{
    return physmap_copy(pm, paddr, (uint8_t *)buf, len, true);
}
