/*
 * Zicond: czero.eqz rd, rs1, rs2 (rd = rs2 == 0 ? 0 : rs1) and czero.nez (rd = rs2 != 0 ?
 * 0 : rs1), including the branch-free select idiom built from the pair. binutils 2.40 does
 * not know the mnemonics, so they are emitted with .insn (OP opcode, funct7 0000111,
 * funct3 101 / 111). A CPU without Zicond raises SIGILL on the first one: the program then
 * exits 77 ("not supported") so a reference runner lacking Zicond (QEMU 7.2) can be told
 * apart from a wrong answer; tests/guest/run.sh accepts 77 only from such a runner.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>

#include "check.h"

#define CZERO_EQZ(a, c) RR(".insn r 0x33, 5, 7,", a, c)
#define CZERO_NEZ(a, c) RR(".insn r 0x33, 7, 7,", a, c)

static sigjmp_buf probe_env;

static void on_sigill(int sig)
{
    (void)sig;
    siglongjmp(probe_env, 1);
}

/* c ? a : b without branches */
static uint64_t select3(uint64_t c, uint64_t a, uint64_t b)
{
    uint64_t t, u, r;
    __asm__ volatile(".insn r 0x33, 5, 7, %0, %3, %5\n"
                     ".insn r 0x33, 7, 7, %1, %4, %5\n"
                     "or %2, %0, %1"
                     : "=&r"(t), "=&r"(u), "=r"(r)
                     : "r"(a), "r"(b), "r"(c));
    return r;
}

int main(void)
{
    signal(SIGILL, on_sigill);
    if (sigsetjmp(probe_env, 1)) {
        printf("zicond: czero.eqz raised SIGILL (Zicond not implemented)\n");
        return 77;
    }
    (void)CZERO_EQZ(1, 1);
    signal(SIGILL, SIG_DFL);

    check_u64("czero.eqz cond 0", CZERO_EQZ(0x1234, 0), 0);
    check_u64("czero.eqz cond 1", CZERO_EQZ(0x1234, 1), 0x1234);
    check_u64("czero.eqz cond msb only", CZERO_EQZ(0xffffffffffffffffull, 0x8000000000000000ull),
              0xffffffffffffffffull);
    check_u64("czero.eqz cond upper half only", CZERO_EQZ(7, 0x100000000ull), 7);
    check_u64("czero.nez cond 0", CZERO_NEZ(0x1234, 0), 0x1234);
    check_u64("czero.nez cond 1", CZERO_NEZ(0x1234, 1), 0);
    check_u64("czero.nez cond -1", CZERO_NEZ(0x1234, 0xffffffffffffffffull), 0);
    check_u64("select true", select3(5, 111, 222), 111);
    check_u64("select false", select3(0, 111, 222), 222);
    uint64_t v;
    __asm__ volatile("li %0, 9\n .insn r 0x33, 5, 7, %0, %0, zero" : "=&r"(v));
    check_u64("czero.eqz rd=rs1, rs2=x0", v, 0);
    __asm__ volatile("li %0, 9\n .insn r 0x33, 7, 7, %0, %0, zero" : "=&r"(v));
    check_u64("czero.nez rd=rs1, rs2=x0", v, 9);
    return check_done("zicond");
}
