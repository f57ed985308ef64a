/*
 * File system calls that take names or describe files: open, stat family, directories,
 * links, permissions, times, extended attributes. Each fetches its guest path with
 * sc_path_get() (copy + sysroot translation) and calls the host's raw system call, so
 * the guest sees kernel semantics (getcwd's length result, for one) rather than libc's.
 * struct stat is the one layout converted here (conv.c); statfs and statx are identical
 * on both ABIs and copied through host memory.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "user/syscall/conv.h"
#include "user/syscall/sys_int.h"

#define SC_XATTR_NAME_MAX 256 /* XATTR_NAME_MAX + NUL */

/* A short guest string that is not a path (xattr and memfd names): no translation. */
static long get_name(char *dst, size_t max, uint64_t g)
{
    long n = lu_strncpy_from_guest(dst, g, max);
    return n == -ENAMETOOLONG ? -ERANGE : n;
}

/* ---- open, stat ---- */

long lu_sc_openat(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    int r = sc_path_get(&p, a[1]);
    if (r) return r;
    return sc_host(SYS_openat, (int)a[0], p.host, (int)a[2], (mode_t)a[3]);
}

static long put_stat(uint64_t g, const struct stat *st)
{
    struct lu_rv_stat rs;
    int r = lu_conv_stat(&rs, st);
    if (r) return r;
    return lu_copy_to_guest(g, &rs, sizeof(rs));
}

long lu_sc_newfstatat(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    struct stat st;
    int flags = (int)a[3];
    int r;
    /* newer kernels accept a NULL path with AT_EMPTY_PATH */
    if (!a[1] && (flags & AT_EMPTY_PATH))
        p.host = "";
    else if ((r = sc_path_get(&p, a[1])))
        return r;
    long ret = sc_host(SYS_newfstatat, (int)a[0], p.host, &st, flags);
    return ret < 0 ? ret : put_stat(a[2], &st);
}

long lu_sc_fstat(struct lu_thread *t, const uint64_t a[6])
{
    struct stat st;
    long ret = sc_host(SYS_fstat, (int)a[0], &st);
    return ret < 0 ? ret : put_stat(a[1], &st);
}

long lu_sc_statx(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    struct statx sx;
    int flags = (int)a[2];
    int r;
    if (!a[1] && (flags & AT_EMPTY_PATH))
        p.host = "";
    else if ((r = sc_path_get(&p, a[1])))
        return r;
    long ret = sc_host(SYS_statx, (int)a[0], p.host, flags, (unsigned)a[3], &sx);
    return ret < 0 ? ret : lu_copy_to_guest(a[4], &sx, sizeof(sx));
}

long lu_sc_statfs(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    struct statfs sf;
    int r = sc_path_get(&p, a[0]);
    if (r) return r;
    long ret = sc_host(SYS_statfs, p.host, &sf);
    return ret < 0 ? ret : lu_copy_to_guest(a[1], &sf, sizeof(sf));
}

long lu_sc_fstatfs(struct lu_thread *t, const uint64_t a[6])
{
    struct statfs sf;
    long ret = sc_host(SYS_fstatfs, (int)a[0], &sf);
    return ret < 0 ? ret : lu_copy_to_guest(a[1], &sf, sizeof(sf));
}

long lu_sc_getdents64(struct lu_thread *t, const uint64_t a[6])
{
    /* struct linux_dirent64 is fixed-width: identical on both ABIs */
    void *buf = sc_out(a[1], (unsigned)a[2]);
    if (!buf) return -EFAULT;
    return sc_host(SYS_getdents64, (int)a[0], buf, (unsigned)a[2]);
}

long lu_sc_readlinkat(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    long size = (long)a[3];
    if (size <= 0) return -EINVAL;
    long n = lu_strncpy_from_guest(p.guest, a[1], sizeof(p.guest));
    if (n < 0) return n;
    if (sc_path_is_self_exe(p.guest) && lu_proc.exe_path[0]) {
        /* the link names the guest program, not omnivm; readlink does not NUL-terminate */
        size_t len = strlen(lu_proc.exe_path);
        if (len > (size_t)size) len = (size_t)size;
        int r = lu_copy_to_guest(a[2], lu_proc.exe_path, len);
        return r ? r : (long)len;
    }
    const char *host = lu_path(p.guest, p.tr, sizeof(p.tr));
    void *buf = sc_out(a[2], (uint64_t)size);
    if (!buf) return -EFAULT;
    return sc_host(SYS_readlinkat, (int)a[0], host, buf, size);
}

/* ---- names: create, remove, link, rename ---- */

long lu_sc_mkdirat(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    int r = sc_path_get(&p, a[1]);
    return r ? r : sc_host(SYS_mkdirat, (int)a[0], p.host, (mode_t)a[2]);
}

long lu_sc_mknodat(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    int r = sc_path_get(&p, a[1]);
    return r ? r : sc_host(SYS_mknodat, (int)a[0], p.host, (mode_t)a[2], (unsigned)a[3]);
}

long lu_sc_unlinkat(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    int r = sc_path_get(&p, a[1]);
    return r ? r : sc_host(SYS_unlinkat, (int)a[0], p.host, (int)a[2]);
}

long lu_sc_symlinkat(struct lu_thread *t, const uint64_t a[6])
{
    /* the target is the link's content, stored verbatim: only the new name is translated */
    struct sc_path target, p;
    long n = lu_strncpy_from_guest(target.guest, a[0], sizeof(target.guest));
    if (n < 0) return n;
    int r = sc_path_get(&p, a[2]);
    return r ? r : sc_host(SYS_symlinkat, target.guest, (int)a[1], p.host);
}

long lu_sc_linkat(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path from, to;
    int r = sc_path_get(&from, a[1]);
    if (!r) r = sc_path_get(&to, a[3]);
    return r ? r : sc_host(SYS_linkat, (int)a[0], from.host, (int)a[2], to.host, (int)a[4]);
}

long lu_sc_renameat2(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path from, to;
    int r = sc_path_get(&from, a[1]);
    if (!r) r = sc_path_get(&to, a[3]);
    return r ? r : sc_host(SYS_renameat2, (int)a[0], from.host, (int)a[2], to.host, (unsigned)a[4]);
}

long lu_sc_renameat(struct lu_thread *t, const uint64_t a[6])
{
    const uint64_t b[6] = {a[0], a[1], a[2], a[3], 0, 0};
    return lu_sc_renameat2(t, b);
}

long lu_sc_memfd_create(struct lu_thread *t, const uint64_t a[6])
{
    char name[SC_XATTR_NAME_MAX];
    long n = lu_strncpy_from_guest(name, a[0], sizeof(name));
    if (n < 0) return n == -ENAMETOOLONG ? -EINVAL : n;
    return sc_host(SYS_memfd_create, name, (unsigned)a[1]);
}

/* ---- directories ---- */

long lu_sc_getcwd(struct lu_thread *t, const uint64_t a[6])
{
    void *buf = sc_out(a[0], a[1]);
    if (!buf) return -EFAULT;
    return sc_host(SYS_getcwd, buf, (size_t)a[1]);
}

long lu_sc_chdir(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    int r = sc_path_get(&p, a[0]);
    return r ? r : sc_host(SYS_chdir, p.host);
}

long lu_sc_fchdir(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_fchdir, (int)a[0]);
}

/* ---- permissions, owners, sizes, times ---- */

long lu_sc_faccessat(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    int r = sc_path_get(&p, a[1]);
    return r ? r : sc_host(SYS_faccessat, (int)a[0], p.host, (int)a[2]);
}

long lu_sc_faccessat2(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    int r = sc_path_get(&p, a[1]);
    return r ? r : sc_host(SYS_faccessat2, (int)a[0], p.host, (int)a[2], (int)a[3]);
}

long lu_sc_fchmod(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_fchmod, (int)a[0], (mode_t)a[1]);
}

long lu_sc_fchmodat(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    int r = sc_path_get(&p, a[1]);
    return r ? r : sc_host(SYS_fchmodat, (int)a[0], p.host, (mode_t)a[2]);
}

long lu_sc_fchownat(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    int r = sc_path_get(&p, a[1]);
    return r ? r : sc_host(SYS_fchownat, (int)a[0], p.host, (uid_t)a[2], (gid_t)a[3], (int)a[4]);
}

long lu_sc_fchown(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_fchown, (int)a[0], (uid_t)a[1], (gid_t)a[2]);
}

long lu_sc_truncate(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    int r = sc_path_get(&p, a[0]);
    return r ? r : sc_host(SYS_truncate, p.host, (off_t)a[1]);
}

long lu_sc_utimensat(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    struct timespec ts[2];
    int r = sc_path_get_opt(&p, a[1]);
    if (r) return r;
    if (a[2] && lu_copy_from_guest(ts, a[2], sizeof(ts))) return -EFAULT;
    return sc_host(SYS_utimensat, (int)a[0], p.host, a[2] ? ts : NULL, (int)a[3]);
}

/* ---- extended attributes: the name is a string, the value opaque bytes ---- */

enum xattr_op { XA_SET, XA_GET, XA_LIST, XA_REMOVE };

/* a[0] is a path (by_fd false) or a descriptor; the rest follow the op's signature. */
static long xattr(long host_nr, bool by_fd, enum xattr_op op, const uint64_t a[6])
{
    struct sc_path p;
    char name[SC_XATTR_NAME_MAX];
    long r;
    if (!by_fd && (r = sc_path_get(&p, a[0]))) return r;
    uint64_t file = by_fd ? a[0] : (uint64_t)(uintptr_t)p.host;
    if (op == XA_LIST) {
        void *list = sc_out(a[1], a[2]);
        return list ? sc_host(host_nr, file, list, (size_t)a[2]) : -EFAULT;
    }
    if ((r = get_name(name, sizeof(name), a[1])) < 0) return r;
    switch (op) {
    case XA_SET: {
        void *v = sc_in(a[2], a[3]);
        return v ? sc_host(host_nr, file, name, v, (size_t)a[3], (int)a[4]) : -EFAULT;
    }
    case XA_GET: {
        void *v = sc_out(a[2], a[3]);
        return v ? sc_host(host_nr, file, name, v, (size_t)a[3]) : -EFAULT;
    }
    default: return sc_host(host_nr, file, name);
    }
}

/* one wrapper per call: the host number, whether a[0] is a descriptor, the operation */
#define SC_XATTR(name, by_fd, op)                                                                  \
    long lu_sc_##name(struct lu_thread *t, const uint64_t a[6])                                    \
    {                                                                                              \
        return xattr(SYS_##name, by_fd, op, a);                                                    \
    }
SC_XATTR(setxattr, false, XA_SET)
SC_XATTR(lsetxattr, false, XA_SET)
SC_XATTR(fsetxattr, true, XA_SET)
SC_XATTR(getxattr, false, XA_GET)
SC_XATTR(lgetxattr, false, XA_GET)
SC_XATTR(fgetxattr, true, XA_GET)
SC_XATTR(listxattr, false, XA_LIST)
SC_XATTR(llistxattr, false, XA_LIST)
SC_XATTR(flistxattr, true, XA_LIST)
SC_XATTR(removexattr, false, XA_REMOVE)
SC_XATTR(lremovexattr, false, XA_REMOVE)
SC_XATTR(fremovexattr, true, XA_REMOVE)
#undef SC_XATTR

/* ---- inotify watches name files ---- */

long lu_sc_inotify_add_watch(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_path p;
    int r = sc_path_get(&p, a[1]);
    return r ? r : sc_host(SYS_inotify_add_watch, (int)a[0], p.host, (uint32_t)a[2]);
}
