/*
 * omnivm: the command line. Subcommands `user` (one foreign Linux program) and `run`
 * (a whole machine). Invoked as omnivm-<arch>, the binary behaves as `omnivm user`.
 * Every bad option ends in one error line and exit status 2 (1 for run-time failures).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board/board.h"
#include "core/log.h"
#include "exec/exec.h"
#include "user/user.h"

#ifndef OMNIVM_VERSION
#define OMNIVM_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: omnivm <command> [options]\n"
            "\n"
            "commands:\n"
            "  user [options] PROGRAM [ARGS...]   run one foreign Linux program (riscv64)\n"
            "  run  [options] --kernel FILE       boot a whole machine (riscv64 virt board;\n"
            "                                     omnivm run --help lists its options)\n"
            "\n"
            "user options:\n"
            "  --engine interp|jit|auto|check     execution engine (default auto)\n"
            "  --jit-cache SIZE                   JIT code cache size (default 64M; K/M/G)\n"
            "  --jit-threshold N                  auto: interpreted runs before compiling\n"
            "                                     a block (default 16)\n"
            "  --sb-threshold N                   compiled runs before a block is rebuilt\n"
            "                                     as a superblock (0: never)\n"
            "  --stats                            print translation/JIT statistics at exit\n"
            "  --strace                           print every system call\n"
            "  -L DIR                             guest sysroot for the ELF interpreter and\n"
            "                                     absolute paths\n"
            "  -d FLAGS                           trace flags (-d help lists them)\n"
            "\n"
            "  --version, --help\n"
            "\n"
            "Invoked as omnivm-riscv64, the binary is `omnivm user`.\n");
}

static int parse_engine(const char *s, enum exec_engine *e)
{
    if (exec_engine_parse(s, e) == 0)
        return 0;
    error_msg("unknown engine '%s' (interp, jit, auto, check)", s);
    return -1;
}

/* A size with an optional K, M or G suffix; -1 (after an error line) if malformed. */
static int parse_size(const char *opt, const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K') shift = 10, end++;
    else if (*end == 'm' || *end == 'M') shift = 20, end++;
    else if (*end == 'g' || *end == 'G') shift = 30, end++;
    if (end == s || *end || v == 0 || v > (1ull << 40) >> shift) {
        error_msg("bad size '%s' for %s", s, opt);
        return -1;
    }
    *out = (size_t)(v << shift);
    return 0;
}

static int parse_uint(const char *opt, const char *s, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 0);
    if (end == s || *end || v > 0xffffffffu) {
        error_msg("bad number '%s' for %s", s, opt);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* Option value: "--opt=VAL" or "--opt VAL". Returns NULL (after an error line) if absent. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
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

static int cmd_user(int argc, char **argv)
{
    struct lu_options o = {.exec = {.engine = EXEC_AUTO, .opt_passes = IR_OPT_ALL}};
    int i;
    for (i = 0; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (opt_is(a, "--engine")) {
            if (!(v = opt_value(argc, argv, &i, "--engine")) || parse_engine(v, &o.exec.engine))
                return 2;
        } else if (opt_is(a, "--jit-cache")) {
            if (!(v = opt_value(argc, argv, &i, "--jit-cache")) ||
                parse_size("--jit-cache", v, &o.exec.jit_cache))
                return 2;
        } else if (opt_is(a, "--jit-threshold")) {
            if (!(v = opt_value(argc, argv, &i, "--jit-threshold")) ||
                parse_uint("--jit-threshold", v, &o.exec.jit_threshold))
                return 2;
        } else if (opt_is(a, "--sb-threshold")) {
            unsigned n;
            if (!(v = opt_value(argc, argv, &i, "--sb-threshold")) ||
                parse_uint("--sb-threshold", v, &n))
                return 2;
            o.exec.sb_threshold = n ? n : ~0u;
        } else if (!strcmp(a, "--stats")) {
            o.exec.stats = true;
        } else if (!strcmp(a, "--strace")) {
            o.strace = true;
        } else if (!strcmp(a, "-L")) {
            if (!(v = opt_value(argc, argv, &i, "-L")))
                return 2;
            o.sysroot = v;
        } else if (!strcmp(a, "-d")) {
            if (!(v = opt_value(argc, argv, &i, "-d")))
                return 2;
            if (!strcmp(v, "help")) {
                log_flags_help(stdout);
                return 0;
            }
            if (log_parse_flags(v))
                return 2;
        } else if (opt_is(a, "--opt")) {
            /* IR optimiser passes as a mask, for debugging the optimiser */
            if (!(v = opt_value(argc, argv, &i, "--opt")))
                return 2;
            o.exec.opt_passes = (unsigned)strtoul(v, NULL, 0);
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else {
            error_msg("unknown option '%s' (try --help)", a);
            return 2;
        }
    }
    if (i >= argc) {
        error_msg("no program given (usage: omnivm user [options] PROGRAM [ARGS...])");
        return 2;
    }
    o.program = argv[i];
    o.argc = argc - i;
    o.argv = argv + i;
    return lu_main(&o);
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    if (!strncmp(base, "omnivm-", 7))
        return cmd_user(argc - 1, argv + 1);

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("omnivm %s\n", OMNIVM_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "user"))
        return cmd_user(argc - 2, argv + 2);
    if (!strcmp(cmd, "run"))
        return board_main(argc - 2, argv + 2);
    error_msg("unknown command '%s' (try --help)", cmd);
    return 2;
}
