/*
 * fence.i with two mappings of one memfd, the layout W^X JITs use: instructions are
 * written through the RW view and run from the RX view. Write-protecting the executed
 * page cannot notice such a store, so only honouring fence.i (dropping translations of
 * code that may have changed) gives the new behaviour. QEMU 7.2 user mode fails this.
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define RET 0x00008067u                                            /* jalr x0, 0(ra) */
#define LI_A0(imm) ((((uint32_t)(imm)&0xfff) << 20) | 0x00000513u) /* addi a0, x0, imm */

typedef uint64_t (*fn_t)(uint64_t);

static inline void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }

static uint64_t call(void *code, uint64_t arg)
{
    fn_t f = (fn_t)code;
    __asm__ volatile("" : "+r"(f));
    return f(arg);
}

static void test_dual_mapping(void)
{
    int fd = (int)syscall(SYS_memfd_create, "jit", 0);
    if (fd < 0 || ftruncate(fd, 4096) != 0) {
        check_true("memfd_create", 0, "fd=%d", fd);
        return;
    }
    uint32_t *rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    void *rx = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    close(fd);
    if (rw == MAP_FAILED || rx == MAP_FAILED) {
        check_true("dual mmap", 0, "failed");
        return;
    }
    rw[0] = LI_A0(5);
    rw[1] = RET;
    fence_i();
    check_u64("dual mapping first version", call(rx, 0), 5);
    for (int k = 6; k < 10; k++) {
        rw[0] = LI_A0(k);
        fence_i();
        check_u64("dual mapping rewritten through the RW view", call(rx, 0), (uint64_t)k);
    }
    munmap(rw, 4096);
    munmap(rx, 4096);
}

int main(void)
{
    test_dual_mapping();
    return check_done("fencei_alias");
}
