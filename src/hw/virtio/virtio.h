/*
 * VirtIO 1.2 core: the device-independent half of every virtio device, shared by all
 * transports (virtio-mmio now, PCI later) and all device types (blk, net, console, rng).
 *
 * A device is a struct whose first member is struct virtio_dev plus an ops table
 * (TinyEMU's shape). The core owns feature negotiation, the status byte, the split
 * virtqueues and the used-buffer notification policy; a device only pops descriptor
 * chains (already turned into host iovecs pointing into guest RAM), fills them and pushes
 * them back.
 *
 * Invariants:
 * - Every field of struct virtio_dev and its queues is protected by dev->lock. Transport
 *   register accesses take the lock; ops callbacks are called with it held; a backend
 *   thread that completes work takes it (virtio_lock) before popping or pushing.
 * - Guest-controlled ring contents are never trusted: a chain that leaves RAM, loops,
 *   exceeds the queue size or nests indirect tables makes the device NEEDS_RESET (and
 *   stops its queues) instead of reaching an assert.
 * - Everything guest-visible is little-endian (VERSION_1 only; no legacy devices).
 */
#ifndef OMNIVM_HW_VIRTIO_VIRTIO_H
#define OMNIVM_HW_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "mem/physmap.h"

/* Device IDs (VirtIO 1.2 section 5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* Reserved (device-independent) feature bits. */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_F_RING_RESET 40

#define VIRTIO_BIT(n) (1ull << (n))

/* Split virtqueue layout. */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* Limits: the largest queue a device may offer and the most buffers one chain (direct
 * descriptors plus one indirect table) may hold; both bound the work a guest can cause. */
#define VIRTIO_QUEUE_MAX 1024
#define VIRTIO_CHAIN_MAX 1024

/* Interrupt reasons a transport turns into its own signalling (MMIO InterruptStatus). */
#define VIRTIO_INT_VRING 1u
#define VIRTIO_INT_CONFIG 2u

struct virtio_queue {
    uint16_t num_max;         /* offered by the device; 0: queue does not exist */
    uint16_t num;             /* chosen by the driver */
    bool ready;
    uint64_t desc_gpa, avail_gpa, used_gpa;
    /* Host views of the rings, valid while ready. */
    struct virtq_desc *desc;
    uint16_t *avail;          /* [0] flags, [1] idx, [2..] ring, [2+num] used_event */
    uint16_t *used;           /* [0] flags, [1] idx, then 8-byte elems, then avail_event */
    uint16_t last_avail;      /* next avail slot the device consumes */
    uint16_t used_idx;        /* shadow of used->idx */
    uint16_t signalled_used;  /* used_idx at the last interrupt (EVENT_IDX) */
    bool signalled_valid;
};

/* One descriptor chain as host iovecs: iov[0..n_out) are device-readable, then n_in
 * device-writable ones. Large (16 KiB): heap-allocate it or keep one per device. */
struct virtio_chain {
    uint16_t head;
    unsigned n_out, n_in;
    size_t out_len, in_len;
    struct iovec iov[VIRTIO_CHAIN_MAX];
};

struct virtio_dev;

struct virtio_dev_ops {
    /* Device-specific config space. NULL config_read: bytes of dev->config. The core
     * bounds off+size to config_len before calling. */
    uint64_t (*config_read)(struct virtio_dev *d, uint32_t off, unsigned size);
    void (*config_write)(struct virtio_dev *d, uint32_t off, uint64_t val, unsigned size);
    /* The driver kicked queue q (which exists, is ready, and the device is live). */
    void (*queue_notify)(struct virtio_dev *d, unsigned q);
    /* Device-specific reset (the core has already reset queues and features). Must make
     * sure no backend touches guest memory for the old rings after it returns. */
    void (*reset)(struct virtio_dev *d);
    /* Optional: called by the transport after each register write, without the lock,
     * for work that must not run under it (telling a chardev it may send input again). */
    void (*after_write)(struct virtio_dev *d);
    /* Called once with the lock not held; stops threads and frees the device. */
    void (*free)(struct virtio_dev *d);
};

struct virtio_dev {
    const struct virtio_dev_ops *ops;
    const char *name;           /* "virtio-blk" ... for messages */
    struct physmap *pm;
    pthread_mutex_t lock;
    uint32_t device_id;
    uint64_t device_features;   /* everything offered, core bits included */
    uint64_t driver_features;   /* as written by the driver */
    uint32_t status;
    uint32_t config_generation;
    uint32_t reset_gen;         /* bumped by every reset: stale completions are dropped */
    uint8_t *config;            /* device config space (little-endian), config_len bytes */
    uint32_t config_len;
    unsigned nqueues;
    struct virtio_queue *queues;
    /* Set by the transport: raise a used-buffer or config-change interrupt. */
    void (*notify)(void *transport, unsigned reason);
    void *transport;
};

/* Sets up the common part; features are the device-specific bits (the core adds
 * VERSION_1, INDIRECT_DESC and EVENT_IDX). qmax[i] is queue i's maximum size (a power of
 * two up to VIRTIO_QUEUE_MAX). Returns 0 or -ENOMEM / -EINVAL. */
int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, const char *name,
                    struct physmap *pm, uint32_t device_id, uint64_t features, unsigned nqueues,
                    const uint16_t *qmax, void *config, uint32_t config_len)
    __attribute__((warn_unused_result));
/* Frees what virtio_dev_init allocated (not d itself). */
void virtio_dev_cleanup(struct virtio_dev *d);
/* Stops and frees a whole device through ops->free. NULL is fine. */
void virtio_dev_free(struct virtio_dev *d);

static inline void virtio_lock(struct virtio_dev *d) { pthread_mutex_lock(&d->lock); }
static inline void virtio_unlock(struct virtio_dev *d) { pthread_mutex_unlock(&d->lock); }

static inline bool virtio_has_feature(const struct virtio_dev *d, unsigned bit)
{
    return (d->driver_features >> bit) & 1;
}

/* ---- Called by transports (lock held) ---- */

void virtio_dev_reset(struct virtio_dev *d);
/* Writes the status register: 0 resets; FEATURES_OK is refused (left clear) when the
 * driver accepted features the device did not offer or did not accept VERSION_1. */
void virtio_dev_set_status(struct virtio_dev *d, uint32_t status);
/* Feature words: sel 0 is bits 0..31, sel 1 bits 32..63. Writes are ignored once
 * FEATURES_OK is set. */
uint32_t virtio_dev_features_word(const struct virtio_dev *d, uint32_t sel);
void virtio_dev_set_driver_features_word(struct virtio_dev *d, uint32_t sel, uint32_t val);
/* QueueReady: enabling validates size, alignment and that the rings lie in RAM; a bad
 * layout makes the device NEEDS_RESET. */
void virtio_queue_set_ready(struct virtio_dev *d, unsigned q, bool ready);
void virtio_queue_reset(struct virtio_dev *d, unsigned q);
/* QueueNotify: forwards to ops->queue_notify when the queue is live. */
void virtio_queue_kick(struct virtio_dev *d, unsigned q);
uint64_t virtio_config_read(struct virtio_dev *d, uint32_t off, unsigned size);
void virtio_config_write(struct virtio_dev *d, uint32_t off, uint64_t val, unsigned size);

/* ---- Called by devices (lock held) ---- */

/* True when the driver is running and queue q can move buffers. */
bool virtio_queue_live(const struct virtio_dev *d, unsigned q);
/* Takes the next available chain. Returns 1 with *c filled, 0 when the queue is empty
 * or not live, negative errno when the chain is malformed (the device is then
 * NEEDS_RESET and its queues stop). */
int virtio_queue_pop(struct virtio_dev *d, unsigned q, struct virtio_chain *c);
/* Gives back the last popped chain unused (e.g. an rx buffer too small). */
void virtio_queue_unpop(struct virtio_dev *d, unsigned q);
/* True if a chain is available (does not consume it). */
bool virtio_queue_has_avail(struct virtio_dev *d, unsigned q);
/* Returns chain `head` to the driver with `len` bytes written into its writable part. */
void virtio_queue_push(struct virtio_dev *d, unsigned q, uint16_t head, uint32_t len);
/* After one or more pushes: interrupt the driver unless it asked not to be. */
void virtio_queue_notify_driver(struct virtio_dev *d, unsigned q);
/* The device broke (bad chain, backend failure the guest must see): NEEDS_RESET plus a
 * config-change interrupt if the driver is running. why is logged once. */
void virtio_dev_set_needs_reset(struct virtio_dev *d, const char *why);
/* Device config changed: bump the generation and send a config-change interrupt. */
void virtio_config_changed(struct virtio_dev *d);

/* ---- iovec helpers ---- */

/* Copies between a flat buffer and the bytes [off, off+len) of an iovec array; return
 * the number of bytes copied (short when the iovecs end). */
size_t virtio_iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len);
size_t virtio_iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf,
                           size_t len);
/* Describes bytes [off, off+len) of src as a new iovec array in dst (at most dmax
 * entries); returns the entry count. */
unsigned virtio_iov_slice(const struct iovec *src, unsigned n, size_t off, size_t len,
                          struct iovec *dst, unsigned dmax);

/* Little-endian stores into config space. */
static inline void virtio_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void virtio_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void virtio_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t virtio_get_le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t virtio_get_le64(const uint8_t *p)
{
    return virtio_get_le32(p) | (uint64_t)virtio_get_le32(p + 4) << 32;
}

#endif
