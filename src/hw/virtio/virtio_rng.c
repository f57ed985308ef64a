/*
 * virtio-rng: one request queue whose writable buffers are filled from the host's
 * getrandom(). Requests are served at once on the notifying vCPU: getrandom on an
 * initialised host pool does not block, and a buffer is at most a few pages.
 *
 * Invariant: a chain is returned with exactly the number of random bytes written; a
 * failing getrandom returns the chain with what was filled (possibly 0), never garbage.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "hw/virtio/virtio_devices.h"

#define RNG_QUEUE_SIZE 64

struct virtio_rng {
    struct virtio_dev vd;
    struct virtio_chain c;
};

static size_t rng_fill(void *p, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = getrandom((uint8_t *)p + done, len - done, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        done += (size_t)r;
    }
    return done;
}

static void rng_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct virtio_rng *g = (struct virtio_rng *)d;
    bool pushed = false;
    while (virtio_queue_pop(d, q, &g->c) > 0) {
        uint32_t total = 0;
        for (unsigned i = 0; i < g->c.n_in; i++) {
            struct iovec *v = &g->c.iov[g->c.n_out + i];
            size_t got = rng_fill(v->iov_base, v->iov_len);
            total += (uint32_t)got;
            if (got < v->iov_len)
                break;
        }
        virtio_queue_push(d, q, g->c.head, total);
        pushed = true;
    }
    if (pushed)
        virtio_queue_notify_driver(d, q);
}

static void rng_free(struct virtio_dev *d)
{
    virtio_dev_cleanup(d);
    free(d);
}

static const struct virtio_dev_ops rng_ops = {
    .queue_notify = rng_queue_notify,
    .free = rng_free,
};

int virtio_rng_new(struct physmap *pm, struct virtio_dev **out)
{
    struct virtio_rng *g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    uint16_t qmax = RNG_QUEUE_SIZE;
    int r =
        virtio_dev_init(&g->vd, &rng_ops, "virtio-rng", pm, VIRTIO_ID_RNG, 0, 1, &qmax, NULL, 0);
    if (r < 0) {
        free(g);
        return r;
    }
    *out = &g->vd;
    return 0;
}
