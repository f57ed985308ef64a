/*
 * A character backend (stdio, a socket, a test buffer) joined to one character device
 * frontend (the 16550 UART, later virtio-console or PL011). The backend does not know
 * which device it feeds, the device does not know where its bytes go: raw terminal mode,
 * escape keys and buffering live in the backend's owner (the CLI), never in hw/.
 *
 * Directions and threads:
 * - Output: the device calls chardev_write() from the vCPU thread that wrote the
 *   transmit register, with the device's lock held (so bytes of different harts keep the
 *   order the guest gave them). The backend's write() must not call back into the device;
 *   it may block briefly (a full pipe), which stalls that vCPU only.
 * - Input: the backend calls chardev_input() (normally from the event loop). The device
 *   accepts what fits in its receive buffer and returns the count; the backend keeps the
 *   rest and offers it again after rx_ready(). A device calls rx_ready() without its lock
 *   held, so the backend may call chardev_input() from inside rx_ready().
 */
#ifndef OMNIVM_HW_CHARDEV_H
#define OMNIVM_HW_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

struct chardev {
    /* set by the backend */
    void (*write)(void *opaque, const uint8_t *buf, size_t len); /* guest output */
    void (*rx_ready)(void *opaque); /* optional: the device can take input again */
    void *opaque;

    /* set by the frontend device when it attaches (e.g. uart16550_new) */
    size_t (*fe_input)(void *fe, const uint8_t *buf, size_t len);
    void *fe;
};

static inline void chardev_write(struct chardev *c, const uint8_t *buf, size_t len)
{
    if (c && c->write)
        c->write(c->opaque, buf, len);
}

/* Offers received bytes to the device; returns how many it took. No device attached: the
 * bytes are dropped (reported as taken) so a backend never waits for nobody. */
static inline size_t chardev_input(struct chardev *c, const uint8_t *buf, size_t len)
{
    return c && c->fe_input ? c->fe_input(c->fe, buf, len) : len;
}

static inline void chardev_rx_ready(struct chardev *c)
{
    if (c && c->rx_ready)
        c->rx_ready(c->opaque);
}

#endif
