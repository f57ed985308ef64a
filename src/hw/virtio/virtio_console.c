/*
 * virtio-console with one port (no MULTIPORT): receiveq 0 carries input from a character
 * backend (hw/chardev.h) to the guest's hvc0, transmitq 1 carries output to it.
 * EMERG_WRITE is offered so early code can print one byte through the config space.
 *
 * Input is buffered in a small ring so keystrokes typed before the driver has posted
 * buffers are not lost. When the ring is full the device takes fewer bytes than offered;
 * after the guest posts buffers and the ring drains, the backend is told (rx_ready) from
 * after_write, outside the device lock as chardev.h requires.
 *
 * Invariants: ring bytes reach the guest in order and each exactly once; rx_blocked is
 * set only when input was refused, and cleared when rx_ready is sent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio_devices.h"

#define CONS_QUEUE_SIZE 64
#define CONS_RXQ 0
#define CONS_TXQ 1
#define CONS_RING 4096
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2
#define CONS_CONFIG_LEN 12 /* cols, rows, max_nr_ports, emerg_wr */

struct virtio_console {
    struct virtio_dev vd;
    struct chardev *chr;
    uint8_t config[CONS_CONFIG_LEN];
    struct virtio_chain c;
    uint8_t ring[CONS_RING];
    unsigned ring_head, ring_count;
    bool rx_blocked;      /* the backend holds bytes we refused */
    bool rx_ready_due;    /* room again: tell the backend after unlocking */
};

/* Moves ring bytes into the guest's receive buffers; returns whether any moved. */
static bool cons_flush_rx(struct virtio_console *s)
{
    struct virtio_dev *d = &s->vd;
    bool pushed = false;
    while (s->ring_count && virtio_queue_live(d, CONS_RXQ)) {
        if (virtio_queue_pop(d, CONS_RXQ, &s->c) <= 0)
            break;
        struct iovec *in = s->c.iov + s->c.n_out;
        size_t done = 0;
        while (s->ring_count && done < s->c.in_len) {
            size_t run = CONS_RING - s->ring_head; /* contiguous bytes from head */
            if (run > s->ring_count)
                run = s->ring_count;
            if (run > s->c.in_len - done)
                run = s->c.in_len - done;
            virtio_iov_from_buf(in, s->c.n_in, done, s->ring + s->ring_head, run);
            done += run;
            s->ring_head = (unsigned)((s->ring_head + run) % CONS_RING);
            s->ring_count -= (unsigned)run;
        }
        virtio_queue_push(d, CONS_RXQ, s->c.head, (uint32_t)done);
        pushed = true;
    }
    if (pushed)
        virtio_queue_notify_driver(d, CONS_RXQ);
    return pushed;
}

/* Backend thread: keystrokes for the guest. Takes what fits after giving the guest all
 * it has room for; refusing bytes means the ring is full and the rx queue empty, which
 * also armed the kick (EVENT_IDX) that will let cons_queue_notify send rx_ready. */
static size_t cons_input(void *fe, const uint8_t *buf, size_t len)
{
    struct virtio_console *s = fe;
    size_t total = 0;
    virtio_lock(&s->vd);
    for (;;) {
        cons_flush_rx(s);
        size_t take = CONS_RING - s->ring_count;
        if (take > len - total)
            take = len - total;
        for (size_t i = 0; i < take; i++)
            s->ring[(s->ring_head + s->ring_count + i) % CONS_RING] = buf[total + i];
        s->ring_count += (unsigned)take;
        total += take;
        if (total == len || take == 0)
            break;
    }
    cons_flush_rx(s);
    if (total < len)
        s->rx_blocked = true;
    virtio_unlock(&s->vd);
    return total;
}

static void cons_tx(struct virtio_console *s)
{
    struct virtio_dev *d = &s->vd;
    bool pushed = false;
    while (virtio_queue_pop(d, CONS_TXQ, &s->c) > 0) {
        for (unsigned i = 0; i < s->c.n_out; i++)
            chardev_write(s->chr, s->c.iov[i].iov_base, s->c.iov[i].iov_len);
        virtio_queue_push(d, CONS_TXQ, s->c.head, 0);
        pushed = true;
    }
    if (pushed)
        virtio_queue_notify_driver(d, CONS_TXQ);
}

static void cons_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct virtio_console *s = (struct virtio_console *)d;
    if (q == CONS_TXQ)
        cons_tx(s);
    else if (q == CONS_RXQ) {
        cons_flush_rx(s);
        if (s->rx_blocked && s->ring_count < CONS_RING) {
            s->rx_blocked = false;
            s->rx_ready_due = true; /* sent by cons_after_write, without the lock */
        }
    }
}

static void cons_config_write(struct virtio_dev *d, uint32_t off, uint64_t val, unsigned size)
{
    struct virtio_console *s = (struct virtio_console *)d;
    if (off == 8 && virtio_has_feature(d, VIRTIO_CONSOLE_F_EMERG_WRITE)) {
        uint8_t ch = (uint8_t)val;
        chardev_write(s->chr, &ch, 1);
    }
}

static void cons_after_write(struct virtio_dev *d)
{
    struct virtio_console *s = (struct virtio_console *)d;
    virtio_lock(d);
    bool due = s->rx_ready_due;
    s->rx_ready_due = false;
    virtio_unlock(d);
    if (due)
        chardev_rx_ready(s->chr);
}

static void cons_free(struct virtio_dev *d)
{
    struct virtio_console *s = (struct virtio_console *)d;
    if (s->chr && s->chr->fe == s) {
        s->chr->fe_input = NULL;
        s->chr->fe = NULL;
    }
    virtio_dev_cleanup(d);
    free(s);
}

static const struct virtio_dev_ops cons_ops = {
    .config_write = cons_config_write,
    .queue_notify = cons_queue_notify,
    .after_write = cons_after_write,
    .free = cons_free,
};

int virtio_console_new(struct physmap *pm, struct chardev *chr, struct virtio_dev **out)
{
    struct virtio_console *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->chr = chr;
    virtio_put_le32(s->config + 4, 1); /* max_nr_ports: meaningful only with MULTIPORT */
    uint16_t qmax[2] = {CONS_QUEUE_SIZE, CONS_QUEUE_SIZE};
    int r = virtio_dev_init(&s->vd, &cons_ops, "virtio-console", pm, VIRTIO_ID_CONSOLE,
                            VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE), 2, qmax, s->config,
                            sizeof(s->config));
    if (r < 0) {
        free(s);
        return r;
    }
    if (chr) {
        chr->fe = s;
        chr->fe_input = cons_input;
    }
    *out = &s->vd;
    return 0;
}
