/*
 * HTIF tohost/fromhost polling for bare-metal programs.
 *
 * Invariants: the tohost word is read and cleared with host atomics on the guest RAM
 * backing, the same memory the harts' stores reach, so a command is seen exactly once.
 * Commands are (device << 56) | (command << 48) | payload. Unknown commands end the run
 * with status 1 after one error line rather than hanging a test forever. The poll thread
 * only reads guest memory and calls the ops; it never touches a hart.
 */
#include "board/htif.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"

#define HTIF_POLL_NS 100000 /* 0.1 ms: exit latency and console speed, cheap for the host */

struct htif {
    uint64_t *tohost;
    uint64_t *fromhost;
    struct htif_ops ops;
    pthread_t thread;
    atomic_bool stop;
};

static bool htif_handle(struct htif *h, uint64_t cmd)
{
    unsigned dev = (unsigned)(cmd >> 56), op = (unsigned)(cmd >> 48) & 0xff;
    uint64_t payload = cmd & 0xffffffffffffull;
    if (dev == 0 && op == 0 && (payload & 1)) {
        h->ops.exit(h->ops.opaque, (int)((payload >> 1) & 0x7fffffff));
        return false;
    }
    if (dev == 1 && op == 1) {
        h->ops.putchar(h->ops.opaque, (uint8_t)payload);
        __atomic_store_n(h->tohost, 0, __ATOMIC_SEQ_CST);
        if (h->fromhost) __atomic_store_n(h->fromhost, cmd & ~0xffffffffffffull, __ATOMIC_SEQ_CST);
        return true;
    }
    if (dev == 1 && op == 0) {
        /* getchar is not wired to the console: answer "no input" */
        __atomic_store_n(h->tohost, 0, __ATOMIC_SEQ_CST);
        if (h->fromhost) __atomic_store_n(h->fromhost, cmd & ~0xffffffffffffull, __ATOMIC_SEQ_CST);
        return true;
    }
    error_msg("unsupported HTIF request %#llx (device %u, command %u)", (unsigned long long)cmd,
              dev, op);
    h->ops.exit(h->ops.opaque, 1);
    return false;
}

static void *htif_poll(void *arg)
{
    struct htif *h = arg;
    struct timespec ts = {0, HTIF_POLL_NS};
    while (!atomic_load(&h->stop)) {
        uint64_t cmd = __atomic_load_n(h->tohost, __ATOMIC_SEQ_CST);
        if (cmd && !htif_handle(h, cmd)) break;
        if (!cmd) nanosleep(&ts, NULL);
    }
    return NULL;
}

int htif_start(const struct physmap *pm, uint64_t tohost, uint64_t fromhost,
               const struct htif_ops *ops, struct htif **out)
{
    *out = NULL;
    if (tohost & 7) return -EINVAL;
    struct htif *h = calloc(1, sizeof(*h));
    if (!h) return -ENOMEM;
    h->tohost = physmap_ram_ptr(pm, tohost, 8);
    h->fromhost = (fromhost && !(fromhost & 7)) ? physmap_ram_ptr(pm, fromhost, 8) : NULL;
    h->ops = *ops;
    if (!h->tohost) {
        free(h);
        return -ERANGE;
    }
    int r = pthread_create(&h->thread, NULL, htif_poll, h);
    if (r) {
        free(h);
        return -r;
    }
    *out = h;
    return 0;
}

void htif_stop(struct htif *h)
{
    if (!h) return;
    atomic_store(&h->stop, true);
    pthread_join(h->thread, NULL);
    free(h);
}
