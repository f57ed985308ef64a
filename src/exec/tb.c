/*
 * The translation-block cache shared by all vCPU threads: lookup (per-vCPU jump cache,
 * then a lock-free-read hash on (pc, tb_flags)), translation (frontend -> verify ->
 * optimise -> predecode), chaining, invalidation by guest page, and bounded memory with
 * deferred freeing.
 *
 * Invariants:
 * - Readers (lookups, the interpreter following chain slots) take no lock. Writers (insert,
 *   retire, chain, the page index) hold exec_g.lock. No lock is held while guest code runs:
 *   a guest store may fault into the SMC handler, which calls exec_code_written() on the
 *   same thread.
 * - Retiring a block (invalidation) marks it invalid, unlinks it from the hash, its pages,
 *   the jump caches and every chain slot that leads to it, so no vCPU starts it again. A
 *   full flush retires every block at once by generation (tb_dead) in constant time. Its memory is freed only once every vCPU has published an epoch at
 *   least its retire epoch (it passed a safe point since) or is idle; retiring never frees,
 *   so it is safe inside a signal handler.
 * - A guest page is "hooked" (exec_code_page_hook called, the memory layer write-protects
 *   it) before any block is translated from it; invalidating the page un-hooks it. Every
 *   invalidation bumps inval_gen, and a translation that raced with one is redone, so no
 *   block translated from old bytes is inserted after the invalidation returns.
 * - System mode (cpu->tlb set): blocks are keyed by (pc, tb_flags, physical page of pc) and
 *   indexed by physical pages, so invalidation follows the memory, not a mapping; the
 *   jump cache is keyed by virtual pc and flushed with the TLB (exec_flush_jump_cache).
 * - User-mode fence.i (IR_EXIT_FLUSH) re-reads the guest bytes of every block and drops those that
 *   changed (a hash of what the frontend read is kept per block): stores through another
 *   mapping of the same memory do not fault, so page protection alone cannot see them.
 * - The cache holds at most `budget` bytes of live blocks; past it everything is retired
 *   at once (the JIT's code cache will use the same generation flush).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "exec/exec_int.h"
#include "exec/jit/jit.h"
#include "mem/tlb.h"

struct exec_global exec_g = {.lock = PTHREAD_MUTEX_INITIALIZER};
void (*exec_code_page_hook)(uint64_t guest_page);

#define HASH_BITS 16
#define PAGE_HASH_BITS 12
#define DEFAULT_BUDGET (64u << 20)

/* The page index: guest page -> blocks whose code came from it. Entries live until exit
 * (a page's hooked state must survive flushes: the page stays write-protected). */
struct tb_page {
    uint64_t page;
    bool hooked;
    struct tb *first;
    struct tb_page *next;
};
static struct tb_page *page_hash[1u << PAGE_HASH_BITS];

/* A hash table a full flush took out of service, with every block still chained in it;
 * freed block by block (in bounded batches) once its epoch has passed. */
struct tb_grave {
    _Atomic(struct tb *) *hash;
    uint64_t epoch;
    size_t bucket;    /* freeing resumes here */
    struct tb_grave *next;
};

static inline _Atomic(struct tb *) *hash_table(void)
{
    return __atomic_load_n(&exec_g.hash, __ATOMIC_ACQUIRE);
}

static inline size_t tb_hash(uint64_t pc, uint32_t flags)
{
    uint64_t h = (pc ^ ((uint64_t)flags << 32)) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> (64 - HASH_BITS));
}

static inline size_t page_hash_idx(uint64_t page)
{
    return (size_t)((page * 0x9e3779b97f4a7c15ull) >> (64 - PAGE_HASH_BITS));
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void tb_global_init(void)
{
    if (exec_g.hash) return;
    exec_g.hash = calloc((size_t)1 << HASH_BITS, sizeof(*exec_g.hash));
    if (!exec_g.hash) {
        error_msg("out of memory allocating the translation cache");
        exit(1);
    }
    exec_g.hash_mask = ((size_t)1 << HASH_BITS) - 1;
    exec_g.retired_tail = &exec_g.retired;
    atomic_store(&exec_g.epoch, 1);
    if (!exec_g.budget) exec_g.budget = DEFAULT_BUDGET;
}

/* ---- the page index (under the lock) ---- */

static struct tb_page *page_get(uint64_t page, bool create)
{
    size_t h = page_hash_idx(page);
    for (struct tb_page *p = page_hash[h]; p; p = p->next)
        if (p->page == page) return p;
    if (!create) return NULL;
    struct tb_page *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->page = page;
    p->next = page_hash[h];
    page_hash[h] = p;
    return p;
}

/* Make sure the page is hooked before code is read from it. Returns false on OOM. */
static bool page_hook(uint64_t page)
{
    pthread_mutex_lock(&exec_g.lock);
    struct tb_page *p = page_get(page, true);
    if (p && !p->hooked) {
        p->hooked = true;
        /* the memory layer's hook takes none of its locks: calling it here orders it
         * with exec_code_written() */
        if (exec_code_page_hook) exec_code_page_hook(page << EXEC_PAGE_BITS);
    }
    pthread_mutex_unlock(&exec_g.lock);
    return p != NULL;
}

static bool page_is_hooked(uint64_t page)
{
    pthread_mutex_lock(&exec_g.lock);
    struct tb_page *p = page_get(page, false);
    bool r = p && p->hooked;
    pthread_mutex_unlock(&exec_g.lock);
    return r;
}

/* ---- retiring (under the lock) ---- */

static void jc_forget(struct tb *tb)
{
    unsigned i = exec_jc_index(tb->pc);
    for (struct exec_ctx *c = exec_g.ctxs; c; c = c->next) {
        struct tb *cur = atomic_load_explicit(&c->jc[i], memory_order_relaxed);
        if (cur == tb) atomic_compare_exchange_strong(&c->jc[i], &cur, NULL);
    }
}

static void hash_unlink(struct tb *tb)
{
    _Atomic(struct tb *) *pp = &exec_g.hash[tb_hash(tb->pc, tb->tb_flags)];
    for (struct tb *t; (t = atomic_load_explicit(pp, memory_order_relaxed)); pp = &t->hash_next)
        if (t == tb) {
            atomic_store_explicit(pp, atomic_load_explicit(&tb->hash_next, memory_order_relaxed),
                                  memory_order_release);
            return;
        }
}

static void page_unlink(struct tb *tb)
{
    for (unsigned k = 0; k < tb->n_pages; k++) {
        struct tb_page *p = page_get(tb->page[k], false);
        if (!p) continue;
        for (struct tb **pp = &p->first; *pp;) {
            struct tb *t = *pp;
            unsigned slot = t->page[0] == tb->page[k] ? 0 : 1;
            if (t == tb) {
                *pp = t->page_next[slot];
                break;
            }
            pp = &t->page_next[slot];
        }
    }
}

/* Unlinks tb everywhere and queues it for freeing; the caller bumps the epoch. */
static void tb_retire_locked(struct tb *tb)
{
    if (tb_dead(tb)) return;
    exec_g.n_live--;
    atomic_store_explicit(&tb->invalid, 1, memory_order_seq_cst);
    /* pairs with tb_find: either it sees `invalid` after filling its jump cache, or
     * jc_forget below sees the entry */
    atomic_thread_fence(memory_order_seq_cst);
    hash_unlink(tb);
    page_unlink(tb);
    jc_forget(tb);
    /* chain slots of other blocks that lead here */
    for (struct tb_exit *e = tb->incoming; e; e = e->in_next) {
        atomic_store_explicit(&e->next, NULL, memory_order_release);
        jit_unchain(e); /* a compiled source jumps to its exit stub again */
        e->in_pprev = NULL;
    }
    tb->incoming = NULL;
    /* our own links, out of the targets' incoming lists */
    for (uint32_t k = 0; k < tb->n_exits; k++) {
        struct tb_exit *e = &tb->exits[k];
        if (e->in_pprev) {
            *e->in_pprev = e->in_next;
            if (e->in_next) e->in_next->in_pprev = e->in_pprev;
            e->in_pprev = NULL;
            e->in_next = NULL;
        }
        atomic_store_explicit(&e->next, NULL, memory_order_release);
    }
    exec_g.live_bytes -= tb->bytes;
    tb->retire_epoch = 0; /* set by the caller's epoch bump */
    tb->retire_next = NULL;
    *exec_g.retired_tail = tb;
    exec_g.retired_tail = &tb->retire_next;
    atomic_fetch_add_explicit(&exec_g.n_retired, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&exec_g.st_inval, 1, memory_order_relaxed);
}

/* After a batch of retires: stamp them with a new epoch and make every vCPU pass a safe
 * point soon (without returning to its caller: EXEC_KICK is handled in the run loop). */
static void retire_commit_locked(void)
{
    uint64_t e = atomic_fetch_add_explicit(&exec_g.epoch, 1, memory_order_seq_cst) + 1;
    for (struct tb *t = exec_g.retired; t; t = t->retire_next)
        if (!t->retire_epoch) t->retire_epoch = e;
    atomic_fetch_add_explicit(&exec_g.inval_gen, 1, memory_order_seq_cst);
    for (struct exec_ctx *c = exec_g.ctxs; c; c = c->next)
        __atomic_or_fetch(&c->cpu->exit_request, EXEC_KICK, __ATOMIC_RELAXED);
}

/* Retire every block at once, in constant time: the generation moves on (every block in
 * the table is dead from now: tb_dead), the table is swapped for an empty one, the old
 * one with its chains goes to a grave to be freed after its epoch, and the indexes are
 * emptied. Chain links between the flushed blocks stay: only they use them, and their
 * code and memory stay valid until every vCPU passed a safe point. This is the JIT's
 * eviction pause. */
void tb_flush_all_locked(void)
{
    struct tb_grave *g = calloc(1, sizeof(*g));
    _Atomic(struct tb *) *fresh = calloc(exec_g.hash_mask + 1, sizeof(*fresh));
    if (!g || !fresh) { /* no memory for a new table: retire block by block */
        free(g);
        free(fresh);
        for (size_t h = 0; h <= exec_g.hash_mask; h++) {
            struct tb *t;
            while ((t = atomic_load_explicit(&exec_g.hash[h], memory_order_relaxed)))
                tb_retire_locked(t);
        }
        retire_commit_locked();
        return;
    }
    atomic_fetch_add_explicit(&exec_g.flush_gen, 1, memory_order_seq_cst);
    /* pairs with tb_find: it rechecks tb_dead after filling its jump cache */
    atomic_thread_fence(memory_order_seq_cst);
    g->hash = exec_g.hash;
    __atomic_store_n(&exec_g.hash, fresh, __ATOMIC_RELEASE);
    for (size_t h = 0; h < (1u << PAGE_HASH_BITS); h++)
        for (struct tb_page *p = page_hash[h]; p; p = p->next)
            p->first = NULL; /* pages stay hooked (write-protected) */
    for (struct exec_ctx *c = exec_g.ctxs; c; c = c->next)
        for (unsigned i = 0; i < EXEC_JC_SIZE; i++)
            atomic_store_explicit(&c->jc[i], NULL, memory_order_relaxed);
    atomic_fetch_add_explicit(&exec_g.n_retired, exec_g.n_live + 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&exec_g.st_inval, exec_g.n_live, memory_order_relaxed);
    exec_g.n_live = 0;
    exec_g.live_bytes = 0;
    retire_commit_locked();
    g->epoch = atomic_load_explicit(&exec_g.epoch, memory_order_relaxed);
    struct tb_grave **pp = &exec_g.graves;
    while (*pp) pp = &(*pp)->next;
    *pp = g;
}

/* Free retired blocks no vCPU can still hold (under the lock). */
static void reclaim_locked(void)
{
    atomic_thread_fence(memory_order_seq_cst);
    uint64_t min = EXEC_EPOCH_IDLE;
    for (struct exec_ctx *c = exec_g.ctxs; c; c = c->next) {
        uint64_t e = atomic_load_explicit(&c->epoch, memory_order_acquire);
        if (e < min) min = e;
    }
    /* a bounded batch per call, so freeing after a full flush is spread over safe points */
    for (unsigned budget = 4096; budget && exec_g.retired && exec_g.retired->retire_epoch &&
                                 exec_g.retired->retire_epoch <= min;
         budget--) {
        struct tb *t = exec_g.retired;
        exec_g.retired = t->retire_next;
        free(t->check_tb);
        free(t);
        atomic_fetch_sub_explicit(&exec_g.n_retired, 1, memory_order_relaxed);
    }
    if (!exec_g.retired) exec_g.retired_tail = &exec_g.retired;
    /* flushed tables, a bounded batch at a time */
    unsigned budget = 4096;
    while (budget && exec_g.graves && exec_g.graves->epoch <= min) {
        struct tb_grave *g = exec_g.graves;
        for (; g->bucket <= exec_g.hash_mask && budget; g->bucket++) {
            struct tb *t;
            while (budget && (t = atomic_load_explicit(&g->hash[g->bucket], memory_order_relaxed))) {
                atomic_store_explicit(&g->hash[g->bucket],
                                      atomic_load_explicit(&t->hash_next, memory_order_relaxed),
                                      memory_order_relaxed);
                free(t->check_tb);
                free(t);
                atomic_fetch_sub_explicit(&exec_g.n_retired, 1, memory_order_relaxed);
                budget--;
            }
            if (!budget) break;
        }
        if (g->bucket > exec_g.hash_mask) {
            exec_g.graves = g->next;
            free(g->hash);
            free(g);
            atomic_fetch_sub_explicit(&exec_g.n_retired, 1, memory_order_relaxed);
        }
    }
}

/* ---- epochs ---- */

void tb_enter(struct exec_ctx *ctx)
{
    atomic_store_explicit(&ctx->epoch, atomic_load_explicit(&exec_g.epoch, memory_order_seq_cst),
                          memory_order_seq_cst);
    /* pairs with the fence in reclaim_locked: either the reclaimer sees us active, or we
     * see every unlink it did before reading our epoch */
    atomic_thread_fence(memory_order_seq_cst);
}

void tb_leave(struct exec_ctx *ctx)
{
    atomic_store_explicit(&ctx->epoch, EXEC_EPOCH_IDLE, memory_order_release);
    if (atomic_load_explicit(&exec_g.n_retired, memory_order_relaxed)) {
        pthread_mutex_lock(&exec_g.lock);
        reclaim_locked();
        pthread_mutex_unlock(&exec_g.lock);
    }
}

void tb_quiescent(struct exec_ctx *ctx)
{
    atomic_store_explicit(&ctx->epoch, atomic_load_explicit(&exec_g.epoch, memory_order_acquire),
                          memory_order_release);
    if (atomic_load_explicit(&exec_g.n_retired, memory_order_relaxed)) {
        pthread_mutex_lock(&exec_g.lock);
        reclaim_locked();
        pthread_mutex_unlock(&exec_g.lock);
    }
}

void tb_ctx_register(struct exec_ctx *ctx)
{
    atomic_store(&ctx->epoch, EXEC_EPOCH_IDLE);
    pthread_mutex_lock(&exec_g.lock);
    ctx->next = exec_g.ctxs;
    exec_g.ctxs = ctx;
    pthread_mutex_unlock(&exec_g.lock);
}

void tb_ctx_unregister(struct exec_ctx *ctx)
{
    pthread_mutex_lock(&exec_g.lock);
    for (struct exec_ctx **pp = &exec_g.ctxs; *pp; pp = &(*pp)->next)
        if (*pp == ctx) {
            *pp = ctx->next;
            break;
        }
    reclaim_locked();
    pthread_mutex_unlock(&exec_g.lock);
}

/* Fork of a multi-threaded guest process (user mode): the child has only the forking
 * thread, so the cache lock must not be held across fork() by anyone else, and the
 * child must stop waiting for the other threads' vCPUs at safe points. */
void exec_fork_prepare(void)
{
    jit_fork_prepare(); /* lock order: the JIT's, check mode's, then the cache's */
    jit_check_fork_prepare();
    pthread_mutex_lock(&exec_g.lock);
}

void exec_fork_parent(void)
{
    pthread_mutex_unlock(&exec_g.lock);
    jit_check_fork_done();
    jit_fork_parent();
}

void exec_fork_child(struct cpu_common *self)
{
    exec_g.ctxs = NULL;
    if (self && self->exec) {
        self->exec->next = NULL;
        exec_g.ctxs = self->exec;
    }
    /* the JIT's code memory is shared with the parent until replaced; then every block
     * (whose code is gone) is retired */
    bool jit = jit_ready();
    jit_check_fork_done();
    jit_fork_child();
    if (jit) tb_flush_all_locked();
    pthread_mutex_unlock(&exec_g.lock);
}

/* ---- lookup ---- */

int tb_key_page(struct cpu_common *cpu, uint64_t pc, uint64_t *page)
{
    if (!cpu->tlb) {
        *page = pc >> EXEC_PAGE_BITS;
        return 0;
    }
    uint64_t pa;
    if (tlb_code_page(cpu, pc, &pa) < 0) return -EFAULT;
    *page = pa >> EXEC_PAGE_BITS;
    return 0;
}

static struct tb *hash_find(uint64_t pc, uint32_t flags, uint64_t page0)
{
    struct tb *t = atomic_load_explicit(&hash_table()[tb_hash(pc, flags)], memory_order_acquire);
    for (; t; t = atomic_load_explicit(&t->hash_next, memory_order_acquire))
        if (t->pc == pc && t->tb_flags == flags && t->page[0] == page0 && !tb_dead(t))
            return t;
    return NULL;
}

/* ---- the guest bytes behind each block (for fence.i) ---- */

static uint64_t code_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* Installed as cpu->fetch while the frontend translates: keeps a copy of exactly the
 * bytes it read, so the block's hash describes what was translated, not what memory
 * holds a moment later. */
static int capture_fetch(struct cpu_common *c, uint64_t addr, void *buf, unsigned len)
{
    struct exec_ctx *ctx = c->exec;
    int r = ctx->real_fetch(c, addr, buf, len);
    if (r == 0 && len && addr + len - 1 > ctx->cap_max) ctx->cap_max = addr + len - 1;
    if (r == 0 && addr - ctx->cap_pc < EXEC_CAP_MAX) {
        uint64_t o = addr - ctx->cap_pc;
        unsigned n = len < EXEC_CAP_MAX - o ? len : (unsigned)(EXEC_CAP_MAX - o);
        memcpy(ctx->cap_buf + o, buf, n);
    }
    return r;
}

void tb_flush_changed(struct exec_ctx *ctx)
{
    struct cpu_common *cpu = ctx->cpu;
    bool any = false;
    pthread_mutex_lock(&exec_g.lock);
    for (size_t h = 0; h <= exec_g.hash_mask; h++) {
        struct tb *t = atomic_load_explicit(&exec_g.hash[h], memory_order_relaxed);
        while (t) {
            struct tb *next = atomic_load_explicit(&t->hash_next, memory_order_relaxed);
            bool same = !t->trace && t->guest_size <= EXEC_CAP_MAX && cpu->fetch &&
                        cpu->fetch(cpu, t->pc, ctx->cap_buf, t->guest_size) == 0 &&
                        code_hash(ctx->cap_buf, t->guest_size) == t->code_hash;
            if (!same) {
                tb_retire_locked(t);
                any = true;
            }
            t = next;
        }
    }
    if (any) retire_commit_locked();
    pthread_mutex_unlock(&exec_g.lock);
}

/* -d in_asm: the guest instructions of the block, read again through fetch. */
static void log_in_asm(struct cpu_common *cpu, const struct ir_block *b)
{
    const struct guest_arch *arch = cpu->arch;
    uint8_t buf[4096 + 16];
    uint32_t len = b->guest_size < 4096 ? b->guest_size : 4096;
    log_printf("IN: pc=0x%016llx flags=0x%x\n", (unsigned long long)b->pc, b->tb_flags);
    if (!len || !cpu->fetch || !arch->disas || cpu->fetch(cpu, b->pc, buf, len) < 0) {
        log_printf("  (%u bytes not readable)\n\n", b->guest_size);
        return;
    }
    for (uint32_t o = 0; o < len;) {
        char text[128];
        unsigned n = arch->disas(b->pc + o, buf + o, len - o, text, sizeof(text));
        if (!n) break;
        log_printf("0x%016llx:  %s\n", (unsigned long long)(b->pc + o), text);
        o += n;
    }
    log_printf("\n");
}

static bool verify_block(const struct ir_block *b, const char *when)
{
    char err[256];
    if (ir_verify(b, err, sizeof(err)) == 0) return true;
    error_msg("bad IR %s for block at 0x%llx: %s", when, (unsigned long long)b->pc, err);
    if (log_enabled(LOG_IR)) ir_print(log_file ? log_file : stderr, b);
    return false;
}

/* ir_block.branch_bias for superblocks: the exit counts of the block at block_pc (the
 * translating vCPU's ir block is its exec_ctx's; trace_page0 is the superblock's key). */
static int branch_bias(const struct ir_block *b, uint64_t block_pc, uint64_t taken_pc,
                       uint64_t fall_pc)
{
    const struct exec_ctx *ctx =
        (const struct exec_ctx *)(const void *)((const char *)b - offsetof(struct exec_ctx, ir));
    struct tb *t = hash_find(block_pc, b->tb_flags, ctx->trace_page0);
    if (!t) return -1;
    uint32_t taken = 0, fall = 0;
    for (uint32_t k = 0; k < t->n_exits; k++) {
        if (t->exits[k].pc == taken_pc) taken += t->exits[k].runs;
        else if (t->exits[k].pc == fall_pc) fall += t->exits[k].runs;
    }
    if (taken + fall < 4) return -1;
    return taken > fall;
}

/* Translate, optimise and predecode the block at (pc, flags); insert it. */
/* trace: build a superblock (IR_XLATE_TRACE) that replaces `replace` (the block at the same
 * key) once inserted; NULL with *err = -EAGAIN if it would be no bigger. */
static struct tb *tb_translate(struct exec_ctx *ctx, uint64_t pc, uint32_t flags, uint64_t page0,
                               int *err, bool trace, struct tb *replace)
{
    struct cpu_common *cpu = ctx->cpu;
    struct ir_block *b = &ctx->ir;
    unsigned max = exec_g.opt.max_block_insns;
    bool check = exec_g.debug_verify || log_enabled(LOG_IR);

    for (;;) {
        uint64_t gen = atomic_load_explicit(&exec_g.inval_gen, memory_order_seq_cst);
        if (!page_hook(page0)) goto oom;
        uint64_t t0 = now_ns();
        ir_block_reset(b, pc, flags);
        b->xlate = trace ? IR_XLATE_TRACE : 0;
        b->branch_bias = branch_bias;
        ctx->trace_page0 = page0;
        ctx->real_fetch = cpu->fetch;
        ctx->cap_pc = pc;
        ctx->cap_max = pc;
        if (cpu->fetch) cpu->fetch = capture_fetch;
        int r = cpu->arch->translate(cpu, b, max);
        cpu->fetch = ctx->real_fetch;
        if (r == -EFAULT) {
            *err = -EFAULT;
            return NULL;
        }
        if (trace && r == 0 && !b->oom && b->n_guest <= replace->n_guest) {
            *err = -EAGAIN; /* nothing to gain */
            return NULL;
        }
        if (r < 0 || b->oom || !b->n_insn) {
            if (max > 1 && b->oom) {
                max = max / 2;
                continue;
            }
            error_msg("cannot translate the block at 0x%llx (%d)", (unsigned long long)pc, r);
            *err = -EINVAL;
            return NULL;
        }
        if (log_enabled(LOG_IN_ASM)) log_in_asm(cpu, b);
        if (log_enabled(LOG_IR)) {
            log_printf("IR before optimisation:\n");
            ir_print(log_file ? log_file : stderr, b);
        }
        if (check && !verify_block(b, "from the frontend")) {
            *err = -EINVAL;
            return NULL;
        }
        ir_optimize(b, exec_g.opt.opt_passes);
        if (log_enabled(LOG_IR)) {
            log_printf("IR after optimisation:\n");
            ir_print(log_file ? log_file : stderr, b);
        }
        if (check && !verify_block(b, "after optimisation")) {
            *err = -EINVAL;
            return NULL;
        }
        int perr;
        struct tb *tb = interp_predecode(ctx, b, &perr);
        if (!tb) {
            if ((perr == -E2BIG || perr == -ENOMEM) && max > 1 && b->n_guest > 1) {
                max = b->n_guest / 2;
                continue;
            }
            if (perr == -ENOMEM) goto oom;
            error_msg("cannot predecode the block at 0x%llx (%d)", (unsigned long long)pc, perr);
            *err = -EINVAL;
            return NULL;
        }
        tb->code_hash = b->guest_size <= EXEC_CAP_MAX ? code_hash(ctx->cap_buf, b->guest_size) : 0;
        tb->trace = trace;
        if (exec_g.opt.engine == EXEC_JIT || exec_g.opt.engine == EXEC_CHECK || trace) {
            /* compiled before anyone can see it; a flush meanwhile is caught below */
            int jr = jit_compile(ctx, tb, b, true);
            atomic_store(&tb->jit_state, jr == 0 ? 2 : jr == -EBUSY ? 0 : 3);
            if (trace && jr && jr != -EBUSY) { /* an interpreted superblock gains nothing */
                free(tb);
                *err = -EAGAIN;
                return NULL;
            }
        }
        uint64_t last = page0;
        /* a superblock's bytes are not contiguous: the last one the frontend read */
        uint64_t end = trace ? ctx->cap_max : pc + (b->guest_size ? b->guest_size - 1 : 0);
        if ((end >> EXEC_PAGE_BITS) != (pc >> EXEC_PAGE_BITS) && tb_key_page(cpu, end, &last) < 0) {
            /* the frontend read it a moment ago: only a racing mapping change gets here */
            free(tb);
            *err = -EFAULT;
            return NULL;
        }
        tb->page[0] = page0;
        tb->n_pages = 1;
        if (last != page0) {
            tb->page[1] = last;
            tb->n_pages = 2;
            if (!page_is_hooked(last)) {
                /* the code read from the second page before it was protected may be
                 * stale by the time it is: hook it, then translate again */
                free(tb);
                if (!page_hook(last)) goto oom;
                continue;
            }
        }

        pthread_mutex_lock(&exec_g.lock);
        if (atomic_load_explicit(&exec_g.inval_gen, memory_order_seq_cst) != gen) {
            /* an invalidation ran meanwhile: the bytes we read may be stale */
            pthread_mutex_unlock(&exec_g.lock);
            free(tb);
            continue;
        }
        struct tb *old = hash_find(pc, flags, page0);
        if (old && old == replace) {
            tb_retire_locked(old); /* committed with the insertion below */
            old = NULL;
        }
        if (old) {
            pthread_mutex_unlock(&exec_g.lock);
            free(tb);
            return old;
        }
        if (atomic_load(&tb->jit) && tb->jit_gen != jit_gen()) {
            atomic_store(&tb->jit, NULL); /* compiled into a flushed code cache */
            atomic_store(&tb->jit_state, 0);
        }
        if (exec_g.live_bytes + tb->bytes > exec_g.budget) tb_flush_all_locked();
        struct tb_page *pg[2] = {page_get(tb->page[0], true),
                                 tb->n_pages > 1 ? page_get(tb->page[1], true) : NULL};
        if (!pg[0] || (tb->n_pages > 1 && !pg[1])) {
            pthread_mutex_unlock(&exec_g.lock);
            free(tb);
            goto oom;
        }
        for (unsigned k = 0; k < tb->n_pages; k++) {
            tb->page_next[k] = pg[k]->first;
            pg[k]->first = tb;
        }
        size_t h = tb_hash(pc, flags);
        atomic_store_explicit(&tb->hash_next,
                              atomic_load_explicit(&exec_g.hash[h], memory_order_relaxed),
                              memory_order_relaxed);
        tb->gen = atomic_load_explicit(&exec_g.flush_gen, memory_order_relaxed);
        atomic_store_explicit(&exec_g.hash[h], tb, memory_order_release);
        exec_g.live_bytes += tb->bytes;
        exec_g.n_live++;
        if (replace) retire_commit_locked();
        pthread_mutex_unlock(&exec_g.lock);

        atomic_fetch_add_explicit(&exec_g.st_blocks, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&exec_g.st_insns, b->n_guest, memory_order_relaxed);
        atomic_fetch_add_explicit(&exec_g.st_ns, now_ns() - t0, memory_order_relaxed);
        return tb;
    }
oom:
    error_msg("out of memory translating the block at 0x%llx", (unsigned long long)pc);
    exit(1);
}

struct tb *tb_find(struct exec_ctx *ctx, uint64_t pc, uint32_t flags, int *err)
{
    unsigned j = exec_jc_index(pc);
    struct tb *t = atomic_load_explicit(&ctx->jc[j], memory_order_acquire);
    if (t && t->pc == pc && t->tb_flags == flags && !tb_dead(t))
        return t;
    uint64_t page0;
    if (tb_key_page(ctx->cpu, pc, &page0) < 0) {
        *err = -EFAULT;
        return NULL;
    }
    t = hash_find(pc, flags, page0);
    if (!t) {
        t = tb_translate(ctx, pc, flags, page0, err, false, NULL);
        if (!t) return NULL;
    }
    atomic_store_explicit(&ctx->jc[j], t, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    if (tb_dead(t)) {
        /* retired while we looked it up: never leave it in the jump cache */
        struct tb *cur = t;
        atomic_compare_exchange_strong(&ctx->jc[j], &cur, NULL);
    }
    return t;
}

void tb_chain(struct tb_exit *from, struct tb *to)
{
    if (atomic_load_explicit(&from->next, memory_order_relaxed) || from->pc != to->pc) return;
    /* with the JIT on, only compiled blocks chain (to compiled blocks, by patching the
     * jump): interpreted ones come back to the run loop, which counts them for tiering
     * and moves to compiled code as soon as there is some; check mode runs block by block */
    void *code = NULL;
    if (exec_g.opt.engine != EXEC_INTERP) {
        code = atomic_load_explicit(&to->jit, memory_order_acquire);
        if (exec_g.opt.engine == EXEC_CHECK || !code || !from->jit_jmp ||
            !atomic_load_explicit(&from->src->jit, memory_order_acquire))
            return;
    }
    /* system mode: a chained jump skips the lookup that checks the page mapping, so it
     * may only stay within the virtual page it was entered through (every entry into a
     * page passes a lookup, and the jump cache is flushed with the TLB), and never
     * leaves a block that may have changed the mapping */
    if (from->src->nochain ||
        (from->src->sys && (to->pc >> EXEC_PAGE_BITS) != (from->src->pc >> EXEC_PAGE_BITS)))
        return;
    pthread_mutex_lock(&exec_g.lock);
    if (!atomic_load_explicit(&from->next, memory_order_relaxed) && !tb_dead(from->src) &&
        !tb_dead(to)) {
        from->in_next = to->incoming;
        if (to->incoming) to->incoming->in_pprev = &from->in_next;
        from->in_pprev = &to->incoming;
        to->incoming = from;
        atomic_store_explicit(&from->next, to, memory_order_release);
        if (code) jit_chain(from, code);
    }
    pthread_mutex_unlock(&exec_g.lock);
}

/* ---- JIT tiering ---- */

/* The optimised IR of tb again, into b: the same bytes and size limit give the same IR.
 * 0, or -ESTALE if the guest bytes changed (the block is about to be dropped). */
int tb_rebuild_ir(struct exec_ctx *ctx, struct tb *tb, struct ir_block *b)
{
    struct cpu_common *cpu = ctx->cpu;
    ir_block_reset(b, tb->pc, tb->tb_flags);
    b->xlate = tb->trace ? IR_XLATE_TRACE : 0;
    b->branch_bias = branch_bias;
    ctx->trace_page0 = tb->page[0];
    ctx->real_fetch = cpu->fetch;
    ctx->cap_pc = tb->pc;
    ctx->cap_max = tb->pc;
    if (cpu->fetch) cpu->fetch = capture_fetch;
    int r = cpu->arch->translate(cpu, b, tb->n_guest);
    cpu->fetch = ctx->real_fetch;
    if (r < 0 || b->oom || !b->n_insn) return r < 0 ? r : -ENOMEM;
    if (b->n_guest != tb->n_guest || b->guest_size != tb->guest_size ||
        (b->guest_size <= EXEC_CAP_MAX && code_hash(ctx->cap_buf, b->guest_size) != tb->code_hash))
        return -ESTALE;
    uint64_t t0 = now_ns();
    ir_optimize(b, exec_g.opt.opt_passes);
    atomic_fetch_add_explicit(&exec_g.st_ns, now_ns() - t0, memory_order_relaxed);
    return 0;
}

/* A block the interpreter ran often enough: compile it. One thread compiles a block. */
void tb_jit_compile(struct exec_ctx *ctx, struct tb *tb)
{
    uint8_t expect = 0;
    if (!atomic_compare_exchange_strong(&tb->jit_state, &expect, 1)) return;
    uint8_t st = 3;
    if (tb_rebuild_ir(ctx, tb, &ctx->ir) == 0) {
        int r = jit_compile(ctx, tb, &ctx->ir, false);
        st = r == 0 ? 2 : r == -EBUSY ? 0 : 3;
    }
    atomic_store(&tb->jit_state, st);
}

/* A compiled block that ran sb_threshold times: rebuild it as a superblock, which
 * replaces it (its chains are unpatched, the new one is found by the next lookup). */
void tb_promote(struct exec_ctx *ctx, struct tb *tb)
{
    if (tb->trace || tb_dead(tb) || exec_g.opt.sb_threshold == ~0u) return;
    int err = 0;
    struct tb *n = tb_translate(ctx, tb->pc, tb->tb_flags, tb->page[0], &err, true, tb);
    if (n && n != tb && n->trace) atomic_fetch_add_explicit(&exec_g.st_sb, 1, memory_order_relaxed);
    else tb->sb_left = UINT32_MAX; /* nothing better: stop asking (for a long while) */
}

/* ---- invalidation (exec.h) ---- */

static bool invalidate_page_locked(struct tb_page *p)
{
    bool had = p->hooked || p->first;
    while (p->first)
        tb_retire_locked(p->first);
    p->hooked = false;
    return had;
}

void exec_invalidate(uint64_t start, uint64_t len)
{
    if (!len || !exec_g.hash) return;
    uint64_t first = start >> EXEC_PAGE_BITS;
    uint64_t last = (start + len - 1 < start ? UINT64_MAX : start + len - 1) >> EXEC_PAGE_BITS;
    bool changed = false;
    pthread_mutex_lock(&exec_g.lock);
    if (last - first < (1u << PAGE_HASH_BITS)) {
        for (uint64_t pg = first;; pg++) {
            struct tb_page *p = page_get(pg, false);
            if (p) changed |= invalidate_page_locked(p);
            if (pg == last) break;
        }
    } else {
        for (size_t h = 0; h < (1u << PAGE_HASH_BITS); h++)
            for (struct tb_page *p = page_hash[h]; p; p = p->next)
                if (p->page >= first && p->page <= last) changed |= invalidate_page_locked(p);
    }
    if (changed) retire_commit_locked();
    pthread_mutex_unlock(&exec_g.lock);
}

bool exec_code_written(uint64_t guest_page)
{
    if (!exec_g.hash) return false;
    pthread_mutex_lock(&exec_g.lock);
    struct tb_page *p = page_get(guest_page >> EXEC_PAGE_BITS, false);
    bool had = p && invalidate_page_locked(p);
    if (had) retire_commit_locked();
    pthread_mutex_unlock(&exec_g.lock);
    return had;
}

void exec_flush_jump_cache(struct cpu_common *cpu)
{
    struct exec_ctx *ctx = cpu->exec;
    if (!ctx) return;
    for (unsigned i = 0; i < EXEC_JC_SIZE; i++)
        atomic_store_explicit(&ctx->jc[i], NULL, memory_order_relaxed);
}

void exec_get_stats(struct exec_stats *s)
{
    s->blocks_translated = atomic_load(&exec_g.st_blocks);
    s->insns_translated = atomic_load(&exec_g.st_insns);
    s->blocks_invalidated = atomic_load(&exec_g.st_inval);
    s->translate_ns = atomic_load(&exec_g.st_ns);
    struct jit_stats j;
    jit_get_stats(&j);
    s->jit_blocks = j.blocks;
    s->jit_insns = j.guest_insns;
    s->jit_bytes = j.bytes;
    s->jit_ns = j.compile_ns;
    s->jit_flushes = j.flushes;
    s->jit_max_flush_ns = j.max_flush_ns;
    s->jit_refused = j.refused;
    s->superblocks = atomic_load(&exec_g.st_sb);
}
