/*
 * The device tree of the riscv `virt` board, built with libfdt from a plain description
 * of the machine, so the same builder serves every memory map and device set. The layout
 * follows QEMU's virt board (node names, compatibles, phandle wiring) because Debian's
 * kernel and OpenSBI's generic platform are written against it.
 */
#ifndef OMNIVM_BOARD_BOARD_FDT_H
#define OMNIVM_BOARD_BOARD_FDT_H

#include <stddef.h>
#include <stdint.h>

#define BOARD_FDT_MAX_HARTS 64
#define BOARD_FDT_MAX_VIRTIO 8

struct board_fdt_info {
    uint64_t ram_base, ram_size;
    unsigned nharts;
    const char *isa;                           /* riscv,isa of every cpu */
    const char *mmu_type;                      /* "riscv,sv57", ... or NULL for none */
    uint32_t cbom_block_size, cboz_block_size; /* Zicbom/Zicboz block bytes, 0: absent */
    uint32_t timebase_hz;

    uint64_t clint_base, clint_size;
    uint64_t plic_base, plic_size;
    unsigned plic_ndev; /* riscv,ndev: highest interrupt source number */
    uint64_t uart_base, uart_size;
    unsigned uart_irq;
    uint32_t uart_clock_hz;
    uint64_t test_base, test_size; /* sifive,test + syscon poweroff/reboot; size 0: none */

    unsigned nvirtio; /* populated virtio-mmio slots (others are not described) */
    uint64_t virtio_base[BOARD_FDT_MAX_VIRTIO];
    uint64_t virtio_size;
    unsigned virtio_irq[BOARD_FDT_MAX_VIRTIO];

    const char *bootargs;              /* NULL: none */
    uint64_t initrd_start, initrd_end; /* equal: no initrd */
    const uint8_t *rng_seed;           /* 32 bytes for /chosen/rng-seed, or NULL */
};

/* Builds the blob into a malloc()ed buffer (*blob, *size = its total size).
 * Returns 0 or -ENOMEM/-EINVAL (after an error line). */
int board_fdt_build(const struct board_fdt_info *info, void **blob, size_t *size)
    __attribute__((warn_unused_result));

#endif
