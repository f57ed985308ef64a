/*
 * VirtIO core: feature negotiation, status, split virtqueues (descriptor table, avail and
 * used rings, indirect tables, EVENT_IDX) and used-buffer notification.
 *
 * Invariants: callers hold dev->lock (see virtio.h). The rings live in guest RAM, which
 * a guest vCPU may rewrite at any moment, so every descriptor is copied to a local
 * before it is checked and used (no double fetch), indices are read with acquire and
 * published with release, and nothing read from the rings reaches an assert: a bad
 * chain makes the device NEEDS_RESET.
 */
#include "hw/virtio/virtio.h"
#include "mem/tlb.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* Feature bits the core implements for every device. */
#define VIRTIO_CORE_FEATURES \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
     VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

static void core_reset(struct virtio_dev *d);

int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, const char *name,
                    struct physmap *pm, uint32_t device_id, uint64_t features, unsigned nqueues,
                    const uint16_t *qmax, void *config, uint32_t config_len)
{
    memset(d, 0, sizeof(*d));
    if (nqueues == 0)
        return -EINVAL;
    for (unsigned i = 0; i < nqueues; i++)
        if (qmax[i] == 0 || qmax[i] > VIRTIO_QUEUE_MAX || (qmax[i] & (qmax[i] - 1)))
            return -EINVAL;
    d->queues = calloc(nqueues, sizeof(*d->queues));
    if (!d->queues)
        return -ENOMEM;
    d->ops = ops;
    d->name = name;
    d->pm = pm;
    d->device_id = device_id;
    d->device_features = features | VIRTIO_CORE_FEATURES;
    d->config = config;
    d->config_len = config_len;
    d->nqueues = nqueues;
    for (unsigned i = 0; i < nqueues; i++)
        d->queues[i].num_max = qmax[i];
    pthread_mutex_init(&d->lock, NULL);
    core_reset(d);
    return 0;
}

void virtio_dev_cleanup(struct virtio_dev *d)
{
    free(d->queues);
    d->queues = NULL;
    pthread_mutex_destroy(&d->lock);
}

void virtio_dev_free(struct virtio_dev *d)
{
    if (d && d->ops->free)
        d->ops->free(d);
}

static void queue_clear(struct virtio_queue *q)
{
    uint16_t max = q->num_max;
    memset(q, 0, sizeof(*q));
    q->num_max = max;
    q->num = max; /* the spec's reset value of QueueNum is the maximum */
}

static void core_reset(struct virtio_dev *d)
{
    d->status = 0;
    d->driver_features = 0;
    d->reset_gen++;
    for (unsigned i = 0; i < d->nqueues; i++)
        queue_clear(&d->queues[i]);
}

void virtio_dev_reset(struct virtio_dev *d)
{
    core_reset(d);
    if (d->ops->reset)
        d->ops->reset(d);
}

void virtio_dev_set_status(struct virtio_dev *d, uint32_t status)
{
    status &= 0xff;
    if (status == 0) {
        virtio_dev_reset(d);
        return;
    }
    if ((status & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* The device refuses a subset it cannot honour; the driver sees FEATURES_OK
         * missing when it reads status back and gives up on the device. */
        bool ok = !(d->driver_features & ~d->device_features) &&
                  virtio_has_feature(d, VIRTIO_F_VERSION_1);
        if (!ok)
            status &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    /* NEEDS_RESET is the device's to set; the driver cannot clear it except by reset. */
    status = (status & ~VIRTIO_STATUS_NEEDS_RESET) | (d->status & VIRTIO_STATUS_NEEDS_RESET);
    d->status = status;
}

uint32_t virtio_dev_features_word(const struct virtio_dev *d, uint32_t sel)
{
    return sel < 2 ? (uint32_t)(d->device_features >> (32 * sel)) : 0;
}

void virtio_dev_set_driver_features_word(struct virtio_dev *d, uint32_t sel, uint32_t val)
{
    if (sel >= 2 || (d->status & VIRTIO_STATUS_FEATURES_OK))
        return;
    uint64_t mask = 0xffffffffull << (32 * sel);
    d->driver_features = (d->driver_features & ~mask) | ((uint64_t)val << (32 * sel));
}

void virtio_dev_set_needs_reset(struct virtio_dev *d, const char *why)
{
    if (d->status & VIRTIO_STATUS_NEEDS_RESET)
        return;
    if (log_enabled(LOG_INT))
        log_printf("%s: device needs reset: %s\n", d->name, why);
    d->status |= VIRTIO_STATUS_NEEDS_RESET;
    if ((d->status & VIRTIO_STATUS_DRIVER_OK) && d->notify)
        d->notify(d->transport, VIRTIO_INT_CONFIG);
}

void virtio_config_changed(struct virtio_dev *d)
{
    d->config_generation++;
    if ((d->status & VIRTIO_STATUS_DRIVER_OK) && d->notify)
        d->notify(d->transport, VIRTIO_INT_CONFIG);
}

uint64_t virtio_config_read(struct virtio_dev *d, uint32_t off, unsigned size)
{
    if (size > 8 || off >= d->config_len || size > d->config_len - off)
        return 0;
    if (d->ops->config_read)
        return d->ops->config_read(d, off, size);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)d->config[off + i] << (8 * i);
    return v;
}

void virtio_config_write(struct virtio_dev *d, uint32_t off, uint64_t val, unsigned size)
{
    if (size > 8 || off >= d->config_len || size > d->config_len - off)
        return;
    if (d->ops->config_write)
        d->ops->config_write(d, off, val, size);
}

/* ---- queues ---- */

bool virtio_queue_live(const struct virtio_dev *d, unsigned q)
{
    return q < d->nqueues && d->queues[q].ready &&
           (d->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET)) ==
               VIRTIO_STATUS_DRIVER_OK;
}

void virtio_queue_reset(struct virtio_dev *d, unsigned q)
{
    if (q < d->nqueues)
        queue_clear(&d->queues[q]);
}

void virtio_queue_set_ready(struct virtio_dev *d, unsigned qi, bool ready)
{
    if (qi >= d->nqueues)
        return;
    struct virtio_queue *q = &d->queues[qi];
    if (!ready) {
        q->ready = false;
        return;
    }
    if (q->ready)
        return;
    unsigned n = q->num;
    if (n == 0 || n > q->num_max || (n & (n - 1))) {
        virtio_dev_set_needs_reset(d, "queue size is not a power of two within QueueNumMax");
        return;
    }
    if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3)) {
        virtio_dev_set_needs_reset(d, "misaligned virtqueue");
        return;
    }
    void *desc = physmap_ram_ptr(d->pm, q->desc_gpa, 16ull * n);
    void *avail = physmap_ram_ptr(d->pm, q->avail_gpa, 6ull + 2ull * n);
    void *used = physmap_ram_ptr(d->pm, q->used_gpa, 6ull + 8ull * n);
    if (!desc || !avail || !used) {
        virtio_dev_set_needs_reset(d, "virtqueue outside RAM");
        return;
    }
    q->desc = desc;
    q->avail = avail;
    q->used = used;
    q->last_avail = 0;
    q->used_idx = 0;
    q->signalled_valid = false;
    q->ready = true;
}

void virtio_queue_kick(struct virtio_dev *d, unsigned q)
{
    if (virtio_queue_live(d, q) && d->ops->queue_notify)
        d->ops->queue_notify(d, q);
}

static uint16_t avail_idx(const struct virtio_queue *q)
{
    return le16toh(__atomic_load_n(&q->avail[1], __ATOMIC_ACQUIRE));
}

/* used->avail_event sits after the used elements: uint16 index 2 + 4*num. */
static void set_avail_event(struct virtio_queue *q, uint16_t v)
{
    __atomic_store_n(&q->used[2 + 4 * (unsigned)q->num], htole16(v), __ATOMIC_RELAXED);
}

static uint16_t used_event(const struct virtio_queue *q)
{
    return le16toh(__atomic_load_n(&q->avail[2 + q->num], __ATOMIC_RELAXED));
}

bool virtio_queue_has_avail(struct virtio_dev *d, unsigned qi)
{
    if (!virtio_queue_live(d, qi))
        return false;
    struct virtio_queue *q = &d->queues[qi];
    return avail_idx(q) != q->last_avail;
}

static int chain_fail(struct virtio_dev *d, const char *why)
{
    virtio_dev_set_needs_reset(d, why);
    return -EINVAL;
}

/* Appends one buffer to the chain, keeping readable buffers before writable ones. */
static int chain_add(struct virtio_dev *d, struct virtio_chain *c, uint64_t addr, uint32_t len,
                     bool writable)
{
    if (!writable && c->n_in)
        return chain_fail(d, "readable descriptor after a writable one");
    if (len == 0)
        return 0;
    void *p = physmap_ram_ptr(d->pm, addr, len);
    if (!p)
        return chain_fail(d, "descriptor outside RAM");
    unsigned i = c->n_out + c->n_in;
    if (i >= VIRTIO_CHAIN_MAX)
        return chain_fail(d, "descriptor chain too long");
    c->iov[i].iov_base = p;
    c->iov[i].iov_len = len;
    if (writable) {
        /* The device will write these bytes behind the TLBs' back: drop translations
         * made from them now. The buffer belongs to the device until it is used, so no
         * well-behaved guest translates code from it meanwhile. */
        tlb_dma_written(addr, len);
        c->n_in++;
        c->in_len += len;
    } else {
        c->n_out++;
        c->out_len += len;
    }
    return 0;
}

static void desc_load(struct virtq_desc *out, const void *table, unsigned i)
{
    struct virtq_desc t;
    memcpy(&t, (const uint8_t *)table + 16ull * i, sizeof(t));
    out->addr = le64toh(t.addr);
    out->len = le32toh(t.len);
    out->flags = le16toh(t.flags);
    out->next = le16toh(t.next);
}

/* Walks the chain starting at head. A loop shows up as more descriptors than the table
 * holds; an indirect table may appear once, as the last descriptor, never nested. */
static int chain_walk(struct virtio_dev *d, struct virtio_queue *q, uint16_t head,
                      struct virtio_chain *c)
{
    const void *table = q->desc;
    unsigned size = q->num, count = 0, i = head;
    bool indirect = false;

    c->head = head;
    c->n_out = c->n_in = 0;
    c->out_len = c->in_len = 0;
    for (;;) {
        struct virtq_desc desc;
        if (i >= size)
            return chain_fail(d, "descriptor index out of range");
        if (++count > size)
            return chain_fail(d, "descriptor chain loops");
        desc_load(&desc, table, i);
        if (desc.flags & VIRTQ_DESC_F_INDIRECT) {
            if (indirect)
                return chain_fail(d, "nested indirect descriptor");
            if (!virtio_has_feature(d, VIRTIO_F_INDIRECT_DESC))
                return chain_fail(d, "indirect descriptor not negotiated");
            if (desc.flags & VIRTQ_DESC_F_NEXT)
                return chain_fail(d, "indirect descriptor with NEXT");
            if (desc.len == 0 || desc.len % 16 || desc.len / 16 > VIRTIO_CHAIN_MAX)
                return chain_fail(d, "bad indirect table size");
            table = physmap_ram_ptr(d->pm, desc.addr, desc.len);
            if (!table)
                return chain_fail(d, "indirect table outside RAM");
            indirect = true;
            size = desc.len / 16;
            count = 0;
            i = 0;
            continue;
        }
        int r = chain_add(d, c, desc.addr, desc.len, desc.flags & VIRTQ_DESC_F_WRITE);
        if (r < 0)
            return r;
        if (!(desc.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        i = desc.next;
    }
}

int virtio_queue_pop(struct virtio_dev *d, unsigned qi, struct virtio_chain *c)
{
    if (!virtio_queue_live(d, qi))
        return 0;
    struct virtio_queue *q = &d->queues[qi];
    uint16_t idx = avail_idx(q);
    if (idx == q->last_avail) {
        if (!virtio_has_feature(d, VIRTIO_F_EVENT_IDX))
            return 0;
        /* Ask for a kick at the next buffer, then look again: the driver may have added
         * one between our read and its check of avail_event. */
        set_avail_event(q, q->last_avail);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        idx = avail_idx(q);
        if (idx == q->last_avail)
            return 0;
    }
    if ((uint16_t)(idx - q->last_avail) > q->num)
        return chain_fail(d, "avail index moved by more than the queue size");
    uint16_t head = le16toh(__atomic_load_n(&q->avail[2 + q->last_avail % q->num],
                                            __ATOMIC_RELAXED));
    int r = chain_walk(d, q, head, c);
    if (r < 0)
        return r;
    q->last_avail++;
    return 1;
}

void virtio_queue_unpop(struct virtio_dev *d, unsigned qi)
{
    if (qi < d->nqueues)
        d->queues[qi].last_avail--;
}

void virtio_queue_push(struct virtio_dev *d, unsigned qi, uint16_t head, uint32_t len)
{
    if (!virtio_queue_live(d, qi))
        return;
    struct virtio_queue *q = &d->queues[qi];
    uint32_t *elem = (uint32_t *)&q->used[2] + 2 * (q->used_idx % q->num);
    elem[0] = htole32(head);
    elem[1] = htole32(len);
    q->used_idx++;
    __atomic_store_n(&q->used[1], htole16(q->used_idx), __ATOMIC_RELEASE);
}

void virtio_queue_notify_driver(struct virtio_dev *d, unsigned qi)
{
    if (!virtio_queue_live(d, qi))
        return;
    struct virtio_queue *q = &d->queues[qi];
    /* The used index store must be visible before we read the driver's suppression
     * hint, or both sides could decide the other will act. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (virtio_has_feature(d, VIRTIO_F_EVENT_IDX)) {
        uint16_t old = q->signalled_used, now = q->used_idx;
        bool valid = q->signalled_valid;
        q->signalled_used = now;
        q->signalled_valid = true;
        if (valid && (uint16_t)(now - used_event(q) - 1) >= (uint16_t)(now - old))
            return;
    } else if (le16toh(__atomic_load_n(&q->avail[0], __ATOMIC_RELAXED)) &
               VIRTQ_AVAIL_F_NO_INTERRUPT) {
        return;
    }
    if (d->notify)
        d->notify(d->transport, VIRTIO_INT_VRING);
}

/* ---- iovecs ---- */

size_t virtio_iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t k = iov[i].iov_len - off;
        if (k > len - done)
            k = len - done;
        memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + off, k);
        done += k;
        off = 0;
    }
    return done;
}

size_t virtio_iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf,
                           size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t k = iov[i].iov_len - off;
        if (k > len - done)
            k = len - done;
        memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, k);
        done += k;
        off = 0;
    }
    return done;
}

unsigned virtio_iov_slice(const struct iovec *src, unsigned n, size_t off, size_t len,
                          struct iovec *dst, unsigned dmax)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n && len && k < dmax; i++) {
        if (off >= src[i].iov_len) {
            off -= src[i].iov_len;
            continue;
        }
        size_t part = src[i].iov_len - off;
        if (part > len)
            part = len;
        dst[k].iov_base = (uint8_t *)src[i].iov_base + off;
        dst[k].iov_len = part;
        k++;
        len -= part;
        off = 0;
    }
    return k;
}
