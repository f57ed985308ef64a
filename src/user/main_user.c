/*
 * `omnivm user PROGRAM`: sets up the process (address space, "#!" scripts, the program
 * and its ELF interpreter, the initial stack with argv/envp/auxv, the signal trampoline)
 * and runs the first guest thread.
 *
 * Invariants:
 * - Any problem before the first guest instruction gives exactly one line
 *   "omnivm: PROGRAM: <problem>" on stderr and lu_main returns 1.
 * - From the first guest instruction on, the process ends the way the guest's does
 *   (exit_group status, or death by the same signal); lu_main does not return then.
 * - Guest memory layout: program (PIE at LU_PIE_BASE), brk above it, interpreter at
 *   LU_INTERP_BASE, mmap area growing down from below the stack, stack below
 *   LU_STACK_TOP, trampoline page at the top.
 */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "exec/exec.h"
#include "user/lu_core.h"

extern char **environ;

#define LU_MAX_SCRIPT_DEPTH 4

static struct lu_options lu_opt;
static char lu_self_exe[PATH_MAX];

/* p under the sysroot if it exists there (absolute paths only), else p itself */
static const char *in_sysroot(const char *p, char *buf, size_t n)
{
    const char *root = lu_opt.sysroot;
    if (root && p[0] == '/' && (size_t)snprintf(buf, n, "%s%s", root, p) < n && !access(buf, F_OK))
        return buf;
    return p;
}

static uint64_t stack_size(void)
{
    struct rlimit rl;
    uint64_t s = 8u << 20;
    if (!getrlimit(RLIMIT_STACK, &rl) && rl.rlim_cur != RLIM_INFINITY)
        s = rl.rlim_cur;
    if (s < (1u << 20))
        s = 1u << 20;
    if (s > (1ull << 30))
        s = 1ull << 30;
    return (s + LU_PAGE - 1) & ~(LU_PAGE - 1);
}

struct lu_stack_in {
    int argc;
    char **argv;
    char **envp;
    const char *execfn;
    const struct lu_image *img;
    uint64_t interp_base;
    uint64_t hwcap;
};

/* Strings at the top, then the pointer vectors and auxv; returns the initial sp or 0. */
static uint64_t build_stack(uint64_t top, uint64_t bottom, const struct lu_stack_in *in)
{
    uint64_t sp = top;
    int envc = 0;
    while (in->envp[envc])
        envc++;
    uint64_t *ptrs = calloc((size_t)in->argc + envc + 2, sizeof(uint64_t));
    if (!ptrs)
        return 0;
    /* keep at least half the stack for the program */
    uint64_t limit = top - (top - bottom) / 2;
#define PUSH_BYTES(src, n)                                                                     \
    do {                                                                                       \
        if (sp - limit < (uint64_t)(n) + 64)                                                    \
            goto too_big;                                                                      \
        sp -= (n);                                                                             \
        lu_copy_to_guest(sp, (src), (n));                                                      \
    } while (0)
    PUSH_BYTES(in->execfn, strlen(in->execfn) + 1);
    uint64_t execfn = sp;
    for (int i = envc - 1; i >= 0; i--) {
        PUSH_BYTES(in->envp[i], strlen(in->envp[i]) + 1);
        ptrs[in->argc + 1 + i] = sp;
    }
    for (int i = in->argc - 1; i >= 0; i--) {
        PUSH_BYTES(in->argv[i], strlen(in->argv[i]) + 1);
        ptrs[i] = sp;
    }
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
        for (unsigned i = 0; i < sizeof(rnd); i++)
            rnd[i] = (uint8_t)(rand() >> 3);
    sp &= ~15ull;
    PUSH_BYTES(rnd, sizeof(rnd));
    uint64_t random = sp;

    const struct lu_image *img = in->img;
    uint64_t aux[][2] = {
        {AT_PHDR, img->phdr},      {AT_PHENT, img->phent},
        {AT_PHNUM, img->phnum},    {AT_PAGESZ, LU_PAGE},
        {AT_BASE, in->interp_base}, {AT_FLAGS, 0},
        {AT_ENTRY, img->entry},    {AT_UID, getuid()},
        {AT_EUID, geteuid()},      {AT_GID, getgid()},
        {AT_EGID, getegid()},      {AT_HWCAP, in->hwcap},
        {AT_CLKTCK, (uint64_t)sysconf(_SC_CLK_TCK)},
        {AT_SECURE, 0},            {AT_RANDOM, random},
        {AT_EXECFN, execfn},       {AT_NULL, 0},
    };
    size_t words = 1 + (size_t)in->argc + 1 + (size_t)envc + 1 + 2 * (sizeof(aux) / sizeof(aux[0]));
    if (sp - limit < words * 8 + 16)
        goto too_big;
    sp = (sp - words * 8) & ~15ull;
    uint64_t w = sp, v = (uint64_t)in->argc;
    lu_copy_to_guest(w, &v, 8);
    w += 8;
    for (int i = 0; i < in->argc; i++, w += 8)
        lu_copy_to_guest(w, &ptrs[i], 8);
    v = 0;
    lu_copy_to_guest(w, &v, 8);
    w += 8;
    for (int i = 0; i < envc; i++, w += 8)
        lu_copy_to_guest(w, &ptrs[in->argc + 1 + i], 8);
    lu_copy_to_guest(w, &v, 8);
    w += 8;
    lu_copy_to_guest(w, aux, sizeof(aux));
    free(ptrs);
    return sp;
too_big:
    free(ptrs);
    return 0;
#undef PUSH_BYTES
}

static int map_fixed(uint64_t g, uint64_t len, int prot)
{
    pthread_mutex_lock(&lu_mem.lock);
    int r = lu_mm_map(g, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_mutex_unlock(&lu_mem.lock);
    return r;
}

int lu_main(const struct lu_options *opt_in)
{
    lu_opt = *opt_in;
    lu_proc.opt = &lu_opt;
    const char *prog = lu_opt.program;
    char err[512];

    /* argv[0] chosen by a guest execve (see process.c); not part of the guest's env */
    const char *e0 = getenv("OMNIVM_ARGV0");
    char *argv0 = e0 ? strdup(e0) : NULL;
    unsetenv("OMNIVM_ARGV0");
    ssize_t n = readlink("/proc/self/exe", lu_self_exe, sizeof(lu_self_exe) - 1);
    if (n > 0) {
        lu_self_exe[n] = 0;
        lu_proc.self_exe = lu_self_exe;
    }

    int r = lu_mm_init();
    if (r) {
        error_msg("%s: cannot reserve the guest address space: %s", prog, strerror(-r));
        return 1;
    }
    uint64_t ssize = stack_size();
    uint64_t stack_bottom = LU_STACK_TOP - ssize;
    lu_mm_top = stack_bottom - LU_STACK_GUARD;
    lu_mem.mmap_base = lu_mm_top;

    /* guest argv; "#!" scripts put their interpreter in front */
    int argc = lu_opt.argc;
    char **argv = calloc((size_t)argc + 2 * LU_MAX_SCRIPT_DEPTH + 1, sizeof(char *));
    if (!argv) {
        error_msg("%s: out of memory", prog);
        return 1;
    }
    for (int i = 0; i < argc; i++)
        argv[i] = lu_opt.argv[i];
    if (argv0 && argc > 0)
        argv[0] = argv0;
    const char *path = prog;
    static char ibuf[LU_MAX_SCRIPT_DEPTH][PATH_MAX], abuf[LU_MAX_SCRIPT_DEPTH][PATH_MAX],
        pbuf[LU_MAX_SCRIPT_DEPTH][PATH_MAX];
    for (int depth = 0;; depth++) {
        r = lu_script_parse(path, ibuf[depth % LU_MAX_SCRIPT_DEPTH], PATH_MAX,
                            abuf[depth % LU_MAX_SCRIPT_DEPTH], PATH_MAX);
        if (r == 0)
            break;
        if (r < 0) {
            error_msg("%s: %s", prog, r == -ENOEXEC ? "bad #! line" : strerror(-r));
            return 1;
        }
        if (depth >= LU_MAX_SCRIPT_DEPTH - 1) {
            error_msg("%s: too many levels of #! interpreters", prog);
            return 1;
        }
        int k = depth % LU_MAX_SCRIPT_DEPTH;
        int extra = abuf[k][0] ? 2 : 1;
        /* argv: interp [arg] script-path original-argv[1..] */
        memmove(argv + extra + 1, argv + 1, (size_t)(argc > 0 ? argc - 1 : 0) * sizeof(char *));
        argv[0] = ibuf[k];
        if (abuf[k][0])
            argv[1] = abuf[k];
        argv[extra] = (char *)path;
        argc = (argc > 0 ? argc : 1) + extra;
        argv[argc] = NULL;
        path = in_sysroot(ibuf[k], pbuf[k], PATH_MAX);
    }
    if (!realpath(path, lu_proc.exe_path) && strlen(path) < sizeof(lu_proc.exe_path))
        strcpy(lu_proc.exe_path, path);

    struct lu_image img, iimg;
    const struct lu_target *tg = NULL, *itg = NULL;
    if (lu_elf_load(path, LU_PIE_BASE, &img, &tg, err, sizeof(err)) < 0) {
        error_msg("%s: %s", prog, err);
        return 1;
    }
    lu_proc.arch = tg->arch;
    uint64_t entry = img.entry, interp_base = 0;
    if (img.interp[0]) {
        char ib[PATH_MAX], def[PATH_MAX];
        const char *ip = in_sysroot(img.interp, ib, sizeof(ib));
        if (access(ip, F_OK) && !lu_opt.sysroot) {
            /* no -L: try the cross toolchain's sysroot of this architecture */
            snprintf(def, sizeof(def), "/usr/%s-linux-gnu", tg->name);
            static char defroot[PATH_MAX];
            if ((size_t)snprintf(ib, sizeof(ib), "%s%s", def, img.interp) < sizeof(ib) &&
                !access(ib, F_OK)) {
                snprintf(defroot, sizeof(defroot), "%s", def);
                lu_opt.sysroot = defroot;
                ip = ib;
            }
        }
        if (access(ip, F_OK)) {
            error_msg("%s: interpreter %s not found (use -L SYSROOT)", prog, img.interp);
            return 1;
        }
        if (lu_elf_load(ip, LU_INTERP_BASE, &iimg, &itg, err, sizeof(err)) < 0) {
            error_msg("%s: interpreter %s: %s", prog, img.interp, err);
            return 1;
        }
        if (itg != tg) {
            error_msg("%s: interpreter %s is for another architecture", prog, img.interp);
            return 1;
        }
        entry = iimg.entry;
        interp_base = iimg.lo;
    }
    lu_mem.brk_start = lu_mem.brk_cur = img.hi;

    /* signal return trampoline */
    if (map_fixed(LU_TRAMP_ADDR, LU_PAGE, PROT_READ | PROT_WRITE) ||
        lu_copy_to_guest(LU_TRAMP_ADDR, tg->tramp, tg->tramp_len)) {
        error_msg("%s: cannot map the signal trampoline", prog);
        return 1;
    }
    pthread_mutex_lock(&lu_mem.lock);
    mprotect(lu_g2h(LU_TRAMP_ADDR), LU_PAGE, PROT_READ);
    lu_mm_set_flags(LU_TRAMP_ADDR, LU_PAGE, lu_prot_flags(PROT_READ | PROT_EXEC));
    pthread_mutex_unlock(&lu_mem.lock);

    if (map_fixed(stack_bottom, ssize, PROT_READ | PROT_WRITE | (img.exec_stack ? PROT_EXEC : 0))) {
        error_msg("%s: cannot map the stack", prog);
        return 1;
    }
    struct lu_stack_in si = {
        .argc = argc, .argv = argv, .envp = environ, .execfn = path, .img = &img,
        .interp_base = interp_base, .hwcap = tg->hwcap,
    };
    uint64_t sp = build_stack(LU_STACK_TOP, stack_bottom, &si);
    if (!sp) {
        error_msg("%s: argument list too long", prog);
        return 1;
    }

    exec_global_init(&lu_opt.exec);
    struct cpu_common *cpu = lu_cpu_new(tg);
    struct lu_thread *t = cpu ? lu_thread_alloc(cpu, tg) : NULL;
    if (!t) {
        error_msg("%s: cannot create the guest CPU", prog);
        return 1;
    }
    t->tid = (int)gettid();
    /* the signal mask is inherited across execve, natively too */
    uint64_t m = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
    lu_mask_set(&t->sigmask, m & ~LU_UNBLOCKABLE);
    lu_cur = t;
    if (lu_signal_init() || lu_signal_thread_init(t)) {
        error_msg("%s: cannot set up signal handling", prog);
        return 1;
    }
    tg->start(cpu, entry, sp);
    if (log_enabled(LOG_INT))
        log_printf("user: %s entry 0x%llx sp 0x%llx brk 0x%llx\n", path, (unsigned long long)entry,
                   (unsigned long long)sp, (unsigned long long)lu_mem.brk_start);

    int code = lu_run(t);
    lu_thread_exit(t, code); /* ends the process if this was the last thread */
    pthread_exit(NULL);
}
