/*
 * The power-off device instead of HTIF: writes SYSCON_VALUE to the SiFive test finisher
 * at 0x100000 (0x5555 = pass, (code << 16) | 0x3333 = fail with code). run.sh expects the
 * matching exit status from omnivm, so both the device and the board's exit path are
 * checked. The program has a tohost symbol too, which it never writes.
 */
#include "common.h"

int main(void)
{
    print("syscon: writing the test finisher\n");
    *(volatile uint32_t *)0x100000 = SYSCON_VALUE;
    for (;;)
        __asm__ volatile("wfi");
}
