/*
 * HTIF (the Berkeley host-target interface of riscv-tests and Spike) for bare-metal ELF
 * programs: the guest writes a command to its `tohost` word; the host acts and clears it.
 * Supported: exit (payload bit 0 set: status = payload >> 1) and console putchar
 * (device 1, command 1). The word is polled in guest RAM, so no device has to overlap
 * the program's own data page.
 */
#ifndef OMNIVM_BOARD_HTIF_H
#define OMNIVM_BOARD_HTIF_H

#include <stdint.h>

#include "mem/physmap.h"

struct htif;

struct htif_ops {
    void (*putchar)(void *opaque, uint8_t ch);
    void (*exit)(void *opaque, int status); /* called once */
    void *opaque;
};

/* Starts polling tohost (8-byte aligned RAM). fromhost may be 0 (absent). 0 or -errno. */
int htif_start(const struct physmap *pm, uint64_t tohost, uint64_t fromhost,
               const struct htif_ops *ops, struct htif **out) __attribute__((warn_unused_result));
void htif_stop(struct htif *h);

#endif
