/*
 * Device tree for the riscv `virt` board (libfdt sequential-write API).
 *
 * Invariants: phandles are fixed numbers derived from the node (PLIC, test device, one
 * interrupt controller per hart), so the wiring written into interrupts-extended and
 * regmap never depends on creation order; virtio-mmio nodes are emitted in ascending
 * address order because Linux probes platform devices in tree order, which keeps the
 * first --disk as /dev/vda. Every libfdt error is reported, never ignored.
 */
#include "board/board_fdt.h"

#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define PH_PLIC 1u
#define PH_TEST 2u
#define PH_CPU(i) (0x100u + (i))
#define PH_INTC(i) (0x200u + (i))

#define RV_IRQ_M_SOFT 3
#define RV_IRQ_M_TIMER 7
#define RV_IRQ_S_EXT 9
#define RV_IRQ_M_EXT 11

/* Check a libfdt call; on failure remember the first error and stop adding. */
#define TRY(call)                                                                                  \
    do {                                                                                           \
        if (!err) {                                                                                \
            int r_ = (call);                                                                       \
            if (r_ < 0) err = r_;                                                                  \
        }                                                                                          \
    } while (0)

static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
    fdt64_t v[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};
    return fdt_property(fdt, "reg", v, sizeof(v));
}

static int prop_cells(void *fdt, const char *name, const uint32_t *cells, unsigned n)
{
    fdt32_t v[4 * BOARD_FDT_MAX_HARTS];
    for (unsigned i = 0; i < n; i++)
        v[i] = cpu_to_fdt32(cells[i]);
    return fdt_property(fdt, name, v, (int)(n * sizeof(fdt32_t)));
}

/* "compatible" with several strings: a NUL-separated list */
static int prop_compat(void *fdt, const char *list, size_t len)
{
    return fdt_property(fdt, "compatible", list, (int)len);
}
#define COMPAT(fdt, lit) prop_compat(fdt, lit, sizeof(lit))

static int build(const struct board_fdt_info *in, void *fdt, int bufsize)
{
    int err = 0;
    char name[64];
    uint32_t cells[4 * BOARD_FDT_MAX_HARTS];

    TRY(fdt_create(fdt, bufsize));
    TRY(fdt_finish_reservemap(fdt));
    TRY(fdt_begin_node(fdt, ""));
    TRY(fdt_property_u32(fdt, "#address-cells", 2));
    TRY(fdt_property_u32(fdt, "#size-cells", 2));
    TRY(fdt_property_string(fdt, "compatible", "riscv-virtio"));
    TRY(fdt_property_string(fdt, "model", "riscv-virtio,omnivm"));

    /* /chosen */
    TRY(fdt_begin_node(fdt, "chosen"));
    if (in->bootargs) TRY(fdt_property_string(fdt, "bootargs", in->bootargs));
    snprintf(name, sizeof(name), "/soc/serial@%llx", (unsigned long long)in->uart_base);
    TRY(fdt_property_string(fdt, "stdout-path", name));
    if (in->initrd_end > in->initrd_start) {
        TRY(fdt_property_u64(fdt, "linux,initrd-start", in->initrd_start));
        TRY(fdt_property_u64(fdt, "linux,initrd-end", in->initrd_end));
    }
    if (in->rng_seed) TRY(fdt_property(fdt, "rng-seed", in->rng_seed, 32));
    TRY(fdt_end_node(fdt));

    /* /memory */
    snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)in->ram_base);
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_string(fdt, "device_type", "memory"));
    TRY(prop_reg(fdt, in->ram_base, in->ram_size));
    TRY(fdt_end_node(fdt));

    /* /cpus */
    TRY(fdt_begin_node(fdt, "cpus"));
    TRY(fdt_property_u32(fdt, "#address-cells", 1));
    TRY(fdt_property_u32(fdt, "#size-cells", 0));
    TRY(fdt_property_u32(fdt, "timebase-frequency", in->timebase_hz));
    for (unsigned i = 0; i < in->nharts; i++) {
        snprintf(name, sizeof(name), "cpu@%u", i);
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_u32(fdt, "phandle", PH_CPU(i)));
        TRY(fdt_property_string(fdt, "device_type", "cpu"));
        TRY(fdt_property_u32(fdt, "reg", i));
        TRY(fdt_property_string(fdt, "status", "okay"));
        TRY(fdt_property_string(fdt, "compatible", "riscv"));
        TRY(fdt_property_string(fdt, "riscv,isa", in->isa));
        if (in->mmu_type) TRY(fdt_property_string(fdt, "mmu-type", in->mmu_type));
        if (in->cbom_block_size)
            TRY(fdt_property_u32(fdt, "riscv,cbom-block-size", in->cbom_block_size));
        if (in->cboz_block_size)
            TRY(fdt_property_u32(fdt, "riscv,cboz-block-size", in->cboz_block_size));
        TRY(fdt_begin_node(fdt, "interrupt-controller"));
        TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
        TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
        TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
        TRY(fdt_property_u32(fdt, "phandle", PH_INTC(i)));
        TRY(fdt_end_node(fdt));
        TRY(fdt_end_node(fdt));
    }
    TRY(fdt_begin_node(fdt, "cpu-map"));
    TRY(fdt_begin_node(fdt, "cluster0"));
    for (unsigned i = 0; i < in->nharts; i++) {
        snprintf(name, sizeof(name), "core%u", i);
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_u32(fdt, "cpu", PH_CPU(i)));
        TRY(fdt_end_node(fdt));
    }
    TRY(fdt_end_node(fdt));
    TRY(fdt_end_node(fdt));
    TRY(fdt_end_node(fdt)); /* cpus */

    /* poweroff and reboot through the test device, as syscon regmaps */
    if (in->test_size) {
        TRY(fdt_begin_node(fdt, "poweroff"));
        TRY(fdt_property_u32(fdt, "value", 0x5555));
        TRY(fdt_property_u32(fdt, "offset", 0));
        TRY(fdt_property_u32(fdt, "regmap", PH_TEST));
        TRY(fdt_property_string(fdt, "compatible", "syscon-poweroff"));
        TRY(fdt_end_node(fdt));
        TRY(fdt_begin_node(fdt, "reboot"));
        TRY(fdt_property_u32(fdt, "value", 0x7777));
        TRY(fdt_property_u32(fdt, "offset", 0));
        TRY(fdt_property_u32(fdt, "regmap", PH_TEST));
        TRY(fdt_property_string(fdt, "compatible", "syscon-reboot"));
        TRY(fdt_end_node(fdt));
    }

    /* /soc */
    TRY(fdt_begin_node(fdt, "soc"));
    TRY(fdt_property_u32(fdt, "#address-cells", 2));
    TRY(fdt_property_u32(fdt, "#size-cells", 2));
    TRY(fdt_property_string(fdt, "compatible", "simple-bus"));
    TRY(fdt_property(fdt, "ranges", NULL, 0));

    if (in->test_size) {
        snprintf(name, sizeof(name), "test@%llx", (unsigned long long)in->test_base);
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_u32(fdt, "phandle", PH_TEST));
        TRY(prop_reg(fdt, in->test_base, in->test_size));
        TRY(COMPAT(fdt, "sifive,test1\0sifive,test0\0syscon"));
        TRY(fdt_end_node(fdt));
    }

    snprintf(name, sizeof(name), "clint@%llx", (unsigned long long)in->clint_base);
    TRY(fdt_begin_node(fdt, name));
    for (unsigned i = 0; i < in->nharts; i++) {
        cells[4 * i + 0] = PH_INTC(i);
        cells[4 * i + 1] = RV_IRQ_M_SOFT;
        cells[4 * i + 2] = PH_INTC(i);
        cells[4 * i + 3] = RV_IRQ_M_TIMER;
    }
    TRY(prop_cells(fdt, "interrupts-extended", cells, 4 * in->nharts));
    TRY(prop_reg(fdt, in->clint_base, in->clint_size));
    TRY(COMPAT(fdt, "sifive,clint0\0riscv,clint0"));
    TRY(fdt_end_node(fdt));

    snprintf(name, sizeof(name), "plic@%llx", (unsigned long long)in->plic_base);
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_u32(fdt, "phandle", PH_PLIC));
    TRY(fdt_property_u32(fdt, "riscv,ndev", in->plic_ndev));
    TRY(prop_reg(fdt, in->plic_base, in->plic_size));
    /* two contexts per hart, M-mode then S-mode, as the PLIC numbers them */
    for (unsigned i = 0; i < in->nharts; i++) {
        cells[4 * i + 0] = PH_INTC(i);
        cells[4 * i + 1] = RV_IRQ_M_EXT;
        cells[4 * i + 2] = PH_INTC(i);
        cells[4 * i + 3] = RV_IRQ_S_EXT;
    }
    TRY(prop_cells(fdt, "interrupts-extended", cells, 4 * in->nharts));
    TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
    TRY(COMPAT(fdt, "sifive,plic-1.0.0\0riscv,plic0"));
    TRY(fdt_property_u32(fdt, "#address-cells", 0));
    TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
    TRY(fdt_end_node(fdt));

    snprintf(name, sizeof(name), "serial@%llx", (unsigned long long)in->uart_base);
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_u32(fdt, "interrupts", in->uart_irq));
    TRY(fdt_property_u32(fdt, "interrupt-parent", PH_PLIC));
    TRY(fdt_property_u32(fdt, "clock-frequency", in->uart_clock_hz));
    TRY(prop_reg(fdt, in->uart_base, in->uart_size));
    TRY(fdt_property_string(fdt, "compatible", "ns16550a"));
    TRY(fdt_end_node(fdt));

    for (unsigned i = 0; i < in->nvirtio; i++) {
        snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)in->virtio_base[i]);
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_u32(fdt, "interrupts", in->virtio_irq[i]));
        TRY(fdt_property_u32(fdt, "interrupt-parent", PH_PLIC));
        TRY(prop_reg(fdt, in->virtio_base[i], in->virtio_size));
        TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
        TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
        TRY(fdt_end_node(fdt));
    }
    TRY(fdt_end_node(fdt)); /* soc */

    TRY(fdt_end_node(fdt)); /* root */
    TRY(fdt_finish(fdt));
    return err;
}

int board_fdt_build(const struct board_fdt_info *in, void **blob, size_t *size)
{
    *blob = NULL;
    *size = 0;
    if (in->nharts == 0 || in->nharts > BOARD_FDT_MAX_HARTS || in->nvirtio > BOARD_FDT_MAX_VIRTIO ||
        !in->isa) {
        error_msg("internal error: bad device tree description");
        return -EINVAL;
    }
    /* The tree is a few KiB; grow the buffer until it fits (bootargs are unbounded). */
    for (int bufsize = 16384; bufsize <= (1 << 24); bufsize *= 2) {
        void *buf = calloc(1, (size_t)bufsize);
        if (!buf) break;
        int r = build(in, buf, bufsize);
        if (r == -FDT_ERR_NOSPACE) {
            free(buf);
            continue;
        }
        if (r < 0) {
            error_msg("cannot build the device tree: %s", fdt_strerror(r));
            free(buf);
            return -EINVAL;
        }
        /* room inside totalsize for the firmware's in-place fixups (OpenSBI adds its
         * reserved-memory node and per-cpu status) */
        int grown = (int)fdt_totalsize(buf) + 4096;
        if (grown > bufsize || (r = fdt_open_into(buf, buf, grown)) < 0) {
            free(buf);
            if (r == -FDT_ERR_NOSPACE || grown > bufsize) continue;
            error_msg("cannot build the device tree: %s", fdt_strerror(r));
            return -EINVAL;
        }
        *blob = buf;
        *size = fdt_totalsize(buf);
        return 0;
    }
    error_msg("out of memory building the device tree");
    return -ENOMEM;
}
