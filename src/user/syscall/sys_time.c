/*
 * Clocks, sleeps and timers. timespec, timeval, itimerspec, itimerval, timezone, tms and
 * sigevent are identical on riscv64 and x86-64 (64-bit time_t and long), so each call
 * copies its small structures through host memory and calls the host. Clock ids need no
 * mapping either: the static ids are asm-generic on both, and the dynamic CPU-time clocks
 * encode a pid/tid, which the guest shares with the host.
 */
#include <signal.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "user/syscall/sys_int.h"

/* Copy an optional input structure; 0 or -EFAULT. *used says whether it was given. */
static int get_opt(void *dst, uint64_t g, size_t len, bool *used)
{
    *used = g != 0;
    return g && lu_copy_from_guest(dst, g, len) ? -EFAULT : 0;
}

long lu_sc_clock_gettime(struct lu_thread *t, const uint64_t a[6])
{
    struct timespec ts;
    long r = sc_host(SYS_clock_gettime, (clockid_t)a[0], &ts);
    return r < 0 ? r : lu_copy_to_guest(a[1], &ts, sizeof(ts));
}

long lu_sc_clock_getres(struct lu_thread *t, const uint64_t a[6])
{
    struct timespec ts;
    long r = sc_host(SYS_clock_getres, (clockid_t)a[0], &ts);
    return r < 0 ? r : sc_put_opt(a[1], &ts, sizeof(ts));
}

long lu_sc_clock_settime(struct lu_thread *t, const uint64_t a[6])
{
    struct timespec ts;
    if (lu_copy_from_guest(&ts, a[1], sizeof(ts))) return -EFAULT;
    return sc_host(SYS_clock_settime, (clockid_t)a[0], &ts);
}

long lu_sc_gettimeofday(struct lu_thread *t, const uint64_t a[6])
{
    struct timeval tv;
    struct timezone tz;
    long r = sc_host(SYS_gettimeofday, &tv, &tz);
    if (r < 0) return r;
    if (sc_put_opt(a[0], &tv, sizeof(tv)) || sc_put_opt(a[1], &tz, sizeof(tz))) return -EFAULT;
    return 0;
}

long lu_sc_settimeofday(struct lu_thread *t, const uint64_t a[6])
{
    struct timeval tv;
    struct timezone tz;
    bool has_tv, has_tz;
    if (get_opt(&tv, a[0], sizeof(tv), &has_tv) || get_opt(&tz, a[1], sizeof(tz), &has_tz))
        return -EFAULT;
    return sc_host(SYS_settimeofday, has_tv ? &tv : NULL, has_tz ? &tz : NULL);
}

long lu_sc_nanosleep(struct lu_thread *t, const uint64_t a[6])
{
    struct timespec req, rem;
    if (lu_copy_from_guest(&req, a[0], sizeof(req))) return -EFAULT;
    long r = sc_host(SYS_nanosleep, &req, &rem);
    if (r == -EINTR && sc_put_opt(a[1], &rem, sizeof(rem))) return -EFAULT;
    return r;
}

long lu_sc_clock_nanosleep(struct lu_thread *t, const uint64_t a[6])
{
    struct timespec req, rem;
    if (lu_copy_from_guest(&req, a[2], sizeof(req))) return -EFAULT;
    long r = sc_host(SYS_clock_nanosleep, (clockid_t)a[0], (int)a[1], &req, &rem);
    /* the time left is written only for an interrupted relative sleep */
    if (r == -EINTR && !((int)a[1] & TIMER_ABSTIME) && sc_put_opt(a[3], &rem, sizeof(rem)))
        return -EFAULT;
    return r;
}

long lu_sc_getitimer(struct lu_thread *t, const uint64_t a[6])
{
    struct itimerval v;
    long r = sc_host(SYS_getitimer, (int)a[0], &v);
    return r < 0 ? r : lu_copy_to_guest(a[1], &v, sizeof(v));
}

long lu_sc_setitimer(struct lu_thread *t, const uint64_t a[6])
{
    struct itimerval nv, ov;
    bool has_new;
    if (get_opt(&nv, a[1], sizeof(nv), &has_new)) return -EFAULT;
    long r = sc_host(SYS_setitimer, (int)a[0], has_new ? &nv : NULL, &ov);
    if (r >= 0 && sc_put_opt(a[2], &ov, sizeof(ov))) return -EFAULT;
    return r;
}

long lu_sc_timer_create(struct lu_thread *t, const uint64_t a[6])
{
    /* SIGEV_THREAD never reaches the kernel (libc turns it into SIGEV_THREAD_ID, whose
     * tid is a host tid already), so sigevent passes through unchanged */
    struct sigevent sev;
    bool has_sev;
    int id;
    if (get_opt(&sev, a[1], sizeof(sev), &has_sev)) return -EFAULT;
    long r = sc_host(SYS_timer_create, (clockid_t)a[0], has_sev ? &sev : NULL, &id);
    if (r < 0) return r;
    if (lu_copy_to_guest(a[2], &id, sizeof(id))) {
        syscall(SYS_timer_delete, id);
        return -EFAULT;
    }
    return r;
}

long lu_sc_timer_settime(struct lu_thread *t, const uint64_t a[6])
{
    struct itimerspec nv, ov;
    if (lu_copy_from_guest(&nv, a[2], sizeof(nv))) return -EFAULT;
    long r = sc_host(SYS_timer_settime, (int)a[0], (int)a[1], &nv, &ov);
    if (r >= 0 && sc_put_opt(a[3], &ov, sizeof(ov))) return -EFAULT;
    return r;
}

long lu_sc_timer_gettime(struct lu_thread *t, const uint64_t a[6])
{
    struct itimerspec v;
    long r = sc_host(SYS_timer_gettime, (int)a[0], &v);
    return r < 0 ? r : lu_copy_to_guest(a[1], &v, sizeof(v));
}

long lu_sc_timer_getoverrun(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_timer_getoverrun, (int)a[0]);
}

long lu_sc_timer_delete(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_timer_delete, (int)a[0]);
}

long lu_sc_timerfd_create(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_timerfd_create, (int)a[0], (int)a[1]);
}

long lu_sc_timerfd_settime(struct lu_thread *t, const uint64_t a[6])
{
    struct itimerspec nv, ov;
    if (lu_copy_from_guest(&nv, a[2], sizeof(nv))) return -EFAULT;
    long r = sc_host(SYS_timerfd_settime, (int)a[0], (int)a[1], &nv, &ov);
    if (r >= 0 && sc_put_opt(a[3], &ov, sizeof(ov))) return -EFAULT;
    return r;
}

long lu_sc_timerfd_gettime(struct lu_thread *t, const uint64_t a[6])
{
    struct itimerspec v;
    long r = sc_host(SYS_timerfd_gettime, (int)a[0], &v);
    return r < 0 ? r : lu_copy_to_guest(a[1], &v, sizeof(v));
}

long lu_sc_times(struct lu_thread *t, const uint64_t a[6])
{
    struct tms tm;
    long r = sc_host(SYS_times, &tm);
    if (r >= 0 && sc_put_opt(a[0], &tm, sizeof(tm))) return -EFAULT;
    return r;
}
