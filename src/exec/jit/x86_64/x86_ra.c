/*
 * The x86-64 backend's block analysis and register allocator.
 *
 * Analysis (cg_analyse) decides what each insn really reads: a SETCC used once by an
 * EXIT_IF or SELECT is folded into it (one compare and a jcc/cmov), base + constant
 * addresses fold into the memory operand, a ZEXT.32 feeding ops that read only the low
 * 32 bits is skipped, constants become immediates where x86 takes them, and pure insns
 * left without users are dropped. The result is a use list per value (insn positions).
 *
 * Allocation is local and greedy over the straight-line block: a value gets a register
 * when an insn needs it there; when none is free, the value whose next use is furthest
 * away is evicted (Belady), for free when it can be rematerialised (a constant, a guest
 * field that still holds it, or an existing spill), else into a spill slot. GETs load
 * lazily, so a guest register read once is read where it is used, and one read several
 * times stays in a host register for the whole block.
 *
 * Invariants:
 * - A value with a use still ahead is always in a register, a spill slot, an unchanged
 *   guest field, or a constant: writes to guest state (PUT, state-touching helpers, FP
 *   ops on fp_flags) first load the values that field still backs (ra_state_write).
 * - Registers locked for the current insn are never evicted by it.
 * - Nothing here aborts on bad input: problems set cg.err and the block is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "exec/jit/x86_64/x86_cg.h"

/* ---- analysis ---- */

static bool is_binop(unsigned op) { return op >= IR_ADD && op <= IR_MAXU; }

/* Does operand `arg` of i depend only on the low 32 bits of its value? (The code
 * generator then uses 32-bit instructions on it, whatever its upper half holds.) */
static bool low32_only(const struct ir_block *b, const struct ir_insn *i, unsigned arg)
{
    switch (i->op) {
    case IR_ADD: case IR_SUB: case IR_MUL: case IR_AND: case IR_OR: case IR_XOR:
    case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROTL: case IR_ROTR:
    case IR_MIN: case IR_MAX: case IR_MINU: case IR_MAXU:
    case IR_DIV: case IR_DIVU: case IR_REM: case IR_REMU:
    case IR_NOT: case IR_NEG: case IR_CLZ: case IR_CTZ: case IR_POPCNT: case IR_BSWAP:
        return i->type == IR_I32;
    case IR_SEXT:
    case IR_ZEXT: return i->aux <= 32 && i->aux > 0;
    case IR_SETCC: return i->arg[0] && b->vtype[i->arg[0]] == IR_I32;
    case IR_PUT: return i->type == IR_I32 || i->type == IR_F32;
    case IR_STORE: return arg == 1 && i->mem.size <= 2;
    default: return false;
    }
}

/* May constant k be the immediate of op (type t)? */
static bool imm_ok(unsigned op, enum ir_type t, uint64_t k)
{
    bool fits = t == IR_I32 || x_s32((int64_t)k);
    switch (op) {
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR: case IR_MUL:
    case IR_SETCC: return fits;
    case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROTL: case IR_ROTR: return true;
    default: return false;
    }
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

int cg_analyse(struct cg *c)
{
    const struct ir_block *b = c->b;
    uint32_t n = b->n_insn, nv = b->n_val;
    uint32_t *cnt = c->cnt;
    memset(cnt, 0, (nv ? nv : 1) * sizeof(uint32_t));
    int err = 0;

    for (uint32_t v = 0; v < nv; v++) {
        c->def[v] = -1;
        c->v[v] = (struct cgv){.reg = -1, .xreg = -1, .slot = -1, .mem = -1, .kind = VK_NONE};
    }
    for (uint32_t j = 0; j < n && !err; j++) {
        const struct ir_insn *i = &b->insn[j];
        struct cgi *ci = &c->in[j];
        memset(ci, 0, sizeof(*ci));
        if (i->op >= IR_NUM_OPS) {
            err = -EINVAL;
            break;
        }
        ci->n = ir_opinfo[i->op].nargs;
        for (unsigned a = 0; a < ci->n; a++) {
            ir_val v = i->arg[a];
            if (v >= nv || (v && c->def[v] < 0)) err = -EINVAL;
            ci->a[a] = v;
        }
        if (ir_opinfo[i->op].has_dst && i->dst) {
            if (i->dst >= nv || c->def[i->dst] >= 0 || i->type >= IR_NUM_TYPES) {
                err = -EINVAL;
                break;
            }
            c->def[i->dst] = (int32_t)j;
            struct cgv *x = &c->v[i->dst];
            x->kind = VK_NORMAL;
            x->w64 = i->type == IR_I64 || i->type == IR_F64;
            if (i->op == IR_CONST) {
                x->kind = VK_CONST;
                x->k = x->w64 ? i->imm : (uint32_t)i->imm;
            }
        }
        if (i->op == IR_SETCC || i->op == IR_EXIT_IF || i->op == IR_SELECT) {
            ci->cond = i->aux;
            ci->cw64 = i->arg[0] && b->vtype[i->arg[0]] != IR_I32 && b->vtype[i->arg[0]] != IR_F32;
        }
    }
    if (err) goto out;

    /* ZEXT.32 to I32 is invisible to consumers of the low 32 bits */
    for (uint32_t j = 0; j < n; j++) {
        const struct ir_insn *i = &b->insn[j];
        struct cgi *ci = &c->in[j];
        for (unsigned a = 0; a < ci->n; a++) {
            ir_val v = ci->a[a];
            if (!v || !low32_only(b, i, a)) continue;
            const struct ir_insn *d = &b->insn[c->def[v]];
            if (d->op == IR_ZEXT && d->type == IR_I32 && d->aux == 32 && d->arg[0])
                ci->a[a] = d->arg[0];
        }
    }
    /* base + constant addresses */
    for (uint32_t j = 0; j < n; j++) {
        const struct ir_insn *i = &b->insn[j];
        struct cgi *ci = &c->in[j];
        if ((i->op != IR_LOAD && i->op != IR_STORE) || i->mem.align || !ci->a[0] || c->req->sys)
            continue;
        ir_val v = ci->a[0];
        const struct ir_insn *d = &b->insn[c->def[v]];
        if (d->op == IR_CONST && x_s32((int64_t)d->imm)) {
            ci->a[0] = IR_NOVAL;
            ci->disp = (int32_t)d->imm;
        } else if (d->op == IR_ADD && d->type == IR_I64) {
            struct cgi *cd = &c->in[c->def[v]];
            for (unsigned k = 0; k < 2; k++) {
                ir_val x = cd->a[k], y = cd->a[1 - k];
                if (x && y && c->v[y].kind == VK_CONST && c->v[x].kind != VK_CONST &&
                    x_s32((int64_t)c->v[y].k)) {
                    ci->a[0] = x;
                    ci->disp = (int32_t)c->v[y].k;
                    break;
                }
            }
        }
    }
    for (uint32_t j = 0; j < n; j++)
        for (unsigned a = 0; a < c->in[j].n; a++)
            if (c->in[j].a[a]) cnt[c->in[j].a[a]]++;

    /* a SETCC used only by an EXIT_IF or SELECT (as the condition) is done by it */
    for (uint32_t j = 0; j < n; j++) {
        const struct ir_insn *i = &b->insn[j];
        struct cgi *ci = &c->in[j];
        if ((i->op != IR_EXIT_IF && i->op != IR_SELECT) || !ci->a[0]) continue;
        ir_val cv = ci->a[0];
        uint32_t s = (uint32_t)c->def[cv];
        const struct ir_insn *sc = &b->insn[s];
        if (sc->op != IR_SETCC || cnt[cv] != 1 || sc->aux >= IR_NUM_CONDS) continue;
        struct cgi *cs = &c->in[s];
        cs->skip = 1;
        cnt[cv] = 0;
        ci->fused = 1;
        ci->cond = sc->aux;
        ci->cw64 = cs->cw64;
        if (i->op == IR_EXIT_IF) {
            ci->n = 2;
            ci->a[0] = cs->a[0];
            ci->a[1] = cs->a[1];
        } else {
            ci->n = 4;
            ci->a[3] = ci->a[2];
            ci->a[2] = ci->a[1];
            ci->a[0] = cs->a[0];
            ci->a[1] = cs->a[1];
        }
    }

    /* immediates; constant first operands swapped where the op allows */
    for (uint32_t j = 0; j < n; j++) {
        const struct ir_insn *i = &b->insn[j];
        struct cgi *ci = &c->in[j];
        unsigned op = ci->fused ? IR_SETCC : i->op;
        if (ci->skip || ci->n < 2 || !(is_binop(op) || op == IR_SETCC)) continue;
        enum ir_type t = op == IR_SETCC ? (ci->cw64 ? IR_I64 : IR_I32) : (enum ir_type)i->type;
        ir_val x = ci->a[0], y = ci->a[1];
        if (!x || !y) continue;
        if (c->v[x].kind == VK_CONST && c->v[y].kind != VK_CONST) {
            if (op == IR_SETCC)
                ci->cond = (uint8_t)cond_swap((enum ir_cond)ci->cond);
            else if (!(ir_opinfo[op].flags & IRF_COMM))
                continue;
            ci->a[0] = y;
            ci->a[1] = x;
            y = x;
        }
        if (c->v[y].kind == VK_CONST && imm_ok(op, t, c->v[y].k)) {
            ci->imm1 = 1;
            cnt[y]--;
        }
    }

    /* drop pure insns nobody reads (backwards, so chains of them go) */
    for (uint32_t j = n; j-- > 0;) {
        const struct ir_insn *i = &b->insn[j];
        struct cgi *ci = &c->in[j];
        if (ci->skip) continue;
        bool pure = !(ir_opinfo[i->op].flags & (IRF_SIDE | IRF_FP | IRF_TERM | IRF_EXIT));
        if (pure && ir_opinfo[i->op].has_dst && i->dst && cnt[i->dst] == 0) {
            ci->skip = 1;
            for (unsigned a = 0; a < ci->n; a++)
                if (ci->a[a] && !(a == 1 && ci->imm1)) cnt[ci->a[a]]--;
        }
    }

    /* use lists in insn order */
    uint32_t total = 0;
    for (uint32_t v = 0; v < nv; v++) {
        c->v[v].uc = c->v[v].ue = total;
        total += cnt[v];
    }
    /* c->use_pos has room for 4 operands per insn (the most any reads) */
    for (uint32_t j = 0; j < n; j++) {
        struct cgi *ci = &c->in[j];
        if (ci->skip) continue;
        for (unsigned a = 0; a < ci->n; a++) {
            ir_val v = ci->a[a];
            if (v && !(a == 1 && ci->imm1)) c->use_pos[c->v[v].ue++] = j;
        }
    }
out:
    return err;
}

/* ---- liveness queries ---- */

#define NO_USE UINT32_MAX

static uint32_t next_use(struct cg *c, ir_val v)
{
    struct cgv *x = &c->v[v];
    return x->uc < x->ue ? c->use_pos[x->uc] : NO_USE;
}

bool ra_dies(struct cg *c, ir_val v)
{
    struct cgv *x = &c->v[v];
    for (uint32_t u = x->uc; u < x->ue; u++)
        if (c->use_pos[u] > c->cur) return false;
    return true;
}

static bool remat(struct cg *c, ir_val v)
{
    struct cgv *x = &c->v[v];
    return x->kind == VK_CONST || x->mem >= 0 || x->slot >= 0 || x->xreg >= 0;
}

/* for an xmm register: a copy elsewhere */
static bool remat_x(struct cg *c, ir_val v)
{
    struct cgv *x = &c->v[v];
    return x->kind == VK_CONST || x->mem >= 0 || x->slot >= 0 || x->reg >= 0;
}

/* ---- registers ---- */

static void unbind(struct cg *c, int r)
{
    ir_val u = c->reg_val[r];
    if (u && c->v[u].reg == r) c->v[u].reg = -1;
    c->reg_val[r] = 0;
}

void ra_bind(struct cg *c, ir_val v, int r)
{
    if (!v) return;
    struct cgv *x = &c->v[v];
    if (x->reg >= 0 && x->reg != r) c->reg_val[x->reg] = 0;
    if (c->reg_val[r] && c->reg_val[r] != v) unbind(c, r);
    c->reg_val[r] = v;
    x->reg = (int8_t)r;
}

static int slot_alloc(struct cg *c)
{
    for (unsigned s = 0; s < CG_NSLOTS; s++)
        if (!c->slot_used[s]) {
            c->slot_used[s] = 1;
            return (int)s;
        }
    c->err = -E2BIG;
    return 0;
}

/* Make r empty, saving its value if it is still needed and exists nowhere else. */
static void evict(struct cg *c, int r)
{
    ir_val u = c->reg_val[r];
    if (!u) return;
    struct cgv *x = &c->v[u];
    if (x->uc < x->ue && !remat(c, u)) {
        x->slot = (int16_t)slot_alloc(c);
        x_store(&c->xb, 3, r, X_RSP, X_NOREG, 8 * x->slot);
    }
    unbind(c, r);
}

static const int8_t pref_order[] = {X_RAX, X_RCX, X_RDX, X_RSI, X_RDI, X_R8,  X_R9,
                                    X_R10, X_R11, X_RBX, X_R12, X_R13, X_R14, X_R15};

int ra_alloc(struct cg *c, uint32_t allowed)
{
    uint32_t cand = allowed & c->alloc_mask & ~c->locked;
    int best = -1;
    for (unsigned k = 0; k < sizeof(pref_order); k++) {
        int r = pref_order[k];
        if ((cand & RM(r)) && !c->reg_val[r]) {
            best = r;
            break;
        }
    }
    if (best < 0) {
        /* evict the value needed furthest ahead; rematerialisable ones first on ties */
        uint64_t best_key = 0;
        for (unsigned k = 0; k < sizeof(pref_order); k++) {
            int r = pref_order[k];
            if (!(cand & RM(r))) continue;
            ir_val u = c->reg_val[r];
            uint32_t nu = next_use(c, u);
            uint64_t key = ((uint64_t)nu << 1 | remat(c, u)) + 1;
            if (key > best_key) {
                best_key = key;
                best = r;
            }
        }
        if (best < 0) {
            c->err = -E2BIG;
            return X_RAX;
        }
        evict(c, best);
    }
    c->locked |= RM(best);
    return best;
}

void ra_load_into(struct cg *c, int r, ir_val v)
{
    struct cgv *x = &c->v[v];
    if (!v) {
        x_mov_ri(&c->xb, r, 0, true);
    } else if (x->reg >= 0) {
        if (x->reg != r) x_mov_rr(&c->xb, true, r, x->reg);
    } else if (x->xreg >= 0) {
        x_movq_rx(&c->xb, x->w64, r, x->xreg); /* movd zero-extends a 32-bit value */
    } else if (x->kind == VK_CONST) {
        x_mov_ri(&c->xb, r, x->k, true);
    } else if (x->mem >= 0) {
        cg_state_load(c, r, x->mem, x->w64);
    } else if (x->slot >= 0) {
        x_load(&c->xb, 3, false, true, r, X_RSP, X_NOREG, 8 * x->slot);
    } else {
        c->err = -EINVAL; /* a value used before it exists: the IR is malformed */
    }
}

void cg_state_load(struct cg *c, int r, int32_t off, bool w64)
{
    int p = cg_pin(c, off);
    if (p >= 0)
        x_mov_rr(&c->xb, w64, r, p);
    else
        x_load(&c->xb, w64 ? 3 : 2, false, w64, r, CG_REG_BASE, X_NOREG, off);
}

int ra_use_ro(struct cg *c, ir_val v)
{
    struct cgv *x = &c->v[v];
    if (v && x->reg < 0 && x->mem >= 0 && x->w64) {
        int p = cg_pin(c, x->mem);
        if (p >= 0) return p;
    }
    return ra_use(c, v, c->alloc_mask);
}

int ra_use(struct cg *c, ir_val v, uint32_t allowed)
{
    if (!v) { /* absent operand: zero */
        int r = ra_alloc(c, allowed);
        x_mov_ri(&c->xb, r, 0, true);
        return r;
    }
    struct cgv *x = &c->v[v];
    if (x->reg >= 0 && (allowed & RM(x->reg))) {
        c->locked |= RM(x->reg);
        return x->reg;
    }
    int r = ra_alloc(c, allowed);
    ra_load_into(c, r, v);
    ra_bind(c, v, r);
    return r;
}

void ra_take(struct cg *c, int r)
{
    ir_val u = c->reg_val[r];
    if (u) {
        bool was_locked = c->locked & RM(r);
        c->locked |= RM(r);
        /* keep it in a register if one is free or it is an operand of this insn */
        int to = -1;
        uint32_t cand = c->alloc_mask & ~c->locked;
        for (unsigned k = 0; k < sizeof(pref_order) && to < 0; k++)
            if ((cand & RM(pref_order[k])) && !c->reg_val[pref_order[k]]) to = pref_order[k];
        if (to < 0 && was_locked) to = ra_alloc(c, c->alloc_mask & ~RM(r));
        if (to >= 0) {
            x_mov_rr(&c->xb, true, to, r);
            c->reg_val[r] = 0;
            ra_bind(c, u, to);
            if (was_locked) c->locked |= RM(to);
        } else {
            evict(c, r);
        }
    }
    c->locked |= RM(r);
}

int ra_reuse(struct cg *c, ir_val v)
{
    if (!v) return -1;
    struct cgv *x = &c->v[v];
    if (x->reg < 0 || !ra_dies(c, v)) return -1;
    int r = x->reg;
    c->reg_val[r] = 0;
    x->reg = -1;
    c->locked |= RM(r);
    return r;
}

void ra_begin(struct cg *c, uint32_t i)
{
    c->cur = i;
    c->locked = 0;
    c->xlocked = 0;
    const struct cgi *ci = &c->in[i];
    for (unsigned a = 0; a < ci->n; a++) {
        ir_val v = ci->a[a];
        if (!v || (a == 1 && ci->imm1)) continue;
        if (c->v[v].reg >= 0) c->locked |= RM(c->v[v].reg);
        if (c->v[v].xreg >= 0) c->xlocked |= RM(c->v[v].xreg);
    }
}

/* ---- xmm registers ---- */

#define X_FIRST 3 /* xmm0-2: scratch of the FP code */

static void xunbind(struct cg *c, int x)
{
    ir_val u = c->xreg_val[x];
    if (u && c->v[u].xreg == x) c->v[u].xreg = -1;
    c->xreg_val[x] = 0;
}

/* Save a 32- or 64-bit value held only in xmm x into a spill slot (zero-extended). */
static void spill_x(struct cg *c, ir_val u, int x)
{
    struct cgv *v = &c->v[u];
    v->slot = (int16_t)slot_alloc(c);
    if (v->w64) {
        x_rm(&c->xb, 0xd6 | X_0F | X_P66, x, X_RSP, X_NOREG, 0, 8 * v->slot); /* movq [m], x */
    } else {
        x_rm(&c->xb, 0x7e | X_0F | X_P66, x, X_RSP, X_NOREG, 0, 8 * v->slot); /* movd [m], x */
        x_store_i(&c->xb, 2, 0, X_RSP, X_NOREG, 8 * v->slot + 4);
    }
}

static void xevict(struct cg *c, int x)
{
    ir_val u = c->xreg_val[x];
    if (!u) return;
    struct cgv *v = &c->v[u];
    if (v->uc < v->ue && !remat_x(c, u)) spill_x(c, u, x);
    xunbind(c, x);
}

int ra_xalloc(struct cg *c)
{
    int best = -1;
    for (int x = X_FIRST; x < 16 && best < 0; x++)
        if (!(c->xlocked & RM(x)) && !c->xreg_val[x]) best = x;
    if (best < 0) {
        uint64_t best_key = 0;
        for (int x = X_FIRST; x < 16; x++) {
            if (c->xlocked & RM(x)) continue;
            ir_val u = c->xreg_val[x];
            uint64_t key = ((uint64_t)next_use(c, u) << 1 | remat_x(c, u)) + 1;
            if (key > best_key) {
                best_key = key;
                best = x;
            }
        }
        if (best < 0) {
            c->err = -E2BIG;
            return X_FIRST;
        }
        xevict(c, best);
    }
    c->xlocked |= RM(best);
    return best;
}

void ra_xbind(struct cg *c, ir_val v, int x)
{
    if (!v) return;
    struct cgv *u = &c->v[v];
    if (u->xreg >= 0 && u->xreg != x) c->xreg_val[u->xreg] = 0;
    if (c->xreg_val[x] && c->xreg_val[x] != v) xunbind(c, x);
    c->xreg_val[x] = v;
    u->xreg = (int8_t)x;
}

int ra_xuse(struct cg *c, ir_val v)
{
    struct cgv *u = &c->v[v];
    if (v && u->xreg >= 0) {
        c->xlocked |= RM(u->xreg);
        return u->xreg;
    }
    int x = ra_xalloc(c);
    if (!v) {
        x_xorps(&c->xb, x, x);
        return x;
    }
    if (u->reg < 0 && u->kind != VK_CONST && u->mem >= 0 && cg_pin(c, u->mem) >= 0) {
        x_movq_xr(&c->xb, u->w64, x, cg_pin(c, u->mem));
    } else if (u->reg < 0 && u->kind != VK_CONST && (u->mem >= 0 || u->slot >= 0)) {
        /* straight from memory: movq/movd zero the rest of the register */
        bool w = u->w64;
        if (u->mem >= 0)
            x_rm(&c->xb, (w ? 0x7e | X_PF3 : 0x6e | X_P66) | X_0F, x, CG_REG_BASE, X_NOREG, 0, u->mem);
        else
            x_rm(&c->xb, (w ? 0x7e | X_PF3 : 0x6e | X_P66) | X_0F, x, X_RSP, X_NOREG, 0, 8 * u->slot);
    } else {
        int r = ra_use(c, v, c->alloc_mask);
        x_movq_xr(&c->xb, u->w64, x, r);
    }
    ra_xbind(c, v, x);
    return x;
}

int ra_xreuse(struct cg *c, ir_val v)
{
    if (!v) return -1;
    struct cgv *u = &c->v[v];
    if (u->xreg < 0 || !ra_dies(c, v)) return -1;
    int x = u->xreg;
    c->xreg_val[x] = 0;
    u->xreg = -1;
    c->xlocked |= RM(x);
    return x;
}

void ra_forget_xmm(struct cg *c)
{
    for (int x = 0; x < 16; x++)
        if (c->xreg_val[x]) xunbind(c, x);
}

static void release(struct cg *c, ir_val v)
{
    struct cgv *x = &c->v[v];
    if (x->reg >= 0 && c->reg_val[x->reg] == v) c->reg_val[x->reg] = 0;
    x->reg = -1;
    if (x->xreg >= 0 && c->xreg_val[x->xreg] == v) c->xreg_val[x->xreg] = 0;
    x->xreg = -1;
    if (x->slot >= 0) c->slot_used[x->slot] = 0;
    x->slot = -1;
    if (x->mem >= 0) {
        for (uint32_t k = 0; k < c->n_sb; k++)
            if (c->sb[k].v == v) c->sb[k--] = c->sb[--c->n_sb];
        x->mem = -1;
    }
}

void ra_end(struct cg *c, uint32_t i, ir_val dst)
{
    const struct cgi *ci = &c->in[i];
    for (unsigned a = 0; a < ci->n; a++) {
        ir_val v = ci->a[a];
        if (!v || (a == 1 && ci->imm1)) continue;
        struct cgv *x = &c->v[v];
        if (x->uc < x->ue && c->use_pos[x->uc] == i) x->uc++;
        else c->err = -EINVAL;
        if (x->uc == x->ue) release(c, v);
    }
    if (dst && c->v[dst].uc == c->v[dst].ue) release(c, dst);
    c->locked = 0;
    c->xlocked = 0;
}

/* ---- guest state ---- */

void ra_state_add(struct cg *c, ir_val v, int32_t off, unsigned width)
{
    struct cgv *x = &c->v[v];
    if (x->mem >= 0 || x->kind == VK_CONST || width != (x->w64 ? 8u : 4u)) return;
    if (c->n_sb == c->cap_sb) {
        uint32_t nc = c->cap_sb ? 2 * c->cap_sb : 32;
        void *p = realloc(c->sb, nc * sizeof(*c->sb));
        if (!p) {
            c->err = -ENOMEM;
            return;
        }
        c->sb = p;
        c->cap_sb = nc;
    }
    c->sb[c->n_sb].off = off;
    c->sb[c->n_sb].width = (uint8_t)width;
    c->sb[c->n_sb].v = v;
    c->n_sb++;
    x->mem = off;
}

/* The field will change: values it still backs go to a register first. */
static void sb_drop(struct cg *c, uint32_t k)
{
    ir_val u = c->sb[k].v;
    struct cgv *x = &c->v[u];
    if (x->uc < x->ue && x->reg < 0 && x->slot < 0) {
        int r = ra_alloc(c, c->alloc_mask);
        cg_state_load(c, r, x->mem, x->w64);
        ra_bind(c, u, r);
    }
    x->mem = -1;
    c->sb[k] = c->sb[--c->n_sb];
}

void ra_state_write(struct cg *c, int32_t off, unsigned width)
{
    for (uint32_t k = 0; k < c->n_sb;) {
        if (c->sb[k].off < off + (int32_t)width && off < c->sb[k].off + c->sb[k].width)
            sb_drop(c, k);
        else
            k++;
    }
}

void ra_state_clobber_all(struct cg *c)
{
    while (c->n_sb)
        sb_drop(c, c->n_sb - 1);
}

/* ---- calls ---- */

void ra_before_call(struct cg *c)
{
    /* every xmm register is caller-saved: values only there and needed later are saved */
    for (int x = X_FIRST; x < 16; x++) {
        ir_val u = c->xreg_val[x];
        if (u && !ra_dies(c, u) && !remat_x(c, u)) spill_x(c, u, x);
    }
    for (int r = 0; r < 16; r++) {
        ir_val u = c->reg_val[r];
        if (!(CG_CALLER & RM(r)) || !u || ra_dies(c, u)) continue;
        struct cgv *x = &c->v[u];
        if (x->kind == VK_CONST || x->mem >= 0 || x->slot >= 0) { /* (an xmm copy dies too) */
            unbind(c, r);
            continue;
        }
        int to = -1;
        uint32_t cand = c->alloc_mask & ~CG_CALLER & ~c->locked;
        for (unsigned k = 0; k < sizeof(pref_order) && to < 0; k++)
            if ((cand & RM(pref_order[k])) && !c->reg_val[pref_order[k]]) to = pref_order[k];
        if (to >= 0) {
            x_mov_rr(&c->xb, true, to, r);
            c->reg_val[r] = 0;
            ra_bind(c, u, to);
        } else { /* a spill even if an xmm register holds it: that dies too */
            x->slot = (int16_t)slot_alloc(c);
            x_store(&c->xb, 3, r, X_RSP, X_NOREG, 8 * x->slot);
            unbind(c, r);
        }
    }
}

void ra_parallel_move(struct cg *c, const int *dst, const ir_val *src, const uint64_t *imm,
                      unsigned n)
{
    int md[8], ms[8];
    unsigned nm = 0;
    for (unsigned k = 0; k < n; k++) {
        ir_val v = src[k];
        if (v && c->v[v].reg >= 0 && c->v[v].reg != dst[k]) {
            md[nm] = dst[k];
            ms[nm++] = c->v[v].reg;
        }
    }
    x_parallel_move(&c->xb, md, ms, nm);
    for (unsigned k = 0; k < n; k++) {
        ir_val v = src[k];
        if (v && c->v[v].reg >= 0) continue;
        if (v)
            ra_load_into(c, dst[k], v);
        else {
            x_mov_ri(&c->xb, dst[k], imm[k], true);
        }
    }
}
