/*
 * Bare-metal test runtime: HTIF console/exit, checks, and the C side of trap handling
 * (see common.h). Single-threaded except where a test says otherwise: only hart 0 prints.
 */
#include "common.h"

volatile uint64_t tohost __attribute__((section(".tohost"), aligned(64)));
volatile uint64_t fromhost __attribute__((section(".tohost"), aligned(64)));

struct trap_rec m_last, s_last;
trap_hook *volatile m_hook, *volatile s_hook;
int check_fails;

extern char m_resume[];

void putchar_htif(char c)
{
    while (tohost)
        ;
    tohost = (1ull << 56) | (1ull << 48) | (uint8_t)c;
    while (tohost) /* the host clears it once the byte is out */
        ;
}

void print(const char *s)
{
    while (*s)
        putchar_htif(*s++);
}

void print_hex(uint64_t v)
{
    print("0x");
    for (int i = 60; i >= 0; i -= 4)
        putchar_htif("0123456789abcdef"[(v >> i) & 15]);
}

void print_dec(uint64_t v)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putchar_htif(buf[--n]);
}

void exit_test(int code)
{
    if (code < 0 || code > 255) code = 255;
    if (code)
        print("baremetal: FAILED\n");
    else
        print("baremetal: passed\n");
    while (tohost)
        ;
    tohost = ((uint64_t)code << 1) | 1;
    for (;;)
        __asm__ volatile("wfi");
}

void check_fail(int line, const char *what, uint64_t got, uint64_t want)
{
    check_fails++;
    print("FAIL line ");
    print_dec((uint64_t)line);
    print(": ");
    print(what);
    if (got || want) {
        print(" (got ");
        print_hex(got);
        print(", want ");
        print_hex(want);
        print(")");
    }
    print("\n");
}

void m_trap_c(struct frame *f)
{
    uint64_t cause = csr_read(mcause), epc = f->x[0], tval = csr_read(mtval);
    if (!(cause & CAUSE_INTR) &&
        (cause == CAUSE_ECALL_U || cause == CAUSE_ECALL_S || cause == CAUSE_ECALL_M) &&
        f->x[17] == RETURN_MAGIC) {
        csr_set(mstatus, MSTATUS_MPP); /* back to M-mode, at run_in_mode's caller */
        f->x[0] = (uint64_t)m_resume;
        return;
    }
    m_last.cause = cause;
    m_last.epc = epc;
    m_last.tval = tval;
    m_last.status = csr_read(mstatus);
    m_last.count++;
    if (m_hook && m_hook(f, cause, epc, tval)) return;
    if (cause & CAUSE_INTR) {
        print("unexpected M-mode interrupt ");
        print_hex(cause);
        print("\n");
        exit_test(99);
    }
    f->x[0] = epc + insn_len(epc);
}

void s_trap_c(struct frame *f)
{
    uint64_t cause = csr_read(scause), epc = f->x[0], tval = csr_read(stval);
    s_last.cause = cause;
    s_last.epc = epc;
    s_last.tval = tval;
    s_last.status = csr_read(sstatus);
    s_last.count++;
    if (s_hook && s_hook(f, cause, epc, tval)) return;
    if (cause & CAUSE_INTR) {
        print("unexpected S-mode interrupt ");
        print_hex(cause);
        print("\n");
        exit_test(98);
    }
    f->x[0] = epc + insn_len(epc);
}

__attribute__((weak)) void secondary_main(void)
{
    for (;;)
        __asm__ volatile("wfi");
}

int wait_flag(volatile uint64_t *flag, uint64_t ticks)
{
    uint64_t end = *CLINT_MTIME + ticks;
    while (!*flag)
        if (*CLINT_MTIME > end) return 0;
    return 1;
}

/* The compiler may call these for struct copies and zeroing (-ffreestanding still
 * allows it), and there is no libc. */
void *memset(void *d, int c, unsigned long n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}
