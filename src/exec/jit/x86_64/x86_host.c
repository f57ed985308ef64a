/*
 * The x86-64 backend's host glue: CPU feature detection (cpuid), the prologue that enters
 * generated code and the epilogue it leaves through, the shared "return to the run loop
 * for this exit" routine, and patching of chain jumps.
 *
 * Invariants:
 * - The prologue saves every callee-saved register, so generated code may use them all,
 *   and leaves rsp 16-byte aligned at calls with CG_FRAME bytes of spill slots.
 * - A chain patch is one aligned 4-byte store (the displacement of a jmp rel32), atomic
 *   for every thread executing it.
 * - OMNIVM_JIT_BASELINE=1 turns off BMI1/BMI2/LZCNT/POPCNT use (to test the fallbacks).
 */
#include <cpuid.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/cpu.h"
#include "exec/jit/x86_64/x86_cg.h"

bool x86_has_bmi1, x86_has_bmi2, x86_has_lzcnt, x86_has_popcnt;
static bool detected;

void x86_detect(void)
{
    if (detected) return;
    detected = true;
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) x86_has_popcnt = (c >> 23) & 1;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        x86_has_bmi1 = (b >> 3) & 1;
        x86_has_bmi2 = (b >> 8) & 1;
    }
    if (__get_cpuid(0x80000001, &a, &b, &c, &d)) x86_has_lzcnt = (c >> 5) & 1;
    const char *e = getenv("OMNIVM_JIT_BASELINE");
    if (e && e[0] == '1') x86_has_bmi1 = x86_has_bmi2 = x86_has_lzcnt = x86_has_popcnt = false;
}

void x86_set_features(bool bmi1, bool bmi2, bool lzcnt, bool popcnt)
{
    detected = true;
    x86_has_bmi1 = bmi1;
    x86_has_bmi2 = bmi2;
    x86_has_lzcnt = lzcnt;
    x86_has_popcnt = popcnt;
}

static const int saved_regs[] = {X_RBP, X_RBX, X_R12, X_R13, X_R14, X_R15};
#define N_SAVED (sizeof(saved_regs) / sizeof(saved_regs[0]))
_Static_assert((8 * (N_SAVED + 1) + CG_FRAME) % 16 == 0, "calls from generated code must be 16-aligned");

size_t jit_backend_init(uint8_t *rx, uint8_t *rw, size_t cap, struct jit_host *h)
{
    struct xb b = {.start = rw, .p = rw, .end = rw + cap};
    x86_detect();

    /* enter(cpu = rdi, entry = rsi) */
    uint32_t enter = x_off(&b);
    for (unsigned k = 0; k < N_SAVED; k++)
        x_push(&b, saved_regs[k]);
    x_alu_ri(&b, X_SUB, true, X_RSP, (int32_t)CG_FRAME);
    x_mov_rr(&b, true, CG_REG_BASE, X_RDI);
    x_load(&b, 3, false, true, CG_REG_MEMBASE, X_RDI, X_NOREG,
           (int32_t)offsetof(struct cpu_common, mem_base));
    x_load(&b, 3, false, true, CG_REG_MEMMASK, X_RDI, X_NOREG,
           (int32_t)offsetof(struct cpu_common, mem_mask));
    x_jmp_r(&b, X_RSI);

    /* epilogue: rax = result, rdx = exit */
    while (x_off(&b) & 15) x_nop(&b, 1);
    uint32_t epi = x_off(&b);
    x_alu_ri(&b, X_ADD, true, X_RSP, (int32_t)CG_FRAME);
    for (unsigned k = N_SAVED; k-- > 0;)
        x_pop(&b, saved_regs[k]);
    x_ret(&b);

    /* exit_lookup: rdx = struct tb_exit *; pc = its target, result INTERP_LOOKUP */
    while (x_off(&b) & 15) x_nop(&b, 1);
    uint32_t look = x_off(&b);
    x_load(&b, 3, false, true, X_RAX, X_RDX, X_NOREG, (int32_t)offsetof(struct tb_exit, pc));
    x_store(&b, 3, X_RAX, CG_REG_BASE, X_NOREG, (int32_t)offsetof(struct cpu_common, pc));
    x_mov_ri(&b, X_RAX, (uint32_t)INTERP_LOOKUP, true);
    x_patch32(&b, x_jmp32(&b), epi);
    while (x_off(&b) & 63) x_nop(&b, 1);
    if (b.overflow) return 0;

    h->enter = (struct jit_ret(*)(struct cpu_common *, void *))(void *)(rx + enter);
    h->epilogue = rx + epi;
    h->exit_lookup = rx + look;
    return x_off(&b);
}

void jit_backend_patch(uint8_t *rx, uint8_t *rw, const void *target)
{
    int32_t rel = (int32_t)((intptr_t)target - (intptr_t)(rx + 4));
    __atomic_store_n((int32_t *)(void *)rw, rel, __ATOMIC_RELEASE);
}
