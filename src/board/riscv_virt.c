/*
 * The riscv `virt` board: QEMU virt's memory map and wiring, so Debian's kernel and
 * OpenSBI's generic platform run unchanged.
 *
 *   0x00001000  boot ROM (4 KiB): OpenSBI's struct fw_dynamic_info
 *   0x00100000  SiFive test finisher (power-off / reset / fail)
 *   0x02000000  CLINT (msip, mtimecmp, mtime)
 *   0x0c000000  PLIC, 96 sources, contexts 2h (M) and 2h+1 (S) per hart
 *   0x10000000  NS16550A UART0, PLIC source 10, on the console
 *   0x10001000  virtio-mmio slot i at + 0x1000 * i, PLIC source 1 + i (8 slots)
 *   0x80000000  RAM: firmware at the base, a Linux Image at base + text_offset, the
 *               initrd high, the device tree in the top 2 MiB-aligned block
 *
 * Invariants:
 * - The machine is fully built (every file opened, every image placed) before any hart
 *   runs; a bad input fails here with one error line and no thread started.
 * - One host thread per hart runs rv_hart_run(); devices and backends run on the event
 *   loop. The main thread only waits for the end: power-off, an HTIF exit, Ctrl-A X. The
 *   first end request wins and fixes the exit status; every hart is then stopped and
 *   joined before anything is freed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "board/board.h"
#include "board/board_fdt.h"
#include "board/console.h"
#include "board/htif.h"
#include "board/loader.h"
#include "config.h"
#include "core/evloop.h"
#include "core/log.h"
#include "core/vclock.h"
#include "guest/riscv/rv_cpu.h"
#include "guest/riscv/rv_sys.h"
#include "hw/aclint.h"
#include "hw/plic.h"
#include "hw/syscon.h"
#include "hw/uart16550.h"
#include "hw/virtio/virtio_devices.h"
#include "hw/virtio/virtio_mmio.h"
#include "mem/physmap.h"
#include "net/net.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

#define VIRT_MROM_BASE 0x1000ull
#define VIRT_MROM_SIZE 0x1000ull
#define VIRT_TEST_BASE 0x100000ull
#define VIRT_CLINT_BASE 0x2000000ull
#define VIRT_PLIC_BASE 0xc000000ull
#define VIRT_UART_BASE 0x10000000ull
#define VIRT_UART_IRQ 10
#define VIRT_UART_CLOCK 3686400
#define VIRT_VIRTIO_BASE 0x10001000ull
#define VIRT_VIRTIO_STRIDE 0x1000ull
#define VIRT_VIRTIO_SLOTS 8
#define VIRT_VIRTIO_IRQ 1 /* slot i: PLIC source 1 + i */
#define VIRT_RAM_BASE 0x80000000ull

#define VIRT_MEM_MIN (16 * MIB)
#define VIRT_FDT_ALIGN (2 * MIB)

#define DEFAULT_BIOS "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"

/* OpenSBI's fw_dynamic hand-over block (firmware/fw_dynamic.S), pointed to by a2 */
#define FW_DYNAMIC_MAGIC 0x4942534full /* "OSBI" */
#define FW_DYNAMIC_VERSION 2
#define FW_DYNAMIC_NEXT_MODE_S 1
struct fw_dynamic_info {
    uint64_t magic, version, next_addr, next_mode, options, boot_hart;
};

struct virt {
    const struct vm_config *cfg;
    struct physmap pm;
    unsigned nharts;
    struct rv_cpu *harts[VM_MAX_HARTS];
    pthread_t threads[VM_MAX_HARTS];
    unsigned nthreads;

    struct aclint *clint;
    struct plic *plic;
    struct uart16550 *uart;
    struct syscon *test;
    struct virtio_mmio *vio[VIRT_VIRTIO_SLOTS];
    unsigned nvio;
    struct chardev con;
    struct htif *htif;
    uint8_t *mrom;

    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    int status;
};

/* ---- ending the run ---- */

/* The first request decides the exit status; harts are stopped at once so a guest that
 * keeps running (a spinning bare-metal test) cannot delay the end. */
static void virt_request_end(struct virt *v, int status)
{
    pthread_mutex_lock(&v->lock);
    if (!v->done) {
        v->done = true;
        v->status = status;
        for (unsigned i = 0; i < v->nharts; i++)
            if (v->harts[i]) rv_hart_stop(v->harts[i]);
        pthread_cond_broadcast(&v->cond);
    }
    pthread_mutex_unlock(&v->lock);
}

static void virt_syscon(void *opaque, enum syscon_action action, unsigned code)
{
    struct virt *v = opaque;
    switch (action) {
    case SYSCON_POWEROFF: virt_request_end(v, 0); break;
    case SYSCON_FAIL: /* exit statuses are 8 bits; a failure never reads as success */
        virt_request_end(v, (code & 0xff) ? (int)(code & 0xff) : 1);
        break;
    case SYSCON_RESET:
        /* rebooting needs every device reset too; until then a reset ends the run */
        fprintf(stderr, "\r\nomnivm: the guest asked for a reset; stopping (no reboot yet)\r\n");
        virt_request_end(v, 0);
        break;
    }
}

static void virt_quit(void *opaque)
{
    virt_request_end(opaque, 0);
}

static void virt_htif_putchar(void *opaque, uint8_t ch)
{
    struct virt *v = opaque;
    chardev_write(&v->con, &ch, 1);
}

static void virt_htif_exit(void *opaque, int status)
{
    virt_request_end(opaque, status);
}

/* ---- building ---- */

static int virt_check_mem(uint64_t mem)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    uint64_t host = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
    if (mem < VIRT_MEM_MIN) {
        error_msg("--mem %llu bytes: guest memory must be at least %llu MiB",
                  (unsigned long long)mem, VIRT_MEM_MIN / MIB);
        return -EINVAL;
    }
    if (mem & 0xfff) {
        error_msg("--mem: guest memory must be a multiple of 4 KiB");
        return -EINVAL;
    }
    if (host && mem > host) {
        error_msg("--mem %llu MiB: guest memory larger than the host's %llu MiB",
                  (unsigned long long)(mem / MIB), (unsigned long long)(host / MIB));
        return -EINVAL;
    }
    return 0;
}

static int virt_add_mmio(struct virt *v, const char *name, uint64_t base, uint64_t size,
                         const struct mmio_ops *ops, void *opaque)
{
    int r = physmap_add_mmio(&v->pm, name, base, size, ops, opaque);
    if (r < 0)
        error_msg("cannot map %s at %#llx: %s", name, (unsigned long long)base, strerror(-r));
    return r;
}

static int virt_add_virtio(struct virt *v, struct virtio_dev *dev, const char *what)
{
    unsigned slot = v->nvio;
    if (slot == VIRT_VIRTIO_SLOTS) {
        error_msg("too many virtio devices (the board has %d slots)", VIRT_VIRTIO_SLOTS);
        virtio_dev_free(dev);
        return -ENOSPC;
    }
    uint64_t base = VIRT_VIRTIO_BASE + VIRT_VIRTIO_STRIDE * slot;
    int r = virtio_mmio_new(&v->pm, base, dev, plic_irq_input(v->plic, VIRT_VIRTIO_IRQ + slot),
                            &v->vio[slot]);
    if (r < 0) {
        error_msg("cannot attach %s: %s", what, strerror(-r));
        virtio_dev_free(dev);
        return r;
    }
    v->nvio++;
    return 0;
}

static int virt_devices(struct virt *v)
{
    const struct vm_config *c = v->cfg;
    int r;

    v->clint = aclint_new(v->nharts);
    v->plic = plic_new(PLIC_VIRT_NDEV, v->nharts);
    v->test = syscon_new(virt_syscon, v);
    if (!v->clint || !v->plic || !v->test) {
        error_msg("cannot create the interrupt controllers");
        return -ENOMEM;
    }
    v->uart = uart16550_new(&v->con, plic_irq_input(v->plic, VIRT_UART_IRQ), 0);
    if (!v->uart) {
        error_msg("cannot create the UART");
        return -ENOMEM;
    }
    if ((r = virt_add_mmio(v, "test", VIRT_TEST_BASE, SYSCON_MMIO_SIZE, &syscon_mmio_ops,
                           v->test)) ||
        (r = virt_add_mmio(v, "clint", VIRT_CLINT_BASE, ACLINT_MMIO_SIZE, &aclint_mmio_ops,
                           v->clint)) ||
        (r = virt_add_mmio(v, "plic", VIRT_PLIC_BASE, PLIC_VIRT_MMIO_SIZE, &plic_mmio_ops,
                           v->plic)) ||
        (r = virt_add_mmio(v, "uart0", VIRT_UART_BASE, UART16550_MMIO_SIZE, &uart16550_mmio_ops,
                           v->uart)))
        return r;

    for (unsigned i = 0; i < c->ndisks; i++) {
        struct virtio_blk_opts o = {.path = c->disks[i].path, .readonly = c->disks[i].readonly};
        struct virtio_dev *dev;
        r = virtio_blk_new(&v->pm, &o, &dev);
        if (r < 0) {
            error_msg("cannot open disk image '%s': %s", o.path, strerror(-r));
            return r;
        }
        if ((r = virt_add_virtio(v, dev, "a disk"))) return r;
    }
    if (c->net) {
        struct net_backend *be;
        r = net_slirp_new("", &be);
        if (r == -ENOTSUP) {
            error_msg("--net user: this omnivm was built without libslirp");
            return r;
        }
        if (r < 0) {
            error_msg("cannot start user-mode networking: %s", strerror(-r));
            return r;
        }
        for (unsigned i = 0; i < c->nhostfwd; i++)
            if ((r = net_slirp_add_hostfwd(be, c->hostfwd[i])) < 0) {
                net_free(be); /* net_slirp_add_hostfwd printed the reason */
                return r;
            }
        struct virtio_dev *dev;
        r = virtio_net_new(&v->pm, be, NULL, &dev);
        if (r < 0) {
            error_msg("cannot create the network card: %s", strerror(-r));
            net_free(be);
            return r;
        }
        if ((r = virt_add_virtio(v, dev, "the network card"))) return r;
    }
    if (c->rng) {
        struct virtio_dev *dev;
        r = virtio_rng_new(&v->pm, &dev);
        if (r < 0) {
            error_msg("cannot create the rng device: %s", strerror(-r));
            return r;
        }
        if ((r = virt_add_virtio(v, dev, "the rng device"))) return r;
    }
    return 0;
}

static int virt_harts(struct virt *v)
{
    for (unsigned i = 0; i < v->nharts; i++) {
        /* the modes up to --mmu, as the device tree's mmu-type says (virt_fdt) */
        unsigned levels = v->cfg->mmu_levels ? v->cfg->mmu_levels : 3;
        unsigned modes = RV_SATP_SV39 | (levels >= 4 ? RV_SATP_SV48 : 0) |
                         (levels >= 5 ? RV_SATP_SV57 : 0);
        struct rv_hart_config hc = {.hartid = i, .pm = &v->pm, .isa = RV_HART_ISA,
                                    .satp_modes = modes};
        v->harts[i] = rv_hart_new(&hc);
        if (!v->harts[i]) {
            error_msg("cannot create hart %u", i);
            return -ENOMEM;
        }
        aclint_connect(v->clint, i, (struct irq_line){rv_hart_set_irq, v->harts[i], RV_IRQ_MTIP},
                       (struct irq_line){rv_hart_set_irq, v->harts[i], RV_IRQ_MSIP});
        plic_connect_context(v->plic, 2 * i,
                             (struct irq_line){rv_hart_set_irq, v->harts[i], RV_IRQ_MEIP});
        plic_connect_context(v->plic, 2 * i + 1,
                             (struct irq_line){rv_hart_set_irq, v->harts[i], RV_IRQ_SEIP});
    }
    return 0;
}

/* ---- loading ---- */

struct virt_boot {
    uint64_t entry;                /* where every hart starts (M-mode) */
    uint64_t kernel_lo, kernel_hi; /* RAM the kernel occupies */
    uint64_t next_addr;            /* the kernel entry firmware jumps to */
    uint64_t tohost, fromhost;     /* HTIF, bare-metal ELF only */
    uint64_t initrd_start, initrd_end;
    uint64_t fdt_addr;
    bool firmware;
};

static uint64_t align_down(uint64_t x, uint64_t a)
{
    return x & ~(a - 1);
}

static int virt_load_kernel(struct virt *v, struct virt_boot *b)
{
    const struct vm_config *c = v->cfg;
    struct loader_file f;
    struct loader_probe p;
    int r;
    if ((r = loader_read_file(c->kernel, "kernel", (size_t)c->mem, &f))) return r;
    if ((r = loader_probe(&f, &p))) goto out;
    if (p.kind == LOADER_RISCV_IMAGE) {
        if (!b->firmware) {
            error_msg("kernel '%s' is a Linux Image, which needs firmware (drop --bios none)",
                      c->kernel);
            r = -EINVAL;
            goto out;
        }
        b->kernel_lo = VIRT_RAM_BASE + p.text_offset;
        b->kernel_hi = b->kernel_lo + p.image_size;
        b->next_addr = b->kernel_lo;
        if (b->kernel_hi > VIRT_RAM_BASE + c->mem || b->kernel_hi < b->kernel_lo) {
            error_msg("kernel '%s' needs %llu MiB of RAM from %#llx; --mem %llu MiB is too small",
                      c->kernel, (unsigned long long)(p.image_size / MIB + 1),
                      (unsigned long long)b->kernel_lo, (unsigned long long)(c->mem / MIB));
            r = -ERANGE;
            goto out;
        }
        r = loader_load_raw(&v->pm, &f, b->kernel_lo, p.image_size, "kernel");
    } else if (p.kind == LOADER_ELF && p.arch && !strcmp(p.arch, "riscv64")) {
        struct loader_elf e;
        if ((r = loader_load_elf(&v->pm, &f, &e))) goto out;
        b->kernel_lo = e.low;
        b->kernel_hi = e.high;
        b->next_addr = e.entry;
        b->tohost = e.tohost;
        b->fromhost = e.fromhost;
        if (!b->firmware) b->entry = e.entry;
    } else {
        error_msg("kernel '%s' is not a riscv64 Linux Image or ELF", c->kernel);
        r = -ENOEXEC;
    }
out:
    loader_file_free(&f);
    return r;
}

static int virt_load_firmware(struct virt *v, struct virt_boot *b, uint64_t *fw_end)
{
    const char *path = v->cfg->bios ? v->cfg->bios : DEFAULT_BIOS;
    struct loader_file f;
    struct loader_probe p;
    int r;
    if (!v->cfg->bios && access(DEFAULT_BIOS, R_OK) != 0) {
        error_msg("no firmware: install Debian's opensbi package, or pass --bios FILE "
                  "(or --bios none for a bare-metal ELF)");
        return -ENOENT;
    }
    if ((r = loader_read_file(path, "firmware", (size_t)v->cfg->mem, &f))) return r;
    if ((r = loader_probe(&f, &p))) goto out;
    if (p.kind == LOADER_ELF) {
        struct loader_elf e;
        if ((r = loader_load_elf(&v->pm, &f, &e))) goto out;
        b->entry = e.entry;
        *fw_end = e.high;
    } else if (p.kind == LOADER_UNKNOWN) {
        /* a flat binary such as fw_dynamic.bin, linked at the start of RAM */
        r = loader_load_raw(&v->pm, &f, VIRT_RAM_BASE, f.size, "firmware");
        b->entry = VIRT_RAM_BASE;
        *fw_end = VIRT_RAM_BASE + f.size;
    } else {
        error_msg("firmware '%s' is a kernel, not M-mode firmware", path);
        r = -EINVAL;
    }
out:
    loader_file_free(&f);
    return r;
}

static int virt_load_initrd(struct virt *v, struct virt_boot *b, uint64_t limit)
{
    struct loader_file f;
    int r;
    if ((r = loader_read_file(v->cfg->initrd, "initrd", (size_t)v->cfg->mem, &f))) return r;
    /* high in RAM, just below the device tree, so a growing kernel never meets it */
    uint64_t start = align_down(limit - f.size, 4096);
    if (f.size == 0 || f.size > limit - VIRT_RAM_BASE || start < b->kernel_hi) {
        error_msg("initrd '%s' (%zu bytes) does not fit in RAM above the kernel "
                  "(try a larger --mem)",
                  v->cfg->initrd, f.size);
        loader_file_free(&f);
        return -ERANGE;
    }
    r = loader_load_raw(&v->pm, &f, start, f.size, "initrd");
    b->initrd_start = start;
    b->initrd_end = start + f.size;
    loader_file_free(&f);
    return r;
}

static int virt_fdt(struct virt *v, struct virt_boot *b, uint64_t fdt_limit)
{
    uint8_t seed[32];
    bool have_seed = getrandom(seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed);
    struct board_fdt_info in = {
        .ram_base = VIRT_RAM_BASE,
        .ram_size = v->cfg->mem,
        .nharts = v->nharts,
        .isa = RV_HART_ISA,
        /* Linux probes satp for the deepest mode the harts accept (Debian's 6.12 ran in
         * Sv57 when they accepted it, whatever this said), and every TLB miss walks that
         * many levels: the default is Sv39 (256 GiB of user address space), --mmu asks
         * for more. */
        .mmu_type = !v->cfg->mmu_levels || v->cfg->mmu_levels == 3 ? "riscv,sv39"
                    : v->cfg->mmu_levels == 4                     ? "riscv,sv48"
                                                                  : "riscv,sv57",
        .cbom_block_size = RV_CBO_BLOCK_SIZE,
        .cboz_block_size = RV_CBO_BLOCK_SIZE,
        .timebase_hz = (uint32_t)VCLOCK_HZ,
        .clint_base = VIRT_CLINT_BASE,
        .clint_size = ACLINT_MMIO_SIZE,
        .plic_base = VIRT_PLIC_BASE,
        .plic_size = PLIC_VIRT_MMIO_SIZE,
        .plic_ndev = PLIC_VIRT_NDEV,
        .uart_base = VIRT_UART_BASE,
        .uart_size = UART16550_MMIO_SIZE,
        .uart_irq = VIRT_UART_IRQ,
        .uart_clock_hz = VIRT_UART_CLOCK,
        .test_base = VIRT_TEST_BASE,
        .test_size = SYSCON_MMIO_SIZE,
        .nvirtio = v->nvio,
        .virtio_size = VIRT_VIRTIO_STRIDE,
        .bootargs = v->cfg->append,
        .initrd_start = b->initrd_start,
        .initrd_end = b->initrd_end,
        .rng_seed = have_seed ? seed : NULL,
    };
    for (unsigned i = 0; i < v->nvio; i++) {
        in.virtio_base[i] = VIRT_VIRTIO_BASE + VIRT_VIRTIO_STRIDE * i;
        in.virtio_irq[i] = VIRT_VIRTIO_IRQ + i;
    }
    void *blob;
    size_t size;
    int r = board_fdt_build(&in, &blob, &size);
    if (r) return r;
    b->fdt_addr = align_down(fdt_limit - size, VIRT_FDT_ALIGN);
    if (b->fdt_addr < b->kernel_hi) {
        error_msg("no room for the device tree above the kernel (try a larger --mem)");
        free(blob);
        return -ERANGE;
    }
    struct loader_file f = {.path = "device tree", .data = blob, .size = size};
    r = loader_load_raw(&v->pm, &f, b->fdt_addr, size, "device tree");
    free(blob);
    return r;
}

/* The boot ROM holds the fw_dynamic_info that a2 points to. */
static int virt_rom(struct virt *v, const struct virt_boot *b)
{
    v->mrom = calloc(1, VIRT_MROM_SIZE);
    if (!v->mrom) return -ENOMEM;
    struct fw_dynamic_info info = {
        .magic = FW_DYNAMIC_MAGIC,
        .version = FW_DYNAMIC_VERSION,
        .next_addr = b->next_addr,
        .next_mode = FW_DYNAMIC_NEXT_MODE_S,
        .options = 0,
        .boot_hart = 0,
    };
    memcpy(v->mrom, &info, sizeof(info)); /* the host is little-endian, like the guest */
    int r = physmap_add_rom(&v->pm, "mrom", VIRT_MROM_BASE, VIRT_MROM_SIZE, v->mrom);
    if (r < 0) error_msg("cannot map the boot ROM: %s", strerror(-r));
    return r;
}

static int virt_load(struct virt *v, struct virt_boot *b)
{
    const struct vm_config *c = v->cfg;
    int r;
    uint64_t fw_end = VIRT_RAM_BASE;
    memset(b, 0, sizeof(*b));
    b->firmware = !(c->bios && !strcmp(c->bios, "none"));
    if (b->firmware && (r = virt_load_firmware(v, b, &fw_end))) return r;
    if ((r = virt_load_kernel(v, b))) return r;
    if (b->firmware && b->kernel_lo < fw_end && b->kernel_hi > VIRT_RAM_BASE) {
        error_msg("kernel '%s' (at %#llx) overlaps the firmware (up to %#llx)", c->kernel,
                  (unsigned long long)b->kernel_lo, (unsigned long long)fw_end);
        return -ERANGE;
    }
    /* the device tree in the top 2 MiB block below 3 GiB of RAM (as QEMU: 32-bit
     * kernels reach it too); the initrd just below that block */
    uint64_t ram_end = VIRT_RAM_BASE + c->mem;
    uint64_t fdt_limit = c->mem > 3 * GIB ? VIRT_RAM_BASE + 3 * GIB : ram_end;
    uint64_t initrd_limit = align_down(fdt_limit - 1, VIRT_FDT_ALIGN);
    if (c->initrd && (r = virt_load_initrd(v, b, initrd_limit))) return r;
    if ((r = virt_fdt(v, b, fdt_limit))) return r;
    if (b->initrd_end > b->fdt_addr) {
        error_msg("initrd and device tree overlap (try a larger --mem)");
        return -ERANGE;
    }
    if (b->firmware && (r = virt_rom(v, b))) return r;
    return 0;
}

/* --dumpdtb: the tree exactly as the guest will see it, for dtc and comparisons */
static int virt_dumpdtb(struct virt *v, const struct virt_boot *b)
{
    const uint8_t *p = physmap_ram_ptr(&v->pm, b->fdt_addr, 64);
    uint32_t size = p ? (uint32_t)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7] : 0;
    p = size ? physmap_ram_ptr(&v->pm, b->fdt_addr, size) : NULL;
    FILE *f = fopen(v->cfg->dumpdtb, "wb");
    if (!p || !f || fwrite(p, 1, size, f) != size || fclose(f) != 0) {
        error_msg("cannot write the device tree to '%s'", v->cfg->dumpdtb);
        return -EIO;
    }
    return 0;
}

/* ---- running ---- */

static void *virt_hart_thread(void *arg)
{
    rv_hart_run(arg);
    return NULL;
}

static void virt_free(struct virt *v)
{
    htif_stop(v->htif);
    for (unsigned i = 0; i < v->nvio; i++)
        virtio_mmio_free(v->vio[i]); /* joins disk workers and network threads */
    evloop_stop();
    for (unsigned i = 0; i < v->nharts; i++)
        rv_hart_free(v->harts[i]);
    uart16550_free(v->uart);
    aclint_free(v->clint);
    plic_free(v->plic);
    syscon_free(v->test);
    pthread_mutex_destroy(&v->lock);
    pthread_cond_destroy(&v->cond);
    /* RAM and the ROM stay mapped until exit: the physmap has no teardown */
}

int riscv_virt_run(const struct vm_config *cfg)
{
    static struct virt machine; /* one per process; the ROM points into it */
    struct virt *v = &machine;
    struct virt_boot boot;
    int r;

    v->cfg = cfg;
    v->nharts = cfg->smp;
    pthread_mutex_init(&v->lock, NULL);
    pthread_cond_init(&v->cond, NULL);
    if (virt_check_mem(cfg->mem)) return 1;
    exec_global_init(&cfg->exec);
    if ((r = evloop_start()) < 0) {
        error_msg("cannot start the event loop: %s", strerror(-r));
        return 1;
    }
    r = physmap_add_ram(&v->pm, "ram", VIRT_RAM_BASE, cfg->mem, NULL);
    if (r < 0) {
        error_msg("cannot allocate %llu MiB of guest memory: %s",
                  (unsigned long long)(cfg->mem / MIB), strerror(-r));
        return 1;
    }
    if (virt_devices(v) || virt_harts(v) || virt_load(v, &boot)) {
        virt_free(v);
        return 1;
    }
    if (cfg->dumpdtb) {
        r = virt_dumpdtb(v, &boot);
        virt_free(v);
        return r ? 1 : 0;
    }
    if (!boot.firmware && boot.tohost) {
        struct htif_ops ops = {virt_htif_putchar, virt_htif_exit, v};
        if ((r = htif_start(&v->pm, boot.tohost, boot.fromhost, &ops, &v->htif)) < 0) {
            error_msg("kernel '%s': cannot use its tohost symbol at %#llx: %s", cfg->kernel,
                      (unsigned long long)boot.tohost, strerror(-r));
            virt_free(v);
            return 1;
        }
    }
    for (unsigned i = 0; i < v->nharts; i++) {
        rv_hart_reset(v->harts[i], boot.entry, boot.fdt_addr);
        if (boot.firmware) v->harts[i]->x[12] = VIRT_MROM_BASE; /* a2: struct fw_dynamic_info */
    }
    if ((r = console_start(&v->con, virt_quit, v)) < 0) {
        error_msg("cannot set up the console: %s", strerror(-r));
        virt_free(v);
        return 1;
    }

    vclock_start();
    for (unsigned i = 0; i < v->nharts; i++) {
        r = pthread_create(&v->threads[i], NULL, virt_hart_thread, v->harts[i]);
        if (r) {
            error_msg("cannot start hart %u: %s", i, strerror(r));
            virt_request_end(v, 1);
            break;
        }
        v->nthreads++;
    }

    pthread_mutex_lock(&v->lock);
    while (!v->done)
        pthread_cond_wait(&v->cond, &v->lock);
    int status = v->status;
    pthread_mutex_unlock(&v->lock);

    for (unsigned i = 0; i < v->nthreads; i++)
        pthread_join(v->threads[i], NULL);
    console_stop();
    virt_free(v);
    return status;
}
