/*
 * The machine's virtual time base: one counter at VCLOCK_HZ shared by the timer devices
 * (ACLINT mtime) and the CPUs (time CSR, Sstc stimecmp), derived from CLOCK_MONOTONIC so
 * all harts agree. Starts at 0 when the machine starts; paused while the machine is paused.
 */
#ifndef OMNIVM_CORE_VCLOCK_H
#define OMNIVM_CORE_VCLOCK_H

#include <stdint.h>

#define VCLOCK_HZ 10000000ull

void vclock_start(void);
uint64_t vclock_ticks(void);                   /* ticks since start */
uint64_t vclock_ticks_to_host_ns(uint64_t t);  /* CLOCK_MONOTONIC deadline for tick t */

/* Moves the clock so that it reads t now (a guest write to the ACLINT's mtime). Every
 * reader sees the new time at once; timers already armed keep their host deadline, so
 * their owners re-check vclock_ticks() when they fire. */
void vclock_set_ticks(uint64_t t);

#endif
