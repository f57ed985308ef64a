/*
 * Zifencei and self-modifying code: the guest writes instructions into memory, executes
 * fence.i, runs them, rewrites them and must see the new behaviour, in the ways real JITs
 * do it: an RWX page patched in place (many times, so a stale translation is caught), an
 * instruction sequence straddling two pages with only the second page changed, the W^X
 * dance with mprotect, and the riscv_flush_icache system call that glibc's
 * __builtin___clear_cache uses. fencei_alias.c covers code written through a second
 * mapping.
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define RET 0x00008067u                                  /* jalr x0, 0(ra) */
#define ADDI_A0(imm) ((((uint32_t)(imm)&0xfff) << 20) | 0x00050513u) /* addi a0, a0, imm */
#define LI_A0(imm) ((((uint32_t)(imm)&0xfff) << 20) | 0x00000513u)   /* addi a0, x0, imm */
#define SLLI_A0(sh) (((uint32_t)(sh) << 20) | 0x00051513u)          /* slli a0, a0, sh */

#ifndef __NR_riscv_flush_icache
#define __NR_riscv_flush_icache 259
#endif

typedef uint64_t (*fn_t)(uint64_t);

static inline void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }

static uint64_t call(void *code, uint64_t arg)
{
    fn_t f = (fn_t)code;
    __asm__ volatile("" : "+r"(f)); /* the compiler must not assume anything about f */
    return f(arg);
}

static void test_rwx_patch(void)
{
    uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        check_true("mmap rwx", 0, "failed");
        return;
    }
    code[0] = ADDI_A0(1);
    code[1] = RET;
    fence_i();
    check_u64("rwx first version", call(code, 100), 101);
    int bad = 0;
    for (int k = 2; k <= 60; k++) {
        code[0] = ADDI_A0(k);
        fence_i();
        uint64_t r = call(code, 100);
        if (r != 100u + k) {
            if (!bad)
                printf("  patched addi %d: got %llu\n", k, (unsigned long long)r);
            bad++;
        }
    }
    check_true("rwx patched 59 times", bad == 0, "%d stale results", bad);
    /* change the shape of the code, not just an immediate: 3 instructions now */
    code[0] = SLLI_A0(3);
    code[1] = ADDI_A0(-5);
    code[2] = RET;
    fence_i();
    check_u64("rwx reshaped", call(code, 10), 75);
    /* patch code that is running right now: the block ends at fence.i, so the next
     * instruction must be the new one */
    code[0] = LI_A0(7);
    code[1] = RET;
    fence_i();
    check_u64("rwx li", call(code, 0), 7);
    munmap(code, 4096);
}

static void test_two_pages(void)
{
    uint8_t *mem = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        check_true("mmap 2 pages", 0, "failed");
        return;
    }
    uint32_t *tail = (uint32_t *)(mem + 4096 - 8); /* last two words of page 0 */
    uint32_t *head = (uint32_t *)(mem + 4096);     /* first words of page 1 */
    tail[0] = ADDI_A0(1);
    tail[1] = ADDI_A0(2);
    head[0] = ADDI_A0(4);
    head[1] = RET;
    fence_i();
    check_u64("code across a page boundary", call(tail, 0), 7);
    head[0] = ADDI_A0(40);
    fence_i();
    check_u64("second page patched", call(tail, 0), 43);
    tail[1] = ADDI_A0(20);
    fence_i();
    check_u64("first page patched", call(tail, 0), 61);
    munmap(mem, 8192);
}

static void test_wx_mprotect(void)
{
    uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        check_true("mmap rw", 0, "failed");
        return;
    }
    code[0] = LI_A0(11);
    code[1] = RET;
    int rc = mprotect(code, 4096, PROT_READ | PROT_EXEC);
    fence_i();
    check_true("mprotect rx", rc == 0, "rc=%d", rc);
    check_u64("w^x first version", call(code, 0), 11);
    rc = mprotect(code, 4096, PROT_READ | PROT_WRITE);
    code[0] = LI_A0(22);
    rc |= mprotect(code, 4096, PROT_READ | PROT_EXEC);
    fence_i();
    check_u64("w^x second version", call(code, 0), 22);
    munmap(code, 4096);
}

static void test_flush_syscall(void)
{
    uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        check_true("mmap rwx", 0, "failed");
        return;
    }
    code[0] = LI_A0(1);
    code[1] = RET;
    long rc = syscall(__NR_riscv_flush_icache, code, code + 2, 0);
    check_u64("riscv_flush_icache returns 0", (uint64_t)rc, 0);
    check_u64("after riscv_flush_icache", call(code, 0), 1);
    code[0] = LI_A0(2);
    syscall(__NR_riscv_flush_icache, code, code + 2, 0);
    check_u64("patched, riscv_flush_icache", call(code, 0), 2);
    code[0] = LI_A0(3);
    __builtin___clear_cache((char *)code, (char *)(code + 2));
    check_u64("patched, __builtin___clear_cache", call(code, 0), 3);
    munmap(code, 4096);
}

int main(void)
{
    test_rwx_patch();
    test_two_pages();
    test_wx_mprotect();
    test_flush_syscall();
    return check_done("fencei");
}
