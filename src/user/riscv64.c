/*
 * The riscv64 Linux user ABI: start-up registers, system call registers, clone's child
 * registers and the signal frame (struct rt_sigframe of arch/riscv/kernel/signal.c).
 *
 * Frame layout (all offsets checked against the riscv64 glibc/kernel headers):
 *   0     siginfo_t (128 bytes)
 *   128   struct ucontext: uc_flags 0, uc_link 8, uc_stack 16 (24 bytes), uc_sigmask 40
 *         (8 bytes, padded to 128), uc_mcontext 176 (16-aligned) = struct sigcontext:
 *         user_regs_struct (pc, x1..x31: 256 bytes), then union __riscv_fp_state at 256:
 *         d.f[32] u64 and d.fcsr u32 at 256, inside the 528-byte Q-size area (zeroed: the
 *         kernel's extension header there reads "END, size 0").
 *   1088  end. sp is 16-byte aligned; ra points at the trampoline (li a7,139; ecall).
 * Invariant: the frame is written and read only through lu_copy_*, so a bad guest stack
 * gives -EFAULT (the caller turns it into SIGSEGV) and never a host fault.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "guest/riscv/rv_cpu.h"
#include "user/lu_core.h"

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

#define RV_FRAME_SIZE 1088u
#define RV_UC 128u
#define RV_UC_STACK (RV_UC + 16u)
#define RV_UC_SIGMASK (RV_UC + 40u)
#define RV_UC_MCONTEXT (RV_UC + 176u)
#define RV_SC_FP (RV_UC_MCONTEXT + 256u)
#define RV_SC_FCSR (RV_SC_FP + 256u)
#define RV_FP_AREA 528u

/* ISA letters in AT_HWCAP: bit (letter - 'a') */
#define RV_HWCAP(c) (1ull << ((c) - 'a'))

static struct rv_cpu *rv(struct cpu_common *c) { return (struct rv_cpu *)c; }
static const struct rv_cpu *rvc(const struct cpu_common *c) { return (const struct rv_cpu *)c; }

static void rv64_start(struct cpu_common *c, uint64_t entry, uint64_t sp)
{
    struct rv_cpu *r = rv(c);
    memset(r->x, 0, sizeof(r->x));
    memset(r->f, 0, sizeof(r->f));
    r->res_addr = RV_NO_RESERVATION;
    r->x[2] = sp;
    c->pc = entry;
    c->fp_flags = 0;
    c->fp_rm = 0;
}

static long rv64_syscall_args(const struct cpu_common *c, uint64_t a[6])
{
    const struct rv_cpu *r = rvc(c);
    for (int i = 0; i < 6; i++)
        a[i] = r->x[10 + i];
    return (long)r->x[17];
}

static void rv64_syscall_ret(struct cpu_common *c, long ret) { rv(c)->x[10] = (uint64_t)ret; }

/* ecall is 4 bytes; there is no compressed form */
static void rv64_syscall_skip(struct cpu_common *c) { c->pc += 4; }

/* The calls signal(7) lists as restarted with SA_RESTART (asm-generic numbers). Sleeps,
 * poll/select/epoll and calls with a timeout are not. */
static bool rv64_syscall_restartable(long nr, const uint64_t a[6])
{
    switch (nr) {
    case 63: case 64: case 65: case 66: case 67: case 68: case 69: case 70: /* read..pwritev */
    case 286: case 287:                     /* preadv2, pwritev2 */
    case 29:                                /* ioctl */
    case 56: case 437:                      /* openat, openat2 */
    case 260: case 95:                      /* wait4, waitid */
    case 202: case 242: case 203:           /* accept, accept4, connect */
    case 206: case 207: case 211: case 212: /* sendto, recvfrom, sendmsg, recvmsg */
    case 269:                               /* sendmmsg */
    case 32: case 25:                       /* flock, fcntl (F_SETLKW) */
    case 71: case 76: case 77: case 285:    /* sendfile, splice, tee, copy_file_range */
    case 278:                               /* getrandom */
    case 182: case 183:                     /* mq_timedsend, mq_timedreceive */
        return true;
    case 98:                                /* futex: a wait without a timeout */
        return a[3] == 0;
    default:
        return false;
    }
}

static uint64_t rv64_get_sp(const struct cpu_common *c) { return rvc(c)->x[2]; }

static void rv64_clone_child(struct cpu_common *c, uint64_t sp, bool set_tls, uint64_t tls)
{
    struct rv_cpu *r = rv(c);
    r->x[10] = 0;
    if (sp)
        r->x[2] = sp;
    if (set_tls)
        r->x[4] = tls;
    r->res_addr = RV_NO_RESERVATION;
}

static int rv64_frame_setup(struct cpu_common *c, int sig, const siginfo_t *info, uint64_t handler,
                            uint64_t sp, uint64_t mask, const uint64_t ss[3])
{
    struct rv_cpu *r = rv(c);
    uint8_t f[RV_FRAME_SIZE];
    memset(f, 0, sizeof(f));
    memcpy(f, info, 128);
    /* uc_flags, uc_link stay 0 */
    memcpy(f + RV_UC_STACK, &ss[0], 8);
    int32_t ssf = (int32_t)ss[1];
    memcpy(f + RV_UC_STACK + 8, &ssf, 4);
    memcpy(f + RV_UC_STACK + 16, &ss[2], 8);
    memcpy(f + RV_UC_SIGMASK, &mask, 8);
    memcpy(f + RV_UC_MCONTEXT, &c->pc, 8);
    memcpy(f + RV_UC_MCONTEXT + 8, &r->x[1], 31 * 8);
    memcpy(f + RV_SC_FP, r->f, 32 * 8);
    uint32_t fcsr = (c->fp_flags & 0x1f) | ((c->fp_rm & 7) << 5);
    memcpy(f + RV_SC_FCSR, &fcsr, 4);

    uint64_t frame = (sp - RV_FRAME_SIZE) & ~15ull;
    if (sp < RV_FRAME_SIZE || lu_copy_to_guest(frame, f, sizeof(f)))
        return -EFAULT;
    r->x[1] = LU_TRAMP_ADDR;
    r->x[2] = frame;
    r->x[10] = (uint64_t)sig;
    r->x[11] = frame;
    r->x[12] = frame + RV_UC;
    r->res_addr = RV_NO_RESERVATION;
    c->pc = handler;
    return 0;
}

static int rv64_frame_restore(struct cpu_common *c, uint64_t *mask, uint64_t ss[3])
{
    struct rv_cpu *r = rv(c);
    uint64_t frame = r->x[2];
    uint8_t f[RV_FRAME_SIZE];
    if (lu_copy_from_guest(f, frame, sizeof(f)))
        return -EFAULT;
    memcpy(mask, f + RV_UC_SIGMASK, 8);
    memcpy(&ss[0], f + RV_UC_STACK, 8);
    int32_t ssf;
    memcpy(&ssf, f + RV_UC_STACK + 8, 4);
    ss[1] = (uint64_t)(int64_t)ssf;
    memcpy(&ss[2], f + RV_UC_STACK + 16, 8);
    memcpy(&c->pc, f + RV_UC_MCONTEXT, 8);
    memcpy(&r->x[1], f + RV_UC_MCONTEXT + 8, 31 * 8);
    r->x[0] = 0;
    memcpy(r->f, f + RV_SC_FP, 32 * 8);
    uint32_t fcsr;
    memcpy(&fcsr, f + RV_SC_FCSR, 4);
    c->fp_flags = fcsr & 0x1f;
    c->fp_rm = (fcsr >> 5) & 7;
    r->res_addr = RV_NO_RESERVATION;
    return 0;
}

/* li a7, 139 (rt_sigreturn); ecall: the same bytes as the kernel's vDSO, so unwinders
 * that recognise signal frames by their return code work */
static const uint8_t rv64_tramp[8] = {0x93, 0x08, 0xb0, 0x08, 0x73, 0x00, 0x00, 0x00};

const struct lu_target lu_target_riscv64 = {
    .name = "riscv64",
    .elf_machine = EM_RISCV,
    .arch = &rv64_arch,
    .hwcap = RV_HWCAP('i') | RV_HWCAP('m') | RV_HWCAP('a') | RV_HWCAP('f') | RV_HWCAP('d') |
             RV_HWCAP('c'),
    .minsigstksz = 2048,
    .start = rv64_start,
    .syscall_args = rv64_syscall_args,
    .syscall_ret = rv64_syscall_ret,
    .syscall_skip = rv64_syscall_skip,
    .syscall_restartable = rv64_syscall_restartable,
    .get_sp = rv64_get_sp,
    .clone_child = rv64_clone_child,
    .frame_setup = rv64_frame_setup,
    .frame_restore = rv64_frame_restore,
    .tramp = rv64_tramp,
    .tramp_len = sizeof(rv64_tramp),
};

const struct lu_target *lu_target_for(uint16_t machine, bool is64)
{
    if (machine == EM_RISCV && is64)
        return &lu_target_riscv64;
    return NULL;
}
