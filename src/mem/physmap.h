/*
 * The guest-physical address map of a machine: RAM, ROM and device MMIO regions.
 *
 * Regions never overlap and never change after the machine starts, so lookups need no
 * lock. RAM is one host mapping per region; devices are a table of callbacks
 * (struct mmio_ops) plus their opaque state. Device callbacks may run on any vCPU
 * thread concurrently: a device serialises itself.
 */
#ifndef OMNIVM_MEM_PHYSMAP_H
#define OMNIVM_MEM_PHYSMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmio_ops {
    /* offset is relative to the region base; size is 1, 2, 4 or 8 and the access is
     * naturally aligned (the caller splits others). Unmapped registers read 0. */
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
};

enum mem_kind { MEM_RAM, MEM_ROM, MEM_MMIO };

struct mem_region {
    uint64_t base, size;
    enum mem_kind kind;
    uint8_t *host;               /* RAM/ROM backing */
    const struct mmio_ops *ops;  /* MMIO */
    void *opaque;
    const char *name;
};

#define PHYSMAP_MAX_REGIONS 64

struct physmap {
    struct mem_region r[PHYSMAP_MAX_REGIONS]; /* sorted by base */
    unsigned n;
};

/* Adding fails with -EEXIST on overlap, -ENOSPC when full, -ENOMEM for RAM. host NULL:
 * allocate zeroed anonymous memory. */
int physmap_add_ram(struct physmap *pm, const char *name, uint64_t base, uint64_t size,
                    uint8_t *host) __attribute__((warn_unused_result));
int physmap_add_rom(struct physmap *pm, const char *name, uint64_t base, uint64_t size,
                    uint8_t *host) __attribute__((warn_unused_result));
int physmap_add_mmio(struct physmap *pm, const char *name, uint64_t base, uint64_t size,
                     const struct mmio_ops *ops, void *opaque) __attribute__((warn_unused_result));
const struct mem_region *physmap_find(const struct physmap *pm, uint64_t paddr);

/* Host pointer for [paddr, paddr+len) if it lies inside one RAM region, else NULL.
 * This is how devices do DMA (virtqueues) and loaders place images. */
void *physmap_ram_ptr(const struct physmap *pm, uint64_t paddr, uint64_t len);

/* Byte copies that also reach MMIO (split into aligned accesses); -EFAULT if any byte is
 * unmapped. For debuggers and loaders, not hot paths. */
int physmap_read(const struct physmap *pm, uint64_t paddr, void *buf, size_t len);
int physmap_write(const struct physmap *pm, uint64_t paddr, const void *buf, size_t len);

#endif
