/*
 * virtio-mmio version 2 transport: the register file of VirtIO 1.2 section 4.2.2 over a
 * struct virtio_dev, InterruptStatus/InterruptACK driving one level-triggered irq line.
 *
 * Invariants: every register access runs under the device lock (vCPU threads may hit the
 * window concurrently, backend threads raise interrupts). Registers are 32-bit: other
 * access sizes read 0 and are ignored, except in the config space, which takes 1, 2, 4
 * and 8-byte accesses. The irq line level always equals (InterruptStatus != 0).
 */
#include "hw/virtio/virtio_mmio.h"

#include <errno.h>
#include <stdlib.h>

struct virtio_mmio {
    struct virtio_dev *dev;
    struct irq_line irq;
    uint32_t isr;
    uint32_t dev_features_sel, drv_features_sel;
    uint32_t queue_sel;
    uint32_t shm_sel;
};

/* Called with the device lock held, from the core (a push or a config change). */
static void mmio_notify(void *opaque, unsigned reason)
{
    struct virtio_mmio *m = opaque;
    uint32_t old = m->isr;
    m->isr |= reason & (VIRTIO_INT_VRING | VIRTIO_INT_CONFIG);
    if (!old && m->isr)
        irq_set(&m->irq, 1);
}

static void mmio_reset(struct virtio_mmio *m)
{
    virtio_dev_reset(m->dev);
    m->dev_features_sel = m->drv_features_sel = m->queue_sel = m->shm_sel = 0;
    if (m->isr) {
        m->isr = 0;
        irq_set(&m->irq, 0);
    }
}

static struct virtio_queue *sel_queue(struct virtio_mmio *m)
{
    return m->queue_sel < m->dev->nqueues ? &m->dev->queues[m->queue_sel] : NULL;
}

static uint32_t reg_read(struct virtio_mmio *m, uint64_t off)
{
    struct virtio_dev *d = m->dev;
    struct virtio_queue *q = sel_queue(m);

    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION: return 2;
    case VIRTIO_MMIO_DEVICE_ID: return d->device_id;
    case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES: return virtio_dev_features_word(d, m->dev_features_sel);
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? q->num_max : 0;
    case VIRTIO_MMIO_QUEUE_READY: return q ? q->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS: return m->isr;
    case VIRTIO_MMIO_STATUS: return d->status;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: return q ? (uint32_t)q->desc_gpa : 0;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: return q ? (uint32_t)(q->desc_gpa >> 32) : 0;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: return q ? (uint32_t)q->avail_gpa : 0;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: return q ? (uint32_t)(q->avail_gpa >> 32) : 0;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: return q ? (uint32_t)q->used_gpa : 0;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: return q ? (uint32_t)(q->used_gpa >> 32) : 0;
    /* No shared memory regions: a length of -1 says "this id does not exist". */
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH: return 0xffffffffu;
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH: return 0xffffffffu;
    case VIRTIO_MMIO_QUEUE_RESET: return 0; /* a queue reset completes at once */
    case VIRTIO_MMIO_CONFIG_GENERATION: return d->config_generation;
    default: return 0; /* write-only and reserved registers */
    }
}

static void set_addr_half(uint64_t *a, bool high, uint32_t v)
{
    if (high)
        *a = (*a & 0xffffffffull) | (uint64_t)v << 32;
    else
        *a = (*a & ~0xffffffffull) | v;
}

static void reg_write(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
    struct virtio_dev *d = m->dev;
    struct virtio_queue *q = sel_queue(m);

    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: m->dev_features_sel = v; return;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        virtio_dev_set_driver_features_word(d, m->drv_features_sel, v);
        return;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: m->drv_features_sel = v; return;
    case VIRTIO_MMIO_QUEUE_SEL: m->queue_sel = v; return;
    case VIRTIO_MMIO_QUEUE_NUM:
        /* Layout registers are frozen while the queue is enabled (the rings are mapped). */
        if (q && !q->ready)
            q->num = (uint16_t)(v > q->num_max ? 0 : v); /* 0: rejected at QueueReady */
        return;
    case VIRTIO_MMIO_QUEUE_READY:
        virtio_queue_set_ready(d, m->queue_sel, v & 1);
        return;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        /* Without NOTIFICATION_DATA the value is just the queue index. */
        virtio_queue_kick(d, v & 0xffff);
        return;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        if (m->isr && !(m->isr &= ~v))
            irq_set(&m->irq, 0);
        return;
    case VIRTIO_MMIO_STATUS:
        if (v == 0) {
            mmio_reset(m);
            return;
        }
        virtio_dev_set_status(d, v);
        return;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        if (q && !q->ready)
            set_addr_half(&q->desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
        return;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        if (q && !q->ready)
            set_addr_half(&q->avail_gpa, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, v);
        return;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        if (q && !q->ready)
            set_addr_half(&q->used_gpa, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, v);
        return;
    case VIRTIO_MMIO_SHM_SEL: m->shm_sel = v; return;
    case VIRTIO_MMIO_QUEUE_RESET:
        if ((v & 1) && virtio_has_feature(d, VIRTIO_F_RING_RESET))
            virtio_queue_reset(d, m->queue_sel);
        return;
    default: return; /* read-only and reserved registers */
    }
}

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    struct virtio_mmio *m = opaque;
    uint64_t v = 0;
    virtio_lock(m->dev);
    if (off >= VIRTIO_MMIO_CONFIG)
        v = virtio_config_read(m->dev, (uint32_t)(off - VIRTIO_MMIO_CONFIG), size);
    else if (size == 4)
        v = reg_read(m, off);
    virtio_unlock(m->dev);
    return v;
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct virtio_mmio *m = opaque;
    virtio_lock(m->dev);
    if (off >= VIRTIO_MMIO_CONFIG)
        virtio_config_write(m->dev, (uint32_t)(off - VIRTIO_MMIO_CONFIG), val, size);
    else if (size == 4)
        reg_write(m, off, (uint32_t)val);
    virtio_unlock(m->dev);
    if (m->dev->ops->after_write)
        m->dev->ops->after_write(m->dev);
}

const struct mmio_ops virtio_mmio_ops = {.read = mmio_read, .write = mmio_write};

int virtio_mmio_new(struct physmap *pm, uint64_t base, struct virtio_dev *dev,
                    struct irq_line irq, struct virtio_mmio **out)
{
    struct virtio_mmio *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->dev = dev;
    m->irq = irq;
    if (pm) {
        int r = physmap_add_mmio(pm, dev->name, base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, m);
        if (r < 0) {
            free(m);
            return r;
        }
    }
    virtio_lock(dev);
    dev->notify = mmio_notify;
    dev->transport = m;
    virtio_unlock(dev);
    *out = m;
    return 0;
}

struct virtio_dev *virtio_mmio_device(struct virtio_mmio *m) { return m->dev; }

void virtio_mmio_free(struct virtio_mmio *m)
{
    if (!m)
        return;
    virtio_dev_free(m->dev);
    free(m);
}
