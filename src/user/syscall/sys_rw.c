/*
 * Moving file data: read/write and their positioned and vectored forms, seeking, sizes,
 * syncing, and the in-kernel copies (sendfile, splice, copy_file_range). Guest buffers go
 * to the host kernel directly (checked by sc_in/sc_out), so large transfers cost no copy.
 * Guest iovec arrays hold guest addresses: sc_iov_get() rebuilds them with host ones.
 */
#include <fcntl.h>
#include <stdlib.h>

#include "user/syscall/sys_int.h"

#define SC_IOV_MAX 1024 /* UIO_MAXIOV: the kernel's own limit */

int sc_iov_get(uint64_t g, long cnt, bool write, struct iovec buf[SC_IOV_STACK], struct iovec **out)
{
    if (cnt < 0 || cnt > SC_IOV_MAX) return -EINVAL;
    struct iovec *v = buf;
    if (cnt > SC_IOV_STACK && !(v = malloc((size_t)cnt * sizeof(*v)))) return -ENOMEM;
    /* struct iovec is {u64 base; u64 len} on both ABIs: copy, then translate bases */
    int r = cnt ? lu_copy_from_guest(v, g, (size_t)cnt * sizeof(*v)) : 0;
    for (long i = 0; !r && i < cnt; i++) {
        uint64_t base = (uint64_t)(uintptr_t)v[i].iov_base;
        if ((ssize_t)v[i].iov_len < 0)
            r = -EINVAL;
        else if (!(v[i].iov_base = write ? sc_out(base, v[i].iov_len) : sc_in(base, v[i].iov_len)))
            r = -EFAULT;
    }
    if (r) {
        sc_iov_free(v, buf);
        return r;
    }
    *out = v;
    return 0;
}

void sc_iov_free(struct iovec *v, struct iovec buf[SC_IOV_STACK])
{
    if (v != buf) free(v);
}

long lu_sc_read(struct lu_thread *t, const uint64_t a[6])
{
    void *buf = sc_out(a[1], a[2]);
    return buf ? sc_host(SYS_read, (int)a[0], buf, (size_t)a[2]) : -EFAULT;
}

long lu_sc_write(struct lu_thread *t, const uint64_t a[6])
{
    void *buf = sc_in(a[1], a[2]);
    return buf ? sc_host(SYS_write, (int)a[0], buf, (size_t)a[2]) : -EFAULT;
}

long lu_sc_pread64(struct lu_thread *t, const uint64_t a[6])
{
    void *buf = sc_out(a[1], a[2]);
    return buf ? sc_host(SYS_pread64, (int)a[0], buf, (size_t)a[2], (off_t)a[3]) : -EFAULT;
}

long lu_sc_pwrite64(struct lu_thread *t, const uint64_t a[6])
{
    void *buf = sc_in(a[1], a[2]);
    return buf ? sc_host(SYS_pwrite64, (int)a[0], buf, (size_t)a[2], (off_t)a[3]) : -EFAULT;
}

/* readv/writev/preadv/pwritev/preadv2/pwritev2: the host call gets the same arguments
 * with the iovec array replaced (on 64-bit the kernel ignores pos_h). */
static long vec_io(long host_nr, bool write_mem, const uint64_t a[6])
{
    struct iovec buf[SC_IOV_STACK], *v;
    int r = sc_iov_get(a[1], (long)(int)a[2], write_mem, buf, &v);
    if (r) return r;
    long ret = sc_host(host_nr, (int)a[0], v, (int)a[2], a[3], a[4], a[5]);
    sc_iov_free(v, buf);
    return ret;
}

#define SC_VEC_IO(name, write_mem)                                                                 \
    long lu_sc_##name(struct lu_thread *t, const uint64_t a[6])                                    \
    {                                                                                              \
        return vec_io(SYS_##name, write_mem, a);                                                   \
    }
SC_VEC_IO(readv, true)
SC_VEC_IO(writev, false)
SC_VEC_IO(preadv, true)
SC_VEC_IO(pwritev, false)
SC_VEC_IO(preadv2, true)
SC_VEC_IO(pwritev2, false)
#undef SC_VEC_IO

long lu_sc_lseek(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_lseek, (int)a[0], (off_t)a[1], (int)a[2]);
}

long lu_sc_ftruncate(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_ftruncate, (int)a[0], (off_t)a[1]);
}

long lu_sc_fallocate(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_fallocate, (int)a[0], (int)a[1], (off_t)a[2], (off_t)a[3]);
}

long lu_sc_fadvise64(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_fadvise64, (int)a[0], (off_t)a[1], (off_t)a[2], (int)a[3]);
}

long lu_sc_readahead(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_readahead, (int)a[0], (off_t)a[1], (size_t)a[2]);
}

long lu_sc_sync(struct lu_thread *t, const uint64_t a[6])
{
    sync();
    return 0;
}

long lu_sc_fsync(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_fsync, (int)a[0]);
}
long lu_sc_fdatasync(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_fdatasync, (int)a[0]);
}
long lu_sc_syncfs(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_syncfs, (int)a[0]);
}

long lu_sc_sync_file_range(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_sync_file_range, (int)a[0], (off_t)a[1], (off_t)a[2], (unsigned)a[3]);
}

/* An optional in/out loff_t the kernel reads and updates: copied through host memory. */
struct sc_off {
    uint64_t g;
    loff_t v;
};

static int off_in(struct sc_off *o, uint64_t g)
{
    o->g = g;
    return g ? lu_copy_from_guest(&o->v, g, sizeof(o->v)) : 0;
}

static long off_out(const struct sc_off *o, long ret)
{
    if (ret >= 0 && o->g && lu_copy_to_guest(o->g, &o->v, sizeof(o->v))) return -EFAULT;
    return ret;
}

long lu_sc_sendfile(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_off off;
    if (off_in(&off, a[2])) return -EFAULT;
    long ret = sc_host(SYS_sendfile, (int)a[0], (int)a[1], a[2] ? &off.v : NULL, (size_t)a[3]);
    return off_out(&off, ret);
}

long lu_sc_copy_file_range(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_off in, out;
    if (off_in(&in, a[1]) || off_in(&out, a[3])) return -EFAULT;
    long ret = sc_host(SYS_copy_file_range, (int)a[0], a[1] ? &in.v : NULL, (int)a[2],
                       a[3] ? &out.v : NULL, (size_t)a[4], (unsigned)a[5]);
    ret = off_out(&in, ret);
    return off_out(&out, ret);
}

long lu_sc_splice(struct lu_thread *t, const uint64_t a[6])
{
    struct sc_off in, out;
    if (off_in(&in, a[1]) || off_in(&out, a[3])) return -EFAULT;
    long ret = sc_host(SYS_splice, (int)a[0], a[1] ? &in.v : NULL, (int)a[2], a[3] ? &out.v : NULL,
                       (size_t)a[4], (unsigned)a[5]);
    ret = off_out(&in, ret);
    return off_out(&out, ret);
}

long lu_sc_tee(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_tee, (int)a[0], (int)a[1], (size_t)a[2], (unsigned)a[3]);
}
