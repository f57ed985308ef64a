/*
 * Integer benchmark: a small stack-machine interpreter (the switch-in-a-loop shape of
 * every bytecode VM) running two programs: recursive fib(N) and a counting loop with
 * globals. Exercises indirect branches, which a binary translator must handle well.
 * Scale = N for fib(N); the loop runs 2^(N-8) iterations.
 */
#include "bench_util.h"

enum op {
    OP_PUSH,
    OP_ARG,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_AND,
    OP_LT,
    OP_JZ,
    OP_JMP,
    OP_CALL,
    OP_RET,
    OP_LOADG,
    OP_STOREG,
    OP_HALT,
};

#define STACK_MAX 4096
#define FRAMES_MAX 1024

struct frame {
    int32_t ret; /* code index to return to */
    int32_t fp;  /* stack index of argument 0 */
    int32_t nargs;
};

/* Returns the value on top of the stack at OP_HALT, or -1 on a VM error. */
static int64_t run(const int32_t *code, int64_t *globals)
{
    int64_t stack[STACK_MAX];
    struct frame frames[FRAMES_MAX];
    int sp = 0, nf = 0, fp = 0;
    int32_t pc = 0;
    for (;;) {
        int32_t op = code[pc++];
        switch (op) {
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_ARG: stack[sp++] = stack[fp + code[pc++]]; break;
        case OP_ADD:
            sp--;
            stack[sp - 1] += stack[sp];
            break;
        case OP_SUB:
            sp--;
            stack[sp - 1] -= stack[sp];
            break;
        case OP_MUL:
            sp--;
            stack[sp - 1] *= stack[sp];
            break;
        case OP_AND:
            sp--;
            stack[sp - 1] &= stack[sp];
            break;
        case OP_LT:
            sp--;
            stack[sp - 1] = stack[sp - 1] < stack[sp];
            break;
        case OP_JZ: {
            int32_t t = code[pc++];
            if (!stack[--sp]) pc = t;
            break;
        }
        case OP_JMP: pc = code[pc]; break;
        case OP_CALL: {
            if (nf == FRAMES_MAX) return -1;
            int32_t target = code[pc++], nargs = code[pc++];
            frames[nf++] = (struct frame){.ret = pc, .fp = fp, .nargs = nargs};
            fp = sp - nargs;
            pc = target;
            break;
        }
        case OP_RET: {
            int64_t v = stack[--sp];
            struct frame f = frames[--nf];
            sp = fp; /* drop the arguments */
            stack[sp++] = v;
            fp = f.fp;
            pc = f.ret;
            break;
        }
        case OP_LOADG: stack[sp++] = globals[code[pc++]]; break;
        case OP_STOREG: globals[code[pc++]] = stack[--sp]; break;
        case OP_HALT: return stack[sp - 1];
        default: return -1;
        }
        if (sp >= STACK_MAX - 4) return -1;
    }
}

int main(int argc, char **argv)
{
    int32_t n = (int32_t)bench_scale(argc, argv, 32);
    /* main: fib(n); halt.   fib at 5: if (a0 < 2) return a0; return fib(a0-1)+fib(a0-2) */
    const int32_t fib[] = {
        OP_PUSH,          n, OP_CALL, 6,       1,      OP_HALT,
        /* 6 */ OP_ARG,   0, OP_PUSH, 2,       OP_LT,  OP_JZ,   17,     OP_ARG, 0,      OP_RET,
        /* 16 */ OP_HALT,
        /* 17 */ OP_ARG,  0, OP_PUSH, 1,       OP_SUB, OP_CALL, 6,      1,      OP_ARG, 0,
        OP_PUSH,          2, OP_SUB,  OP_CALL, 6,      1,       OP_ADD, OP_RET,
    };
    /* g0 = i, g1 = acc, g2 = limit: while (i < limit) { acc = (acc*31 + i) & 0x7fffffff; i++ } */
    const int32_t loop[] = {
        /* 0 */ OP_LOADG,
        0,
        OP_LOADG,
        2,
        OP_LT,
        OP_JZ,
        30,
        /* 7 */ OP_LOADG,
        1,
        OP_PUSH,
        31,
        OP_MUL,
        OP_LOADG,
        0,
        OP_ADD,
        OP_PUSH,
        0x7fffffff,
        OP_AND,
        /* 18 */ OP_STOREG,
        1,
        OP_LOADG,
        0,
        OP_PUSH,
        1,
        OP_ADD,
        OP_STOREG,
        0,
        OP_JMP,
        0,
        /* 29 */ OP_HALT,
        /* 30 */ OP_LOADG,
        1,
        OP_HALT,
    };
    int64_t globals[3] = {0, 7, (int64_t)1 << (n - 8)};
    int64_t f = run(fib, globals);
    int64_t l = run(loop, globals);
    if (f < 0 || l < 0) {
        printf("bytecode: VM error\n");
        return 1;
    }
    printf("bytecode: fib(%d) = %lld\n", n, (long long)f);
    bench_result("bytecode", (uint64_t)f * 0x9E3779B97F4A7C15ull ^ (uint64_t)l);
    return 0;
}
