/*
 * IR optimiser: runs on every translated block, in place, in linear time.
 *
 * A forward sweep (constant folding and identities, copy propagation, GET forwarding),
 * a backward sweep (dead PUT elimination, dead-code elimination by liveness), then one
 * compaction. That is already the fixed point, so nothing iterates:
 * - the forward sweep sees every operand's definition before its use, so constants,
 *   copies and known state reach every use in one pass (an insn rewritten into a MOV or
 *   CONST is re-examined on the spot);
 * - the backward sweep computes exact liveness and kills, and only deletes;
 * - a deletion never opens a forward rewrite: forwarding is keyed by (offset, width), so
 *   a dead GET shadows nothing, and a PUT is dead only if no read of its bytes precedes
 *   the overwriting PUT, which itself stops the same forwarding.
 * tests/unit/ir_test.c re-optimises every random block and requires no change.
 *
 * Invariants kept (the block stays valid for ir_verify after every sweep):
 * - Value ids are never renumbered and n_val/vtype are untouched; an insn that is
 *   simplified keeps its dst and its position, it only becomes a CONST or a MOV of a value
 *   defined earlier, so "defined before use" still holds. Removed insns' values simply
 *   have no definition and no use.
 * - Integer semantics come only from ir_eval.h. FP ops are never folded nor removed
 *   (they accumulate exception flags into cpu_common.fp_flags).
 * - Guest state is exact at every IRF_FAULT / IRF_EXIT / IRF_STATE op and at every helper
 *   declared IR_HELPER_FAULT or IR_HELPER_STATE: a PUT is dropped only if a later PUT
 *   overwrites the same bytes with none of those, and no read of the bytes, in between.
 * - GET forwarding needs a PUT or GET of the same offset and width; it stops at any
 *   overlapping PUT of another offset or width, at IR_HELPER_STATE helpers and IRF_STATE
 *   ops (all state), and at FP ops / IR_HELPER_FP helpers for the bytes of
 *   cpu_common.fp_flags and fp_rm.
 * Scratch arrays are per thread and reused; nothing is allocated per insn. If scratch
 * cannot be grown the block is left as it is (still correct, just not optimised).
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "ir/ir.h"
#include "ir/ir_eval.h"

#define OPT_DEAD IR_NUM_OPS /* tombstone opcode, only between a sweep and compaction */

/* The FP environment bytes every FP op reads (fp_rm) and read-modify-writes (fp_flags). */
#define OPT_FPENV_LO ((uint32_t)offsetof(struct cpu_common, fp_flags))
#define OPT_FPENV_HI (OPT_FPENV_LO + 8u)
_Static_assert(offsetof(struct cpu_common, fp_rm) == offsetof(struct cpu_common, fp_flags) + 4,
               "fp_rm must follow fp_flags: the optimiser treats them as one 8-byte range");

/* per-value flags */
#define VF_CONST 0x01u
#define VF_LIVE 0x02u

/*
 * Guest-state table: open addressing keyed by (byte offset, width), so an i32 and an
 * i64 view of the same offset are separate entries and neither hides the other.
 * Clearing is a generation bump (entries of an older generation count as empty);
 * removing one entry zeroes its val but keeps the slot so probe chains stay intact.
 * Forward sweep: val = the value the state bytes [off, off+width) hold. Backward sweep:
 * val != 0 means those bytes are overwritten later before anything observes them.
 */
struct st_ent {
    uint32_t key; /* offset << 1 | (width == 8) */
    uint32_t gen;
    ir_val val;
};

#define OPT_MAX_OFFSET (1u << 30) /* larger offsets (never valid) disable the state pass */

struct opt_scratch {
    uint32_t cap_val;
    ir_val *repl;     /* value -> the earlier value it is a same-type copy of (0: none) */
    uint64_t *cval;   /* constant value when VF_CONST */
    uint8_t *vflag;
    uint32_t tab_cap; /* power of two */
    uint32_t tab_shift;
    uint32_t gen;
    struct st_ent *tab;
    uint32_t gran;    /* every GET/PUT offset in the block is a multiple of this (1..8) */
    uint32_t widths;  /* bit 4 / bit 8: some GET/PUT of the block is that many bytes wide */
};

static _Thread_local struct opt_scratch tls_scratch;
static _Thread_local bool tls_registered;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

/* Frees a thread's scratch when it exits (the key's value is only a trigger). */
static void scratch_destroy(void *p)
{
    struct opt_scratch *s = p;
    free(s->repl);
    free(s->cval);
    free(s->vflag);
    free(s->tab);
    memset(s, 0, sizeof(*s));
}

static void scratch_key_init(void)
{
    if (pthread_key_create(&scratch_key, scratch_destroy))
        scratch_key = (pthread_key_t)-1;
}

static bool grow_array(void **p, size_t elem, uint32_t n)
{
    void *np = realloc(*p, (size_t)n * elem);
    if (!np)
        return false;
    *p = np;
    return true;
}

static struct opt_scratch *scratch_get(uint32_t n_val, uint32_t n_state)
{
    struct opt_scratch *s = &tls_scratch;
    if (!tls_registered) {
        pthread_once(&scratch_once, scratch_key_init);
        if (scratch_key != (pthread_key_t)-1)
            pthread_setspecific(scratch_key, s);
        tls_registered = true;
    }
    if (n_val > s->cap_val) {
        uint32_t cap = s->cap_val ? s->cap_val : 256;
        while (cap < n_val)
            cap *= 2;
        if (!grow_array((void **)&s->repl, sizeof(*s->repl), cap) ||
            !grow_array((void **)&s->cval, sizeof(*s->cval), cap) ||
            !grow_array((void **)&s->vflag, sizeof(*s->vflag), cap))
            return NULL;
        s->cap_val = cap;
    }
    /* load factor <= 1/2: at most n_state distinct keys are inserted per generation */
    uint32_t need = 16;
    while (need < 2 * n_state + 2)
        need *= 2;
    if (need > s->tab_cap) {
        struct st_ent *t = calloc(need, sizeof(*t));
        if (!t)
            return NULL;
        free(s->tab);
        s->tab = t;
        s->tab_cap = need;
        s->tab_shift = 32 - (uint32_t)__builtin_ctz(need);
        s->gen = 0;
    }
    return s;
}

/* ---- guest-state table ---- */

static void st_clear(struct opt_scratch *s)
{
    if (++s->gen == 0) {
        memset(s->tab, 0, (size_t)s->tab_cap * sizeof(*s->tab));
        s->gen = 1;
    }
}

static uint32_t st_hash(const struct opt_scratch *s, uint32_t key)
{
    return (key * 0x9e3779b1u) >> s->tab_shift;
}

static uint32_t st_key(uint32_t off, uint32_t width) { return off << 1 | (width == 8); }

/* The live entry for (off, width), or NULL. */
static struct st_ent *st_find(struct opt_scratch *s, uint32_t off, uint32_t width)
{
    uint32_t mask = s->tab_cap - 1, key = st_key(off, width);
    for (uint32_t h = st_hash(s, key);; h = (h + 1) & mask) {
        struct st_ent *e = &s->tab[h];
        if (e->gen != s->gen)
            return NULL;
        if (e->key == key)
            return e->val ? e : NULL;
    }
}

/* Sets the entry for (off, width), creating it if needed. */
static void st_set(struct opt_scratch *s, uint32_t off, uint32_t width, ir_val val)
{
    uint32_t mask = s->tab_cap - 1, key = st_key(off, width);
    for (uint32_t h = st_hash(s, key);; h = (h + 1) & mask) {
        struct st_ent *e = &s->tab[h];
        if (e->gen != s->gen) {
            e->gen = s->gen;
            e->key = key;
            e->val = val;
            return;
        }
        if (e->key == key) {
            e->val = val;
            return;
        }
    }
}

/* Forget every entry overlapping bytes [lo, hi). Accesses are 4 or 8 bytes wide and
 * start at multiples of s->gran, so only those few (offset, width) pairs need probing. */
static void st_kill_range(struct opt_scratch *s, uint32_t lo, uint32_t hi)
{
    uint32_t g = s->gran;
    uint32_t o = lo >= 7 ? lo - 7 : 0;
    o = (o + g - 1) & ~(g - 1);
    for (; o < hi; o += g) {
        struct st_ent *e;
        if ((s->widths & 4) && o + 4 > lo && (e = st_find(s, o, 4)))
            e->val = 0;
        if ((s->widths & 8) && (e = st_find(s, o, 8)))
            e->val = 0;
    }
}

/* ---- helpers ---- */

static uint32_t call_flags(const struct ir_insn *i)
{
    const struct ir_helper *h = (const struct ir_helper *)(uintptr_t)i->imm;
    /* an unknown helper is assumed to do everything */
    return h ? h->flags : IR_HELPER_FAULT | IR_HELPER_STATE | IR_HELPER_FP;
}

static bool is_call(unsigned op) { return op >= IR_CALL0 && op <= IR_CALL3; }

static uint32_t state_width(const struct ir_insn *i) { return ir_width((enum ir_type)i->type) / 8; }

static void make_const(struct ir_insn *i, uint64_t v)
{
    i->op = IR_CONST;
    i->aux = 0;
    i->arg[0] = i->arg[1] = i->arg[2] = IR_NOVAL;
    memset(&i->mem, 0, sizeof(i->mem));
    i->imm = ir_trunc((enum ir_type)i->type, v);
}

/* The caller guarantees x has the same width as i's type (same type, or a bitcast pair). */
static void make_mov(struct ir_insn *i, ir_val x)
{
    i->op = IR_MOV;
    i->aux = 0;
    i->arg[0] = x;
    i->arg[1] = i->arg[2] = IR_NOVAL;
    memset(&i->mem, 0, sizeof(i->mem));
    i->imm = 0;
}

static bool cst(const struct opt_scratch *s, ir_val v, uint64_t *out)
{
    if (!(s->vflag[v] & VF_CONST))
        return false;
    *out = s->cval[v];
    return true;
}

/* The SETCC result when both operands are the same value. */
static bool cond_reflexive(unsigned c)
{
    return c == IR_EQ || c == IR_GE || c == IR_LE || c == IR_GEU || c == IR_LEU;
}

/*
 * Identities of a binary integer op with at most one constant operand (after
 * canonicalisation a commutative op's constant is arg1). Returns true if i was
 * rewritten into a CONST or a MOV.
 */
static bool fold_identity(struct ir_insn *i, bool k0, uint64_t c0, bool k1, uint64_t c1)
{
    enum ir_type t = (enum ir_type)i->type;
    uint64_t ones = ir_trunc(t, ~0ull);
    unsigned wmask = ir_width(t) - 1;
    ir_val x = i->arg[0];
    bool same = i->arg[0] == i->arg[1];
    c0 = ir_trunc(t, c0);
    c1 = ir_trunc(t, c1);

    switch (i->op) {
    case IR_ADD:
        if (k1 && c1 == 0)
            return make_mov(i, x), true;
        return false;
    case IR_OR:
        if ((k1 && c1 == 0) || same)
            return make_mov(i, x), true;
        if (k1 && c1 == ones)
            return make_const(i, ones), true;
        return false;
    case IR_XOR:
        if (k1 && c1 == 0)
            return make_mov(i, x), true;
        if (same)
            return make_const(i, 0), true;
        return false;
    case IR_SUB:
        if (k1 && c1 == 0)
            return make_mov(i, x), true;
        if (same)
            return make_const(i, 0), true;
        return false;
    case IR_MUL:
        if (k1 && c1 == 1)
            return make_mov(i, x), true;
        if (k1 && c1 == 0)
            return make_const(i, 0), true;
        return false;
    case IR_MULHS:
    case IR_MULHU:
    case IR_MULHSU:
        if ((k1 && c1 == 0) || (k0 && c0 == 0))
            return make_const(i, 0), true;
        return false;
    case IR_AND:
        if (k1 && c1 == 0)
            return make_const(i, 0), true;
        if ((k1 && c1 == ones) || same)
            return make_mov(i, x), true;
        return false;
    case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROTL: case IR_ROTR:
        if (k1 && (c1 & wmask) == 0)
            return make_mov(i, x), true;
        if (k0 && c0 == 0)
            return make_const(i, 0), true;
        return false;
    case IR_DIV:
    case IR_DIVU:
        if (k1 && c1 == 1)
            return make_mov(i, x), true;
        return false;
    case IR_REM:
    case IR_REMU:
        if (k1 && c1 == 1)
            return make_const(i, 0), true;
        return false;
    case IR_MIN: case IR_MAX: case IR_MINU: case IR_MAXU:
        if (same)
            return make_mov(i, x), true;
        if (i->op == IR_MINU && k1 && c1 == 0)
            return make_const(i, 0), true;
        if (i->op == IR_MAXU && k1 && c1 == 0)
            return make_mov(i, x), true;
        if (i->op == IR_MAXU && k1 && c1 == ones)
            return make_const(i, ones), true;
        if (i->op == IR_MINU && k1 && c1 == ones)
            return make_mov(i, x), true;
        return false;
    default:
        return false;
    }
}

enum fold_result { FOLD_NONE, FOLD_CHANGED, FOLD_REMOVED, FOLD_TRUNCATE };

/* Folds one insn whose operands are already copy-resolved. */
static enum fold_result fold_insn(struct opt_scratch *s, const struct ir_block *b,
                                  struct ir_insn *i)
{
    uint64_t c0 = 0, c1 = 0;
    unsigned op = i->op;
    bool k0, k1;
    enum ir_type t = (enum ir_type)i->type;

    switch (op) {
    case IR_ADD: case IR_SUB: case IR_MUL: case IR_MULHS: case IR_MULHU: case IR_MULHSU:
    case IR_DIV: case IR_DIVU: case IR_REM: case IR_REMU: case IR_AND: case IR_OR:
    case IR_XOR: case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROTL: case IR_ROTR:
    case IR_MIN: case IR_MAX: case IR_MINU: case IR_MAXU: {
        k0 = cst(s, i->arg[0], &c0);
        k1 = cst(s, i->arg[1], &c1);
        if (k0 && k1)
            return make_const(i, ir_eval_binop((enum ir_opcode)op, t, c0, c1)), FOLD_CHANGED;
        bool swapped = false;
        if (k0 && (ir_opinfo[op].flags & IRF_COMM)) {
            /* constant second: one place to look for identities, and the JIT's immediate */
            ir_val v = i->arg[0];
            i->arg[0] = i->arg[1];
            i->arg[1] = v;
            k0 = false;
            k1 = true;
            c1 = c0;
            swapped = true;
        }
        if (fold_identity(i, k0, c0, k1, c1))
            return FOLD_CHANGED;
        return swapped ? FOLD_CHANGED : FOLD_NONE;
    }
    case IR_NOT: case IR_NEG: case IR_CLZ: case IR_CTZ: case IR_POPCNT: case IR_BSWAP:
    case IR_SEXT: case IR_ZEXT:
        if (cst(s, i->arg[0], &c0))
            return make_const(i, ir_eval_unop((enum ir_opcode)op, t, i->aux, c0)), FOLD_CHANGED;
        return FOLD_NONE;
    case IR_EXTRACT:
        if (cst(s, i->arg[0], &c0))
            return make_const(i, ir_eval_extract(t, i->imm, i->aux != 0, c0)), FOLD_CHANGED;
        return FOLD_NONE;
    case IR_DEPOSIT:
        if (cst(s, i->arg[0], &c0) && cst(s, i->arg[1], &c1))
            return make_const(i, ir_eval_deposit(t, i->imm, c0, c1)), FOLD_CHANGED;
        return FOLD_NONE;
    case IR_SETCC:
        if (cst(s, i->arg[0], &c0) && cst(s, i->arg[1], &c1))
            return make_const(i, ir_eval_setcc((enum ir_cond)i->aux,
                                               (enum ir_type)b->vtype[i->arg[0]], c0, c1)),
                   FOLD_CHANGED;
        if (i->arg[0] == i->arg[1])
            return make_const(i, cond_reflexive(i->aux)), FOLD_CHANGED;
        return FOLD_NONE;
    case IR_SELECT:
        if (cst(s, i->arg[0], &c0))
            return make_mov(i, c0 ? i->arg[1] : i->arg[2]), FOLD_CHANGED;
        if (i->arg[1] == i->arg[2])
            return make_mov(i, i->arg[1]), FOLD_CHANGED;
        return FOLD_NONE;
    case IR_EXIT_IF:
        if (!cst(s, i->arg[0], &c0))
            return FOLD_NONE;
        if (c0 == 0)
            return FOLD_REMOVED;
        i->op = IR_GOTO;
        i->arg[0] = IR_NOVAL;
        return FOLD_TRUNCATE;
    case IR_GOTO_IND:
        if (!cst(s, i->arg[0], &c0))
            return FOLD_NONE;
        i->op = IR_GOTO;
        i->arg[0] = IR_NOVAL;
        i->imm = c0;
        return FOLD_CHANGED;
    default:
        return FOLD_NONE;
    }
}

/* ---- sweeps ---- */

/* Forward: copy propagation, GET forwarding, folding. */
static void sweep_forward(struct ir_block *b, struct opt_scratch *s, unsigned passes)
{
    bool copy = passes & IR_OPT_COPY, fold = passes & IR_OPT_FOLD, state = passes & IR_OPT_STATE;
    if (copy)
        memset(s->repl, 0, (size_t)b->n_val * sizeof(*s->repl));
    memset(s->vflag, 0, b->n_val);
    st_clear(s);

    for (uint32_t k = 0; k < b->n_insn; k++) {
        struct ir_insn *i = &b->insn[k];
        if (i->op == OPT_DEAD)
            continue;
        if (copy) {
            for (unsigned a = 0; a < ir_opinfo[i->op].nargs; a++) {
                ir_val r = s->repl[i->arg[a]];
                if (r)
                    i->arg[a] = r;
            }
        }
        if (state && i->op == IR_GET) {
            uint32_t off = (uint32_t)i->imm, w = state_width(i);
            struct st_ent *e = st_find(s, off, w);
            if (e) {
                /* same bytes, same width: a copy, or a same-width bitcast */
                make_mov(i, e->val);
            } else {
                st_set(s, off, w, i->dst);
            }
        }
        if (fold) {
            switch (fold_insn(s, b, i)) {
            case FOLD_NONE:
            case FOLD_CHANGED: break;
            case FOLD_REMOVED: i->op = OPT_DEAD; continue;
            case FOLD_TRUNCATE:
                /* an exit always taken: nothing after it runs */
                for (uint32_t j = k + 1; j < b->n_insn; j++)
                    b->insn[j].op = OPT_DEAD;
                return;
            }
            /* a MOV of a constant (written so, or just made by forwarding or an identity)
             * is that constant; a bitcast keeps the bits */
            uint64_t c;
            if (i->op == IR_MOV && cst(s, i->arg[0], &c))
                make_const(i, c);
        }
        unsigned op = i->op;
        if (op == IR_CONST) {
            s->vflag[i->dst] |= VF_CONST;
            s->cval[i->dst] = i->imm;
        } else if (copy && op == IR_MOV && b->vtype[i->arg[0]] == i->type) {
            s->repl[i->dst] = i->arg[0];
        }
        if (!state)
            continue;
        uint32_t fl = ir_opinfo[op].flags, hf = is_call(op) ? call_flags(i) : 0;
        if (op == IR_PUT) {
            uint32_t off = (uint32_t)i->imm, w = state_width(i);
            st_kill_range(s, off, off + w);
            st_set(s, off, w, i->arg[0]);
        } else if ((fl & IRF_STATE) || (hf & IR_HELPER_STATE)) {
            st_clear(s);
        } else if ((fl & IRF_FP) || (hf & IR_HELPER_FP)) {
            st_kill_range(s, OPT_FPENV_LO, OPT_FPENV_HI);
        }
    }
}

static bool removable(const struct ir_insn *i)
{
    uint32_t fl = ir_opinfo[i->op].flags;
    if (is_call(i->op)) {
        uint32_t hf = call_flags(i);
        return (hf & IR_HELPER_PURE) &&
               !(hf & (IR_HELPER_FAULT | IR_HELPER_STATE | IR_HELPER_FP));
    }
    return !(fl & (IRF_SIDE | IRF_FP));
}

/* Backward: dead PUTs (state sweep) and dead values (liveness). */
static void sweep_backward(struct ir_block *b, struct opt_scratch *s, unsigned passes)
{
    bool dce = passes & IR_OPT_DCE, state = passes & IR_OPT_STATE;
    if (dce)
        for (uint32_t v = 0; v < b->n_val; v++)
            s->vflag[v] &= (uint8_t)~VF_LIVE;
    st_clear(s);

    for (uint32_t k = b->n_insn; k-- > 0;) {
        struct ir_insn *i = &b->insn[k];
        unsigned op = i->op;
        if (op == OPT_DEAD)
            continue;
        const struct ir_opinfo *oi = &ir_opinfo[op];
        if (dce && oi->has_dst && !(i->dst && (s->vflag[i->dst] & VF_LIVE)) && removable(i)) {
            i->op = OPT_DEAD;
            continue;
        }
        if (state) {
            uint32_t hf = is_call(op) ? call_flags(i) : 0;
            if (op == IR_PUT) {
                uint32_t off = (uint32_t)i->imm, w = state_width(i);
                if (st_find(s, off, 8) || (w == 4 && st_find(s, off, 4))) {
                    i->op = OPT_DEAD; /* overwritten before anyone can see it */
                    continue;
                }
                st_set(s, off, w, 1);
            } else if ((oi->flags & (IRF_EXIT | IRF_FAULT | IRF_STATE)) ||
                       (hf & (IR_HELPER_FAULT | IR_HELPER_STATE))) {
                st_clear(s); /* state observed here must be exact */
            } else if (op == IR_GET) {
                uint32_t off = (uint32_t)i->imm;
                st_kill_range(s, off, off + state_width(i));
            } else if ((oi->flags & IRF_FP) || (hf & IR_HELPER_FP)) {
                st_kill_range(s, OPT_FPENV_LO, OPT_FPENV_HI);
            }
        }
        if (dce)
            for (unsigned a = 0; a < oi->nargs; a++)
                s->vflag[i->arg[a]] |= VF_LIVE;
    }
}

static void compact(struct ir_block *b)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < b->n_insn; k++)
        if (b->insn[k].op != OPT_DEAD)
            b->insn[n++] = b->insn[k];
    b->n_insn = n;
}

void ir_optimize(struct ir_block *b, unsigned passes)
{
    if (b->oom || b->n_insn == 0 || !(passes & IR_OPT_ALL))
        return;
    uint32_t n_state = 0, or_off = 8, widths = 0;
    for (uint32_t k = 0; k < b->n_insn; k++) {
        const struct ir_insn *i = &b->insn[k];
        if (i->op == IR_GET || i->op == IR_PUT) {
            n_state++;
            or_off |= (uint32_t)i->imm;
            widths |= state_width(i);
            if (i->imm >= OPT_MAX_OFFSET)
                passes &= ~IR_OPT_STATE; /* a malformed block: keys would alias */
        }
    }
    struct opt_scratch *s = scratch_get(b->n_val, n_state);
    if (!s)
        return;
    s->gran = or_off & -or_off; /* lowest set bit, at most 8 */
    s->widths = widths;

    if (passes & (IR_OPT_FOLD | IR_OPT_COPY | IR_OPT_STATE))
        sweep_forward(b, s, passes);
    if (passes & (IR_OPT_DCE | IR_OPT_STATE))
        sweep_backward(b, s, passes);
    compact(b);
}
