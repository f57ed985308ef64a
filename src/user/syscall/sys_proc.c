/*
 * The process as a whole: ids and credentials, uname, sysinfo, resource limits and usage,
 * children (wait4, waitid), scheduling, umask, prctl, getrandom, capabilities.
 *
 * Credentials use the raw host calls: they change only the calling thread, and the
 * guest's libc broadcasts setuid & co. to its other threads itself, as it does natively.
 * Structures here (utsname, sysinfo, rlimit, rusage, siginfo, sched_attr, cap data) are
 * identical on both ABIs and copied through host memory.
 *
 * Deliberate differences from passing through: uname's machine is "riscv64"; limits on
 * the address space, data and stack are accepted but not applied to the host (omnivm
 * itself reserves the guest's space, and a guest limit would starve the emulator, which
 * qemu-user also avoids); prctl passes only the options listed (no seccomp filters: they
 * would judge omnivm's host calls by guest numbers).
 */
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "user/syscall/sys_int.h"

/* ---- ids ---- */

/* calls without arguments */
#define SC_NOARGS(name)                                                                            \
    long lu_sc_##name(struct lu_thread *t, const uint64_t a[6])                                    \
    {                                                                                              \
        return sc_host(SYS_##name);                                                                \
    }
SC_NOARGS(getpid)
SC_NOARGS(getppid)
SC_NOARGS(gettid)
SC_NOARGS(getuid)
SC_NOARGS(geteuid)
SC_NOARGS(getgid)
SC_NOARGS(getegid)
SC_NOARGS(setsid)
SC_NOARGS(sched_yield)
#undef SC_NOARGS

long lu_sc_setuid(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_setuid, (uid_t)a[0]);
}
long lu_sc_setgid(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_setgid, (gid_t)a[0]);
}
long lu_sc_setfsuid(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_setfsuid, (uid_t)a[0]);
}
long lu_sc_setfsgid(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_setfsgid, (gid_t)a[0]);
}

long lu_sc_setreuid(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_setreuid, (uid_t)a[0], (uid_t)a[1]);
}

long lu_sc_setregid(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_setregid, (gid_t)a[0], (gid_t)a[1]);
}

long lu_sc_setresuid(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_setresuid, (uid_t)a[0], (uid_t)a[1], (uid_t)a[2]);
}

long lu_sc_setresgid(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_setresgid, (gid_t)a[0], (gid_t)a[1], (gid_t)a[2]);
}

/* getresuid/getresgid: three 32-bit ids to three guest pointers */
static long put_three_ids(const uint64_t a[6], const uint32_t id[3], long r)
{
    if (r < 0) return r;
    for (int i = 0; i < 3; i++)
        if (lu_copy_to_guest(a[i], &id[i], sizeof(id[i]))) return -EFAULT;
    return 0;
}

long lu_sc_getresuid(struct lu_thread *t, const uint64_t a[6])
{
    uint32_t id[3];
    return put_three_ids(a, id, sc_host(SYS_getresuid, &id[0], &id[1], &id[2]));
}

long lu_sc_getresgid(struct lu_thread *t, const uint64_t a[6])
{
    uint32_t id[3];
    return put_three_ids(a, id, sc_host(SYS_getresgid, &id[0], &id[1], &id[2]));
}

long lu_sc_getgroups(struct lu_thread *t, const uint64_t a[6])
{
    int n = (int)a[0];
    if (n < 0) return -EINVAL;
    void *list = sc_out(a[1], (uint64_t)n * sizeof(gid_t));
    return list ? sc_host(SYS_getgroups, n, list) : -EFAULT;
}

long lu_sc_setgroups(struct lu_thread *t, const uint64_t a[6])
{
    int n = (int)a[0];
    if (n < 0 || n > 65536) /* NGROUPS_MAX */
        return -EINVAL;
    void *list = sc_in(a[1], (uint64_t)n * sizeof(gid_t));
    return list ? sc_host(SYS_setgroups, n, list) : -EFAULT;
}

long lu_sc_setpgid(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_setpgid, (pid_t)a[0], (pid_t)a[1]);
}

long lu_sc_getpgid(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_getpgid, (pid_t)a[0]);
}
long lu_sc_getsid(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_getsid, (pid_t)a[0]);
}
long lu_sc_umask(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_umask, (mode_t)a[0]);
}

long lu_sc_capget(struct lu_thread *t, const uint64_t a[6])
{
    struct __user_cap_header_struct hdr;
    struct __user_cap_data_struct data[2];
    if (lu_copy_from_guest(&hdr, a[0], sizeof(hdr))) return -EFAULT;
    int n = hdr.version == _LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
    long r = sc_host(SYS_capget, &hdr, a[1] ? data : NULL);
    /* the kernel writes back its preferred version when it rejects the asked one */
    if (lu_copy_to_guest(a[0], &hdr, sizeof(hdr))) return -EFAULT;
    if (r == 0 && a[1] && lu_copy_to_guest(a[1], data, n * sizeof(data[0]))) return -EFAULT;
    return r;
}

long lu_sc_capset(struct lu_thread *t, const uint64_t a[6])
{
    struct __user_cap_header_struct hdr;
    struct __user_cap_data_struct data[2];
    if (lu_copy_from_guest(&hdr, a[0], sizeof(hdr))) return -EFAULT;
    int n = hdr.version == _LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
    if (lu_copy_from_guest(data, a[1], n * sizeof(data[0]))) return -EFAULT;
    return sc_host(SYS_capset, &hdr, data);
}

/* ---- the system ---- */

long lu_sc_uname(struct lu_thread *t, const uint64_t a[6])
{
    struct utsname u;
    long r = sc_host(SYS_uname, &u);
    if (r < 0) return r;
    strcpy(u.machine, "riscv64");
    return lu_copy_to_guest(a[0], &u, sizeof(u));
}

long lu_sc_sysinfo(struct lu_thread *t, const uint64_t a[6])
{
    struct sysinfo si;
    long r = sc_host(SYS_sysinfo, &si);
    return r < 0 ? r : lu_copy_to_guest(a[0], &si, sizeof(si));
}

long lu_sc_getrandom(struct lu_thread *t, const uint64_t a[6])
{
    void *buf = sc_out(a[0], a[1]);
    return buf ? sc_host(SYS_getrandom, buf, (size_t)a[1], (unsigned)a[2]) : -EFAULT;
}

long lu_sc_personality(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_personality, (unsigned long)(uint32_t)a[0]);
}

/* ---- limits and usage ---- */

long lu_sc_prlimit64(struct lu_thread *t, const uint64_t a[6])
{
    pid_t pid = (pid_t)a[0];
    int res = (int)a[1];
    struct rlimit nv, ov;
    if (a[2] && lu_copy_from_guest(&nv, a[2], sizeof(nv))) return -EFAULT;
    const struct rlimit *newp = a[2] ? &nv : NULL;
    bool self = pid == 0 || pid == getpid();
    if (newp && self && (res == RLIMIT_AS || res == RLIMIT_DATA || res == RLIMIT_STACK)) {
        if (nv.rlim_cur > nv.rlim_max) return -EINVAL;
        newp = NULL; /* accepted, not applied: see the file comment */
    }
    long r = sc_host(SYS_prlimit64, pid, res, newp, a[3] ? &ov : NULL);
    if (r == 0 && a[3] && lu_copy_to_guest(a[3], &ov, sizeof(ov))) return -EFAULT;
    return r;
}

long lu_sc_getrlimit(struct lu_thread *t, const uint64_t a[6])
{
    const uint64_t b[6] = {0, a[0], 0, a[1], 0, 0};
    return a[1] ? lu_sc_prlimit64(t, b) : -EFAULT;
}

long lu_sc_setrlimit(struct lu_thread *t, const uint64_t a[6])
{
    const uint64_t b[6] = {0, a[0], a[1], 0, 0, 0};
    return a[1] ? lu_sc_prlimit64(t, b) : -EFAULT;
}

long lu_sc_getrusage(struct lu_thread *t, const uint64_t a[6])
{
    struct rusage ru;
    long r = sc_host(SYS_getrusage, (int)a[0], &ru);
    return r < 0 ? r : lu_copy_to_guest(a[1], &ru, sizeof(ru));
}

/* ---- children ---- */

long lu_sc_wait4(struct lu_thread *t, const uint64_t a[6])
{
    int status;
    struct rusage ru;
    long r = sc_host(SYS_wait4, (pid_t)a[0], &status, (int)a[2], a[3] ? &ru : NULL);
    if (r > 0 && (sc_put_opt(a[1], &status, sizeof(status)) || sc_put_opt(a[3], &ru, sizeof(ru))))
        return -EFAULT;
    return r;
}

long lu_sc_waitid(struct lu_thread *t, const uint64_t a[6])
{
    siginfo_t si;
    struct rusage ru;
    memset(&si, 0, sizeof(si));
    long r = sc_host(SYS_waitid, (int)a[0], (pid_t)a[1], a[2] ? &si : NULL, (int)a[3],
                     a[4] ? &ru : NULL);
    if (r >= 0 && (sc_put_opt(a[2], &si, sizeof(si)) || sc_put_opt(a[4], &ru, sizeof(ru))))
        return -EFAULT;
    return r;
}

/* ---- scheduling ---- */

long lu_sc_sched_getscheduler(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_sched_getscheduler, (pid_t)a[0]);
}
long lu_sc_sched_get_priority_max(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_sched_get_priority_max, (int)a[0]);
}
long lu_sc_sched_get_priority_min(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_sched_get_priority_min, (int)a[0]);
}

long lu_sc_sched_setparam(struct lu_thread *t, const uint64_t a[6])
{
    struct sched_param p;
    if (lu_copy_from_guest(&p, a[1], sizeof(p))) return -EFAULT;
    return sc_host(SYS_sched_setparam, (pid_t)a[0], &p);
}

long lu_sc_sched_getparam(struct lu_thread *t, const uint64_t a[6])
{
    struct sched_param p;
    long r = sc_host(SYS_sched_getparam, (pid_t)a[0], &p);
    return r < 0 ? r : lu_copy_to_guest(a[1], &p, sizeof(p));
}

long lu_sc_sched_setscheduler(struct lu_thread *t, const uint64_t a[6])
{
    struct sched_param p;
    if (lu_copy_from_guest(&p, a[2], sizeof(p))) return -EFAULT;
    return sc_host(SYS_sched_setscheduler, (pid_t)a[0], (int)a[1], &p);
}

long lu_sc_sched_rr_get_interval(struct lu_thread *t, const uint64_t a[6])
{
    struct timespec ts;
    long r = sc_host(SYS_sched_rr_get_interval, (pid_t)a[0], &ts);
    return r < 0 ? r : lu_copy_to_guest(a[1], &ts, sizeof(ts));
}

long lu_sc_sched_getaffinity(struct lu_thread *t, const uint64_t a[6])
{
    /* the raw call returns the bytes it wrote (the kernel's cpumask size) */
    void *mask = sc_out(a[2], a[1]);
    return mask ? sc_host(SYS_sched_getaffinity, (pid_t)a[0], (size_t)a[1], mask) : -EFAULT;
}

long lu_sc_sched_setaffinity(struct lu_thread *t, const uint64_t a[6])
{
    void *mask = sc_in(a[2], a[1]);
    return mask ? sc_host(SYS_sched_setaffinity, (pid_t)a[0], (size_t)a[1], mask) : -EFAULT;
}

#define SC_SCHED_ATTR_MAX 128 /* larger than any sched_attr version so far (56 bytes) */

long lu_sc_sched_setattr(struct lu_thread *t, const uint64_t a[6])
{
    uint32_t attr[SC_SCHED_ATTR_MAX / 4] = {0};
    if (lu_copy_from_guest(attr, a[1], 4)) return -EFAULT;
    /* first field: the structure's size as the caller knows it (0 = the first version) */
    uint32_t size = attr[0] ? attr[0] : 48;
    if (size > SC_SCHED_ATTR_MAX)
        size = SC_SCHED_ATTR_MAX; /* the kernel checks the tail beyond its own size is 0 */
    if (lu_copy_from_guest(attr, a[1], size)) return -EFAULT;
    return sc_host(SYS_sched_setattr, (pid_t)a[0], attr, (unsigned)a[2]);
}

long lu_sc_sched_getattr(struct lu_thread *t, const uint64_t a[6])
{
    uint32_t attr[SC_SCHED_ATTR_MAX / 4] = {0};
    unsigned size = (unsigned)a[2];
    if (size > SC_SCHED_ATTR_MAX) size = SC_SCHED_ATTR_MAX;
    long r = sc_host(SYS_sched_getattr, (pid_t)a[0], attr, size, (unsigned)a[3]);
    return r < 0 ? r : lu_copy_to_guest(a[1], attr, size);
}

long lu_sc_setpriority(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_setpriority, (int)a[0], (id_t)a[1], (int)a[2]);
}

long lu_sc_getpriority(struct lu_thread *t, const uint64_t a[6])
{
    /* raw result 20 - nice (never negative), which the guest's libc undoes */
    return sc_host(SYS_getpriority, (int)a[0], (id_t)a[1]);
}

long lu_sc_getcpu(struct lu_thread *t, const uint64_t a[6])
{
    unsigned cpu, node;
    long r = sc_host(SYS_getcpu, &cpu, &node, NULL);
    if (r == 0 && (sc_put_opt(a[0], &cpu, sizeof(cpu)) || sc_put_opt(a[1], &node, sizeof(node))))
        return -EFAULT;
    return r;
}

/* ---- prctl ---- */

long lu_sc_prctl(struct lu_thread *t, const uint64_t a[6])
{
    int opt = (int)a[0];
    switch (opt) {
    case PR_SET_NAME: {
        /* up to 15 bytes; the kernel truncates longer names, so copy byte-wise rather
         * than fail on a name that ends at an unmapped page */
        char name[16] = {0};
        for (int i = 0; i < 15; i++) {
            if (lu_copy_from_guest(&name[i], a[1] + (uint64_t)i, 1)) return -EFAULT;
            if (!name[i]) break;
        }
        return sc_host(SYS_prctl, PR_SET_NAME, name, 0ul, 0ul, 0ul);
    }
    case PR_GET_NAME: {
        char name[16];
        long r = sc_host(SYS_prctl, PR_GET_NAME, name, 0ul, 0ul, 0ul);
        return r < 0 ? r : lu_copy_to_guest(a[1], name, sizeof(name));
    }
    case PR_GET_PDEATHSIG:
    case PR_GET_CHILD_SUBREAPER: {
        int v;
        long r = sc_host(SYS_prctl, opt, &v, 0ul, 0ul, 0ul);
        return r < 0 ? r : lu_copy_to_guest(a[1], &v, sizeof(v));
    }
    case PR_GET_TID_ADDRESS:
        return lu_copy_to_guest(a[1], &t->clear_child_tid, sizeof(t->clear_child_tid));
    case PR_SET_PDEATHSIG:
    case PR_GET_DUMPABLE:
    case PR_SET_DUMPABLE:
    case PR_GET_KEEPCAPS:
    case PR_SET_KEEPCAPS:
    case PR_GET_TIMERSLACK:
    case PR_SET_TIMERSLACK:
    case PR_SET_CHILD_SUBREAPER:
    case PR_GET_NO_NEW_PRIVS:
    case PR_SET_NO_NEW_PRIVS:
    case PR_CAPBSET_READ:
    case PR_CAP_AMBIENT:
    case PR_GET_THP_DISABLE:
    case PR_SET_THP_DISABLE:
    case PR_GET_SECCOMP:
        /* integer arguments only */
        return sc_host(SYS_prctl, opt, (unsigned long)a[1], (unsigned long)a[2],
                       (unsigned long)a[3], (unsigned long)a[4]);
    default:
        /* PR_SET_VMA (names for anonymous maps), PR_SET_SECCOMP, PR_SET_MM, riscv's
         * vector controls and the rest: what a kernel without them answers */
        return -EINVAL;
    }
}
