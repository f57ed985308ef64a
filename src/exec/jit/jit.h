/*
 * The JIT inside the exec room: the host-independent driver (jit.c: code cache, flush,
 * chaining patches, host-pc -> guest-pc map, statistics), the runtime helpers generated
 * code calls (jit_rt.c), check mode (jit_check.c), and the seam to a host backend
 * (x86_64/: prologue, code generation, patching).
 *
 * Invariants:
 * - Generated code is entered only through jit_enter() and leaves through the shared
 *   epilogue with a result (an IR exit reason, INTERP_LOOKUP or INTERP_REQUEST) and, for
 *   INTERP_LOOKUP from a chainable exit, that exit's struct tb_exit.
 * - Guest state (the guest CPU struct) is exact at every exit and every fault: PUTs are
 *   stored where the IR has them; only values (and GETs whose field is unchanged) live
 *   in host registers, except in loop blocks, whose pinned guest registers live in host
 *   registers and are stored on every way out. cpu->pc is stored before faulting
 *   helpers; for faulting inline memory accesses the block's pc map gives it, and its
 *   pin list the registers to write back (jit_host_fault).
 * - Code is never freed one block at a time: a block becomes unreachable when its tb is
 *   retired (chains into it unpatched, jump caches cleared), and its bytes are reused
 *   only after a full flush of the cache, once every vCPU passed a safe point.
 * - Lock order: jit lock, then exec_g.lock.
 */
#ifndef OMNIVM_EXEC_JIT_JIT_H
#define OMNIVM_EXEC_JIT_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec/exec_int.h"

/* What generated code returns through the epilogue (rax, rdx). */
struct jit_ret {
    int64_t code;          /* IR exit reason, INTERP_LOOKUP or INTERP_REQUEST */
    struct tb_exit *exit;  /* the chainable exit taken, or NULL */
};

/* ---- driver (jit.c) ---- */

/* Set up the code cache (size bytes, 0: default). False if the JIT cannot run here (the
 * caller then interprets). Idempotent. */
bool jit_init(size_t cache_size);
bool jit_ready(void);

/* Compile b (the optimised IR of tb) and publish the code as tb->jit. 0, or a negative
 * errno: -ENOTSUP (the backend refuses this block: it stays interpreted), -EBUSY (a flush
 * is in progress: try again later), -ENOMEM. Never called with exec_g.lock held.
 * `insert`: tb is not yet visible to other threads (the caller inserts it), so the code
 * is attached without the lock and the caller checks jit_gen() at insertion. */
int jit_compile(struct exec_ctx *ctx, struct tb *tb, const struct ir_block *b, bool insert);

/* The flush generation: code compiled in an older one is gone. */
uint64_t jit_gen(void);

/* Run generated code at entry (a block's tb->jit) on cpu. */
struct jit_ret jit_run(struct cpu_common *cpu, void *entry);

/* Chain exit e (of a compiled block) to the code at target / undo it. Under
 * exec_g.lock. */
void jit_chain(struct tb_exit *e, void *target);
void jit_unchain(struct tb_exit *e);

/* For a fault inside generated code: the guest pc of the faulting instruction, and the
 * guest registers its block keeps in host registers written back into the guest CPU
 * struct cpu from regs (the host's registers at the fault, by backend register number). */
bool jit_host_fault(uintptr_t host_pc, const uint64_t *regs, void *cpu, uint64_t *guest_pc);

/* A forked child (one thread, idle): private code memory, every block dropped. */
void jit_fork_child(void);
void jit_fork_prepare(void);
void jit_fork_parent(void);

/* ---- check mode (jit_check.c) ---- */

/* Run tb (compiled) once under the interpreter, on a copy of the state with its own
 * memory view, and once compiled for real; on any difference report it and exit. Returns
 * what the compiled run returned (as interp_exec would). */
int jit_check_block(struct cpu_common *cpu, struct exec_ctx *ctx, struct tb *tb);
void jit_check_fork_prepare(void);
void jit_check_fork_done(void); /* in the parent and in the child */

struct jit_stats {
    uint64_t blocks, guest_insns, bytes, compile_ns, flushes, max_flush_ns, refused;
};
void jit_get_stats(struct jit_stats *s);

/* ---- backend seam (x86_64/) ---- */

struct jit_host {
    /* enter(cpu, entry): the prologue; returns through the epilogue */
    struct jit_ret (*enter)(struct cpu_common *cpu, void *entry);
    uint8_t *epilogue;    /* rax = result, rdx = exit */
    uint8_t *exit_lookup; /* rdx = struct tb_exit *: pc = exit->pc, INTERP_LOOKUP */
    uint8_t *fp_sync;     /* call: MXCSR's accumulated FP flags -> cpu->fp_flags */
};

struct jit_req {
    const struct ir_block *b;
    struct tb *tb;         /* its exits[] get their patch sites */
    bool sys;              /* system mode: memory through the TLB (runtime calls) */
    bool nochain;          /* GOTO_IND never looks up the jump cache (check mode, traces) */
    uint32_t *sb_count;    /* non-NULL: count entries down there; at zero return JIT_PROMOTE */
    uint8_t *rx, *rw;      /* where the block goes (executable and writable views) */
    size_t cap;            /* bytes available there */
    const struct jit_host *host;
};

struct jit_res {
    size_t size;           /* bytes used: code, stubs, the pc map and the pin list */
    uint32_t map_off;      /* the pc map: n_map entries at rx + map_off */
    uint32_t n_map;
    uint32_t pin_off;      /* pinned guest registers: n_pin struct jit_pin at rx + pin_off */
    uint32_t n_pin;
};

/* A guest-state field (offset in the guest CPU struct) that lives in host register reg
 * throughout the block. */
struct jit_pin {
    int32_t off;
    int32_t reg;
};

/* One pc-map entry: from host offset `off` (relative to the block start) on, the code
 * belongs to the guest instruction at `pc`. Sorted by off. */
struct jit_pcmap {
    uint32_t off;
    uint32_t pad;
    uint64_t pc;
};

/* Emits prologue, epilogue and shared stubs at rw (executing at rx); returns the bytes
 * used, or 0 if cap is too small or the host lacks what the backend needs. */
size_t jit_backend_init(uint8_t *rx, uint8_t *rw, size_t cap, struct jit_host *h);
/* Compiles one block. 0; -ENOSPC (cap too small: retry with more); -ENOTSUP; -E2BIG. */
int jit_backend_compile(const struct jit_req *req, struct jit_res *res);
/* Points the jump whose rel32 field is at rx (writable alias rw) at target. */
void jit_backend_patch(uint8_t *rx, uint8_t *rw, const void *target);

/* ---- runtime helpers generated code calls (jit_rt.c); helper ABI fn(cpu, a0, a1, a2) */
/* FP ops: fn(cpu, a, b, pack) (FMA: fn(cpu, a, b, c, pack)), indexed by IR opcode */
extern const void *const jit_rt_fp_fn[IR_NUM_OPS];
/* C-side fp_sync: after a fault left generated code, its pending FP flags (kept in the
 * host's MXCSR by inline FP code) go to cpu->fp_flags. */
void jit_fp_harvest(struct cpu_common *c);
uint64_t jit_rt_popcnt(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t d);
uint64_t jit_rt_misaligned(struct cpu_common *c, uint64_t addr, uint64_t b, uint64_t d);
/* system mode memory: m = size | sign << 2 | w64 << 3 | order << 4 | align << 6 */
uint64_t jit_rt_tlb_ld(struct cpu_common *c, uint64_t addr, uint64_t m, uint64_t d);
uint64_t jit_rt_tlb_st(struct cpu_common *c, uint64_t addr, uint64_t v, uint64_t m);
/* m also carries the rmw kind << 8 */
uint64_t jit_rt_tlb_rmw(struct cpu_common *c, uint64_t addr, uint64_t v, uint64_t m);
uint64_t jit_rt_tlb_cas(struct cpu_common *c, uint64_t addr, uint64_t expect, uint64_t nv,
                        uint64_t m);

/* FP pack: dbl | rm << 1 (IR_RM_*, DYN resolved at run time) | pred << 4 | fpx << 32 */
#define JIT_FP_PACK(dbl, rm, pred, fpx)                                                           \
    ((uint64_t)(dbl) | (uint64_t)(rm) << 1 | (uint64_t)(pred) << 4 | (uint64_t)(uint32_t)(fpx) << 32)

#endif
