/*
 * Misaligned accesses in M-mode. Plain loads and stores may be performed or trap with
 * cause 4/6 and mtval = the address (both are allowed by the spec); either way the
 * outcome must be exact, including across a page boundary. Misaligned AMOs and LR must
 * trap (address-misaligned or access fault) with mtval = the address.
 */
#include "common.h"

static uint8_t buf[8192] __attribute__((aligned(4096)));

static uint64_t load32(uint8_t *p)
{
    uint64_t v = 0xdeadull;
    __asm__ volatile("lw %0, 0(%1)" : "+r"(v) : "r"(p) : "memory");
    return v;
}

static uint64_t load64(uint8_t *p)
{
    uint64_t v = 0xdeadull;
    __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(p) : "memory");
    return v;
}

static uint64_t loadu16(uint8_t *p)
{
    uint64_t v = 0xdeadull;
    __asm__ volatile("lhu %0, 0(%1)" : "+r"(v) : "r"(p) : "memory");
    return v;
}

static void store64(uint8_t *p, uint64_t v)
{
    __asm__ volatile("sd %0, 0(%1)" ::"r"(v), "r"(p) : "memory");
}

static void store32(uint8_t *p, uint64_t v)
{
    __asm__ volatile("sw %0, 0(%1)" ::"r"(v), "r"(p) : "memory");
}

static uint64_t bytes_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int sext32(uint64_t v)
{
    return (int)(int32_t)v;
}

static void check_load(int line, uint8_t *p, int size)
{
    m_last.count = 0;
    uint64_t v = size == 8 ? load64(p) : size == 4 ? load32(p) : loadu16(p);
    if (m_last.count == 0) {
        uint64_t want = bytes_le(p, size);
        if (size == 4) want = (uint64_t)(int64_t)sext32(want);
        if (v != want) check_fail(line, "misaligned load value", v, want);
    } else if (m_last.cause != CAUSE_MISALIGNED_LOAD || m_last.tval != (uint64_t)p) {
        check_fail(line, "misaligned load trap (cause, tval)", m_last.cause, m_last.tval);
    }
}

static void check_store(int line, uint8_t *p, int size)
{
    uint8_t before[8];
    for (int i = 0; i < 8; i++)
        before[i] = p[i];
    uint64_t v = 0x1122334455667788ull;
    m_last.count = 0;
    if (size == 8)
        store64(p, v);
    else
        store32(p, v);
    if (m_last.count == 0) {
        if (bytes_le(p, size) != (size == 8 ? v : (v & 0xffffffff)))
            check_fail(line, "misaligned store value", bytes_le(p, size), v);
        if (size == 4 && bytes_le(p + 4, 4) != bytes_le(before + 4, 4))
            check_fail(line, "misaligned store wrote past its size", 0, 0);
    } else {
        if (m_last.cause != CAUSE_MISALIGNED_STORE || m_last.tval != (uint64_t)p)
            check_fail(line, "misaligned store trap (cause, tval)", m_last.cause, m_last.tval);
        if (bytes_le(p, 8) != bytes_le(before, 8))
            check_fail(line, "a trapping store changed memory", 0, 0);
    }
}

static void check_amo_traps(int line, uint8_t *p)
{
    m_last.count = 0;
    uint64_t old = 0, inc = 1;
    __asm__ volatile("amoadd.w %0, %2, (%1)" : "=r"(old) : "r"(p), "r"(inc) : "memory");
    if (m_last.count != 1 ||
        (m_last.cause != CAUSE_MISALIGNED_STORE && m_last.cause != CAUSE_STORE_ACCESS &&
         !(ON_QEMU && m_last.cause == CAUSE_MISALIGNED_LOAD)) ||
        m_last.tval != (uint64_t)p)
        check_fail(line, "misaligned amoadd.w must trap (cause, tval)", m_last.cause, m_last.tval);
    m_last.count = 0;
    __asm__ volatile("lr.d %0, (%1)" : "=r"(old) : "r"(p) : "memory");
    if (m_last.count != 1 ||
        (m_last.cause != CAUSE_MISALIGNED_LOAD && m_last.cause != CAUSE_LOAD_ACCESS) ||
        m_last.tval != (uint64_t)p)
        check_fail(line, "misaligned lr.d must trap (cause, tval)", m_last.cause, m_last.tval);
}

int main(void)
{
    for (int i = 0; i < 8192; i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    check_load(__LINE__, buf + 1, 4);
    check_load(__LINE__, buf + 3, 8);
    check_load(__LINE__, buf + 5, 2);
    check_load(__LINE__, buf + 4096 - 3, 8); /* crosses a page */
    check_load(__LINE__, buf + 4096 - 1, 2);
    check_store(__LINE__, buf + 9, 8);
    check_store(__LINE__, buf + 18, 4);
    check_store(__LINE__, buf + 4096 - 5, 8); /* crosses a page */
    check_amo_traps(__LINE__, buf + 2);
    check_amo_traps(__LINE__, buf + 4096 - 2);
    return check_fails;
}
