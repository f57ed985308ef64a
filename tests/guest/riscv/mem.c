/*
 * RV64I loads and stores: every width and signedness, at every misalignment within a
 * 16-byte window, with positive and negative offsets, rd == base, and stores that must
 * leave neighbouring bytes alone. Linux user mode makes misaligned accesses work (in
 * hardware or by kernel emulation), so the guest sees the plain little-endian value.
 */
#include "check.h"

/* bytes: 01 82 03 84 05 86 07 88 09 8a 0b 8c 0d 8e 0f 90, then 0x11.. */
static uint8_t buf[32] __attribute__((aligned(16))) = {
    0x01, 0x82, 0x03, 0x84, 0x05, 0x86, 0x07, 0x88, 0x09, 0x8a, 0x0b, 0x8c, 0x0d, 0x8e, 0x0f, 0x90,
    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20};

#define LOAD(insn, p, off)                                                                  \
    ({                                                                                      \
        uint64_t ld_v_;                                                                     \
        __asm__ volatile(insn " %0, " #off "(%1)" : "=r"(ld_v_) : "r"(p) : "memory");       \
        ld_v_;                                                                              \
    })
#define STORE(insn, p, off, v)                                                              \
    __asm__ volatile(insn " %1, " #off "(%0)" : : "r"(p), "r"((uint64_t)(v)) : "memory")

static void test_loads(void)
{
    uint8_t *p = OPAQUE(buf);
    uint8_t *e = OPAQUE(buf + 16); /* for negative offsets */

    check_u64("lb 0", LOAD("lb", p, 0), 0x01);
    check_u64("lb 1 sign-extends", LOAD("lb", p, 1), 0xffffffffffffff82ull);
    check_u64("lbu 1", LOAD("lbu", p, 1), 0x82);
    check_u64("lb -1", LOAD("lb", e, -1), 0xffffffffffffff90ull);
    check_u64("lbu -16", LOAD("lbu", e, -16), 0x01);

    check_u64("lh 0", LOAD("lh", p, 0), 0xffffffffffff8201ull);
    check_u64("lhu 0", LOAD("lhu", p, 0), 0x8201);
    check_u64("lh 1 misaligned", LOAD("lh", p, 1), 0x0382);
    check_u64("lh 2", LOAD("lh", p, 2), 0xffffffffffff8403ull);
    check_u64("lhu 3 misaligned", LOAD("lhu", p, 3), 0x0584);
    check_u64("lh 7 misaligned", LOAD("lh", p, 7), 0x0988);
    check_u64("lh -2", LOAD("lh", e, -2), 0xffffffffffff900full);

    check_u64("lw 0", LOAD("lw", p, 0), 0xffffffff84038201ull);
    check_u64("lwu 0", LOAD("lwu", p, 0), 0x84038201);
    check_u64("lw 1 misaligned", LOAD("lw", p, 1), 0x05840382);
    check_u64("lw 2 misaligned", LOAD("lw", p, 2), 0xffffffff86058403ull);
    check_u64("lw 3 misaligned", LOAD("lw", p, 3), 0x07860584);
    check_u64("lwu 6 misaligned", LOAD("lwu", p, 6), 0x8a098807);
    check_u64("lw -4", LOAD("lw", e, -4), 0xffffffff900f8e0dull);

    check_u64("ld 0", LOAD("ld", p, 0), 0x8807860584038201ull);
    check_u64("ld 1 misaligned", LOAD("ld", p, 1), 0x0988078605840382ull);
    check_u64("ld 3 misaligned", LOAD("ld", p, 3), 0x0b8a098807860584ull);
    check_u64("ld 7 misaligned", LOAD("ld", p, 7), 0x0f8e0d8c0b8a0988ull);
    check_u64("ld 12 crosses 16", LOAD("ld", p, 12), 0x14131211900f8e0dull);
    check_u64("ld -8", LOAD("ld", e, -8), 0x900f8e0d8c0b8a09ull);
    check_u64("ld 2040 via base-2040", LOAD("ld", p - 2040, 2040), 0x8807860584038201ull);
    check_u64("ld -2048 via base+2048", LOAD("ld", p + 2048, -2048), 0x8807860584038201ull);

    /* rd == base register */
    uint64_t v = (uint64_t)(uintptr_t)p;
    __asm__ volatile("ld %0, 8(%0)" : "+r"(v) : : "memory");
    check_u64("ld rd==rs1", v, 0x900f8e0d8c0b8a09ull);
    v = (uint64_t)(uintptr_t)p;
    __asm__ volatile("lb %0, 9(%0)" : "+r"(v) : : "memory");
    check_u64("lb rd==rs1", v, 0xffffffffffffff8aull);
    /* a load into x0 still happens (and must not crash) but the value is dropped */
    __asm__ volatile("lw x0, 0(%1)\n mv %0, x0" : "=r"(v) : "r"(p) : "memory");
    check_u64("lw to x0", v, 0);
}

static int bytes_eq(const uint8_t *got, const uint8_t *want, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        if (got[i] != want[i]) {
            check_true(what, 0, "byte %d is 0x%02x, want 0x%02x", i, got[i], want[i]);
            return 0;
        }
    check_true(what, 1, " ");
    return 1;
}

static void test_stores(void)
{
    static uint8_t m[24] __attribute__((aligned(16)));
    uint8_t *p = OPAQUE(m);

    memset(m, 0xee, sizeof m);
    STORE("sb", p, 5, 0x123456789abcdef0ull);
    {
        static const uint8_t w[8] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xf0, 0xee, 0xee};
        bytes_eq(m, w, 8, "sb stores low byte only");
    }
    memset(m, 0xee, sizeof m);
    STORE("sh", p, 3, 0x123456789abcdef0ull);
    {
        static const uint8_t w[8] = {0xee, 0xee, 0xee, 0xf0, 0xde, 0xee, 0xee, 0xee};
        bytes_eq(m, w, 8, "sh misaligned");
    }
    memset(m, 0xee, sizeof m);
    STORE("sw", p, 2, 0x123456789abcdef0ull);
    STORE("sw", p, 9, 0x11223344ull);
    {
        static const uint8_t w[16] = {0xee, 0xee, 0xf0, 0xde, 0xbc, 0x9a, 0xee, 0xee,
                                      0xee, 0x44, 0x33, 0x22, 0x11, 0xee, 0xee, 0xee};
        bytes_eq(m, w, 16, "sw aligned-by-2 and odd");
    }
    memset(m, 0xee, sizeof m);
    STORE("sd", p, 3, 0x1122334455667788ull);
    STORE("sd", p + 16, -5, 0x99aabbccddeeff00ull); /* bytes 11..18 */
    {
        static const uint8_t w[20] = {0xee, 0xee, 0xee, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22,
                                      0x11, 0x00, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0xee};
        bytes_eq(m, w, 20, "sd misaligned, negative offset");
    }
    memset(m, 0, sizeof m);
    STORE("sd", p, 8, 0x8000000000000001ull);
    check_u64("sd then ld", LOAD("ld", p, 8), 0x8000000000000001ull);
    check_u64("sd then lw upper half", LOAD("lw", p, 12), 0xffffffff80000000ull);
    check_u64("sd then lhu", LOAD("lhu", p, 8), 1);
    /* store then load through a different width at an overlapping misaligned address */
    STORE("sw", p, 1, 0xcafebabeull);
    check_u64("sw then lhu +2", LOAD("lhu", p, 3), 0xcafe);
    check_u64("sw then ld 0", LOAD("ld", p, 0), 0x000000cafebabe00ull);
}

int main(void)
{
    test_loads();
    test_stores();
    return check_done("mem");
}
