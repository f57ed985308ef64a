/*
 * C helpers the RISC-V frontend calls from IR, for what is shorter in C than in IR:
 * the run-time rounding-mode check, fclass, orc.b and the counter CSRs.
 *
 * Every helper has the uniform IR signature fn(cpu, a0, a1, a2) -> uint64_t. Pure
 * helpers use only their arguments; the rest say in their flags what they touch.
 */
#include <time.h>

#include "guest/riscv/rv_internal.h"

typedef uint64_t rv_helper_fn(struct cpu_common *cpu, uint64_t a0, uint64_t a1, uint64_t a2);

/* A DYN-rounded FP op with frm 5..7 is an illegal instruction (a0: its bits). */
static uint64_t helper_check_rm(struct cpu_common *cpu, uint64_t a0, uint64_t a1, uint64_t a2)
{
    if (cpu->fp_rm > IR_RM_RMM)
        cpu_exit_exception(cpu, CPU_EXCP_ILLEGAL, a0);
    return 0;
}

uint64_t rv_fclass_bits(uint64_t v, bool dbl)
{
    unsigned ebits = dbl ? 11 : 8, mbits = dbl ? 52 : 23;
    if (!dbl)
        v &= 0xffffffffu;
    bool neg = (v >> (ebits + mbits)) & 1;
    uint64_t exp = (v >> mbits) & ((1u << ebits) - 1), man = v & ((1ull << mbits) - 1);
    uint64_t emax = (1u << ebits) - 1;
    if (exp == emax) {
        if (man == 0)
            return neg ? 1u << 0 : 1u << 7;          /* -inf / +inf */
        return (man >> (mbits - 1)) ? 1u << 9 : 1u << 8; /* qNaN / sNaN */
    }
    if (exp == 0)
        return man == 0 ? (neg ? 1u << 3 : 1u << 4)   /* -0 / +0 */
                        : (neg ? 1u << 2 : 1u << 5);  /* subnormals */
    return neg ? 1u << 1 : 1u << 6;                   /* normals */
}

static uint64_t helper_fclass(struct cpu_common *cpu, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return rv_fclass_bits(a0, a1 != 0);
}

static uint64_t helper_orc_b(struct cpu_common *cpu, uint64_t a0, uint64_t a1, uint64_t a2)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i += 8)
        if ((a0 >> i) & 0xff)
            r |= 0xffull << i;
    return r;
}

/* time: the platform timer, 10 MHz like QEMU's virt board */
static uint64_t helper_rdtime(struct cpu_common *cpu, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 10000000u + (uint64_t)ts.tv_nsec / 100u;
}

/* cycle and instret: retired instructions, as the engines count them */
static uint64_t helper_rdcycle(struct cpu_common *cpu, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return cpu->icount;
}

const struct ir_helper rv_helper_check_rm = {"rv_check_rm", (void *)(rv_helper_fn *)helper_check_rm,
                                             IR_HELPER_FAULT | IR_HELPER_FP | IR_HELPER_RM_CHECK};
const struct ir_helper rv_helper_fclass = {"rv_fclass", (void *)(rv_helper_fn *)helper_fclass,
                                           IR_HELPER_PURE};
const struct ir_helper rv_helper_orc_b = {"rv_orc_b", (void *)(rv_helper_fn *)helper_orc_b,
                                          IR_HELPER_PURE};
const struct ir_helper rv_helper_rdtime = {"rv_rdtime", (void *)(rv_helper_fn *)helper_rdtime,
                                            IR_HELPER_VOLATILE};
const struct ir_helper rv_helper_rdcycle = {"rv_rdcycle", (void *)(rv_helper_fn *)helper_rdcycle,
                                            IR_HELPER_STATE | IR_HELPER_VOLATILE};
