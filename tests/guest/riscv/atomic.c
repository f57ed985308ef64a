/*
 * A extension, single-threaded semantics: every AMO in .w and .d form returns the old
 * memory value (sign-extended for .w) and stores the right new value without touching the
 * neighbouring word; LR/SC succeeds (rd = 0) on an intact reservation and fails (rd != 0,
 * memory unchanged) after the reservation was used up or for another address.
 * Multi-threaded atomicity is checked by threads.c.
 */
#include "check.h"

static uint64_t mem[4] __attribute__((aligned(4096)));
static uint64_t other[2] __attribute__((aligned(4096))); /* outside any reservation set of mem */

/* old = amo(&mem[1] low word or dword, v); mem checked by the caller */
#define AMO(insn, v)                                                                        \
    ({                                                                                      \
        uint64_t amo_old_;                                                                  \
        __asm__ volatile(insn " %0, %1, (%2)"                                               \
                         : "=r"(amo_old_)                                                   \
                         : "r"((uint64_t)(v)), "r"(&mem[1])                                 \
                         : "memory");                                                       \
        amo_old_;                                                                           \
    })

/* One .w AMO: mem[1] starts as init (low word; high word 0xa5a5a5a5 must survive). */
static void amo_w(const char *name, uint64_t old_ret, uint32_t want_mem, uint64_t want_ret)
{
    char what[64];
    snprintf(what, sizeof what, "%s result", name);
    check_u64(what, old_ret, want_ret);
    snprintf(what, sizeof what, "%s memory", name);
    check_u64(what, mem[1], 0xa5a5a5a500000000ull | want_mem);
    check_u64("amo .w leaves neighbours", mem[0] ^ mem[2], 0);
}

#define W(init) (mem[0] = mem[2] = 0x5a5a5a5a5a5a5a5aull, mem[1] = 0xa5a5a5a500000000ull | (init))

static void test_amo_w(void)
{
    W(0x11111111);
    amo_w("amoswap.w", AMO("amoswap.w", 0x80000000u), 0x80000000u, 0x11111111);
    amo_w("amoswap.w old sign-extends", AMO("amoswap.w", 0x1), 1, 0xffffffff80000000ull);
    W(0x7fffffff);
    amo_w("amoadd.w overflow", AMO("amoadd.w", 1), 0x80000000u, 0x7fffffff);
    W(0xffffffffu);
    amo_w("amoadd.w carry not into high word", AMO("amoadd.w.aq", 2), 1, 0xffffffffffffffffull);
    W(0xff00ff00u);
    amo_w("amoxor.w", AMO("amoxor.w", 0x0ff00ff0u), 0xf0f0f0f0u, 0xffffffffff00ff00ull);
    W(0xff00ff00u);
    amo_w("amoand.w", AMO("amoand.w.rl", 0x0ff00ff0u), 0x0f000f00u, 0xffffffffff00ff00ull);
    W(0xff00ff00u);
    amo_w("amoor.w", AMO("amoor.w.aqrl", 0x0ff00ff0u), 0xfff0fff0u, 0xffffffffff00ff00ull);
    W(0xfffffffbu); /* -5 */
    amo_w("amomin.w signed", AMO("amomin.w", 3), 0xfffffffbu, 0xfffffffffffffffbull);
    W(0xfffffffbu);
    amo_w("amomax.w signed", AMO("amomax.w", 3), 3, 0xfffffffffffffffbull);
    W(0xfffffffbu);
    amo_w("amominu.w", AMO("amominu.w", 3), 3, 0xfffffffffffffffbull);
    W(0xfffffffbu);
    amo_w("amomaxu.w", AMO("amomaxu.w", 3), 0xfffffffbu, 0xfffffffffffffffbull);
    /* only the low 32 bits of rs2 take part */
    W(5);
    amo_w("amomin.w ignores rs2 upper", AMO("amomin.w", 0x00000001fffffff0ull), 0xfffffff0u, 5);
    W(5);
    amo_w("amomaxu.w ignores rs2 upper", AMO("amomaxu.w", 0xffffffff00000002ull), 5, 5);
}

static void amo_d(const char *name, uint64_t old_ret, uint64_t want_mem, uint64_t want_ret)
{
    char what[64];
    snprintf(what, sizeof what, "%s result", name);
    check_u64(what, old_ret, want_ret);
    snprintf(what, sizeof what, "%s memory", name);
    check_u64(what, mem[1], want_mem);
    check_u64("amo .d leaves neighbours", mem[0] ^ mem[2], 0);
}

#define D(init) (mem[0] = mem[2] = 0x5a5a5a5a5a5a5a5aull, mem[1] = (init))

static void test_amo_d(void)
{
    D(0x1122334455667788ull);
    amo_d("amoswap.d", AMO("amoswap.d", 0x8000000000000000ull), 0x8000000000000000ull,
          0x1122334455667788ull);
    D(0x7fffffffffffffffull);
    amo_d("amoadd.d overflow", AMO("amoadd.d", 1), 0x8000000000000000ull, 0x7fffffffffffffffull);
    D(0xff00ff00ff00ff00ull);
    amo_d("amoxor.d", AMO("amoxor.d", 0x0ff00ff00ff00ff0ull), 0xf0f0f0f0f0f0f0f0ull,
          0xff00ff00ff00ff00ull);
    D(0xff00ff00ff00ff00ull);
    amo_d("amoand.d", AMO("amoand.d.aq", 0x0ff00ff00ff00ff0ull), 0x0f000f000f000f00ull,
          0xff00ff00ff00ff00ull);
    D(0xff00ff00ff00ff00ull);
    amo_d("amoor.d", AMO("amoor.d.rl", 0x0ff00ff00ff00ff0ull), 0xfff0fff0fff0fff0ull,
          0xff00ff00ff00ff00ull);
    D(0x8000000000000000ull);
    amo_d("amomin.d signed", AMO("amomin.d", 1), 0x8000000000000000ull, 0x8000000000000000ull);
    D(0x8000000000000000ull);
    amo_d("amomax.d signed", AMO("amomax.d", 1), 1, 0x8000000000000000ull);
    D(0x8000000000000000ull);
    amo_d("amominu.d", AMO("amominu.d", 1), 1, 0x8000000000000000ull);
    D(0x8000000000000000ull);
    amo_d("amomaxu.d", AMO("amomaxu.d.aqrl", 1), 0x8000000000000000ull, 0x8000000000000000ull);
    D(0xfffffffffffffffeull);
    amo_d("amomax.d -2 vs -3", AMO("amomax.d", 0xfffffffffffffffdull), 0xfffffffffffffffeull,
          0xfffffffffffffffeull);
    D(42);
    amo_d("amoswap.d to x0 still stores", ({
              __asm__ volatile("amoswap.d x0, %0, (%1)" : : "r"(7ull), "r"(&mem[1]) : "memory");
              42ull;
          }),
          7, 42);
}

static void test_lr_sc(void)
{
    uint64_t v, rc, p = (uint64_t)(uintptr_t)&mem[1];

    mem[1] = 0xa5a5a5a580000000ull;
    __asm__ volatile("lr.w %0, (%2)\n addi %0, %0, 1\n sc.w %1, %0, (%2)"
                     : "=&r"(v), "=&r"(rc)
                     : "r"(p)
                     : "memory");
    check_u64("lr.w sign-extends", v, 0xffffffff80000001ull);
    check_u64("sc.w success rd", rc, 0);
    check_u64("sc.w stored low word", mem[1], 0xa5a5a5a580000001ull);

    uint64_t rc1;
    mem[1] = 100;
    __asm__ volatile("lr.d %0, (%3)\n sc.d %1, %4, (%3)\n sc.d %2, %5, (%3)"
                     : "=&r"(v), "=&r"(rc1), "=&r"(rc)
                     : "r"(p), "r"(200ull), "r"(300ull)
                     : "memory");
    check_u64("lr.d value", v, 100);
    check_u64("first sc.d succeeds", rc1, 0);
    check_true("second sc.d without lr fails", rc != 0, "rd=%llu", (unsigned long long)rc);
    check_u64("failed sc.d left memory", mem[1], 200);

    mem[1] = 5;
    other[0] = 6;
    __asm__ volatile("lr.d %0, (%2)\n sc.d %1, %3, (%4)"
                     : "=&r"(v), "=&r"(rc)
                     : "r"(p), "r"(77ull), "r"(&other[0])
                     : "memory");
    check_true("sc.d to another address fails", rc != 0, "rd=%llu", (unsigned long long)rc);
    check_u64("failed sc.d other address unchanged", other[0], 6);
    check_u64("failed sc.d reserved address unchanged", mem[1], 5);

    /* the usual retry loop: 1000 increments */
    mem[1] = 0;
    for (int i = 0; i < 1000; i++)
        __asm__ volatile("1: lr.d.aq t0, (%0)\n addi t0, t0, 1\n sc.d.rl t1, t0, (%0)\n"
                         " bnez t1, 1b"
                         :
                         : "r"(p)
                         : "t0", "t1", "memory");
    check_u64("lr/sc increment loop", mem[1], 1000);

    /* sc.w writes only 32 bits */
    mem[1] = 0x1111111122222222ull;
    __asm__ volatile("1: lr.w %0, (%2)\n sc.w %1, %3, (%2)\n bnez %1, 1b"
                     : "=&r"(v), "=&r"(rc)
                     : "r"(p), "r"(0xffffffffffffffffull)
                     : "memory");
    check_u64("sc.w keeps high word", mem[1], 0x11111111ffffffffull);
}

int main(void)
{
    test_amo_w();
    test_amo_d();
    test_lr_sc();
    return check_done("atomic");
}
