/*
 * Internals of the exec room shared by tb.c (block cache), interp_pre.c (predecoder),
 * interp.c (threaded interpreter) and run.c (run loop). Nothing outside src/exec/
 * includes this.
 *
 * Invariants:
 * - A struct tb is immutable after it is published in the hash table, except for its
 *   `invalid` flag, its chain slots (exits[].next) and its incoming-link list, which
 *   change only under exec_g.lock (the slots are read without it).
 * - A tb reachable from a vCPU (hash, jump cache, chain slot) is never freed while that
 *   vCPU may hold a pointer to it: freeing waits until every vCPU has published an epoch
 *   at least the block's retire epoch, or is idle (outside exec_run).
 * - Frame offsets and guest-state offsets in struct iop are byte offsets below 64 KiB.
 */
#ifndef OMNIVM_EXEC_EXEC_INT_H
#define OMNIVM_EXEC_EXEC_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec/exec.h"

/* exit_request bit the cache sets to make a vCPU pass through the run loop (to publish
 * its epoch) without returning EXEC_REQUEST to the caller. */
#define EXEC_KICK 0x80000000u

/* Per-vCPU frame of 64-bit value slots. Slot 0 always reads 0 (absent operands); slot 1
 * is where results nobody reads go. */
#define EXEC_FRAME_SLOTS 4096u
#define EXEC_SLOT_ZERO 0u
#define EXEC_SLOT_TRASH 8u /* byte offset of slot 1 */
#define EXEC_FIRST_SLOT 2u

#define EXEC_JC_BITS 12
#define EXEC_JC_SIZE (1u << EXEC_JC_BITS)

#define EXEC_EPOCH_IDLE UINT64_MAX

/* Longest guest code of one block whose bytes are remembered (as a hash) for fence.i;
 * a longer block is dropped by every fence.i. */
#define EXEC_CAP_MAX 8192u

/* One predecoded op: 24 bytes. h is the handler's label address; d/a/b/c are byte
 * offsets into the frame or the guest CPU struct (the handler variant says which), or
 * small fields; imm is a constant, a guest pc, or packed per-op data. */
struct iop {
    const void *h;
    uint16_t d, a, b, c;
    uint64_t imm;
};

_Static_assert(sizeof(struct iop) == 24, "struct iop must stay 24 bytes");

struct tb;

/* A chainable exit (EXIT_IF or GOTO to a constant pc). When `next` is set, the
 * interpreter jumps straight into that block; the link is recorded in the target's
 * incoming list so retiring the target can clear the slot. */
struct tb_exit {
    _Atomic(struct tb *) next;
    uint64_t pc;
    struct tb *src;
    struct tb_exit *in_next, **in_pprev; /* in next->incoming, under exec_g.lock */
    /* JIT: the rel32 field of this exit's jump in the compiled block (patched to chain)
     * and the stub it leads to when not chained; NULL if the block is not compiled */
    uint8_t *jit_jmp, *jit_stub;
    uint32_t runs; /* times taken through the run loop (not chained: interpreted blocks
                      under auto), for superblocks' branch bias; racy, a hint only */
};

struct tb {
    uint64_t pc;
    uint32_t tb_flags;
    uint32_t n_guest;
    uint32_t guest_size;
    _Atomic uint32_t invalid;
    _Atomic(struct tb *) hash_next;
    uint64_t page[2];        /* guest pages (page numbers) the code came from; in system
                                mode physical, and page[0] is part of the key */
    struct tb *page_next[2]; /* per-page lists, under the lock */
    uint8_t n_pages;
    bool sys;     /* system mode: page[] are physical pages */
    bool nochain; /* never chain out of it (system mode: it may change the
                     guest's address mapping) */
    uint32_t n_exits, n_ops;
    size_t bytes;             /* allocation size, for the cache budget */
    uint64_t code_hash;       /* of the guest bytes the frontend read (fence.i check) */
    struct tb_exit *incoming; /* exits of other blocks chained to this one */
    struct tb *retire_next;
    uint64_t retire_epoch;
    struct tb_exit *exits; /* after code[] in the same allocation, 8-byte aligned (exit
                              ops address their slot relative to themselves) */
    /* JIT (exec/jit): host code, published once (release) and valid while the tb is live
     * and jit_gen is the JIT's generation; hits counts interpreted runs for tiering;
     * jit_state: 0 not compiled, 1 being compiled, 2 compiled, 3 refused */
    _Atomic(void *) jit;
    uint64_t jit_gen;
    uint32_t hits;
    _Atomic uint8_t jit_state;
    bool trace;   /* a superblock: guest code not contiguous (fence.i always drops it) */
    uint16_t pad_jit;
    uint32_t gen; /* exec_g.flush_gen when inserted: an older one means flushed (retired) */
    uint32_t sb_left; /* compiled code counts its entries down here (data, never next to
                         code: a store there would look like self-modifying code to the
                         host); at zero it asks for a superblock */
    struct tb *check_tb; /* check mode: the block predecoded for the shadow-memory run */
    struct iop code[];
};

struct exec_ctx {
    struct cpu_common *cpu;
    _Atomic(struct tb *) jc[EXEC_JC_SIZE]; /* direct-mapped, by pc; cleared on retire */
    _Atomic uint64_t epoch;                /* last published global epoch, or EXEC_EPOCH_IDLE */
    uint64_t *frame;                       /* EXEC_FRAME_SLOTS slots */
    struct ir_block ir;                    /* reused for every translation */
    uint64_t trace_page0;                  /* the key page of the superblock being built */
    struct exec_ctx *next;                 /* all contexts, under exec_g.lock */
    /* the guest bytes the frontend reads during a translation (see tb.c) */
    int (*real_fetch)(struct cpu_common *c, uint64_t addr, void *buf, unsigned len);
    uint64_t cap_pc;
    uint64_t cap_max; /* the last byte the frontend read */
    uint8_t cap_buf[EXEC_CAP_MAX];
};

_Static_assert(sizeof(struct tb) % 8 == 0 && sizeof(struct tb_exit) % 8 == 0,
               "exit slots after code[] must stay 8-byte aligned");

/* Retired: one by one (invalid) or by a full flush (an older generation). */
static inline bool tb_dead(const struct tb *t);

static inline unsigned exec_jc_index(uint64_t pc)
{
    return (unsigned)((pc >> 1) ^ (pc >> (EXEC_JC_BITS + 1))) & (EXEC_JC_SIZE - 1);
}

/* Process-wide state of the room. */
struct exec_global {
    struct exec_options opt;
    bool debug_verify;    /* ir_verify every block */
    pthread_mutex_t lock; /* hash writers, page index, chaining, contexts */
    _Atomic(struct tb *) *hash;
    size_t hash_mask;
    struct exec_ctx *ctxs;
    _Atomic uint64_t epoch;
    _Atomic uint64_t inval_gen; /* bumped by every invalidation */
    struct tb *retired, **retired_tail;
    _Atomic size_t n_retired;
    size_t live_bytes, budget;
    _Atomic uint64_t st_blocks, st_insns, st_inval, st_ns;
    _Atomic uint64_t st_sb; /* superblocks */
    _Atomic uint32_t flush_gen; /* bumped by every full flush (tb_flush_all_locked) */
    size_t n_live;              /* blocks in the hash table */
    struct tb_grave *graves;    /* hash tables of flushed blocks, freed after their epoch */
};
extern struct exec_global exec_g;

static inline bool tb_dead(const struct tb *t)
{
    return atomic_load_explicit(&t->invalid, memory_order_acquire) ||
           t->gen != atomic_load_explicit(&exec_g.flush_gen, memory_order_acquire);
}

/* ---- tb.c ---- */
/* The page number blocks at pc are keyed and indexed by: the virtual page in user mode,
 * the physical page in system mode (-EFAULT if pc cannot be fetched). */
int tb_key_page(struct cpu_common *cpu, uint64_t pc, uint64_t *page);
void tb_global_init(void);
/* The block for (pc, flags): jump cache, then hash, then translation. Returns NULL with
 * *err = -EFAULT when the first instruction cannot be fetched. */
struct tb *tb_find(struct exec_ctx *ctx, uint64_t pc, uint32_t flags, int *err);
/* Record that `from` (an exit of a block) leads to `to`. */
void tb_chain(struct tb_exit *from, struct tb *to);
/* fence.i (IR_EXIT_FLUSH): drop every block whose guest bytes changed since it was
 * translated, however they were written (another mapping of the same memory, DMA). */
void tb_flush_changed(struct exec_ctx *ctx);
/* The vCPU is at a safe point: it holds no tb pointer. Publish and maybe free. */
void tb_quiescent(struct exec_ctx *ctx);
void tb_enter(struct exec_ctx *ctx); /* idle -> active (exec_run entry) */
void tb_leave(struct exec_ctx *ctx); /* active -> idle */
void tb_ctx_register(struct exec_ctx *ctx);
void tb_ctx_unregister(struct exec_ctx *ctx);

/* Retire every block (under the lock): a full flush (the JIT's code cache uses it). */
void tb_flush_all_locked(void);
/* The optimised IR of tb again (its bytes, its size): 0, or -ESTALE if they changed. */
int tb_rebuild_ir(struct exec_ctx *ctx, struct tb *tb, struct ir_block *b);
/* Compile tb for the JIT (tiering); one thread compiles a given tb. */
void tb_jit_compile(struct exec_ctx *ctx, struct tb *tb);
/* Replace a hot compiled tb by a superblock (IR_XLATE_TRACE) starting at its pc. */
void tb_promote(struct exec_ctx *ctx, struct tb *tb);

/* ---- interp_pre.c ---- */
/* Predecodes an optimised block into a freshly allocated tb (exits, code). Returns NULL
 * with *err = -E2BIG (frame too small: retry with a shorter block), -EINVAL or -ENOMEM. */
struct tb *interp_predecode(struct exec_ctx *ctx, const struct ir_block *b, int *err);

/* ---- interp.c ---- */
/* Results of interp_exec besides IR exit reasons (>= 0). */
#define INTERP_LOOKUP (-1)  /* cpu->pc is the next block; *exit_out the slot, or NULL */
#define INTERP_REQUEST (-2) /* exit_request seen at a block entry; cpu->pc is that block */
#define JIT_PROMOTE (-3)    /* compiled code: the block at cpu->pc is hot (tb_promote) */
#define JIT_INTERP (-4)     /* compiled code: interpret the block at cpu->pc this time (its
                               inline FP assumes a rounding mode the guest is not in) */
extern const void *const *interp_handlers;
void interp_init(void);
int interp_exec(struct cpu_common *cpu, struct exec_ctx *ctx, struct tb *tb, bool chain,
                struct tb_exit **exit_out);

#endif
