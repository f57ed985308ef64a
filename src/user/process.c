/*
 * Guest processes in user mode: fork-like clone (host fork) and execve of another guest
 * program (omnivm re-executes itself on it).
 *
 * Invariants:
 * - fork happens with lu_mem.lock and lu_proc.lock held and every host signal blocked,
 *   so the child's address-space bookkeeping and thread list are consistent; in the child
 *   only the forking thread is alive.
 * - execve runs a riscv64 ELF or a "#!" script as `omnivm user [same -L, --strace,
 *   --engine] -- HOSTPATH ARGS...` with the guest's environment; the guest's argv[0]
 *   travels in OMNIVM_ARGV0, which the new omnivm removes before the guest sees it.
 *   Anything else is -ENOEXEC, like a native kernel without binfmt_misc.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "user/lu_core.h"

#define LU_MAX_ARGS 65536
#define LU_MAX_ARGLEN (32 * 4096) /* MAX_ARG_STRLEN */

long lu_fork(struct lu_thread *t, uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t ctid,
             uint64_t tls)
{
    int exitsig = (int)(flags & CSIGNAL);
    const struct lu_target *tg = lu_tc(t)->target;
    pthread_mutex_lock(&lu_mem.lock);
    pthread_mutex_lock(&lu_proc.lock);
    uint64_t old = lu_host_block_all();
    exec_fork_prepare();
    /* fork() runs glibc's atfork handlers (malloc locks); only an exit signal other than
     * SIGCHLD needs the raw call */
    pid_t pid = exitsig == SIGCHLD ? fork() : (pid_t)syscall(SYS_clone, (unsigned long)exitsig, 0, 0, 0, 0);
    int e = errno;
    if (pid == 0)
        exec_fork_child(t->cpu);
    else
        exec_fork_parent();
    pthread_mutex_unlock(&lu_proc.lock);
    pthread_mutex_unlock(&lu_mem.lock);
    if (pid == 0) {
        lu_thread_after_fork(t);
        if (newsp || (flags & CLONE_SETTLS))
            tg->clone_child(t->cpu, newsp, (flags & CLONE_SETTLS) != 0, tls);
        if (flags & CLONE_CHILD_SETTID)
            lu_copy_to_guest(ctid, &t->tid, 4);
        if (flags & CLONE_CHILD_CLEARTID)
            t->clear_child_tid = ctid;
        lu_host_setmask(old);
        return 0;
    }
    lu_host_setmask(old);
    if (pid < 0)
        return -e;
    if (flags & CLONE_PARENT_SETTID)
        lu_copy_to_guest(ptid, &pid, 4);
    return pid;
}

/* A guest array of string pointers (argv/envp) as host strings; NULL-terminated, with
 * room for `extra` more entries before the NULL. -errno on failure. */
static long fetch_strings(uint64_t g, char ***out, size_t *count, size_t extra)
{
    size_t n = 0, cap = 16;
    char **v = calloc(cap + extra + 1, sizeof(*v));
    char *buf = malloc(LU_MAX_ARGLEN);
    long r = -ENOMEM;
    if (!v || !buf)
        goto fail;
    for (; g; n++) {
        uint64_t p;
        r = -EFAULT;
        if (lu_copy_from_guest(&p, g + 8 * n, 8))
            goto fail;
        if (!p)
            break;
        r = -E2BIG;
        if (n >= LU_MAX_ARGS)
            goto fail;
        long len = lu_strncpy_from_guest(buf, p, LU_MAX_ARGLEN);
        if (len < 0) {
            r = len == -ENAMETOOLONG ? -E2BIG : len;
            goto fail;
        }
        if (n == cap) {
            char **nv = realloc(v, (2 * cap + extra + 1) * sizeof(*v));
            r = -ENOMEM;
            if (!nv)
                goto fail;
            v = nv;
            cap *= 2;
        }
        r = -ENOMEM;
        if (!(v[n] = strdup(buf)))
            goto fail;
        v[n + 1] = NULL;
    }
    free(buf);
    *out = v;
    *count = n;
    return 0;
fail:
    if (v)
        for (size_t i = 0; i < n; i++)
            free(v[i]);
    free(v);
    free(buf);
    return r;
}

static void free_strings(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

static const char *engine_name(enum exec_engine e)
{
    switch (e) {
    case EXEC_INTERP: return "interp";
    case EXEC_JIT: return "jit";
    case EXEC_CHECK: return "check";
    default: return "auto";
    }
}

long lu_sys_execve(struct lu_thread *t, const uint64_t a[6])
{
    char path[4096], tr[4096];
    long r = lu_strncpy_from_guest(path, a[0], sizeof(path));
    if (r < 0)
        return r;
    if (!path[0])
        return -ENOENT;
    const char *host = lu_path(path, tr, sizeof(tr));
    if (access(host, X_OK))
        return -errno;
    int p = lu_elf_probe(host);
    if (p < 0)
        return p;
    if (!p)
        return -ENOEXEC;
    if (!lu_proc.self_exe)
        return -ENOEXEC;

    char **argv = NULL, **envp = NULL;
    size_t argc, envc;
    if ((r = fetch_strings(a[1], &argv, &argc, 0)) || (r = fetch_strings(a[2], &envp, &envc, 1)))
        goto out;
    const struct lu_options *opt = lu_proc.opt;
    size_t n = 0;
    const char **hv = calloc(argc + 12, sizeof(*hv));
    r = -ENOMEM;
    if (!hv)
        goto out;
    hv[n++] = lu_proc.self_exe;
    hv[n++] = "user";
    if (opt && opt->sysroot) {
        hv[n++] = "-L";
        hv[n++] = opt->sysroot;
    }
    if (opt && opt->strace)
        hv[n++] = "--strace";
    hv[n++] = "--engine";
    hv[n++] = engine_name(opt ? opt->exec.engine : EXEC_AUTO);
    hv[n++] = "--";
    hv[n++] = host;
    for (size_t i = 1; i < argc; i++)
        hv[n++] = argv[i];
    hv[n] = NULL;
    /* argv[0] as the guest gave it */
    char *a0 = NULL;
    if (argc && asprintf(&a0, "OMNIVM_ARGV0=%s", argv[0]) < 0)
        a0 = NULL;
    if (a0)
        envp[envc++] = a0;
    envp[envc] = NULL;
    execve(lu_proc.self_exe, (char *const *)hv, envp);
    r = -errno;
    free(hv);
out:
    free_strings(argv);
    free_strings(envp);
    return r;
}
