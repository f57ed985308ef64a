/*
 * `omnivm run`: option parsing for system mode and the choice of board.
 *
 * Invariants: every bad option or value ends in exactly one "omnivm: ..." line and exit
 * status 2 before any machine state exists; files are checked by the board that opens
 * them (status 1). The architecture comes from --arch or, when absent, from the kernel's
 * header (RISC-V Image magic or ELF machine).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board/board.h"
#include "board/loader.h"
#include "core/log.h"

#define MIB (1ull << 20)

static void run_usage(FILE *f)
{
    fprintf(f,
            "usage: omnivm run [options] --kernel FILE\n"
            "\n"
            "  --kernel FILE         Linux Image (RISC-V header) or bare-metal ELF\n"
            "  --initrd FILE         initial ramdisk (cpio archive)\n"
            "  --append STRING       kernel command line\n"
            "  --bios FILE|none      M-mode firmware (default: Debian's OpenSBI fw_dynamic);\n"
            "                        none: run an ELF kernel in M-mode (HTIF tohost exits)\n"
            "  --arch riscv64        guest architecture (default: from the kernel header)\n"
            "  --mem SIZE            RAM, e.g. 512M, 2G (default 512M; bare number = MiB)\n"
            "  --smp N               number of harts (default 1, at most %d)\n"
            "  --mmu sv39|sv48|sv57  deepest page-table mode the harts accept (default sv39)\n"
            "  --disk FILE[,readonly]  virtio-blk disk from a raw image (repeatable)\n"
            "  --net user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]...|none\n"
            "                        virtio-net over user-mode networking (slirp)\n"
            "  --rng                 virtio-rng (host getrandom)\n"
            "  --engine interp|jit|auto|check\n"
            "  -d FLAGS              trace flags (-d help lists them)\n"
            "  --dumpdtb FILE        write the machine's device tree to FILE and exit\n"
            "\n"
            "The console is on stdio: Ctrl-A X quits, Ctrl-A H prints help. A guest\n"
            "power-off ends omnivm with status 0 (or the guest's failure code).\n",
            VM_MAX_HARTS);
}

int board_parse_size(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+') return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) return -EINVAL;
    unsigned shift;
    switch (*end) {
    case 0: shift = 20; break; /* bare number: MiB, as QEMU's -m */
    case 'b':
    case 'B':
        shift = 0;
        end++;
        break;
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    case 't':
    case 'T':
        shift = 40;
        end++;
        break;
    default: return -EINVAL;
    }
    if (*end == 'i' || *end == 'I') /* "MiB" and "Mi" read as "M" */
        end++;
    if ((*end == 'b' || *end == 'B') && shift) end++;
    if (*end || (shift && (v >> (64 - shift)) != 0)) return -EINVAL;
    *out = (uint64_t)v << shift;
    return 0;
}

static int parse_engine(const char *s, enum exec_engine *e)
{
    if (exec_engine_parse(s, e) == 0)
        return 0;
    error_msg("unknown engine '%s' (interp, jit, auto, check)", s);
    return -EINVAL;
}

/* "tcp::8080-:80", "udp:127.0.0.1:5353-:53", "tcp::2222-10.0.2.15:22" */
static int check_hostfwd(const char *r)
{
    const char *p = r;
    if (!strncmp(p, "tcp:", 4) || !strncmp(p, "udp:", 4))
        p += 4;
    else if (*p == ':')
        p += 1; /* protocol omitted: tcp */
    else
        return -EINVAL;
    const char *dash = strchr(p, '-');
    if (!dash) return -EINVAL;
    const char *hp = memrchr(p, ':', (size_t)(dash - p));
    const char *gp = strrchr(dash + 1, ':');
    if (!hp || !gp) return -EINVAL;
    char *end;
    unsigned long h = strtoul(hp + 1, &end, 10);
    if (end != dash || h == 0 || h > 65535) return -EINVAL;
    unsigned long g = strtoul(gp + 1, &end, 10);
    if (*end || g == 0 || g > 65535) return -EINVAL;
    return 0;
}

static int parse_net(const char *v, struct vm_config *c)
{
    if (!strcmp(v, "none")) {
        c->net = false;
        c->nhostfwd = 0;
        return 0;
    }
    if (strncmp(v, "user", 4) || (v[4] && v[4] != ',')) {
        error_msg("unknown --net backend '%s' (user[,hostfwd=...] or none)", v);
        return -EINVAL;
    }
    c->net = true;
    const char *p = v + 4;
    while (*p == ',') {
        p++;
        size_t n = strcspn(p, ",");
        if (n > 8 && !strncmp(p, "hostfwd=", 8)) {
            if (c->nhostfwd == VM_MAX_HOSTFWD) {
                error_msg("too many hostfwd rules (at most %d)", VM_MAX_HOSTFWD);
                return -EINVAL;
            }
            char *rule = strndup(p + 8, n - 8);
            if (!rule || check_hostfwd(rule)) {
                error_msg("bad hostfwd rule '%.*s' (expected tcp::HOSTPORT-:GUESTPORT)",
                          (int)(n - 8), p + 8);
                free(rule);
                return -EINVAL;
            }
            c->hostfwd[c->nhostfwd++] = rule;
        } else {
            error_msg("unknown --net option '%.*s'", (int)n, p);
            return -EINVAL;
        }
        p += n;
    }
    return 0;
}

static int parse_disk(const char *v, struct vm_config *c)
{
    if (c->ndisks == VM_MAX_DISKS) {
        error_msg("too many disks (at most %d)", VM_MAX_DISKS);
        return -EINVAL;
    }
    struct vm_disk *d = &c->disks[c->ndisks];
    const char *comma = strrchr(v, ',');
    if (comma && (!strcmp(comma, ",readonly") || !strcmp(comma, ",ro"))) {
        d->path = strndup(v, (size_t)(comma - v));
        d->readonly = true;
    } else {
        d->path = v;
        d->readonly = false;
    }
    if (!d->path || !*d->path) {
        error_msg("--disk needs a file name");
        return -EINVAL;
    }
    c->ndisks++;
    return 0;
}

static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (*i + 1 >= argc) {
        error_msg("option %s needs a value", name);
        return NULL;
    }
    return argv[++*i];
}

static bool opt_is(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(arg, name, n) && (arg[n] == 0 || arg[n] == '=');
}

/* Infers or checks the guest architecture from the kernel file. */
static int check_arch(struct vm_config *c)
{
    struct loader_file f;
    struct loader_probe p;
    if (loader_read_file(c->kernel, "kernel", (size_t)1 << 32, &f)) return 1;
    int r = loader_probe(&f, &p);
    loader_file_free(&f);
    if (r) return 1;
    if (p.kind == LOADER_UNKNOWN) {
        error_msg("kernel '%s' is neither a RISC-V Linux Image nor an ELF file", c->kernel);
        return 1;
    }
    if (!c->arch) c->arch = p.arch;
    if (!p.arch || strcmp(p.arch, c->arch)) {
        error_msg("kernel '%s' is for %s, not %s", c->kernel,
                  p.arch ? p.arch : "an unknown machine", c->arch);
        return 1;
    }
    return 0;
}

int board_main(int argc, char **argv)
{
    struct vm_config c = {
        .mem = 512 * MIB,
        .smp = 1,
        .exec = {.engine = EXEC_AUTO, .opt_passes = IR_OPT_ALL},
    };
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        if (opt_is(a, "--kernel") || !strcmp(a, "-kernel")) {
            if (!(v = opt_value(argc, argv, &i, a[1] == '-' ? "--kernel" : "-kernel"))) return 2;
            c.kernel = v;
        } else if (opt_is(a, "--initrd")) {
            if (!(v = opt_value(argc, argv, &i, "--initrd"))) return 2;
            c.initrd = v;
        } else if (opt_is(a, "--append")) {
            if (!(v = opt_value(argc, argv, &i, "--append"))) return 2;
            c.append = v;
        } else if (opt_is(a, "--bios")) {
            if (!(v = opt_value(argc, argv, &i, "--bios"))) return 2;
            c.bios = v;
        } else if (opt_is(a, "--arch")) {
            if (!(v = opt_value(argc, argv, &i, "--arch"))) return 2;
            c.arch = v;
        } else if (opt_is(a, "--mem") || !strcmp(a, "-m")) {
            if (!(v = opt_value(argc, argv, &i, a[1] == '-' ? "--mem" : "-m"))) return 2;
            if (board_parse_size(v, &c.mem)) {
                error_msg("bad memory size '%s' (e.g. 512M or 2G)", v);
                return 2;
            }
        } else if (opt_is(a, "--smp")) {
            if (!(v = opt_value(argc, argv, &i, "--smp"))) return 2;
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (*v < '0' || *v > '9' || *end || n < 1 || n > VM_MAX_HARTS) {
                error_msg("bad --smp '%s' (1 to %d harts)", v, VM_MAX_HARTS);
                return 2;
            }
            c.smp = (unsigned)n;
        } else if (opt_is(a, "--disk")) {
            if (!(v = opt_value(argc, argv, &i, "--disk")) || parse_disk(v, &c)) return 2;
        } else if (opt_is(a, "--net")) {
            if (!(v = opt_value(argc, argv, &i, "--net")) || parse_net(v, &c)) return 2;
        } else if (opt_is(a, "--dumpdtb")) {
            if (!(v = opt_value(argc, argv, &i, "--dumpdtb"))) return 2;
            c.dumpdtb = v;
        } else if (opt_is(a, "--mmu")) {
            if (!(v = opt_value(argc, argv, &i, "--mmu"))) return 2;
            if (!strcmp(v, "sv39")) c.mmu_levels = 3;
            else if (!strcmp(v, "sv48")) c.mmu_levels = 4;
            else if (!strcmp(v, "sv57")) c.mmu_levels = 5;
            else {
                error_msg("bad --mmu '%s' (sv39, sv48 or sv57)", v);
                return 2;
            }
        } else if (!strcmp(a, "--rng")) {
            c.rng = true;
        } else if (opt_is(a, "--engine")) {
            if (!(v = opt_value(argc, argv, &i, "--engine")) || parse_engine(v, &c.exec.engine))
                return 2;
        } else if (!strcmp(a, "-d")) {
            if (!(v = opt_value(argc, argv, &i, "-d"))) return 2;
            if (!strcmp(v, "help")) {
                log_flags_help(stdout);
                return 0;
            }
            if (log_parse_flags(v)) return 2;
        } else if (opt_is(a, "--opt")) {
            if (!(v = opt_value(argc, argv, &i, "--opt"))) return 2;
            c.exec.opt_passes = (unsigned)strtoul(v, NULL, 0);
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            run_usage(stdout);
            return 0;
        } else if (a[0] == '-') {
            error_msg("unknown option '%s' (try omnivm run --help)", a);
            return 2;
        } else {
            error_msg("unexpected argument '%s' (the kernel is given with --kernel FILE)", a);
            return 2;
        }
    }
    if (!c.kernel) {
        error_msg("no kernel given (usage: omnivm run [options] --kernel FILE)");
        return 2;
    }
    if (c.arch && strcmp(c.arch, "riscv64")) {
        error_msg("architecture '%s' is not supported by `run` (riscv64 only)", c.arch);
        return 2;
    }
    if (check_arch(&c)) return 1;
    if (strcmp(c.arch, "riscv64")) {
        error_msg("kernel '%s' is for %s; `run` supports riscv64 only", c.kernel, c.arch);
        return 1;
    }
    return riscv_virt_run(&c);
}
