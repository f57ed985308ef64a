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

bool x86_has_bmi1, x86_has_bmi2, x86_has_lzcnt, x86_has_popcnt, x86_has_fma;
static bool detected, real_fma;

void x86_detect(void)
{
    if (detected) return;
    detected = true;
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        x86_has_popcnt = (c >> 23) & 1;
        /* FMA3 is VEX-encoded: it needs the OS to save the AVX state (OSXSAVE, XCR0) */
        bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
        if ((c >> 12) & 1 && osxsave && avx) {
            uint32_t lo, hi;
            __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            x86_has_fma = real_fma = (lo & 6) == 6;
        }
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        x86_has_bmi1 = (b >> 3) & 1;
        x86_has_bmi2 = (b >> 8) & 1;
    }
    if (__get_cpuid(0x80000001, &a, &b, &c, &d)) x86_has_lzcnt = (c >> 5) & 1;
    const char *e = getenv("OMNIVM_JIT_BASELINE");
    if (e && e[0] == '1')
        x86_has_bmi1 = x86_has_bmi2 = x86_has_lzcnt = x86_has_popcnt = x86_has_fma = false;
}

void x86_set_features(bool bmi1, bool bmi2, bool lzcnt, bool popcnt)
{
    x86_detect();
    x86_has_bmi1 = bmi1;
    x86_has_bmi2 = bmi2;
    x86_has_lzcnt = lzcnt;
    x86_has_popcnt = popcnt;
    x86_has_fma = popcnt && real_fma; /* baseline tests turn it off too */
}

static const int saved_regs[] = {X_RBP, X_RBX, X_R12, X_R13, X_R14, X_R15};
#define N_SAVED (sizeof(saved_regs) / sizeof(saved_regs[0]))
_Static_assert((8 * (N_SAVED + 1) + CG_FRAME) % 16 == 0, "calls from generated code must be 16-aligned");

/* MXCSR exception flag bits (IE DE ZE OE UE PE) -> IR_FPF_*; DE is x86-only and never
 * reported by the inline FP code, which serves guests without it */
static uint8_t mx_flag(unsigned s)
{
    return (uint8_t)(((s & 1) ? IR_FPF_NV : 0) | ((s & 4) ? IR_FPF_DZ : 0) | ((s & 8) ? IR_FPF_OF : 0) |
                     ((s & 16) ? IR_FPF_UF : 0) | ((s & 32) ? IR_FPF_NX : 0));
}

/* rip-relative displacement from the end of an instruction of `len` bytes at `at` */
static int32_t rip_disp(uint32_t at, unsigned len, uint32_t target)
{
    return (int32_t)(target - (at + len));
}

size_t jit_backend_init(uint8_t *rx, uint8_t *rw, size_t cap, struct jit_host *h)
{
    struct xb b = {.start = rw, .p = rw, .end = rw + cap};
    x86_detect();
    if (cap < 512) return 0;

    /* data: the MXCSR generated code runs with (round to nearest, all masked, no flags)
     * and the MXCSR flag -> IR_FPF_* table */
    uint32_t d_mxcsr = x_off(&b);
    x_room(&b);
    x_d(&b, 0x1f80);
    x_d(&b, 0);
    uint32_t d_table = x_off(&b);
    for (unsigned k = 0; k < 64; k += 8) {
        x_room(&b);
        for (unsigned j = 0; j < 8; j++)
            x_b(&b, mx_flag(k + j));
    }

    /* fp_sync: move MXCSR's accumulated flags into cpu->fp_flags and clear them; keeps
     * every register but rflags. Called with rsp 16-aligned (from generated code). */
    while (x_off(&b) & 15) x_nop(&b, 1);
    uint32_t sync = x_off(&b);
    x_alu_ri(&b, X_SUB, true, X_RSP, 8);
    x_stmxcsr(&b, X_RSP, 0);
    x_rm(&b, 0xf6, 0, X_RSP, X_NOREG, 0, 0); /* test byte [rsp], 0x3d */
    x_b(&b, 0x3d);
    uint32_t j_none = x_jcc32(&b, X_CC_E);
    x_push(&b, X_RAX);
    x_push(&b, X_RCX);
    x_rm(&b, 0xb6 | X_0F, X_RAX, X_RSP, X_NOREG, 0, 16); /* movzx eax, byte [rsp+16] */
    x_alu_ri(&b, X_AND, false, X_RAX, 63);
    uint32_t at = x_off(&b);
    x_rm(&b, 0x8d | X_W, X_RCX, X_RIP, X_NOREG, 0, rip_disp(at, 7, d_table)); /* lea rcx, table */
    x_rm(&b, 0xb6 | X_0F, X_RAX, X_RCX, X_RAX, 0, 0);                         /* movzx eax, [rcx+rax] */
    x_rm(&b, 0x09, X_RAX, CG_REG_BASE, X_NOREG, 0, (int32_t)offsetof(struct cpu_common, fp_flags));
    x_rm(&b, 0x81, 4, X_RSP, X_NOREG, 0, 16); /* and dword [rsp+16], ~0x3f */
    x_d(&b, ~0x3fu);
    x_ldmxcsr(&b, X_RSP, 16);
    x_pop(&b, X_RCX);
    x_pop(&b, X_RAX);
    x_patch32(&b, j_none, x_off(&b));
    x_alu_ri(&b, X_ADD, true, X_RSP, 8);
    x_ret(&b);

    /* enter(cpu = rdi, entry = rsi) */
    while (x_off(&b) & 15) x_nop(&b, 1);
    uint32_t enter = x_off(&b);
    for (unsigned k = 0; k < N_SAVED; k++)
        x_push(&b, saved_regs[k]);
    x_alu_ri(&b, X_SUB, true, X_RSP, (int32_t)CG_FRAME);
    at = x_off(&b);
    x_rm(&b, 0xae | X_0F, 2, X_RIP, X_NOREG, 0, rip_disp(at, 7, d_mxcsr)); /* ldmxcsr */
    x_mov_rr(&b, true, CG_REG_BASE, X_RDI);
    x_load(&b, 3, false, true, CG_REG_MEMBASE, X_RDI, X_NOREG,
           (int32_t)offsetof(struct cpu_common, mem_base));
    x_load(&b, 3, false, true, CG_REG_MEMMASK, X_RDI, X_NOREG,
           (int32_t)offsetof(struct cpu_common, mem_mask));
    x_jmp_r(&b, X_RSI);

    /* epilogue: rax = result, rdx = exit */
    while (x_off(&b) & 15) x_nop(&b, 1);
    uint32_t epi = x_off(&b);
    x_room(&b);
    x_b(&b, 0xe8); /* call fp_sync */
    x_d(&b, (uint32_t)(sync - (x_off(&b) + 4)));
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
    h->fp_sync = rx + sync;
    h->exit_lookup = rx + look;
    return x_off(&b);
}

void jit_backend_patch(uint8_t *rx, uint8_t *rw, const void *target)
{
    int32_t rel = (int32_t)((intptr_t)target - (intptr_t)(rx + 4));
    __atomic_store_n((int32_t *)(void *)rw, rel, __ATOMIC_RELEASE);
}
