/*
 * The predecoder: turns an optimised IR block into the interpreter's compact threaded
 * form (struct iop arrays, one handler address per op), allocating each value a place:
 *
 *  - a frame slot (F), reused once the value is dead (linear scan over the block);
 *  - the zero slot, for constants equal to 0;
 *  - an immediate (I) for a constant second operand of binops, SETCC and compare-exits;
 *  - a guest-state field (S): a 64-bit GET whose field is not written before its last
 *    use is read in place (the GET disappears), and a value whose PUT can move up to its
 *    definition (nothing between reads, writes, faults or exits) is written in place (the
 *    PUT disappears). Both keep guest state exactly as the IR says at every fault and exit.
 *
 * A SETCC used only by an EXIT_IF becomes one fused compare-and-exit op; a 32-bit op whose
 * only user is SEXT.32 becomes one sign-extending op (RV64 *W); a ZEXT.32 feeding ops that
 * read only the low 32 bits disappears; base + constant addresses fold into the memory
 * op's displacement. INSN_START emits nothing: loads and stores carry their instruction's
 * pc, and a SETPC op precedes helpers that may fault or touch state, and CMPXCHG. Exit ops
 * find their chain slot at a fixed distance from themselves (d * 8 bytes). In system mode
 * memory ops use the TLB handler family (T...), chosen here, never tested per access.
 *
 * Everything here runs once per translation; clarity beats speed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "exec/exec_int.h"
#include "exec/interp_ops.h"

enum { LOC_NONE, LOC_F, LOC_S, LOC_ZERO };

/* per-insn operands after fusion and constant folding */
struct pre_insn {
    ir_val v[3];   /* effective value operands (fused SETCC's for a fused exit) */
    uint8_t n;     /* how many */
    uint8_t imm_b; /* v[1] is a constant taken as the immediate */
    uint8_t cond;  /* SETCC / fused exit condition after swapping */
    uint8_t w64;   /* SETCC / fused exit: the operands are 64-bit */
    uint8_t ws;    /* a 32-bit binop that also does the SEXT.32 of its only user */
    ir_val dst;    /* the value defined (the SEXT's for ws) */
    int32_t disp;  /* LOAD/STORE: constant added to the address operand */
    uint8_t skip;  /* emits nothing */
    uint8_t fused; /* EXIT_IF with a fused SETCC (index in setcc) */
    uint32_t setcc;
    int32_t s_write; /* guest-state offset this insn now writes (fused dst), or -1 */
};

struct pre_use {
    uint32_t pos; /* insn index where the use is emitted */
    uint8_t arg;  /* operand position */
};

struct pre {
    const struct ir_block *b;
    struct pre_insn *in;
    int32_t *def;     /* defining insn of each value, -1 if none */
    uint32_t *nuse;   /* non-immediate uses */
    uint32_t *use_at; /* start of each value's uses in `use` (CSR) */
    struct pre_use *use;
    int32_t *last; /* position of the last use */
    uint8_t *loc;
    uint16_t *off;
};

/* Scratch memory of one predecode: a per-thread arena, reset per block (no malloc per
 * array); what does not fit comes from calloc and is freed at the reset. Zeroed. */
#define ARENA_SIZE (256u << 10)
static __thread struct {
    uint8_t *buf;
    size_t used;
    void *spill[16]; /* calloc'd overflow */
    unsigned n_spill;
} arena;

static void arena_reset(void)
{
    arena.used = 0;
    while (arena.n_spill)
        free(arena.spill[--arena.n_spill]);
}

static void *arena_alloc(size_t n, size_t size, bool zero)
{
    size_t bytes = (n ? n : 1) * size;
    bytes = (bytes + 15) & ~(size_t)15;
    if (!arena.buf) arena.buf = malloc(ARENA_SIZE);
    if (arena.buf && arena.used + bytes <= ARENA_SIZE) {
        void *p = arena.buf + arena.used;
        arena.used += bytes;
        return zero ? memset(p, 0, bytes) : p;
    }
    if (arena.n_spill == 16) return NULL;
    void *p = calloc(1, bytes);
    if (p) arena.spill[arena.n_spill++] = p;
    return p;
}
static void *arena_zalloc(size_t n, size_t size) { return arena_alloc(n, size, true); }

static bool is_binop(unsigned op)
{
    return op >= IR_ADD && op <= IR_MAXU;
}
static bool is_unop(unsigned op)
{
    return op >= IR_NOT && op <= IR_BSWAP;
}
static bool is_w64(enum ir_type t)
{
    return t == IR_I64 || t == IR_F64;
}
static bool ext_bits_ok(unsigned bits)
{
    return bits == 8 || bits == 16 || bits == 32;
}

static const struct ir_insn *insn(const struct pre *p, uint32_t j)
{
    return &p->b->insn[j];
}

static bool is_const(const struct pre *p, ir_val v)
{
    return v && p->def[v] >= 0 && insn(p, (uint32_t)p->def[v])->op == IR_CONST;
}

static uint64_t const_val(const struct pre *p, ir_val v)
{
    return insn(p, (uint32_t)p->def[v])->imm;
}

static enum ir_cond cond_swap(enum ir_cond c)
{
    switch (c) {
    case IR_LT: return IR_GT;
    case IR_GT: return IR_LT;
    case IR_LE: return IR_GE;
    case IR_GE: return IR_LE;
    case IR_LTU: return IR_GTU;
    case IR_GTU: return IR_LTU;
    case IR_LEU: return IR_GEU;
    case IR_GEU: return IR_LEU;
    default: return c;
    }
}

/* The IR op an emitted insn really performs (a fused exit compares like its SETCC). */
static unsigned eff_op(const struct pre *p, uint32_t j)
{
    return p->in[j].fused ? IR_SETCC : insn(p, j)->op;
}

/* A load or store the fast handlers do: no ordering, no alignment check. */
static bool plain_mem(const struct ir_insn *i)
{
    return i->mem.order == IR_ORD_PLAIN && !i->mem.align;
}

static bool fits_i32(uint64_t v)
{
    return (uint64_t)(int64_t)(int32_t)v == v;
}

static bool has_wop(unsigned op)
{
    switch (op) {
#define W_CASE(H, op) case IR_##op:
        INTERP_WOPS(W_CASE, _)
#undef W_CASE
        return true;
    default: return false;
    }
}

/* Does operand `arg` of insn j depend only on the low 32 bits of its value? */
static bool low32_consumer(const struct pre *p, uint32_t j, unsigned arg)
{
    const struct ir_insn *i = insn(p, j);
    if (is_binop(i->op) || is_unop(i->op)) return i->type == IR_I32;
    switch (i->op) {
    case IR_SETCC: return !p->in[j].w64;
    case IR_SEXT:
    case IR_ZEXT: return i->aux <= 32;
    case IR_PUT: return i->type == IR_I32 || i->type == IR_F32;
    case IR_STORE: return arg == 1 && i->mem.size <= 2;
    default: return false;
    }
}

/* May operand `arg` of insn j read a guest-state field in place? */
static bool accepts_s(const struct pre *p, uint32_t j, unsigned arg)
{
    const struct ir_insn *i = insn(p, j);
    if (p->in[j].fused) return arg <= 1;
    switch (i->op) {
    case IR_SETCC: return arg <= 1;
    case IR_EXIT_IF: return arg == 0;
    case IR_MOV: return arg == 0;
    case IR_PUT: return arg == 0 && is_w64((enum ir_type)i->type);
    case IR_SEXT:
    case IR_ZEXT: return arg == 0 && ext_bits_ok(i->aux);
    case IR_LOAD: return arg == 0 && plain_mem(i);
    case IR_STORE: return arg <= 1 && plain_mem(i);
    default: return is_binop(i->op) ? arg <= 1 : is_unop(i->op) ? arg == 0 : false;
    }
}

/* May insn j write its result straight into a guest-state field? */
static bool dst_accepts_s(const struct pre *p, uint32_t j)
{
    const struct ir_insn *i = insn(p, j);
    switch (i->op) {
    case IR_CONST:
    case IR_MOV:
    case IR_SETCC: return true;
    case IR_SEXT:
    case IR_ZEXT: return ext_bits_ok(i->aux);
    case IR_LOAD: return plain_mem(i);
    default: return is_binop(i->op) || is_unop(i->op);
    }
}

static bool overlaps(uint64_t a, unsigned alen, uint64_t b, unsigned blen)
{
    return a < b + blen && b < a + alen;
}

static unsigned put_width(const struct ir_insn *i)
{
    return is_w64((enum ir_type)i->type) ? 8 : 4;
}

static bool helper_state(const struct ir_insn *i)
{
    const struct ir_helper *h = (const struct ir_helper *)(uintptr_t)i->imm;
    return h && (h->flags & IR_HELPER_STATE);
}

static bool helper_fault(const struct ir_insn *i)
{
    const struct ir_helper *h = (const struct ir_helper *)(uintptr_t)i->imm;
    return h && (h->flags & IR_HELPER_FAULT);
}

/* Does emitted insn k write guest state overlapping [off, off+8)? */
static bool writes_state(const struct pre *p, uint32_t k, uint64_t off)
{
    const struct ir_insn *i = insn(p, k);
    if (p->in[k].skip) return false;
    if (p->in[k].s_write >= 0 && overlaps((uint64_t)p->in[k].s_write, 8, off, 8)) return true;
    if (i->op == IR_PUT && overlaps(i->imm, put_width(i), off, 8)) return true;
    return i->op >= IR_CALL0 && i->op <= IR_CALL3 && helper_state(i);
}

/* Does emitted insn k observe guest state overlapping [off, off+8)? Through GETs, operands
 * already placed in state, state helpers, and faults and exits (the whole state is
 * visible there). */
static bool reads_state(const struct pre *p, uint32_t k, uint64_t off)
{
    const struct ir_insn *i = insn(p, k);
    if (p->in[k].skip) return false;
    if (i->op == IR_GET && overlaps(i->imm, put_width(i), off, 8)) return true;
    /* operands already placed in guest state (values whose PUT was fused earlier) */
    for (unsigned a = 0; a < p->in[k].n; a++) {
        ir_val v = p->in[k].v[a];
        if (v && !(a == 1 && p->in[k].imm_b) && p->loc[v] == LOC_S &&
            overlaps(p->off[v], 8, off, 8))
            return true;
    }
    if (ir_opinfo[i->op].flags & (IRF_FAULT | IRF_EXIT)) return true;
    return i->op >= IR_CALL0 && i->op <= IR_CALL3 && (helper_state(i) || helper_fault(i));
}

/* Can every use of v read state field off in place, given that the field holds v from
 * position `from` on? (No write to it between `from` and the use, and the use accepts S.) */
static bool uses_can_read_s(const struct pre *p, ir_val v, uint32_t from, uint64_t off,
                            int32_t except_pos)
{
    for (uint32_t u = p->use_at[v]; u < p->use_at[v + 1]; u++) {
        uint32_t pos = p->use[u].pos;
        if ((int32_t)pos == except_pos) continue;
        if (!accepts_s(p, pos, p->use[u].arg)) return false;
        for (uint32_t k = from + 1; k < pos; k++)
            if (writes_state(p, k, off)) return false;
    }
    return true;
}

static bool state_off_ok(uint64_t off)
{
    /* cpu_common is written behind the IR's back (pc, fp_flags, icount): never fused */
    return off >= sizeof(struct cpu_common) && off + 8 <= 0xffff;
}

/* A value defined at i and PUT (64-bit) at j: write it in place at i instead. */
static void fuse_put(struct pre *p, uint32_t j)
{
    const struct ir_insn *put = insn(p, j);
    ir_val v = put->arg[0];
    uint64_t off = put->imm;
    if (!v || !is_w64((enum ir_type)put->type) || !state_off_ok(off) || p->loc[v] != LOC_F) return;
    if (!is_w64((enum ir_type)p->b->vtype[v]) || p->def[v] < 0) return;
    uint32_t i = (uint32_t)p->def[v];
    if (p->in[i].skip || !dst_accepts_s(p, i) || insn(p, i)->op == IR_GET) return;
    for (uint32_t k = i + 1; k < j; k++)
        if (reads_state(p, k, off) || writes_state(p, k, off)) return;
    if (!uses_can_read_s(p, v, j, off, (int32_t)j)) return;
    /* uses between i and j read the field after the write at i: nothing intervenes */
    p->loc[v] = LOC_S;
    p->off[v] = (uint16_t)off;
    p->in[i].s_write = (int32_t)off;
    p->in[j].skip = 1;
}

/* A 64-bit GET at i whose field is not written before its uses: read it in place. */
static void fuse_get(struct pre *p, uint32_t i)
{
    const struct ir_insn *get = insn(p, i);
    ir_val v = get->dst;
    if (!is_w64((enum ir_type)get->type) || !state_off_ok(get->imm) || p->loc[v] != LOC_F) return;
    if (!uses_can_read_s(p, v, i, get->imm, -1)) return;
    p->loc[v] = LOC_S;
    p->off[v] = (uint16_t)get->imm;
    p->in[i].skip = 1;
}

static int pre_analyse(struct pre *p)
{
    const struct ir_block *b = p->b;
    uint32_t n = b->n_insn, nv = b->n_val;

    for (uint32_t v = 0; v < nv; v++)
        p->def[v] = -1;
    for (uint32_t j = 0; j < n; j++) {
        const struct ir_insn *i = insn(p, j);
        struct pre_insn *pi = &p->in[j];
        if (i->op >= IR_NUM_OPS) return -EINVAL;
        pi->s_write = -1;
        pi->n = ir_opinfo[i->op].nargs;
        for (unsigned a = 0; a < pi->n; a++) {
            ir_val v = i->arg[a];
            if (v >= nv || (v && (p->def[v] < 0 || (uint32_t)p->def[v] >= j))) return -EINVAL;
            pi->v[a] = v;
        }
        if (ir_opinfo[i->op].has_dst && i->dst) {
            if (i->dst >= nv || p->def[i->dst] >= 0) return -EINVAL;
            p->def[i->dst] = (int32_t)j;
            pi->dst = i->dst;
        }
        pi->cond = i->aux;
        if (i->op == IR_SETCC) pi->w64 = i->arg[0] && b->vtype[i->arg[0]] == IR_I64;
    }

    /* ZEXT.32 to I32 is invisible to consumers that only look at the low 32 bits of
     * their operand: they read the wider value itself (which may then live in state) */
    for (uint32_t j = 0; j < n; j++) {
        struct pre_insn *pi = &p->in[j];
        for (unsigned a = 0; a < pi->n; a++) {
            ir_val v = pi->v[a];
            if (!v || !low32_consumer(p, j, a)) continue;
            const struct ir_insn *d = insn(p, (uint32_t)p->def[v]);
            if (d->op == IR_ZEXT && d->type == IR_I32 && d->aux == 32 && d->arg[0])
                pi->v[a] = d->arg[0];
        }
    }
    /* base + constant addresses: the constant rides in the memory op */
    for (uint32_t j = 0; j < n; j++) {
        const struct ir_insn *i = insn(p, j);
        struct pre_insn *pi = &p->in[j];
        ir_val v = pi->v[0];
        if ((i->op != IR_LOAD && i->op != IR_STORE) || !plain_mem(i) || !v) continue;
        const struct ir_insn *d = insn(p, (uint32_t)p->def[v]);
        const struct pre_insn *pd = &p->in[p->def[v]];
        if (d->op == IR_CONST && fits_i32(d->imm)) {
            pi->v[0] = IR_NOVAL;
            pi->disp = (int32_t)d->imm;
        } else if (d->op == IR_ADD && d->type == IR_I64) {
            for (unsigned k = 0; k < 2; k++) {
                ir_val c = pd->v[1 - k];
                if (is_const(p, c) && fits_i32(const_val(p, c)) && pd->v[k]) {
                    pi->v[0] = pd->v[k];
                    pi->disp = (int32_t)const_val(p, c);
                    break;
                }
            }
        }
    }
    for (uint32_t j = 0; j < n; j++)
        for (unsigned a = 0; a < p->in[j].n; a++)
            if (p->in[j].v[a]) p->nuse[p->in[j].v[a]]++;

    /* a 32-bit op whose only user is SEXT.32 to I64 does both (RV64 *W instructions) */
    for (uint32_t j = 0; j < n; j++) {
        const struct ir_insn *i = insn(p, j);
        ir_val v = p->in[j].v[0];
        if (i->op != IR_SEXT || i->type != IR_I64 || i->aux != 32 || !v || p->nuse[v] != 1)
            continue;
        uint32_t k = (uint32_t)p->def[v];
        const struct ir_insn *o = insn(p, k);
        if (o->type != IR_I32 || !has_wop(o->op)) continue;
        p->in[k].ws = 1;
        p->in[k].dst = i->dst;
        p->def[i->dst] = (int32_t)k;
        p->in[j].skip = 1;
        p->nuse[v] = 0;
    }

    /* fused compare-and-exit: a SETCC whose only use is an EXIT_IF */
    for (uint32_t j = 0; j < n; j++) {
        const struct ir_insn *i = insn(p, j);
        ir_val c = i->arg[0];
        if (i->op != IR_EXIT_IF || !c || p->nuse[c] != 1) continue;
        uint32_t s = (uint32_t)p->def[c];
        const struct ir_insn *sc = insn(p, s);
        if (sc->op != IR_SETCC || sc->aux >= IR_NUM_CONDS) continue;
        p->in[s].skip = 1;
        p->in[j].fused = 1;
        p->in[j].setcc = s;
        p->in[j].n = 2;
        p->in[j].v[1] = p->in[s].v[1];
        p->in[j].v[0] = p->in[s].v[0];
        p->in[j].cond = sc->aux;
        p->in[j].w64 = p->in[s].w64;
        p->nuse[c] = 0;
    }

    /* constants into immediates; constant first operands swapped where the op allows */
    for (uint32_t j = 0; j < n; j++) {
        struct pre_insn *pi = &p->in[j];
        unsigned op = eff_op(p, j);
        if (pi->skip || pi->n < 2 || !(is_binop(op) || op == IR_SETCC)) continue;
        if (is_const(p, pi->v[0]) && !is_const(p, pi->v[1])) {
            if (op == IR_SETCC)
                pi->cond = (uint8_t)cond_swap((enum ir_cond)pi->cond);
            else if (!(ir_opinfo[op].flags & IRF_COMM))
                goto no_swap;
            ir_val t = pi->v[0];
            pi->v[0] = pi->v[1];
            pi->v[1] = t;
        }
    no_swap:
        if (is_const(p, pi->v[1])) {
            pi->imm_b = 1;
            p->nuse[pi->v[1]]--;
        }
    }

    /* use lists (CSR), last uses, initial locations */
    uint32_t total = 0;
    for (uint32_t v = 0; v < nv; v++) {
        p->use_at[v] = total;
        total += p->nuse[v];
    }
    p->use_at[nv] = total;
    p->use = arena_zalloc(total, sizeof(*p->use));
    if (!p->use) return -ENOMEM;
    uint32_t *fill = arena_zalloc(nv, sizeof(uint32_t));
    if (!fill) return -ENOMEM;
    for (uint32_t j = 0; j < n; j++) {
        struct pre_insn *pi = &p->in[j];
        if (pi->skip) continue;
        for (unsigned a = 0; a < pi->n; a++) {
            ir_val v = pi->v[a];
            if (!v || (a == 1 && pi->imm_b)) continue;
            p->use[p->use_at[v] + fill[v]++] = (struct pre_use){.pos = j, .arg = (uint8_t)a};
        }
    }
    for (uint32_t v = 1; v < nv; v++) {
        if (p->def[v] < 0) continue;
        const struct ir_insn *d = insn(p, (uint32_t)p->def[v]);
        p->loc[v] = LOC_F;
        if (d->op == IR_CONST && d->imm == 0) p->loc[v] = LOC_ZERO;
    }
    /* a pure result nobody reads (or a constant folded everywhere) emits nothing */
    for (uint32_t j = 0; j < n; j++) {
        const struct ir_insn *i = insn(p, j);
        ir_val d = p->in[j].dst;
        if (d && !p->nuse[d] && !(ir_opinfo[i->op].flags & (IRF_SIDE | IRF_FP))) p->in[j].skip = 1;
        if (i->op == IR_CONST && p->loc[d] == LOC_ZERO) p->in[j].skip = 1;
    }

    /* guest state in place: PUTs first (they move writes), then GETs */
    for (uint32_t j = 0; j < n; j++)
        if (!p->in[j].skip && insn(p, j)->op == IR_PUT) fuse_put(p, j);
    for (uint32_t j = 0; j < n; j++)
        if (!p->in[j].skip && insn(p, j)->op == IR_GET) fuse_get(p, j);

    for (uint32_t v = 0; v < nv; v++)
        p->last[v] = -1;
    for (uint32_t v = 1; v < nv; v++)
        for (uint32_t u = p->use_at[v]; u < p->use_at[v + 1]; u++)
            if (!p->in[p->use[u].pos].skip && (int32_t)p->use[u].pos > p->last[v])
                p->last[v] = (int32_t)p->use[u].pos;
    return 0;
}

/* ---- emission ---- */

struct emit {
    bool sys;         /* system mode: memory through the TLB */
    bool state_call;  /* a helper that touches guest state */
    uint8_t *is_exit; /* per op: d holds an exit index (made relative in the tb) */
    struct iop *ops;
    uint32_t n_ops, n_exits;
    struct tb_exit *exits; /* pcs only, copied into the tb */
};

static void put_op(struct emit *e, unsigned h, uint16_t d, uint16_t a, uint16_t b, uint16_t c,
                   uint64_t imm)
{
    e->ops[e->n_ops++] =
        (struct iop){.h = (const void *)(uintptr_t)h, .d = d, .a = a, .b = b, .c = c, .imm = imm};
}

/* Shape letter of operand v: 0 = F (frame or zero slot), 1 = S. */
static unsigned shp(const struct pre *p, ir_val v)
{
    return v && p->loc[v] == LOC_S;
}
static uint16_t opnd(const struct pre *p, ir_val v)
{
    return (!v || p->loc[v] == LOC_ZERO) ? EXEC_SLOT_ZERO : p->off[v];
}

static const uint16_t bin_base[IR_NUM_OPS][2] = {
#define BIN_BASE(H, op) [IR_##op] = {IH_##op##_32_FFF, IH_##op##_64_FFF},
    INTERP_BINOPS(BIN_BASE, _)
#undef BIN_BASE
};
static const uint16_t ws_base[IR_NUM_OPS] = {
#define WS_BASE(H, op) [IR_##op] = IH_##op##_W_FFF,
    INTERP_WOPS(WS_BASE, _)
#undef WS_BASE
};
static const uint16_t set_base[IR_NUM_CONDS][2] = {
#define SET_BASE(H, c) [IR_##c] = {IH_SET##c##_32_FFF, IH_SET##c##_64_FFF},
    INTERP_CONDS(SET_BASE, _)
#undef SET_BASE
};
static const uint16_t br_base[IR_NUM_CONDS][2] = {
#define BR_BASE(H, c) [IR_##c] = {IH_BR##c##_32_FF, IH_BR##c##_64_FF},
    INTERP_CONDS(BR_BASE, _)
#undef BR_BASE
};
static const uint16_t un_base[IR_NUM_OPS][2] = {
#define UN_BASE(H, op) [IR_##op] = {IH_##op##_32_FF, IH_##op##_64_FF},
    INTERP_UNOPS(UN_BASE, _)
#undef UN_BASE
};
static const uint16_t ext_base[2][3][2] = {
    {{IH_SEXT8_32_FF, IH_SEXT8_64_FF},
     {IH_SEXT16_32_FF, IH_SEXT16_64_FF},
     {IH_SEXT32_32_FF, IH_SEXT32_64_FF}},
    {{IH_ZEXT8_32_FF, IH_ZEXT8_64_FF},
     {IH_ZEXT16_32_FF, IH_ZEXT16_64_FF},
     {IH_ZEXT32_32_FF, IH_ZEXT32_64_FF}},
};
static const uint16_t ld_base[7][2] = {
#define LD_BASE(H, name, size, sign) {IH_##name##_32_FF, IH_##name##_64_FF},
    INTERP_LOADS(LD_BASE, _)
#undef LD_BASE
};
static const uint16_t st_base[4] = {
#define ST_BASE(H, name, size) IH_##name##_FF,
    INTERP_STORES(ST_BASE, _)
#undef ST_BASE
};
static const uint16_t tld_base[7][2] = {
#define LD_BASE(H, name, size, sign) {IH_T##name##_32_FF, IH_T##name##_64_FF},
    INTERP_LOADS(LD_BASE, _)
#undef LD_BASE
};
static const uint16_t tst_base[4] = {
#define ST_BASE(H, name, size) IH_T##name##_FF,
    INTERP_STORES(ST_BASE, _)
#undef ST_BASE
};

static int emit_block(struct pre *p, struct emit *e)
{
    const struct ir_block *b = p->b;
    uint32_t n = b->n_insn, nv = b->n_val;
    uint64_t cur_pc = b->pc;
    uint32_t count = 0;

    /* linear-scan frame slots */
    uint16_t *free_slots = arena_alloc(EXEC_FRAME_SLOTS, sizeof(uint16_t), false); /* a stack */
    uint32_t *dying_at = arena_zalloc(n + 1, sizeof(uint32_t)); /* CSR of values dying at j */
    ir_val *dying = arena_zalloc(nv, sizeof(ir_val));
    if (!free_slots || !dying_at || !dying) return -ENOMEM;
    for (uint32_t v = 1; v < nv; v++)
        if (p->loc[v] == LOC_F && p->last[v] >= 0) dying_at[p->last[v] + 1]++;
    for (uint32_t j = 0; j < n; j++)
        dying_at[j + 1] += dying_at[j];
    {
        uint32_t *cur = arena_zalloc(n + 1, sizeof(uint32_t));
        if (!cur) return -ENOMEM;
        for (uint32_t v = 1; v < nv; v++)
            if (p->loc[v] == LOC_F && p->last[v] >= 0) {
                uint32_t j = (uint32_t)p->last[v];
                dying[dying_at[j] + cur[j]++] = v;
            }
    }
    uint32_t n_free = 0, next_slot = EXEC_FIRST_SLOT;
    int err = 0;

    for (uint32_t j = 0; j < n && !err; j++) {
        const struct ir_insn *i = insn(p, j);
        struct pre_insn *pi = &p->in[j];
        if (i->op == IR_INSN_START) {
            cur_pc = i->imm;
            count++;
            continue;
        }
        if (!pi->skip) {
            /* the result's place */
            uint16_t d = EXEC_SLOT_TRASH;
            ir_val dv = pi->dst;
            if (dv && p->loc[dv] == LOC_S) {
                d = p->off[dv];
            } else if (dv && p->loc[dv] == LOC_F && p->last[dv] >= 0) {
                uint32_t s = n_free ? free_slots[--n_free] : next_slot++;
                if (s >= EXEC_FRAME_SLOTS) {
                    err = -E2BIG;
                    break;
                }
                p->off[dv] = (uint16_t)(s * 8);
                d = p->off[dv];
            }
            unsigned ds = dv && p->loc[dv] == LOC_S;
            ir_val a0 = pi->v[0], a1 = pi->v[1], a2 = pi->v[2];
            uint16_t oa = opnd(p, a0), ob = opnd(p, a1), oc = opnd(p, a2);
            unsigned sa = shp(p, a0), sb = pi->imm_b ? 1 : shp(p, a1) ? 2 : 0;
            uint64_t immb = pi->imm_b ? const_val(p, a1) : 0;
            bool w64 = i->type == IR_I64;
            unsigned h;
            switch (i->op) {
            case IR_CONST: put_op(e, ds ? IH_CONST_S : IH_CONST_F, d, 0, 0, 0, i->imm); break;
            case IR_GET:
                if (i->imm > 0xffff)
                    err = -EINVAL;
                else if (is_w64((enum ir_type)i->type))
                    put_op(e, IH_MOV64_FF + ds * 2 + 1, d, (uint16_t)i->imm, 0, 0, 0);
                else
                    put_op(e, IH_GET32, d, (uint16_t)i->imm, 0, 0, 0);
                break;
            case IR_PUT:
                if (i->imm > 0xffff)
                    err = -EINVAL;
                else if (is_w64((enum ir_type)i->type))
                    put_op(e, IH_MOV64_FF + 2 + sa, (uint16_t)i->imm, oa, 0, 0, 0);
                else
                    put_op(e, IH_PUT32, (uint16_t)i->imm, oa, 0, 0, 0);
                break;
            case IR_MOV: put_op(e, IH_MOV64_FF + ds * 2 + sa, d, oa, 0, 0, 0); break;
            case IR_SETCC: {
                bool sw64 = pi->w64;
                if (pi->cond >= IR_NUM_CONDS) {
                    err = -EINVAL;
                    break;
                }
                h = set_base[pi->cond][sw64] + ds * 6 + sa * 3 + sb;
                put_op(e, h, d, oa, ob, 0, immb);
                break;
            }
            case IR_SEXT:
            case IR_ZEXT:
                if (ext_bits_ok(i->aux)) {
                    unsigned bi = i->aux == 8 ? 0 : i->aux == 16 ? 1 : 2;
                    h = ext_base[i->op == IR_ZEXT][bi][w64] + ds * 2 + sa;
                    put_op(e, h, d, oa, 0, 0, 0);
                } else {
                    put_op(e, IH_EXT_GEN, d, oa, i->op, i->aux, i->type);
                }
                break;
            case IR_EXTRACT: put_op(e, IH_EXTRACT, d, oa, i->type, i->aux, i->imm); break;
            case IR_DEPOSIT: put_op(e, IH_DEPOSIT, d, oa, ob, i->type, i->imm); break;
            case IR_SELECT: put_op(e, IH_SELECT, d, oa, ob, oc, 0); break;
            case IR_LOAD: {
                const struct ir_memop *m = &i->mem;
                bool dw64 = is_w64((enum ir_type)i->type);
                if (m->size > 3) {
                    err = -EINVAL;
                } else if (plain_mem(i)) {
                    unsigned li = m->size == 3 ? 6 : m->size * 2u + (m->sign ? 1 : 0);
                    uint32_t dp = (uint32_t)pi->disp;
                    put_op(e, (e->sys ? tld_base : ld_base)[li][dw64] + ds * 2 + sa, d, oa,
                           (uint16_t)dp, (uint16_t)(dp >> 16), cur_pc);
                } else {
                    unsigned pk = m->size | (m->sign ? 4u : 0) | (unsigned)m->order << 3 |
                                  (dw64 ? 32u : 0) | (m->align ? 64u : 0);
                    put_op(e, e->sys ? IH_TLD_ORD : IH_LD_ORD, d, oa, 0, (uint16_t)pk, cur_pc);
                }
                break;
            }
            case IR_STORE: {
                const struct ir_memop *m = &i->mem;
                if (m->size > 3)
                    err = -EINVAL;
                else if (plain_mem(i))
                    put_op(e, (e->sys ? tst_base : st_base)[m->size] + sa * 2 + shp(p, a1),
                           (uint16_t)(uint32_t)pi->disp, oa, ob,
                           (uint16_t)((uint32_t)pi->disp >> 16), cur_pc);
                else
                    put_op(e, e->sys ? IH_TST_ORD : IH_ST_ORD, 0, oa, ob,
                           (uint16_t)(m->size | (unsigned)m->order << 3 | (m->align ? 64u : 0)),
                           cur_pc);
                break;
            }
            case IR_ATOMIC_RMW: {
                const struct ir_memop *m = &i->mem;
                if (m->size > 3 || i->aux >= IR_NUM_RMW) {
                    err = -EINVAL;
                    break;
                }
                unsigned pk = i->aux | (unsigned)m->size << 4 | (m->sign ? 0x40u : 0) |
                              (m->align ? 0x80u : 0) | (is_w64((enum ir_type)i->type) ? 0x100u : 0);
                put_op(e, e->sys ? IH_TRMW : IH_RMW, d, oa, ob, (uint16_t)pk, cur_pc);
                break;
            }
            case IR_CMPXCHG: {
                const struct ir_memop *m = &i->mem;
                if (m->size > 3) {
                    err = -EINVAL;
                    break;
                }
                unsigned pk = m->size | (m->sign ? 4u : 0) | (m->align ? 8u : 0) |
                              (is_w64((enum ir_type)i->type) ? 16u : 0);
                put_op(e, IH_SETPC, 0, 0, 0, 0, cur_pc);
                put_op(e, e->sys ? IH_TCAS : IH_CAS, d, oa, ob, oc, pk);
                break;
            }
            case IR_FENCE: put_op(e, IH_FENCE, 0, 0, 0, i->aux, 0); break;
            case IR_FADD:
            case IR_FSUB:
            case IR_FMUL:
            case IR_FDIV:
            case IR_FSQRT:
            case IR_FMA:
            case IR_FMIN:
            case IR_FMAX:
            case IR_FCMP:
            case IR_FCVT_F2I:
            case IR_FCVT_I2F:
            case IR_FCVT_F2F: {
                static const uint16_t fh[] = {
                    [IR_FADD] = IH_FADD,    [IR_FSUB] = IH_FSUB,    [IR_FMUL] = IH_FMUL,
                    [IR_FDIV] = IH_FDIV,    [IR_FSQRT] = IH_FSQRT,  [IR_FMA] = IH_FMA,
                    [IR_FMIN] = IH_FMIN,    [IR_FMAX] = IH_FMAX,    [IR_FCMP] = IH_FCMP,
                    [IR_FCVT_F2I] = IH_F2I, [IR_FCVT_I2F] = IH_I2F, [IR_FCVT_F2F] = IH_F2F};
                bool dbl = i->type == IR_F64;
                if (i->op == IR_FCMP || i->op == IR_FCVT_F2I) dbl = b->vtype[a0] == IR_F64;
                unsigned rm = i->aux;
                if (rm != IR_RM_DYN && rm > IR_RM_RMM) rm = IR_RM_RNE;
                uint64_t pk = (i->imm & 0xffffffffu) | (uint64_t)dbl << 32 | (uint64_t)rm << 40 |
                              (uint64_t)(i->aux & 0xff) << 48;
                put_op(e, fh[i->op], d, oa, ob, oc, pk);
                break;
            }
            case IR_CALL0:
            case IR_CALL1:
            case IR_CALL2:
            case IR_CALL3: {
                const struct ir_helper *hp = (const struct ir_helper *)(uintptr_t)i->imm;
                if (!hp || !hp->fn) {
                    err = -EINVAL;
                    break;
                }
                if (hp->flags & (IR_HELPER_FAULT | IR_HELPER_STATE))
                    put_op(e, IH_SETPC, 0, 0, 0, 0, cur_pc);
                if (hp->flags & IR_HELPER_STATE) e->state_call = true;
                put_op(e, IH_CALL, d, oa, ob, oc, (uint64_t)(uintptr_t)hp->fn);
                break;
            }
            case IR_EXIT_IF:
                e->exits[e->n_exits].pc = i->imm;
                if (pi->fused) {
                    bool sw64 = pi->w64;
                    if (pi->cond >= IR_NUM_CONDS) {
                        err = -EINVAL;
                        break;
                    }
                    h = br_base[pi->cond][sw64] + sa * 3 + sb;
                    e->is_exit[e->n_ops] = 1;
                    put_op(e, h, (uint16_t)e->n_exits++, oa, ob, (uint16_t)count, immb);
                } else {
                    e->is_exit[e->n_ops] = 1;
                    put_op(e, sa ? IH_BRNZ_S : IH_BRNZ_F, (uint16_t)e->n_exits++, oa, 0,
                           (uint16_t)count, 0);
                }
                break;
            case IR_GOTO:
                e->exits[e->n_exits].pc = i->imm;
                e->is_exit[e->n_ops] = 1;
                put_op(e, IH_GOTO, (uint16_t)e->n_exits++, 0, 0, (uint16_t)count, 0);
                break;
            case IR_GOTO_IND:
                if (sa) /* never chosen: GOTO_IND takes frame operands only */
                    err = -EINVAL;
                else
                    put_op(e, IH_GOTO_IND, 0, oa, 0, (uint16_t)count, 0);
                break;
            case IR_EXIT:
                if (i->aux >= IR_NUM_EXITS)
                    err = -EINVAL;
                else
                    put_op(e, IH_EXIT, 0, 0, i->aux, (uint16_t)count, i->imm);
                break;
            default:
                if (pi->ws) {
                    h = ws_base[i->op] + ds * 6 + sa * 3 + sb;
                    put_op(e, h, d, oa, ob, 0, immb);
                } else if (is_binop(i->op) && (i->type == IR_I32 || i->type == IR_I64)) {
                    h = bin_base[i->op][w64] + ds * 6 + sa * 3 + sb;
                    put_op(e, h, d, oa, ob, 0, immb);
                } else if (is_unop(i->op) && (i->type == IR_I32 || i->type == IR_I64)) {
                    put_op(e, un_base[i->op][w64] + ds * 2 + sa, d, oa, 0, 0, 0);
                } else {
                    err = -EINVAL;
                }
                break;
            }
        }
        /* values whose last use was this insn free their slots (after the result got
         * its own, so no handler sees its result alias an operand) */
        for (uint32_t k = dying_at[j]; k < dying_at[j + 1]; k++)
            free_slots[n_free++] = (uint16_t)(p->off[dying[k]] / 8);
    }
    return err;
}

#define INTERP_NAME(n) #n,
static const char *const handler_name[IH_COUNT] = {INTERP_ALL(INTERP_NAME)};

/* -d ir: the predecoded form, one op per line (operand fields raw). */
static void log_ops(const struct ir_block *b, const struct emit *e)
{
    log_printf("predecoded 0x%llx: %u ops, %u exits\n", (unsigned long long)b->pc, e->n_ops,
               e->n_exits);
    for (uint32_t k = 0; k < e->n_ops; k++) {
        const struct iop *o = &e->ops[k];
        log_printf("  %-14s d=%u a=%u b=%u c=%u imm=0x%llx\n", handler_name[(uintptr_t)o->h], o->d,
                   o->a, o->b, o->c, (unsigned long long)o->imm);
    }
    log_printf("\n");
}

struct tb *interp_predecode(struct exec_ctx *ctx, const struct ir_block *b, int *err)
{
    uint32_t n = b->n_insn, nv = b->n_val;
    struct tb *tb = NULL;
    *err = 0;
    if (!n || !(ir_opinfo[b->insn[n - 1].op].flags & IRF_TERM) || nv < 1) {
        *err = -EINVAL;
        return NULL;
    }
    struct pre p = {.b = b};
    arena_reset();
    p.in = arena_zalloc(n, sizeof(*p.in));
    p.def = arena_zalloc(nv, sizeof(*p.def));
    p.nuse = arena_zalloc(nv, sizeof(*p.nuse));
    p.use_at = arena_zalloc(nv + 1, sizeof(*p.use_at));
    p.last = arena_zalloc(nv, sizeof(*p.last));
    p.loc = arena_zalloc(nv, sizeof(*p.loc));
    p.off = arena_zalloc(nv, sizeof(*p.off));
    struct emit e = {.sys = ctx->cpu->tlb != NULL};
    e.ops = arena_zalloc(2 * (size_t)n + 1, sizeof(struct iop));
    e.exits = arena_zalloc(n, sizeof(struct tb_exit));
    e.is_exit = arena_zalloc(2 * (size_t)n + 1, 1);
    if (!p.in || !p.def || !p.nuse || !p.use_at || !p.last || !p.loc || !p.off || !e.ops ||
        !e.exits || !e.is_exit) {
        *err = -ENOMEM;
        goto out;
    }
    if ((*err = pre_analyse(&p)) || (*err = emit_block(&p, &e))) goto out;
    if (log_enabled(LOG_IR)) log_ops(b, &e);

    size_t bytes =
        sizeof(struct tb) + e.n_ops * sizeof(struct iop) + e.n_exits * sizeof(struct tb_exit);
    tb = calloc(1, bytes);
    if (!tb) {
        *err = -ENOMEM;
        goto out;
    }
    tb->pc = b->pc;
    tb->tb_flags = b->tb_flags;
    tb->n_guest = b->n_guest;
    tb->guest_size = b->guest_size;
    tb->n_ops = e.n_ops;
    tb->n_exits = e.n_exits;
    tb->bytes = bytes;
    tb->sys = e.sys;
    tb->nochain = e.sys && e.state_call;
    tb->exits = (struct tb_exit *)(tb->code + e.n_ops);
    for (uint32_t k = 0; k < e.n_ops; k++) {
        tb->code[k] = e.ops[k];
        tb->code[k].h = interp_handlers[(uintptr_t)e.ops[k].h];
        if (e.is_exit[k]) {
            /* exit ops find their slot at ip + d * 8, with no need for the tb pointer */
            size_t dist = (size_t)((char *)&tb->exits[e.ops[k].d] - (char *)&tb->code[k]);
            if (dist / 8 > 0xffff) {
                free(tb);
                tb = NULL;
                *err = -E2BIG;
                goto out;
            }
            tb->code[k].d = (uint16_t)(dist / 8);
        }
    }
    for (uint32_t k = 0; k < e.n_exits; k++) {
        tb->exits[k].pc = e.exits[k].pc;
        tb->exits[k].src = tb;
    }
out:
    arena_reset();
    return tb;
}
