/*
 * The event loop: one host thread that waits on device backends (file descriptors and
 * timers) so that nothing blocks a vCPU. Callbacks run on the loop thread; a device whose
 * state is also touched by vCPU threads (MMIO) serialises with its own mutex.
 */
#ifndef OMNIVM_CORE_EVLOOP_H
#define OMNIVM_CORE_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef void evloop_fd_cb(void *opaque, uint32_t events); /* EPOLLIN/EPOLLOUT/... bits */
struct evtimer;

int evloop_start(void) __attribute__((warn_unused_result)); /* spawns the thread once */
void evloop_stop(void);
int evloop_add_fd(int fd, uint32_t events, evloop_fd_cb *cb, void *opaque);
int evloop_mod_fd(int fd, uint32_t events);
void evloop_del_fd(int fd); /* waits out a running callback of fd: hold no lock it takes */

/* One-shot timers on CLOCK_MONOTONIC nanoseconds; re-arm with evloop_timer_mod. */
/* Mod and del never wait: a callback that was already running (or taken off the list)
 * when they were called still runs, so callbacks re-check the state they act on. */
struct evtimer *evloop_timer_new(void (*cb)(void *opaque), void *opaque);
void evloop_timer_mod(struct evtimer *t, uint64_t deadline_ns); /* replaces any pending */
void evloop_timer_del(struct evtimer *t);                        /* cancels, keeps t */
/* Cancels and frees t; waits for its callback if the loop thread is running it (so do not
 * hold a lock that callback takes). A callback may free its own timer. */
void evloop_timer_free(struct evtimer *t);
bool evloop_timer_armed(const struct evtimer *t);

uint64_t evloop_now_ns(void); /* CLOCK_MONOTONIC */

#endif
