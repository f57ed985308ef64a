/*
 * The JIT driver (jit.h): the code cache (one executable region, bump-allocated), its
 * full flush when it fills, publication of compiled blocks, chain patching, the
 * host-pc -> guest-pc index used by the fault handler, fork, and statistics.
 *
 * Code cache layout: [prologue, epilogue, shared stubs][block][block]... Each block is
 * its code, its out-of-line stubs and its pc map (struct jit_pcmap[]). Blocks are only
 * appended; an index entry per block (sorted by address, because allocation is) lets a
 * signal handler find the block and guest pc of a faulting host pc without locks.
 *
 * Flush (cache or index full): every tb is retired (chains into it unpatched, jump caches
 * cleared) and the flush generation bumped, both under exec_g.lock; then the flushing
 * vCPU waits, holding no lock, until every other vCPU has passed a safe point (or is
 * idle), so none is still running old code; then the space is reused. Compiles that
 * start meanwhile give up (-EBUSY) instead of waiting, so a vCPU never blocks another's
 * way to its safe point. A compile that finished in an old generation is not published.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "exec/jit/jit.h"
#include "osal/execmem.h"

#define JIT_DEFAULT_CACHE (64u << 20)
#define JIT_MIN_CACHE (256u << 10)
#define JIT_MAX_BLOCK (4u << 20)

struct jit_index {
    uint32_t start, end; /* block bytes: [start, end) from the region start */
    uint32_t map;        /* its pc map */
    uint32_t n_map;
    uint32_t pins;       /* its pin list */
    uint32_t n_pin;
};

static struct {
    bool tried, ready;
    struct execmem mem;
    struct jit_host host;
    pthread_mutex_t lock;
    size_t prefix, used;
    bool flushing;
    _Atomic uint64_t gen;
    struct jit_index *index;
    _Atomic uint32_t n_index;
    uint32_t cap_index;
    _Atomic uint64_t st_blocks, st_insns, st_bytes, st_ns, st_flushes, st_max_flush_ns, st_refused;
    FILE *perf_map;     /* OMNIVM_PERF_MAP=1: /tmp/perf-PID.map for perf's JIT symbols */
    uint64_t dump_pc;   /* OMNIVM_JIT_DUMP=pc: that block's code to /tmp/omnivm-jit-PC.bin */
} jit_g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool jit_ready(void) { return jit_g.ready; }
uint64_t jit_gen(void) { return atomic_load_explicit(&jit_g.gen, memory_order_acquire); }

bool jit_init(size_t cache_size)
{
    if (jit_g.tried) return jit_g.ready;
    jit_g.tried = true;
    if (!cache_size) cache_size = JIT_DEFAULT_CACHE;
    if (cache_size < JIT_MIN_CACHE) cache_size = JIT_MIN_CACHE;
    if (cache_size > (1u << 30)) cache_size = 1u << 30;
    int r = execmem_alloc(&jit_g.mem, cache_size, (const void *)jit_init);
    if (r) {
        error_msg("cannot map memory for the JIT (%s); using the interpreter", strerror(-r));
        return false;
    }
    jit_g.prefix = jit_backend_init(jit_g.mem.rx, jit_g.mem.rw, jit_g.mem.size, &jit_g.host);
    if (!jit_g.prefix) {
        execmem_free(&jit_g.mem);
        error_msg("the JIT cannot run on this host; using the interpreter");
        return false;
    }
    jit_g.used = jit_g.prefix;
    /* one index entry per block; blocks are at least 32 bytes */
    jit_g.cap_index = (uint32_t)(jit_g.mem.size / 32);
    void *ix = mmap(NULL, (size_t)jit_g.cap_index * sizeof(struct jit_index), PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ix == MAP_FAILED) {
        execmem_free(&jit_g.mem);
        error_msg("out of memory for the JIT index; using the interpreter");
        return false;
    }
    jit_g.index = ix;
    atomic_store(&jit_g.gen, 1);
    const char *e = getenv("OMNIVM_PERF_MAP");
    if (e && e[0] == '1') {
        char path[64];
        snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
        jit_g.perf_map = fopen(path, "w");
        if (jit_g.perf_map) setvbuf(jit_g.perf_map, NULL, _IOLBF, 0); /* exit_group skips stdio */
    }
    e = getenv("OMNIVM_JIT_DUMP");
    if (e) jit_g.dump_pc = strtoull(e, NULL, 0);
    jit_g.ready = true;
    return true;
}

/* Drop all code: see the file comment. Called with no lock held, jit_g.flushing set. */
static void jit_flush(struct exec_ctx *self)
{
    uint64_t t0 = now_ns();
    pthread_mutex_lock(&exec_g.lock);
    tb_flush_all_locked();
    atomic_fetch_add_explicit(&jit_g.gen, 1, memory_order_seq_cst);
    uint64_t e = atomic_load_explicit(&exec_g.epoch, memory_order_seq_cst);
    pthread_mutex_unlock(&exec_g.lock);
    for (unsigned spins = 0;; spins++) {
        bool all = true;
        pthread_mutex_lock(&exec_g.lock);
        for (struct exec_ctx *c = exec_g.ctxs; c; c = c->next)
            if (c != self && atomic_load_explicit(&c->epoch, memory_order_acquire) < e) all = false;
        pthread_mutex_unlock(&exec_g.lock);
        if (all) break;
        if (spins < 100)
            sched_yield();
        else
            nanosleep(&(struct timespec){0, 50000}, NULL);
    }
    pthread_mutex_lock(&jit_g.lock);
    jit_g.used = jit_g.prefix;
    atomic_store_explicit(&jit_g.n_index, 0, memory_order_release);
    jit_g.flushing = false;
    pthread_mutex_unlock(&jit_g.lock);
    uint64_t dt = now_ns() - t0;
    atomic_fetch_add(&jit_g.st_flushes, 1);
    uint64_t old = atomic_load(&jit_g.st_max_flush_ns);
    while (dt > old && !atomic_compare_exchange_weak(&jit_g.st_max_flush_ns, &old, dt)) {
    }
    if (log_enabled(LOG_EXEC))
        log_printf("jit: code cache flushed in %llu us\n", (unsigned long long)(dt / 1000));
}

int jit_compile(struct exec_ctx *ctx, struct tb *tb, const struct ir_block *b, bool insert)
{
    if (!jit_g.ready) return -ENOTSUP;
    uint64_t t0 = now_ns();
    size_t need = 512 + (size_t)b->n_insn * 48 + (size_t)tb->n_exits * 64;
    struct jit_res res;
    uint8_t *entry;
    uint64_t gen;

    pthread_mutex_lock(&jit_g.lock);
    if (jit_g.flushing) {
        pthread_mutex_unlock(&jit_g.lock);
        return -EBUSY;
    }
    for (;;) {
        size_t avail = jit_g.mem.size - jit_g.used;
        if (need > avail || atomic_load(&jit_g.n_index) >= jit_g.cap_index) {
            if (jit_g.used == jit_g.prefix || need > JIT_MAX_BLOCK) {
                pthread_mutex_unlock(&jit_g.lock);
                atomic_fetch_add(&jit_g.st_refused, 1);
                return -ENOTSUP; /* larger than the whole cache */
            }
            jit_g.flushing = true;
            pthread_mutex_unlock(&jit_g.lock);
            jit_flush(ctx);
            return -EBUSY;
        }
        struct jit_req req = {
            .b = b, .tb = tb, .sys = ctx->cpu->tlb != NULL,
            .nochain = exec_g.opt.engine == EXEC_CHECK || log_enabled(LOG_EXEC | LOG_CPU),
            .sb_count = (tb->trace || exec_g.opt.engine == EXEC_CHECK || ctx->cpu->tlb ||
                         exec_g.opt.sb_threshold == ~0u) ? NULL : &tb->sb_left,
            .rx = jit_g.mem.rx + jit_g.used, .rw = jit_g.mem.rw + jit_g.used, .cap = need,
            .host = &jit_g.host,
        };
        if (req.sb_count) tb->sb_left = exec_g.opt.sb_threshold;
        int r = jit_backend_compile(&req, &res);
        if (r == -ENOSPC && need < JIT_MAX_BLOCK) {
            need *= 2;
            continue;
        }
        if (r < 0) {
            pthread_mutex_unlock(&jit_g.lock);
            atomic_fetch_add(&jit_g.st_refused, 1);
            if (log_enabled(LOG_EXEC))
                log_printf("jit: block 0x%llx left to the interpreter (%d)\n",
                           (unsigned long long)b->pc, r);
            return r == -ENOSPC ? -ENOTSUP : r;
        }
        break;
    }
    uint32_t n = atomic_load_explicit(&jit_g.n_index, memory_order_relaxed);
    jit_g.index[n] = (struct jit_index){.start = (uint32_t)jit_g.used,
                                        .end = (uint32_t)(jit_g.used + res.size),
                                        .map = (uint32_t)(jit_g.used + res.map_off),
                                        .n_map = res.n_map,
                                        .pins = (uint32_t)(jit_g.used + res.pin_off),
                                        .n_pin = res.n_pin};
    atomic_store_explicit(&jit_g.n_index, n + 1, memory_order_release);
    entry = jit_g.mem.rx + jit_g.used;
    if (jit_g.perf_map)
        fprintf(jit_g.perf_map, "%lx %zx guest_%llx\n", (unsigned long)(uintptr_t)entry,
                (size_t)res.map_off, (unsigned long long)b->pc);
    if (jit_g.dump_pc == b->pc) {
        char path[64];
        snprintf(path, sizeof(path), "/tmp/omnivm-jit-%llx.bin", (unsigned long long)b->pc);
        FILE *f = fopen(path, "w");
        if (f) {
            fwrite(jit_g.mem.rx + jit_g.used, 1, res.map_off, f);
            fclose(f);
        }
    }
    jit_g.used = (jit_g.used + res.size + 15) & ~(size_t)15;
    gen = atomic_load(&jit_g.gen);
    pthread_mutex_unlock(&jit_g.lock);

    if (insert) {
        tb->jit_gen = gen;
        atomic_store_explicit(&tb->jit, entry, memory_order_release);
    } else {
        pthread_mutex_lock(&exec_g.lock);
        bool ok = !tb_dead(tb) && atomic_load(&jit_g.gen) == gen;
        if (ok) {
            tb->jit_gen = gen;
            atomic_store_explicit(&tb->jit, entry, memory_order_release);
        }
        pthread_mutex_unlock(&exec_g.lock);
        if (!ok) return -EBUSY;
    }
    atomic_fetch_add(&jit_g.st_blocks, 1);
    atomic_fetch_add(&jit_g.st_insns, b->n_guest);
    atomic_fetch_add(&jit_g.st_bytes, res.size);
    atomic_fetch_add(&jit_g.st_ns, now_ns() - t0);
    return 0;
}

struct jit_ret jit_run(struct cpu_common *cpu, void *entry)
{
    struct jit_ret r = jit_g.host.enter(cpu, entry);
    r.code = (int32_t)r.code; /* generated code sets eax only */
    return r;
}

void jit_chain(struct tb_exit *e, void *target)
{
    if (!e->jit_jmp) return;
    jit_backend_patch(e->jit_jmp, execmem_rw(&jit_g.mem, e->jit_jmp), target);
}

void jit_unchain(struct tb_exit *e)
{
    if (!e->jit_jmp) return;
    jit_backend_patch(e->jit_jmp, execmem_rw(&jit_g.mem, e->jit_jmp), e->jit_stub);
}

bool jit_host_fault(uintptr_t host_pc, const uint64_t *regs, void *cpu, uint64_t *guest_pc)
{
    if (!jit_g.ready) return false;
    uintptr_t rx = (uintptr_t)jit_g.mem.rx;
    if (host_pc < rx || host_pc - rx >= jit_g.mem.size) return false;
    uint32_t off = (uint32_t)(host_pc - rx);
    uint32_t n = atomic_load_explicit(&jit_g.n_index, memory_order_acquire);
    uint32_t lo = 0, hi = n;
    while (lo < hi) { /* the first block starting after off */
        uint32_t mid = (lo + hi) / 2;
        if (jit_g.index[mid].start <= off) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return false;
    const struct jit_index *ix = &jit_g.index[lo - 1];
    if (off >= ix->end) return false;
    const struct jit_pcmap *map = (const struct jit_pcmap *)(void *)(jit_g.mem.rx + ix->map);
    uint32_t rel = off - ix->start;
    lo = 0;
    hi = ix->n_map;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (map[mid].off <= rel) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return false;
    *guest_pc = map[lo - 1].pc;
    const struct jit_pin *pin = (const struct jit_pin *)(void *)(jit_g.mem.rx + ix->pins);
    for (uint32_t k = 0; k < ix->n_pin; k++)
        memcpy((uint8_t *)cpu + pin[k].off, &regs[pin[k].reg], 8);
    return true;
}

void jit_fork_prepare(void) { pthread_mutex_lock(&jit_g.lock); }
void jit_fork_parent(void) { pthread_mutex_unlock(&jit_g.lock); }

void jit_fork_child(void)
{
    pthread_mutex_unlock(&jit_g.lock);
    if (!jit_g.ready) return;
    if (execmem_fork_child(&jit_g.mem, jit_g.prefix)) {
        /* no private memory: stop compiling; blocks are about to be retired anyway */
        error_msg("cannot give the forked child its own JIT memory; using the interpreter");
        jit_g.ready = false;
        return;
    }
    jit_g.used = jit_g.prefix;
    atomic_store(&jit_g.n_index, 0);
    jit_g.flushing = false;
    atomic_fetch_add(&jit_g.gen, 1);
}

void jit_get_stats(struct jit_stats *s)
{
    s->blocks = atomic_load(&jit_g.st_blocks);
    s->guest_insns = atomic_load(&jit_g.st_insns);
    s->bytes = atomic_load(&jit_g.st_bytes);
    s->compile_ns = atomic_load(&jit_g.st_ns);
    s->flushes = atomic_load(&jit_g.st_flushes);
    s->max_flush_ns = atomic_load(&jit_g.st_max_flush_ns);
    s->refused = atomic_load(&jit_g.st_refused);
}
