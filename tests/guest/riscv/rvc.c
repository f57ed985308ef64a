/*
 * C extension: known answers for the hand-written compressed-instruction functions in
 * rvc_insns.S (one per instruction form, incl. the extreme immediates and offsets each
 * form can encode). Compiler-generated compressed code is exercised by cwork.c.
 */
#include "check.h"

#define MIN64 0x8000000000000000ull

uint64_t rvc_li_m32(void), rvc_li_31(void), rvc_lui_1(void), rvc_lui_neg(void),
    rvc_lui_31(void), rvc_addi_m32(uint64_t), rvc_addi_31(uint64_t), rvc_addiw_1(uint64_t),
    rvc_addiw_0(uint64_t), rvc_nop(void), rvc_slli_63(uint64_t), rvc_slli_1(uint64_t),
    rvc_srli_63(uint64_t), rvc_srli_4(uint64_t), rvc_srai_1(uint64_t), rvc_srai_63(uint64_t),
    rvc_andi_m32(uint64_t), rvc_andi_15(uint64_t), rvc_sub(uint64_t, uint64_t),
    rvc_xor(uint64_t, uint64_t), rvc_or(uint64_t, uint64_t), rvc_and(uint64_t, uint64_t),
    rvc_subw(uint64_t, uint64_t), rvc_addw(uint64_t, uint64_t), rvc_mv(uint64_t, uint64_t),
    rvc_add(uint64_t, uint64_t), rvc_addi4spn(void), rvc_addi16sp(void),
    rvc_spmem(uint64_t, uint64_t *), rvc_mem(void *), rvc_mem_maxoff(void *), rvc_j(void),
    rvc_beqz(uint64_t), rvc_bnez(uint64_t), rvc_loop(uint64_t), rvc_jr(void),
    rvc_jalr(uint64_t (*)(uint64_t)), rvc_jalr_link(void), rvc_leaf(uint64_t);

static void test_alu(void)
{
    check_u64("c.li -32", rvc_li_m32(), 0xffffffffffffffe0ull);
    check_u64("c.li 31", rvc_li_31(), 31);
    check_u64("c.lui 1", rvc_lui_1(), 0x1000);
    check_u64("c.lui -32", rvc_lui_neg(), 0xfffffffffffe0000ull);
    check_u64("c.lui 31", rvc_lui_31(), 0x1f000);
    check_u64("c.addi -32", rvc_addi_m32(100), 68);
    check_u64("c.addi -32 from 0", rvc_addi_m32(0), 0xffffffffffffffe0ull);
    check_u64("c.addi 31", rvc_addi_31(1), 32);
    check_u64("c.addiw overflow", rvc_addiw_1(0x7fffffff), 0xffffffff80000000ull);
    check_u64("c.addiw 0 = sext.w", rvc_addiw_0(0x180000000ull), 0xffffffff80000000ull);
    check_u64("c.nop", rvc_nop(), 7);
    check_u64("c.slli 63", rvc_slli_63(1), MIN64);
    check_u64("c.slli 1", rvc_slli_1(0xc000000000000000ull), MIN64);
    check_u64("c.srli 63", rvc_srli_63(MIN64), 1);
    check_u64("c.srli 4", rvc_srli_4(0xf0), 0xf);
    check_u64("c.srai 1", rvc_srai_1(MIN64), 0xc000000000000000ull);
    check_u64("c.srai 63", rvc_srai_63(MIN64), 0xffffffffffffffffull);
    check_u64("c.andi -32", rvc_andi_m32(0xffff), 0xffe0);
    check_u64("c.andi 15", rvc_andi_15(0xff), 0xf);
    check_u64("c.sub", rvc_sub(5, 7), 0xfffffffffffffffeull);
    check_u64("c.xor", rvc_xor(0xff00, 0x0ff0), 0xf0f0);
    check_u64("c.or", rvc_or(0xff00, 0x0ff0), 0xfff0);
    check_u64("c.and", rvc_and(0xff00, 0x0ff0), 0x0f00);
    check_u64("c.subw", rvc_subw(0, 0x80000000ull), 0xffffffff80000000ull);
    check_u64("c.addw", rvc_addw(0x7fffffff, 1), 0xffffffff80000000ull);
    check_u64("c.addw upper ignored", rvc_addw(0x100000000ull, 0x100000000ull), 0);
    check_u64("c.mv", rvc_mv(0, 0x1234), 0x1234);
    check_u64("c.add", rvc_add(40, 2), 42);
}

static void test_sp_and_mem(void)
{
    check_u64("c.addi4spn 1020", rvc_addi4spn(), 1020);
    check_u64("c.addi16sp -512/+496/+16", rvc_addi16sp(), 512);

    uint64_t out[2] = {0, 0};
    check_u64("c.sdsp/c.ldsp 504", rvc_spmem(0x1122334487654321ull, out), 0x1122334487654321ull);
    check_u64("c.swsp/c.lwsp 252 sign-extends", out[0], 0xffffffff87654321ull);
    check_u64("c.fsdsp/c.fldsp 488", out[1], 0x1122334487654321ull);

    static uint64_t m[6] __attribute__((aligned(16)));
    memset(m, 0, sizeof m);
    m[0] = 0x0123456789abcdefull;
    m[1] = 0x80000001ull;
    rvc_mem(m);
    check_u64("c.ld/c.sd", m[2], 0x0123456789abcdefull);
    check_u64("c.lw sign-extends", m[3], 0xffffffff80000001ull);
    check_u64("c.sw (+4) and c.lw+c.addi", m[4], 0x8000000180000002ull);
    check_u64("c.fld/c.fsd", m[5], 0x0123456789abcdefull);

    static uint64_t big[32] __attribute__((aligned(16)));
    big[31] = 0x100;                          /* offset 248 */
    ((uint32_t *)big)[31] = 0xfffffffeu;      /* offset 124 */
    check_u64("c.ld 248 + c.lw 124", rvc_mem_maxoff(big), 0xfe);
}

static void test_control(void)
{
    check_u64("c.j", rvc_j(), 1);
    check_u64("c.beqz taken", rvc_beqz(0), 1);
    check_u64("c.beqz not taken", rvc_beqz(5), 2);
    check_u64("c.bnez taken", rvc_bnez(MIN64), 1);
    check_u64("c.bnez not taken", rvc_bnez(0), 2);
    check_u64("c.bnez backward loop", rvc_loop(100), 5050);
    check_u64("c.jr", rvc_jr(), 3);
    check_u64("c.jalr call", rvc_jalr(rvc_leaf), 21);
    check_u64("c.jalr link = pc+2", rvc_jalr_link(), 0);
}

int main(void)
{
    test_alu();
    test_sp_and_mem();
    test_control();
    return check_done("rvc");
}
