/*
 * IR printer: the `-d ir` text form, one insn per line, for humans and for tests that
 * match substrings. It must never crash on a malformed block (it is what one prints
 * when the verifier complains), so every table index is range-checked.
 *
 * Format:
 *   IR block pc=0x10078 insns=N guest=M
 *     v3:i64 = add v1, v2
 *     put [+0x48] v3
 *     v7:i64 = load.u32 v6
 *     store.u8 v6, v7
 *     exit_if v9 -> 0x10074
 *     ---- 0x10074 len=4          (INSN_START)
 */
#include <ctype.h>
#include <string.h>

#include "ir/ir.h"

static const char *const type_names[] = {"i32", "i64", "f32", "f64"};
static const char *const cond_names[] = {"eq", "ne", "lt", "ge", "le", "gt", "ltu", "geu",
                                         "leu", "gtu"};
static const char *const rm_names[] = {"rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn"};
static const char *const order_names[] = {"", ".acq", ".rel", ".seq"};
static const char *const rmw_names[] = {"xchg", "add", "and", "or", "xor",
                                        "min", "max", "minu", "maxu"};
static const char *const fcmp_names[] = {"eq", "lt", "le", "un", "rel_q", "rel_s"};
static const char *const exit_names[] = {"syscall", "exception", "illegal",
                                         "break", "halt", "flush"};

#define NAME_OR(tab, i, dflt) ((unsigned)(i) < sizeof(tab) / sizeof((tab)[0]) ? (tab)[i] : (dflt))

static void print_opname(FILE *f, unsigned op)
{
    const char *n = op < IR_NUM_OPS ? ir_opinfo[op].name : "bad_op";
    for (; *n; n++)
        fputc(tolower((unsigned char)*n), f);
}

static void print_args(FILE *f, const struct ir_insn *i, unsigned n)
{
    for (unsigned a = 0; a < n && a < 3; a++)
        fprintf(f, "%sv%u", a ? ", " : " ", i->arg[a]);
}

/* ".u32", ".s8": size and signedness of a memory access, then ordering and alignment. */
static void print_mem(FILE *f, const struct ir_memop *m, bool show_sign)
{
    fprintf(f, ".%c%u%s%s", show_sign && m->sign ? 's' : 'u', 8u << (m->size & 3),
            NAME_OR(order_names, m->order, ".ord?"), m->align ? ".aligned" : "");
}

static void print_insn(FILE *f, const struct ir_insn *i)
{
    unsigned op = i->op;
    const struct ir_opinfo *oi = op < IR_NUM_OPS ? &ir_opinfo[op] : NULL;

    if (op == IR_INSN_START) {
        fprintf(f, "---- 0x%llx len=%u\n", (unsigned long long)i->imm, i->aux);
        return;
    }
    fputs("  ", f);
    if (oi && oi->has_dst && i->dst)
        fprintf(f, "v%u:%s = ", i->dst, NAME_OR(type_names, i->type, "?"));
    if (!oi) {
        fprintf(f, "bad_op%u\n", op);
        return;
    }
    switch (op) {
    case IR_CONST:
        fprintf(f, "const 0x%llx", (unsigned long long)i->imm);
        if (i->type == IR_F64) {
            double d;
            memcpy(&d, &i->imm, sizeof(d));
            fprintf(f, " (%g)", d);
        } else if (i->type == IR_F32) {
            float x;
            uint32_t bits = (uint32_t)i->imm;
            memcpy(&x, &bits, sizeof(x));
            fprintf(f, " (%g)", (double)x);
        } else if ((int64_t)i->imm < 0 && (int64_t)i->imm > -0x10000) {
            fprintf(f, " (%lld)", (long long)(int64_t)i->imm);
        }
        break;
    case IR_GET:
        fprintf(f, "get [+0x%llx]", (unsigned long long)i->imm);
        break;
    case IR_PUT:
        fprintf(f, "put.%s [+0x%llx] v%u", NAME_OR(type_names, i->type, "?"),
                (unsigned long long)i->imm, i->arg[0]);
        break;
    case IR_SEXT:
    case IR_ZEXT:
        print_opname(f, op);
        fprintf(f, ".%u v%u", i->aux, i->arg[0]);
        break;
    case IR_EXTRACT:
        fprintf(f, "extract%s v%u, pos=%u, len=%u", i->aux ? ".s" : "", i->arg[0],
                (unsigned)(i->imm & 0xff), (unsigned)((i->imm >> 8) & 0xff));
        break;
    case IR_DEPOSIT:
        fprintf(f, "deposit v%u, v%u, pos=%u, len=%u", i->arg[0], i->arg[1],
                (unsigned)(i->imm & 0xff), (unsigned)((i->imm >> 8) & 0xff));
        break;
    case IR_SETCC:
        fprintf(f, "setcc.%s", NAME_OR(cond_names, i->aux, "cond?"));
        print_args(f, i, 2);
        break;
    case IR_LOAD:
        fputs("load", f);
        print_mem(f, &i->mem, true);
        print_args(f, i, 1);
        break;
    case IR_STORE:
        fputs("store", f);
        print_mem(f, &i->mem, false);
        print_args(f, i, 2);
        break;
    case IR_ATOMIC_RMW:
        fprintf(f, "atomic_%s", NAME_OR(rmw_names, i->aux, "rmw?"));
        print_mem(f, &i->mem, true);
        print_args(f, i, 2);
        break;
    case IR_CMPXCHG:
        fputs("cmpxchg", f);
        print_mem(f, &i->mem, true);
        print_args(f, i, 3);
        break;
    case IR_FENCE:
        fprintf(f, "fence%s%s%s%s", i->aux & IR_FENCE_RR ? " rr" : "",
                i->aux & IR_FENCE_RW ? " rw" : "", i->aux & IR_FENCE_WR ? " wr" : "",
                i->aux & IR_FENCE_WW ? " ww" : "");
        break;
    case IR_FCMP:
        fprintf(f, "fcmp.%s", NAME_OR(fcmp_names, i->aux, "pred?"));
        print_args(f, i, 2);
        if (i->imm)
            fprintf(f, " fpx=0x%llx", (unsigned long long)i->imm);
        break;
    case IR_CALL0: case IR_CALL1: case IR_CALL2: case IR_CALL3: {
        const struct ir_helper *h = (const struct ir_helper *)(uintptr_t)i->imm;
        fprintf(f, "call %s(", h && h->name ? h->name : "?");
        for (unsigned a = 0; a < oi->nargs; a++)
            fprintf(f, "%sv%u", a ? ", " : "", i->arg[a]);
        fputc(')', f);
        break;
    }
    case IR_EXIT_IF:
        fprintf(f, "exit_if v%u -> 0x%llx", i->arg[0], (unsigned long long)i->imm);
        break;
    case IR_GOTO:
        fprintf(f, "goto 0x%llx", (unsigned long long)i->imm);
        break;
    case IR_EXIT:
        fprintf(f, "exit %s pc=0x%llx", NAME_OR(exit_names, i->aux, "reason?"),
                (unsigned long long)i->imm);
        break;
    default:
        print_opname(f, op);
        if (oi->flags & IRF_FP) {
            /* FP ops: rounding mode suffix, behaviour bits only when set */
            fprintf(f, ".%s", rm_names[i->aux & 7]);
            print_args(f, i, oi->nargs);
            if (i->imm)
                fprintf(f, " fpx=0x%llx", (unsigned long long)i->imm);
        } else {
            print_args(f, i, oi->nargs);
        }
        break;
    }
    fputc('\n', f);
}

void ir_print(FILE *f, const struct ir_block *b)
{
    fprintf(f, "IR block pc=0x%llx insns=%u guest=%u\n", (unsigned long long)b->pc, b->n_insn,
            b->n_guest);
    if (!b->insn)
        return;
    for (uint32_t k = 0; k < b->n_insn; k++)
        print_insn(f, &b->insn[k]);
}
