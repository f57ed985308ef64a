/*
 * The power-off / reset device of QEMU's virt machine: SiFive's "test" finisher
 * (compatible "sifive,test1", "sifive,test0", "syscon"), which Linux drives through
 * syscon-poweroff (value 0x5555) and syscon-reboot (value 0x7777), and OpenSBI through
 * its sifive test system-reset driver.
 *
 * One 32-bit register at offset 0; writes of
 *   0x5555               pass: power off (status 0)
 *   0x7777               reset the machine
 *   (code << 16)|0x3333  fail with code (bare-metal tests; code may be 0)
 * reach the board's callback on the writing vCPU's thread. Other values are ignored;
 * reads return 0.
 */
#ifndef OMNIVM_HW_SYSCON_H
#define OMNIVM_HW_SYSCON_H

#include <stdint.h>

#include "mem/physmap.h"

#define SYSCON_MMIO_SIZE 0x1000

#define SYSCON_VAL_FAIL 0x3333
#define SYSCON_VAL_PASS 0x5555
#define SYSCON_VAL_RESET 0x7777

enum syscon_action { SYSCON_POWEROFF, SYSCON_RESET, SYSCON_FAIL };

/* code: the fail code (upper 16 bits of the value) for SYSCON_FAIL, else 0. The callback
 * typically stops every hart (rv_hart_stop); it must not call back into this device. */
typedef void syscon_cb(void *opaque, enum syscon_action action, unsigned code);

struct syscon;

struct syscon *syscon_new(syscon_cb *cb, void *opaque); /* NULL on no memory */
void syscon_free(struct syscon *s);

extern const struct mmio_ops syscon_mmio_ops; /* opaque: the struct syscon */

#endif
