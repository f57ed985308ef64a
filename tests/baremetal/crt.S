/*
 * Start-up and trap entry for the bare-metal tests. Every hart enters _start in M-mode;
 * hart 0 clears .bss and runs main(), the others wait for that and run secondary_main()
 * (a weak default parks them). PMP entry 0 opens all memory to S and U mode, as firmware
 * does, so lower-privilege tests are not stopped by an empty PMP. Trap entries save all
 * registers in a struct frame on the current stack (frame.x[0] holds the return pc), call
 * the C handler, and return with mret/sret to the pc the handler left in frame.x[0].
 */
#define FRAME 272

    .section .text.init, "ax"
    .globl _start
_start:
    la t0, early_trap
    csrw mtvec, t0
    csrr a0, mhartid
    li t1, 4
    bgeu a0, t1, park
    la sp, __stacks
    addi t0, a0, 1
    slli t0, t0, 14
    add sp, sp, t0
    /* PMP: one NAPOT entry over the whole address space, RWX (may trap if absent) */
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    /* FP usable (FS = Initial) so the C compiler may use FP registers */
    li t0, 1 << 13
    csrs mstatus, t0
    la t0, m_trap_entry
    csrw mtvec, t0
    bnez a0, 3f
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  fence rw, rw
    la t0, bss_ready
    li t1, 1
    sw t1, 0(t0)
    call main
    call exit_test
3:  la t0, bss_ready
4:  lw t1, 0(t0)
    beqz t1, 4b
    fence rw, rw
    call secondary_main
park:
    wfi
    j park

/* Skips the faulting instruction: used only while probing optional CSRs at start-up. */
    .align 4
early_trap:
    csrr t6, mepc
    addi t6, t6, 4
    csrw mepc, t6
    mret

    .section .data
    .align 3
    .globl bss_ready
bss_ready:
    .word 0

    .text
.macro SAVE_REGS
    addi sp, sp, -FRAME
    sd x1, 1*8(sp)
    sd x3, 3*8(sp)
    sd x4, 4*8(sp)
    sd x5, 5*8(sp)
    sd x6, 6*8(sp)
    sd x7, 7*8(sp)
    sd x8, 8*8(sp)
    sd x9, 9*8(sp)
    sd x10, 10*8(sp)
    sd x11, 11*8(sp)
    sd x12, 12*8(sp)
    sd x13, 13*8(sp)
    sd x14, 14*8(sp)
    sd x15, 15*8(sp)
    sd x16, 16*8(sp)
    sd x17, 17*8(sp)
    sd x18, 18*8(sp)
    sd x19, 19*8(sp)
    sd x20, 20*8(sp)
    sd x21, 21*8(sp)
    sd x22, 22*8(sp)
    sd x23, 23*8(sp)
    sd x24, 24*8(sp)
    sd x25, 25*8(sp)
    sd x26, 26*8(sp)
    sd x27, 27*8(sp)
    sd x28, 28*8(sp)
    sd x29, 29*8(sp)
    sd x30, 30*8(sp)
    sd x31, 31*8(sp)
    addi t0, sp, FRAME
    sd t0, 2*8(sp)
.endm

.macro RESTORE_REGS
    ld x1, 1*8(sp)
    ld x3, 3*8(sp)
    ld x4, 4*8(sp)
    ld x5, 5*8(sp)
    ld x6, 6*8(sp)
    ld x7, 7*8(sp)
    ld x8, 8*8(sp)
    ld x9, 9*8(sp)
    ld x10, 10*8(sp)
    ld x11, 11*8(sp)
    ld x12, 12*8(sp)
    ld x13, 13*8(sp)
    ld x14, 14*8(sp)
    ld x15, 15*8(sp)
    ld x16, 16*8(sp)
    ld x17, 17*8(sp)
    ld x18, 18*8(sp)
    ld x19, 19*8(sp)
    ld x20, 20*8(sp)
    ld x21, 21*8(sp)
    ld x22, 22*8(sp)
    ld x23, 23*8(sp)
    ld x24, 24*8(sp)
    ld x25, 25*8(sp)
    ld x26, 26*8(sp)
    ld x27, 27*8(sp)
    ld x28, 28*8(sp)
    ld x29, 29*8(sp)
    ld x30, 30*8(sp)
    ld x31, 31*8(sp)
    ld x2, 2*8(sp)
.endm

    .align 4
    .globl m_trap_entry
m_trap_entry:
    SAVE_REGS
    csrr t0, mepc
    sd t0, 0(sp)
    mv a0, sp
    call m_trap_c
    ld t0, 0(sp)
    csrw mepc, t0
    RESTORE_REGS
    mret

    .align 4
    .globl s_trap_entry
s_trap_entry:
    SAVE_REGS
    csrr t0, sepc
    sd t0, 0(sp)
    mv a0, sp
    call s_trap_c
    ld t0, 0(sp)
    csrw sepc, t0
    RESTORE_REGS
    sret

/*
 * void run_in_mode(unsigned mode, void (*fn)(void)): runs fn in U (0) or S (1) mode on
 * the current stack and comes back to M-mode when fn returns (through an ecall with
 * a7 = RETURN_MAGIC that m_trap_c turns into a jump to m_resume).
 */
    .globl run_in_mode
run_in_mode:
    addi sp, sp, -112
    sd ra, 0(sp)
    sd s0, 8(sp)
    sd s1, 16(sp)
    sd s2, 24(sp)
    sd s3, 32(sp)
    sd s4, 40(sp)
    sd s5, 48(sp)
    sd s6, 56(sp)
    sd s7, 64(sp)
    sd s8, 72(sp)
    sd s9, 80(sp)
    sd s10, 88(sp)
    sd s11, 96(sp)
    csrr t0, mhartid
    slli t0, t0, 3
    la t1, saved_m_sp
    add t1, t1, t0
    sd sp, 0(t1)
    li t0, 3 << 11
    csrc mstatus, t0
    andi a0, a0, 3
    slli a0, a0, 11
    csrs mstatus, a0
    csrw mepc, a1
    addi sp, sp, -64 /* the lower mode gets its own part of this stack */
    la ra, lower_exit
    mret
lower_exit:
    li a7, 0x5a5a
    ecall
1:  j 1b

    .globl m_resume
m_resume:
    csrr t0, mhartid
    slli t0, t0, 3
    la t1, saved_m_sp
    add t1, t1, t0
    ld sp, 0(t1)
    ld ra, 0(sp)
    ld s0, 8(sp)
    ld s1, 16(sp)
    ld s2, 24(sp)
    ld s3, 32(sp)
    ld s4, 40(sp)
    ld s5, 48(sp)
    ld s6, 56(sp)
    ld s7, 64(sp)
    ld s8, 72(sp)
    ld s9, 80(sp)
    ld s10, 88(sp)
    ld s11, 96(sp)
    addi sp, sp, 112
    ret

    .section .bss
    .align 3
saved_m_sp:
    .space 8 * 4
