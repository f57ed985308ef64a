/*
 * Constructors of the virtio device types. Each returns a struct virtio_dev (the common
 * part of the device) ready to be put behind a transport (virtio_mmio_new), or a negative
 * errno; the transport frees it. None of them starts to move buffers before the guest
 * driver sets DRIVER_OK.
 */
#ifndef OMNIVM_HW_VIRTIO_VIRTIO_DEVICES_H
#define OMNIVM_HW_VIRTIO_VIRTIO_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/chardev.h"
#include "hw/virtio/virtio.h"
#include "mem/physmap.h"

struct net_backend;

/* ---- virtio-blk (device id 2) ---- */

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_SECTOR 512

struct virtio_blk_opts {
    const char *path;   /* raw image file or block device */
    bool readonly;      /* opened O_RDONLY, offered as VIRTIO_BLK_F_RO */
    const char *serial; /* GET_ID string (at most 20 bytes used); NULL: "omnivm-" + file name */
};

/* Opens the image: -ENOENT, -EACCES, -EISDIR (a directory) ... come back as they are so
 * the CLI can print one clear line. I/O runs on a worker thread of the device. */
int virtio_blk_new(struct physmap *pm, const struct virtio_blk_opts *o, struct virtio_dev **out)
    __attribute__((warn_unused_result));

/* ---- virtio-net (device id 1) ---- */

#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1
#define VIRTIO_NET_HDR_LEN 12 /* struct virtio_net_hdr with num_buffers (VERSION_1) */

/* Attaches to be (see net/net.h), which delivers received frames on its own thread. On
 * success the device owns be (freed with the device); on failure the caller still does.
 * mac NULL: 52:54:00:12:34:56. */
int virtio_net_new(struct physmap *pm, struct net_backend *be, const uint8_t *mac,
                   struct virtio_dev **out) __attribute__((warn_unused_result));

/* ---- virtio-console (device id 3), one port ---- */

/* Output goes to chr->write; input arrives through chr->fe_input, which the device sets.
 * When its input buffer fills it takes less and calls chr->rx_ready later from the event
 * loop (core/evloop.h must be running). */
int virtio_console_new(struct physmap *pm, struct chardev *chr, struct virtio_dev **out)
    __attribute__((warn_unused_result));

/* ---- virtio-rng (device id 4) ---- */

/* Fills the guest's buffers from the host's getrandom(). */
int virtio_rng_new(struct physmap *pm, struct virtio_dev **out) __attribute__((warn_unused_result));

#endif
