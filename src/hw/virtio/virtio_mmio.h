/*
 * virtio-mmio transport, version 2 (VirtIO 1.2 section 4.2): a 0x200-byte register
 * window per device, followed by its config space at 0x100, and one level-triggered
 * interrupt line. The board picks the address and wires the irq (to the PLIC on riscv
 * virt) and describes both in the device tree as compatible "virtio,mmio".
 */
#ifndef OMNIVM_HW_VIRTIO_VIRTIO_MMIO_H
#define OMNIVM_HW_VIRTIO_VIRTIO_MMIO_H

#include <stdint.h>

#include "hw/irq.h"
#include "hw/virtio/virtio.h"
#include "mem/physmap.h"

#define VIRTIO_MMIO_SIZE 0x200
#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x494e4d4fu /* "OMNI" */

/* Register offsets. */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_QUEUE_RESET 0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

struct virtio_mmio;

/* Maps dev's registers at [base, base + VIRTIO_MMIO_SIZE) in pm (pm NULL: not mapped, the
 * caller drives virtio_mmio_ops itself) and takes ownership of dev (freed by
 * virtio_mmio_free). Returns 0 or the negative errno of physmap_add_mmio
 * (-EEXIST overlap, -ENOSPC full) or -ENOMEM; on failure dev still belongs to the caller. */
int virtio_mmio_new(struct physmap *pm, uint64_t base, struct virtio_dev *dev,
                    struct irq_line irq, struct virtio_mmio **out)
    __attribute__((warn_unused_result));
struct virtio_dev *virtio_mmio_device(struct virtio_mmio *m);
/* The register callbacks, for tests and for boards that map the window themselves. */
extern const struct mmio_ops virtio_mmio_ops;
/* Frees the transport and its device; the physmap region must no longer be reachable. */
void virtio_mmio_free(struct virtio_mmio *m);

#endif
