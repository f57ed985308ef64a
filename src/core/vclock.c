/*
 * The machine's virtual clock: VCLOCK_HZ ticks derived from CLOCK_MONOTONIC.
 *
 * Invariants:
 * - ticks = (now_ns - base_ns) / VCLOCK_NS_PER_TICK, so tick t is reached exactly at host
 *   time base_ns + t * VCLOCK_NS_PER_TICK: a host timer armed at vclock_ticks_to_host_ns(t)
 *   never fires before vclock_ticks() >= t (callers may still re-check, as timers can be
 *   late but are never early).
 * - base_ns is one atomic word: readers (every hart's time CSR, the ACLINT) take no lock,
 *   and all of them see the same clock.
 * - Pausing (for a future control socket) is not implemented: timers armed by devices
 *   would need re-arming on resume, which needs a notifier list first.
 */
#include "core/vclock.h"

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define VCLOCK_NS_PER_TICK (1000000000ll / (int64_t)VCLOCK_HZ)
#define VCLOCK_MAX_TICKS ((uint64_t)INT64_MAX / VCLOCK_NS_PER_TICK)

/* Host ns at tick 0. Signed: after the guest writes a large mtime, tick 0 lies before the
 * host's clock epoch. */
static _Atomic int64_t vclock_base_ns;

static int64_t vclock_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

void vclock_start(void)
{
    atomic_store(&vclock_base_ns, vclock_host_ns());
}

uint64_t vclock_ticks(void)
{
    int64_t base = atomic_load_explicit(&vclock_base_ns, memory_order_relaxed);
    int64_t d = vclock_host_ns() - base;
    /* d < 0 only if another thread moved base forward (vclock_set_ticks) after we read
     * the host clock: report tick 0 rather than a wrapped huge value. */
    return d > 0 ? (uint64_t)(d / VCLOCK_NS_PER_TICK) : 0;
}

uint64_t vclock_ticks_to_host_ns(uint64_t t)
{
    int64_t base = atomic_load(&vclock_base_ns);
    if (t > VCLOCK_MAX_TICKS || (base > 0 && (int64_t)t * VCLOCK_NS_PER_TICK > INT64_MAX - base))
        return UINT64_MAX; /* e.g. mtimecmp = -1: never */
    int64_t ns = base + (int64_t)t * VCLOCK_NS_PER_TICK;
    return ns > 0 ? (uint64_t)ns : 0;
}

void vclock_set_ticks(uint64_t t)
{
    if (t > VCLOCK_MAX_TICKS)
        t = VCLOCK_MAX_TICKS; /* ~29,000 years: unreachable by a real guest */
    atomic_store(&vclock_base_ns, vclock_host_ns() - (int64_t)t * VCLOCK_NS_PER_TICK);
}
