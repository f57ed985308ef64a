/*
 * virtio-net: one receive and one transmit queue joined to a network backend
 * (net/net.h). Offers MAC and STATUS (link always up); no offloads and no mergeable
 * buffers, so every frame carries a zeroed 12-byte virtio_net_hdr and fits one rx chain.
 *
 * Threads: transmit runs on the vCPU that kicked the queue (frames are copied into the
 * backend, which never calls back synchronously); receive runs on the backend's thread
 * and takes the device lock. Frames that arrive while the guest has no rx buffers wait in
 * a small FIFO flushed when the driver adds buffers; beyond that they are dropped.
 *
 * Invariants: a returned rx chain holds exactly header + frame bytes; a frame that does
 * not fit the chain is dropped and its buffer returned with length 0 (an error the
 * driver counts), never truncated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio_devices.h"
#include "net/net.h"

#define NET_QUEUE_SIZE 256
#define NET_RXQ 0
#define NET_TXQ 1
#define NET_PENDING 64
#define NET_CONFIG_LEN 12 /* mac[6], status, max_virtqueue_pairs, mtu */

struct net_frame {
    size_t len;
    uint8_t *data;
};

struct virtio_net {
    struct virtio_dev vd;
    struct net_backend *be;
    uint8_t config[NET_CONFIG_LEN];
    struct virtio_chain c; /* scratch, under the device lock */
    struct net_frame pending[NET_PENDING];
    unsigned pend_head, pend_count;
    uint64_t rx_dropped, tx_dropped;
    uint8_t txbuf[NET_FRAME_MAX];
};

/* Puts one frame in the next rx chain. Returns 1 done (or dropped as too big), 0 when
 * there is no buffer. */
static int net_rx_one(struct virtio_net *n, const uint8_t *frame, size_t len)
{
    struct virtio_dev *d = &n->vd;
    if (virtio_queue_pop(d, NET_RXQ, &n->c) <= 0)
        return 0;
    struct iovec *in = n->c.iov + n->c.n_out;
    if (n->c.in_len < VIRTIO_NET_HDR_LEN + len) {
        n->rx_dropped++;
        virtio_queue_push(d, NET_RXQ, n->c.head, 0);
        return 1;
    }
    uint8_t hdr[VIRTIO_NET_HDR_LEN] = {0};
    virtio_put_le16(hdr + 10, 1); /* num_buffers: with VERSION_1 the field is always there */
    virtio_iov_from_buf(in, n->c.n_in, 0, hdr, sizeof(hdr));
    virtio_iov_from_buf(in, n->c.n_in, sizeof(hdr), frame, len);
    virtio_queue_push(d, NET_RXQ, n->c.head, (uint32_t)(sizeof(hdr) + len));
    return 1;
}

static void net_pending_clear(struct virtio_net *n)
{
    while (n->pend_count) {
        free(n->pending[n->pend_head].data);
        n->pend_head = (n->pend_head + 1) % NET_PENDING;
        n->pend_count--;
    }
}

/* Moves waiting frames into rx buffers; returns whether any was delivered. */
static bool net_flush_pending(struct virtio_net *n)
{
    bool any = false;
    while (n->pend_count) {
        struct net_frame *f = &n->pending[n->pend_head];
        if (!net_rx_one(n, f->data, f->len))
            break;
        any = true;
        free(f->data);
        n->pend_head = (n->pend_head + 1) % NET_PENDING;
        n->pend_count--;
    }
    return any;
}

/* Backend thread: a frame for the guest. */
static void net_receive(void *opaque, const uint8_t *frame, size_t len)
{
    struct virtio_net *n = opaque;
    struct virtio_dev *d = &n->vd;
    virtio_lock(d);
    if (!virtio_queue_live(d, NET_RXQ)) {
        n->rx_dropped++; /* no driver: nobody would ever read it */
    } else {
        bool delivered = net_flush_pending(n);
        if (!n->pend_count && net_rx_one(n, frame, len)) {
            delivered = true;
        } else if (n->pend_count < NET_PENDING) {
            uint8_t *copy = malloc(len);
            if (copy) {
                memcpy(copy, frame, len);
                n->pending[(n->pend_head + n->pend_count) % NET_PENDING] =
                    (struct net_frame){.len = len, .data = copy};
                n->pend_count++;
            } else {
                n->rx_dropped++;
            }
        } else {
            n->rx_dropped++;
        }
        if (delivered)
            virtio_queue_notify_driver(d, NET_RXQ);
    }
    virtio_unlock(d);
}

static void net_tx(struct virtio_net *n)
{
    struct virtio_dev *d = &n->vd;
    bool pushed = false;
    while (virtio_queue_pop(d, NET_TXQ, &n->c) > 0) {
        size_t len = n->c.out_len;
        if (len >= VIRTIO_NET_HDR_LEN && len - VIRTIO_NET_HDR_LEN <= sizeof(n->txbuf)) {
            len -= VIRTIO_NET_HDR_LEN;
            virtio_iov_to_buf(n->c.iov, n->c.n_out, VIRTIO_NET_HDR_LEN, n->txbuf, len);
            if (net_send(n->be, n->txbuf, len) < 0)
                n->tx_dropped++;
        } else {
            n->tx_dropped++;
        }
        virtio_queue_push(d, NET_TXQ, n->c.head, 0);
        pushed = true;
    }
    if (pushed)
        virtio_queue_notify_driver(d, NET_TXQ);
}

static void net_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct virtio_net *n = (struct virtio_net *)d;
    if (q == NET_TXQ)
        net_tx(n);
    else if (q == NET_RXQ && net_flush_pending(n))
        virtio_queue_notify_driver(d, NET_RXQ);
}

static void net_reset(struct virtio_dev *d)
{
    net_pending_clear((struct virtio_net *)d);
}

static void net_free_dev(struct virtio_dev *d)
{
    struct virtio_net *n = (struct virtio_net *)d;
    net_free(n->be); /* joins the backend thread: no receive runs after this */
    net_pending_clear(n);
    virtio_dev_cleanup(d);
    free(n);
}

static const struct virtio_dev_ops net_ops = {
    .queue_notify = net_queue_notify,
    .reset = net_reset,
    .free = net_free_dev,
};

int virtio_net_new(struct physmap *pm, struct net_backend *be, const uint8_t *mac,
                   struct virtio_dev **out)
{
    static const uint8_t default_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    struct virtio_net *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->be = be;
    memcpy(n->config, mac ? mac : default_mac, 6);
    virtio_put_le16(n->config + 6, VIRTIO_NET_S_LINK_UP);
    virtio_put_le16(n->config + 8, 1);
    uint16_t qmax[2] = {NET_QUEUE_SIZE, NET_QUEUE_SIZE};
    int r = virtio_dev_init(&n->vd, &net_ops, "virtio-net", pm, VIRTIO_ID_NET,
                            VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS), 2, qmax,
                            n->config, sizeof(n->config));
    if (r < 0) {
        free(n);
        return r;
    }
    r = net_attach(be, net_receive, n);
    if (r < 0) {
        virtio_dev_cleanup(&n->vd);
        free(n);
        return r;
    }
    *out = &n->vd;
    return 0;
}
