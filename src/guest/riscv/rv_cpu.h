/*
 * RISC-V 64 CPU state. The layout is part of the IR contract: the frontend's GET/PUT
 * offsets are offsetof() into this struct, and engines keep it in one base register.
 * fflags live in c.fp_flags (IR_FPF_* uses the RISC-V bit order) and frm in c.fp_rm.
 * f[] holds 64-bit values; single-precision values are NaN-boxed (upper 32 bits ones).
 */
#ifndef OMNIVM_GUEST_RISCV_RV_CPU_H
#define OMNIVM_GUEST_RISCV_RV_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "core/cpu.h"

struct rv_cpu {
    struct cpu_common c;
    uint64_t x[32];        /* x[0] is never written */
    uint64_t f[32];
    uint64_t res_addr;     /* LR reservation: address, or RV_NO_RESERVATION */
    uint64_t res_val;      /* value LR read; SC succeeds by compare-and-swap against it */
};

#define RV_NO_RESERVATION (~0ull)
#define RV_X(n) (offsetof(struct rv_cpu, x) + 8u * (n))
#define RV_F(n) (offsetof(struct rv_cpu, f) + 8u * (n))

#endif
