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

#endif
