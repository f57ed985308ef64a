/*
 * Unit tests of the board room: the riscv virt device tree (built, then read back with
 * libfdt and compared with the values the board passed in and with the bindings Linux
 * and OpenSBI read), the image loader (RISC-V Image header, truncation through the EFI
 * section table, ELF segments and the HTIF symbols, malformed ELFs), memory-size parsing
 * and the console's Ctrl-A escape filter.
 *
 * Each check group prints "ok NAME" or "not ok NAME: first reason"; the exit status is
 * non-zero if any group failed.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "board/board.h"
#include "board/board_fdt.h"
#include "board/console.h"
#include "board/loader.h"
#include "mem/physmap.h"

#define UNIT_PREFIX "board/"
#include "unit.h"

/* Error paths print one "omnivm:" line each by design; keep them off the test output. */
static int saved_stderr = -1;
static void quiet(bool on)
{
    fflush(stderr);
    if (on && saved_stderr < 0) {
        saved_stderr = dup(2);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 2);
            close(null);
        }
    } else if (!on && saved_stderr >= 0) {
        dup2(saved_stderr, 2);
        close(saved_stderr);
        saved_stderr = -1;
    }
}

/* ---- memory sizes ---- */

static void test_sizes(void)
{
    group("parse_size");
    static const struct {
        const char *s;
        int ok;
        uint64_t v;
    } cases[] = {
        {"512M", 1, 512ull << 20},
        {"2G", 1, 2ull << 30},
        {"64", 1, 64ull << 20},
        {"65536K", 1, 64ull << 20},
        {"4096B", 1, 4096},
        {"1GiB", 1, 1ull << 30},
        {"1T", 1, 1ull << 40},
        {"", 0, 0},
        {"M", 0, 0},
        {"-1G", 0, 0},
        {"12X", 0, 0},
        {"1.5G", 0, 0},
        {"99999999999999999999G", 0, 0},
        {"17179869184G", 0, 0},
        {"+5M", 0, 0},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t v = 0;
        int r = board_parse_size(cases[i].s, &v);
        if (cases[i].ok)
            expect(r == 0 && v == cases[i].v, "'%s' -> r=%d v=%llu, want %llu", cases[i].s, r,
                   (unsigned long long)v, (unsigned long long)cases[i].v);
        else
            expect(r < 0, "'%s' accepted as %llu", cases[i].s, (unsigned long long)v);
    }
    group_end();
}

/* ---- console escapes ---- */

static void test_console(void)
{
    group("console_escapes");
    bool esc = false, quit = false, help = false;
    unsigned char out[64];
    unsigned n = console_filter(&esc, (const unsigned char *)"ab\x01hc", 5, out, &quit, &help);
    expect(n == 3 && !memcmp(out, "abc", 3) && help && !quit, "help: n=%u help=%d", n, help);
    help = false;
    /* Ctrl-A split across two reads, then Ctrl-A Ctrl-A sends one Ctrl-A */
    n = console_filter(&esc, (const unsigned char *)"x\x01", 2, out, &quit, &help);
    expect(n == 1 && out[0] == 'x' && esc, "split escape: n=%u esc=%d", n, esc);
    n = console_filter(&esc, (const unsigned char *)"\x01y", 2, out, &quit, &help);
    expect(n == 2 && out[0] == 1 && out[1] == 'y' && !esc, "literal ^A: n=%u", n);
    /* unknown escapes are swallowed; X quits and drops the rest */
    n = console_filter(&esc, (const unsigned char *)"\x01q1\x01Xzz", 7, out, &quit, &help);
    expect(n == 1 && out[0] == '1' && quit, "quit: n=%u quit=%d", n, quit);
    group_end();
}

/* ---- device tree ---- */

static const uint8_t seed[32] = {1, 2, 3};

static struct board_fdt_info fdt_info(void)
{
    struct board_fdt_info in = {
        .ram_base = 0x80000000,
        .ram_size = 512ull << 20,
        .nharts = 2,
        .isa = "rv64imafdc_zicsr_sstc",
        .mmu_type = "riscv,sv57",
        .cbom_block_size = 64,
        .cboz_block_size = 64,
        .timebase_hz = 10000000,
        .clint_base = 0x2000000,
        .clint_size = 0x10000,
        .plic_base = 0xc000000,
        .plic_size = 0x600000,
        .plic_ndev = 96,
        .uart_base = 0x10000000,
        .uart_size = 0x100,
        .uart_irq = 10,
        .uart_clock_hz = 3686400,
        .test_base = 0x100000,
        .test_size = 0x1000,
        .nvirtio = 3,
        .virtio_size = 0x1000,
        .bootargs = "console=ttyS0 check=1",
        .initrd_start = 0x9f000000,
        .initrd_end = 0x9f123456,
        .rng_seed = seed,
    };
    for (unsigned i = 0; i < 3; i++) {
        in.virtio_base[i] = 0x10001000 + 0x1000 * i;
        in.virtio_irq[i] = 1 + i;
    }
    return in;
}

static uint32_t cell(const void *p, int i)
{
    return fdt32_to_cpu(((const fdt32_t *)p)[i]);
}
static uint64_t cell64(const void *p, int i)
{
    return (uint64_t)cell(p, i) << 32 | cell(p, i + 1);
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
    int off = fdt_path_offset(fdt, path);
    if (off < 0) return NULL;
    return fdt_getprop(fdt, off, name, len);
}

static bool prop_str(const void *fdt, const char *path, const char *name, const char *want)
{
    int len;
    const char *p = prop(fdt, path, name, &len);
    return p && len == (int)strlen(want) + 1 && !memcmp(p, want, (size_t)len);
}

static void test_fdt(void)
{
    group("fdt");
    struct board_fdt_info in = fdt_info();
    void *fdt;
    size_t size;
    int len;
    if (!expect(board_fdt_build(&in, &fdt, &size) == 0, "build failed")) {
        group_end();
        return;
    }
    expect(fdt_check_header(fdt) == 0 && fdt_totalsize(fdt) == size, "bad header");
    /* room for the firmware's in-place fixups inside totalsize */
    expect(fdt_totalsize(fdt) >= fdt_off_dt_strings(fdt) + fdt_size_dt_strings(fdt) + 4096,
           "no slack for firmware fixups");
    const void *p = prop(fdt, "/memory@80000000", "reg", &len);
    expect(p && len == 16 && cell64(p, 0) == 0x80000000 && cell64(p, 2) == 512ull << 20,
           "memory reg");
    p = prop(fdt, "/cpus", "timebase-frequency", &len);
    expect(p && len == 4 && cell(p, 0) == 10000000, "timebase");
    expect(prop_str(fdt, "/cpus/cpu@1", "riscv,isa", "rv64imafdc_zicsr_sstc"), "cpu1 isa");
    expect(prop_str(fdt, "/cpus/cpu@0", "mmu-type", "riscv,sv57"), "mmu-type");
    expect(prop_str(fdt, "/cpus/cpu@1", "device_type", "cpu"), "device_type");
    expect(prop_str(fdt, "/cpus/cpu@0/interrupt-controller", "compatible", "riscv,cpu-intc"),
           "cpu-intc");
    p = prop(fdt, "/cpus/cpu@1", "riscv,cbom-block-size", &len);
    expect(p && cell(p, 0) == 64, "cbom block size");
    p = prop(fdt, "/cpus/cpu@1", "reg", &len);
    expect(p && len == 4 && cell(p, 0) == 1, "cpu1 reg");

    /* CLINT: per hart (intc, 3) (intc, 7); PLIC: per hart (intc, 11) (intc, 9) */
    int intc0 = fdt_path_offset(fdt, "/cpus/cpu@0/interrupt-controller");
    int intc1 = fdt_path_offset(fdt, "/cpus/cpu@1/interrupt-controller");
    uint32_t ph0 = fdt_get_phandle(fdt, intc0), ph1 = fdt_get_phandle(fdt, intc1);
    expect(ph0 && ph1 && ph0 != ph1, "intc phandles %u %u", ph0, ph1);
    p = prop(fdt, "/soc/clint@2000000", "interrupts-extended", &len);
    expect(p && len == 32 && cell(p, 0) == ph0 && cell(p, 1) == 3 && cell(p, 3) == 7 &&
               cell(p, 4) == ph1 && cell(p, 5) == 3 && cell(p, 7) == 7,
           "clint interrupts-extended");
    int clint = fdt_path_offset(fdt, "/soc/clint@2000000");
    expect(fdt_node_check_compatible(fdt, clint, "riscv,clint0") == 0 &&
               fdt_node_check_compatible(fdt, clint, "sifive,clint0") == 0,
           "clint compatible");
    p = prop(fdt, "/soc/plic@c000000", "interrupts-extended", &len);
    expect(p && len == 32 && cell(p, 0) == ph0 && cell(p, 1) == 11 && cell(p, 3) == 9 &&
               cell(p, 4) == ph1 && cell(p, 5) == 11 && cell(p, 7) == 9,
           "plic interrupts-extended");
    p = prop(fdt, "/soc/plic@c000000", "riscv,ndev", &len);
    expect(p && cell(p, 0) == 96, "plic ndev");
    int plic = fdt_path_offset(fdt, "/soc/plic@c000000");
    uint32_t plic_ph = fdt_get_phandle(fdt, plic);
    expect(fdt_node_check_compatible(fdt, plic, "sifive,plic-1.0.0") == 0 &&
               fdt_node_check_compatible(fdt, plic, "riscv,plic0") == 0 &&
               fdt_getprop(fdt, plic, "interrupt-controller", NULL),
           "plic compatible");

    p = prop(fdt, "/soc/serial@10000000", "interrupts", &len);
    expect(p && cell(p, 0) == 10, "uart irq");
    p = prop(fdt, "/soc/serial@10000000", "interrupt-parent", &len);
    expect(p && cell(p, 0) == plic_ph, "uart parent");
    p = prop(fdt, "/soc/serial@10000000", "clock-frequency", &len);
    expect(p && cell(p, 0) == 3686400, "uart clock");
    expect(prop_str(fdt, "/soc/serial@10000000", "compatible", "ns16550a"), "uart compatible");

    /* virtio nodes in ascending address order with their irqs */
    int soc = fdt_path_offset(fdt, "/soc"), node, seen = 0;
    uint64_t last = 0;
    fdt_for_each_subnode(node, fdt, soc)
    {
        if (fdt_node_check_compatible(fdt, node, "virtio,mmio")) continue;
        const void *reg = fdt_getprop(fdt, node, "reg", NULL);
        const void *irq = fdt_getprop(fdt, node, "interrupts", NULL);
        uint64_t base = reg ? cell64(reg, 0) : 0;
        expect(base > last && irq && cell(irq, 0) == 1 + (base - 0x10001000) / 0x1000,
               "virtio node order/irq at %#llx", (unsigned long long)base);
        last = base;
        seen++;
    }
    expect(seen == 3, "%d virtio nodes, want 3", seen);

    /* power-off through the test device's syscon */
    int test = fdt_path_offset(fdt, "/soc/test@100000");
    uint32_t test_ph = fdt_get_phandle(fdt, test);
    expect(fdt_node_check_compatible(fdt, test, "sifive,test1") == 0 &&
               fdt_node_check_compatible(fdt, test, "syscon") == 0,
           "test compatible");
    p = prop(fdt, "/poweroff", "regmap", &len);
    expect(p && cell(p, 0) == test_ph, "poweroff regmap");
    p = prop(fdt, "/poweroff", "value", &len);
    expect(p && cell(p, 0) == 0x5555, "poweroff value");
    p = prop(fdt, "/reboot", "value", &len);
    expect(p && cell(p, 0) == 0x7777, "reboot value");

    expect(prop_str(fdt, "/chosen", "bootargs", "console=ttyS0 check=1"), "bootargs");
    expect(prop_str(fdt, "/chosen", "stdout-path", "/soc/serial@10000000"), "stdout-path");
    p = prop(fdt, "/chosen", "linux,initrd-start", &len);
    expect(p && len == 8 && cell64(p, 0) == 0x9f000000, "initrd-start");
    p = prop(fdt, "/chosen", "linux,initrd-end", &len);
    expect(p && len == 8 && cell64(p, 0) == 0x9f123456, "initrd-end");
    p = prop(fdt, "/chosen", "rng-seed", &len);
    expect(p && len == 32 && !memcmp(p, seed, 32), "rng-seed");
    free(fdt);

    /* no initrd, no bootargs, 1 hart, no virtio: the properties are absent */
    in.nharts = 1;
    in.nvirtio = 0;
    in.bootargs = NULL;
    in.initrd_start = in.initrd_end = 0;
    expect(board_fdt_build(&in, &fdt, &size) == 0, "minimal build failed");
    expect(!prop(fdt, "/chosen", "linux,initrd-start", &len) &&
               !prop(fdt, "/chosen", "bootargs", &len) && fdt_path_offset(fdt, "/cpus/cpu@1") < 0,
           "minimal tree has extra properties");
    free(fdt);
    /* a huge command line grows the buffer rather than failing */
    char *big = malloc(100000);
    memset(big, 'a', 99999);
    big[99999] = 0;
    in.bootargs = big;
    expect(board_fdt_build(&in, &fdt, &size) == 0 && size > 100000, "large bootargs");
    free(fdt);
    free(big);
    in.nharts = 0;
    quiet(true);
    expect(board_fdt_build(&in, &fdt, &size) < 0, "0 harts accepted");
    quiet(false);
    group_end();
}

/* ---- loader ---- */

static uint8_t *mk_image(size_t size, uint64_t image_size, bool pe, uint32_t raw_end)
{
    uint8_t *d = calloc(1, size);
    memcpy(d, "MZ", 2);
    uint64_t toff = 0x200000;
    memcpy(d + 8, &toff, 8);
    memcpy(d + 16, &image_size, 8);
    uint32_t ver = 2;
    memcpy(d + 32, &ver, 4);
    memcpy(d + 48, "RISCV\0\0\0", 8);
    memcpy(d + 56, "RSC\x05", 4);
    uint32_t pe_off = pe ? 0x40 : 0;
    memcpy(d + 60, &pe_off, 4);
    if (pe) {
        memcpy(d + 0x40, "PE\0\0", 4);
        uint16_t nsec = 1, optsz = 0;
        memcpy(d + 0x40 + 6, &nsec, 2);
        memcpy(d + 0x40 + 20, &optsz, 2);
        uint8_t *sec = d + 0x40 + 24;
        memcpy(sec, ".text", 5);
        uint32_t raw_ptr = 0x1000, raw_size = raw_end - 0x1000;
        memcpy(sec + 16, &raw_size, 4);
        memcpy(sec + 20, &raw_ptr, 4);
    }
    return d;
}

static void test_image(void)
{
    group("loader_image");
    struct loader_probe p;
    size_t n = 0x3000;
    uint8_t *d = mk_image(n, 0x5000, true, 0x3000);
    struct loader_file f = {.path = "test-image", .data = d, .size = n};
    expect(loader_probe(&f, &p) == 0 && p.kind == LOADER_RISCV_IMAGE &&
               !strcmp(p.arch, "riscv64") && p.text_offset == 0x200000 && p.image_size == 0x5000,
           "good image: kind=%d", p.kind);
    free(d);
    quiet(true);
    d = mk_image(n, 0x5000, true, 0x4000); /* section ends after the file: truncated */
    f.data = d;
    expect(loader_probe(&f, &p) == -EINVAL, "truncated image accepted");
    free(d);
    d = mk_image(n, 0x1000, false, 0); /* image_size below the file size */
    f.data = d;
    expect(loader_probe(&f, &p) == -EINVAL, "image_size < file accepted");
    free(d);
    d = mk_image(n, 0x5000, false, 0);
    uint64_t toff = 0x200123; /* not page aligned */
    memcpy(d + 8, &toff, 8);
    f.data = d;
    expect(loader_probe(&f, &p) == -EINVAL, "unaligned text_offset accepted");
    free(d);
    /* other kernels are named, unknown bytes are unknown */
    uint8_t arm[64] = {0};
    memcpy(arm + 56, "ARM\x64", 4);
    f.data = arm;
    f.size = sizeof(arm);
    expect(loader_probe(&f, &p) == 0 && p.kind == LOADER_ARM64_IMAGE && !strcmp(p.arch, "aarch64"),
           "arm64 image");
    uint8_t junk[100];
    memset(junk, 0x5a, sizeof(junk));
    f.data = junk;
    f.size = sizeof(junk);
    expect(loader_probe(&f, &p) == 0 && p.kind == LOADER_UNKNOWN, "junk recognised");
    f.size = 10;
    expect(loader_probe(&f, &p) == 0 && p.kind == LOADER_UNKNOWN, "short junk recognised");
    quiet(false);
    group_end();
}

/* A RISC-V ELF64 with one PT_LOAD (code + data) and a symbol table naming tohost. */
struct mini_elf {
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    uint8_t seg[64];
    Elf64_Shdr sh[3]; /* null, symtab, strtab */
    Elf64_Sym sym[3];
    char str[32];
};

static void mk_elf(struct mini_elf *e, uint64_t addr)
{
    memset(e, 0, sizeof(*e));
    memcpy(e->eh.e_ident, ELFMAG, SELFMAG);
    e->eh.e_ident[EI_CLASS] = ELFCLASS64;
    e->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    e->eh.e_ident[EI_VERSION] = EV_CURRENT;
    e->eh.e_type = ET_EXEC;
    e->eh.e_machine = 243; /* EM_RISCV */
    e->eh.e_version = EV_CURRENT;
    e->eh.e_entry = addr + 8;
    e->eh.e_phoff = offsetof(struct mini_elf, ph);
    e->eh.e_shoff = offsetof(struct mini_elf, sh);
    e->eh.e_ehsize = sizeof(Elf64_Ehdr);
    e->eh.e_phentsize = sizeof(Elf64_Phdr);
    e->eh.e_phnum = 1;
    e->eh.e_shentsize = sizeof(Elf64_Shdr);
    e->eh.e_shnum = 3;
    e->ph.p_type = PT_LOAD;
    e->ph.p_offset = offsetof(struct mini_elf, seg);
    e->ph.p_vaddr = e->ph.p_paddr = addr;
    e->ph.p_filesz = 32;
    e->ph.p_memsz = 0x2000; /* bss after the file bytes */
    for (int i = 0; i < 64; i++)
        e->seg[i] = (uint8_t)(0xa0 + i);
    e->sh[1].sh_type = SHT_SYMTAB;
    e->sh[1].sh_offset = offsetof(struct mini_elf, sym);
    e->sh[1].sh_size = sizeof(e->sym);
    e->sh[1].sh_entsize = sizeof(Elf64_Sym);
    e->sh[1].sh_link = 2;
    e->sh[2].sh_type = SHT_STRTAB;
    e->sh[2].sh_offset = offsetof(struct mini_elf, str);
    e->sh[2].sh_size = sizeof(e->str);
    memcpy(e->str, "\0tohost\0fromhost\0", 17);
    e->sym[1].st_name = 1;
    e->sym[1].st_value = addr + 0x1000;
    e->sym[2].st_name = 8;
    e->sym[2].st_value = addr + 0x1040;
}

static void test_elf(void)
{
    group("loader_elf");
    static struct physmap pm;
    if (!expect(physmap_add_ram(&pm, "ram", 0x80000000, 1 << 20, NULL) == 0, "no RAM")) {
        group_end();
        return;
    }
    uint8_t *ram = physmap_ram_ptr(&pm, 0x80000000, 1 << 20);
    memset(ram, 0xee, 1 << 20);
    struct mini_elf e;
    mk_elf(&e, 0x80010000);
    struct loader_file f = {.path = "mini.elf", .data = (uint8_t *)&e, .size = sizeof(e)};
    struct loader_probe p;
    struct loader_elf out;
    expect(loader_probe(&f, &p) == 0 && p.kind == LOADER_ELF && !strcmp(p.arch, "riscv64"),
           "probe elf");
    expect(loader_load_elf(&pm, &f, &out) == 0, "load failed");
    expect(out.entry == 0x80010008 && out.low == 0x80010000 && out.high == 0x80012000,
           "entry/low/high %#llx %#llx %#llx", (unsigned long long)out.entry,
           (unsigned long long)out.low, (unsigned long long)out.high);
    expect(out.tohost == 0x80011000 && out.fromhost == 0x80011040, "tohost %#llx fromhost %#llx",
           (unsigned long long)out.tohost, (unsigned long long)out.fromhost);
    uint8_t *seg = ram + 0x10000;
    expect(seg[0] == 0xa0 && seg[31] == 0xbf && seg[32] == 0 && seg[0x1fff] == 0 &&
               seg[0x2000] == 0xee && seg[-1] == 0xee,
           "segment bytes / bss zeroing / neighbours");

    quiet(true);
    struct mini_elf bad = e;
    bad.eh.e_phoff = 0xffffffff; /* program headers beyond the file */
    f.data = (uint8_t *)&bad;
    expect(loader_load_elf(&pm, &f, &out) < 0, "bad e_phoff accepted");
    bad = e;
    bad.ph.p_filesz = 0x100000; /* file bytes beyond the file */
    expect(loader_load_elf(&pm, &f, &out) < 0, "bad p_filesz accepted");
    bad = e;
    bad.ph.p_paddr = 0x40000000; /* outside RAM */
    expect(loader_load_elf(&pm, &f, &out) < 0, "segment outside RAM accepted");
    bad = e;
    bad.ph.p_paddr = 0x80000000 + (1 << 20) - 0x100; /* runs off the end of RAM */
    expect(loader_load_elf(&pm, &f, &out) < 0, "segment past RAM end accepted");
    bad = e;
    bad.ph.p_paddr = UINT64_MAX - 0x10; /* wraps */
    expect(loader_load_elf(&pm, &f, &out) < 0, "wrapping segment accepted");
    bad = e;
    bad.eh.e_machine = EM_X86_64;
    expect(loader_load_elf(&pm, &f, &out) < 0, "x86-64 ELF accepted");
    bad = e;
    bad.sh[1].sh_size = 0x7fffffff; /* broken symbol table: loads, but no HTIF */
    expect(loader_load_elf(&pm, &f, &out) == 0 && out.tohost == 0, "broken symtab");
    bad = e;
    bad.sym[1].st_name = 0x7fffffff; /* a name beyond the string table */
    expect(loader_load_elf(&pm, &f, &out) == 0 && out.tohost == 0, "bad st_name");
    f.size = 40; /* truncated header */
    f.data = (uint8_t *)&e;
    expect(loader_load_elf(&pm, &f, &out) < 0, "truncated ELF accepted");

    /* raw placement: inside RAM only */
    uint8_t blob[100];
    memset(blob, 0x42, sizeof(blob));
    struct loader_file rf = {.path = "blob", .data = blob, .size = sizeof(blob)};
    expect(loader_load_raw(&pm, &rf, 0x80020000, 200, "blob") == 0 && ram[0x20000] == 0x42 &&
               ram[0x20063] == 0x42 && ram[0x20064] == 0 && ram[0x200c8] == 0xee,
           "raw load");
    expect(loader_load_raw(&pm, &rf, 0x80000000 + (1 << 20) - 50, 100, "blob") < 0,
           "raw past RAM accepted");
    quiet(false);
    group_end();
}

int main(void)
{
    test_sizes();
    test_console();
    test_fdt();
    test_image();
    test_elf();
    return n_failed_groups ? 1 : 0;
}
