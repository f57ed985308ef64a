/*
 * Guest path names on the host: the sysroot (-L) overlay, and the /proc links that must
 * name the guest program rather than omnivm (/proc/self/exe, /proc/thread-self/exe,
 * /proc/<our pid>/exe resolve to lu_proc.exe_path for open, stat, execve alike; readlink
 * of them is answered in sys_file.c).
 *
 * With a sysroot, an absolute guest path that exists under the sysroot (as a name: a
 * dangling symlink counts) resolves there; otherwise the host path is used as is, so a
 * guest can still create new files and reach /proc, /dev and /tmp (qemu -L does the same).
 * Relative paths and paths relative to a directory descriptor are never rewritten.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "user/syscall/sys_int.h"

const char *lu_path(const char *p, char *buf, size_t buflen)
{
    /* the guest program, not omnivm: busybox's sh runs applets by execve of this link */
    if (p[0] == '/' && lu_proc.exe_path[0] && sc_path_is_self_exe(p)) {
        int n = snprintf(buf, buflen, "%s", lu_proc.exe_path);
        return n >= 0 && (size_t)n < buflen ? buf : p;
    }
    const char *root = lu_proc.opt ? lu_proc.opt->sysroot : NULL;
    if (!root || !root[0] || p[0] != '/') return p;
    int n = snprintf(buf, buflen, "%s%s", root, p);
    if (n < 0 || (size_t)n >= buflen) return p;
    struct stat st;
    return lstat(buf, &st) == 0 ? buf : p;
}

bool sc_path_is_self_exe(const char *p)
{
    if (!strcmp(p, "/proc/self/exe") || !strcmp(p, "/proc/thread-self/exe")) return true;
    if (strncmp(p, "/proc/", 6)) return false;
    char *end;
    long pid = strtol(p + 6, &end, 10);
    return end != p + 6 && pid == getpid() && !strcmp(end, "/exe");
}

int sc_path_get(struct sc_path *p, uint64_t g)
{
    long n = lu_strncpy_from_guest(p->guest, g, sizeof(p->guest));
    if (n < 0) return (int)n;
    p->host = lu_path(p->guest, p->tr, sizeof(p->tr));
    return 0;
}

int sc_path_get_opt(struct sc_path *p, uint64_t g)
{
    if (!g) {
        p->host = NULL;
        return 0;
    }
    return sc_path_get(p, g);
}
