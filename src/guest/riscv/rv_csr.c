/*
 * RISC-V system-mode CSRs: which exist, what reads return and what writes keep (WARL),
 * with the run-time access checks (counter enables, TVM, Sstc enables), and the IR helper
 * behind csrrw/csrrs/csrrc (the FP CSRs stay inline IR in rv_translate.c).
 *
 * Invariants:
 * - Privilege level (CSR number bits 9:8) and read-only-ness (bits 11:10) are checked at
 *   translation; everything that depends on run-time state is checked here, and an
 *   illegal access raises an illegal-instruction exception with the instruction bits.
 * - Every write that can change translation (mstatus MPRV/MPP/SUM/FS, satp, PMP) calls
 *   rv_sys_mode_changed() and flushes what it must; every write that can unmask an
 *   interrupt calls rv_irq_kick().
 * - Implemented: 16 PMP entries (granularity 4 bytes), Sstc, Zicntr (hpm counters read
 *   0), menvcfg/senvcfg with the Zicbom/Zicboz enables. Not implemented (the CSRs trap,
 *   which is how firmware probes): debug triggers (tselect...), Smstateen, mseccfg,
 *   Sscofpmf, Zkr seed.
 */
#include "core/vclock.h"
#include "guest/riscv/rv_sys_int.h"

enum {
    CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02, CSR_HPM3 = 0xc03, CSR_HPM31 = 0xc1f,
    CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105, CSR_SCOUNTEREN = 0x106,
    CSR_SENVCFG = 0x10a, CSR_SSCRATCH = 0x140, CSR_SEPC = 0x141, CSR_SCAUSE = 0x142,
    CSR_STVAL = 0x143, CSR_SIP = 0x144, CSR_STIMECMP = 0x14d, CSR_SATP = 0x180,
    CSR_MVENDORID = 0xf11, CSR_MARCHID = 0xf12, CSR_MIMPID = 0xf13, CSR_MHARTID = 0xf14,
    CSR_MCONFIGPTR = 0xf15,
    CSR_MSTATUS = 0x300, CSR_MISA = 0x301, CSR_MEDELEG = 0x302, CSR_MIDELEG = 0x303,
    CSR_MIE = 0x304, CSR_MTVEC = 0x305, CSR_MCOUNTEREN = 0x306, CSR_MENVCFG = 0x30a,
    CSR_MCOUNTINHIBIT = 0x320, CSR_MHPMEVENT3 = 0x323, CSR_MHPMEVENT31 = 0x33f,
    CSR_MSCRATCH = 0x340, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342, CSR_MTVAL = 0x343,
    CSR_MIP = 0x344, CSR_PMPCFG0 = 0x3a0, CSR_PMPCFG2 = 0x3a2, CSR_PMPADDR0 = 0x3b0,
    CSR_PMPADDR15 = 0x3bf, CSR_MCYCLE = 0xb00, CSR_MINSTRET = 0xb02, CSR_MHPM3 = 0xb03,
    CSR_MHPM31 = 0xb1f,
};

#define SSTATUS_RMASK (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | \
                       MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD)
#define SSTATUS_WMASK (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | \
                       MSTATUS_MXR)
#define MSTATUS_WMASK (SSTATUS_WMASK | MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | \
                       MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)
/* exceptions S-mode may handle: not ecall from M (11) nor the reserved 10 and 14 */
#define MEDELEG_MASK 0xb3ffull
#define MENVCFG_MASK (ENVCFG_FIOM | ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE | ENVCFG_STCE)
#define SENVCFG_MASK (ENVCFG_FIOM | ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE)
#define PMPADDR_MASK ((1ull << 54) - 1)

/* mhpmevent3..31 and mhpmcounter3..31: present, always 0 */
static bool hpm_machine(unsigned num)
{
    return (num >= CSR_MHPMEVENT3 && num <= CSR_MHPMEVENT31) ||
           (num >= CSR_MHPM3 && num <= CSR_MHPM31);
}

bool rv_sys_csr_exists(unsigned num)
{
    if ((num >= CSR_CYCLE && num <= CSR_HPM31) || hpm_machine(num) ||
        (num >= CSR_PMPADDR0 && num <= CSR_PMPADDR15))
        return true;
    switch (num) {
    case 0x001: case 0x002: case 0x003: /* fflags, frm, fcsr */
    case CSR_SSTATUS: case CSR_SIE: case CSR_STVEC: case CSR_SCOUNTEREN: case CSR_SENVCFG:
    case CSR_SSCRATCH: case CSR_SEPC: case CSR_SCAUSE: case CSR_STVAL: case CSR_SIP:
    case CSR_STIMECMP: case CSR_SATP:
    case CSR_MVENDORID: case CSR_MARCHID: case CSR_MIMPID: case CSR_MHARTID: case CSR_MCONFIGPTR:
    case CSR_MSTATUS: case CSR_MISA: case CSR_MEDELEG: case CSR_MIDELEG: case CSR_MIE:
    case CSR_MTVEC: case CSR_MCOUNTEREN: case CSR_MENVCFG: case CSR_MCOUNTINHIBIT:
    case CSR_MSCRATCH: case CSR_MEPC: case CSR_MCAUSE: case CSR_MTVAL: case CSR_MIP:
    case CSR_PMPCFG0: case CSR_PMPCFG2: case CSR_MCYCLE: case CSR_MINSTRET:
        return true;
    default:
        return false;
    }
}

static uint64_t mstatus_read(const struct rv_hart *h)
{
    uint64_t s = h->mstatus;
    if ((s & MSTATUS_FS) == MSTATUS_FS)
        s |= MSTATUS_SD;
    return s;
}

/* Applies a new mstatus value (already masked to the writable bits by the caller). */
static void mstatus_write(struct rv_hart *h, uint64_t val)
{
    uint64_t old = h->mstatus;
    uint64_t v = (old & ~MSTATUS_WMASK) | (val & MSTATUS_WMASK);
    if (((v & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2)
        v = (v & ~MSTATUS_MPP) | (old & MSTATUS_MPP); /* reserved MPP: keep the old one */
    h->mstatus = v;
    if ((old ^ v) & MSTATUS_MXR)
        rv_sys_flush(h, RV_MMU_TRANSLATED); /* readability of X pages changed */
    rv_sys_mode_changed(h);
    rv_irq_kick(h);
}

/* mtvec/stvec: direct (0) or vectored (1); a reserved mode keeps the old value. */
static void tvec_write(uint64_t *tvec, uint64_t val)
{
    if ((val & 3) < 2)
        *tvec = val;
}

static uint64_t envcfg_legal(uint64_t old, uint64_t val, uint64_t mask)
{
    val &= mask;
    if ((val & ENVCFG_CBIE) == (2ull << 4))
        val = (val & ~ENVCFG_CBIE) | (old & ENVCFG_CBIE); /* reserved CBIE value */
    return val;
}

/* May the current privilege read counter n (cycle 0, time 1, instret 2, hpm 3..31)? */
static bool counter_ok(const struct rv_hart *h, unsigned n)
{
    if (h->priv == RV_PRIV_M)
        return true;
    if (!(h->mcounteren >> n & 1))
        return false;
    return h->priv == RV_PRIV_S || (h->scounteren >> n & 1);
}

static bool stimecmp_ok(const struct rv_hart *h)
{
    return h->priv == RV_PRIV_M ||
           ((h->menvcfg & ENVCFG_STCE) && (h->mcounteren & 2)); /* TM */
}

static uint64_t pmpcfg_read(const struct rv_hart *h, unsigned first)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < 8; k++)
        v |= (uint64_t)h->pmpcfg[first + k] << (8 * k);
    return v;
}

static bool pmp_locked(const struct rv_hart *h, unsigned i) { return h->pmpcfg[i] & RV_PMP_L; }

static void pmp_changed(struct rv_hart *h)
{
    rv_pmp_update(h);
    rv_sys_flush(h, RV_MMU_ALL);
}

int rv_csr_read(struct rv_hart *h, unsigned num, uint64_t *val)
{
    uint64_t icount = h->cpu.c.icount;
    if (num >= CSR_CYCLE && num <= CSR_HPM31) {
        unsigned n = num - CSR_CYCLE;
        if (!counter_ok(h, n))
            return -1;
        *val = n == 0 ? icount + (uint64_t)h->cycle_off
             : n == 1 ? vclock_ticks()
             : n == 2 ? icount + (uint64_t)h->instret_off : 0;
        return 0;
    }
    if (hpm_machine(num)) {
        *val = 0;
        return 0;
    }
    if (num >= CSR_PMPADDR0 && num <= CSR_PMPADDR15) {
        *val = h->pmpaddr[num - CSR_PMPADDR0];
        return 0;
    }
    switch (num) {
    case CSR_SSTATUS: *val = mstatus_read(h) & SSTATUS_RMASK; return 0;
    case CSR_SIE: *val = h->mie & h->mideleg; return 0;
    case CSR_STVEC: *val = h->stvec; return 0;
    case CSR_SCOUNTEREN: *val = h->scounteren; return 0;
    case CSR_SENVCFG: *val = h->senvcfg; return 0;
    case CSR_SSCRATCH: *val = h->sscratch; return 0;
    case CSR_SEPC: *val = h->sepc; return 0;
    case CSR_SCAUSE: *val = h->scause; return 0;
    case CSR_STVAL: *val = h->stval; return 0;
    case CSR_SIP: *val = rv_mip(h) & h->mideleg; return 0;
    case CSR_STIMECMP:
        if (!stimecmp_ok(h))
            return -1;
        *val = h->stimecmp;
        return 0;
    case CSR_SATP:
        if (h->priv == RV_PRIV_S && (h->mstatus & MSTATUS_TVM))
            return -1;
        *val = h->satp;
        return 0;
    case CSR_MVENDORID: case CSR_MARCHID: case CSR_MIMPID: case CSR_MCONFIGPTR:
        *val = 0;
        return 0;
    case CSR_MHARTID: *val = h->hartid; return 0;
    case CSR_MSTATUS: *val = mstatus_read(h); return 0;
    case CSR_MISA: *val = h->misa; return 0;
    case CSR_MEDELEG: *val = h->medeleg; return 0;
    case CSR_MIDELEG: *val = h->mideleg; return 0;
    case CSR_MIE: *val = h->mie; return 0;
    case CSR_MTVEC: *val = h->mtvec; return 0;
    case CSR_MCOUNTEREN: *val = h->mcounteren; return 0;
    case CSR_MENVCFG: *val = h->menvcfg; return 0;
    case CSR_MCOUNTINHIBIT: *val = h->mcountinhibit; return 0;
    case CSR_MSCRATCH: *val = h->mscratch; return 0;
    case CSR_MEPC: *val = h->mepc; return 0;
    case CSR_MCAUSE: *val = h->mcause; return 0;
    case CSR_MTVAL: *val = h->mtval; return 0;
    case CSR_MIP: *val = rv_mip(h); return 0;
    case CSR_PMPCFG0: *val = pmpcfg_read(h, 0); return 0;
    case CSR_PMPCFG2: *val = pmpcfg_read(h, 8); return 0;
    case CSR_MCYCLE: *val = icount + (uint64_t)h->cycle_off; return 0;
    case CSR_MINSTRET: *val = icount + (uint64_t)h->instret_off; return 0;
    default: return -1;
    }
}

int rv_csr_write(struct rv_hart *h, unsigned num, uint64_t val)
{
    if (hpm_machine(num))
        return 0; /* no events: the counters stay 0 */
    if (num >= CSR_PMPADDR0 && num <= CSR_PMPADDR15) {
        unsigned i = num - CSR_PMPADDR0;
        bool next_tor_locked = i + 1 < RV_PMP_N && pmp_locked(h, i + 1) &&
                               ((h->pmpcfg[i + 1] & RV_PMP_A) >> RV_PMP_A_SHIFT) == PMP_TOR;
        if (!pmp_locked(h, i) && !next_tor_locked) {
            h->pmpaddr[i] = val & PMPADDR_MASK;
            pmp_changed(h);
        }
        return 0;
    }
    switch (num) {
    case CSR_SSTATUS:
        mstatus_write(h, (h->mstatus & ~SSTATUS_WMASK) | (val & SSTATUS_WMASK));
        return 0;
    case CSR_SIE: {
        uint64_t m = h->mideleg & MIP_S_MASK;
        h->mie = (h->mie & ~m) | (val & m);
        rv_irq_kick(h);
        return 0;
    }
    case CSR_STVEC: tvec_write(&h->stvec, val); return 0;
    case CSR_SCOUNTEREN: h->scounteren = (uint32_t)val; return 0;
    case CSR_SENVCFG: h->senvcfg = envcfg_legal(h->senvcfg, val, SENVCFG_MASK); return 0;
    case CSR_SSCRATCH: h->sscratch = val; return 0;
    case CSR_SEPC: h->sepc = val & ~1ull; return 0;
    case CSR_SCAUSE: h->scause = val; return 0;
    case CSR_STVAL: h->stval = val; return 0;
    case CSR_SIP: {
        uint64_t m = h->mideleg & MIP_SSIP;
        h->mip_sw = (h->mip_sw & ~m) | (val & m);
        rv_irq_kick(h);
        return 0;
    }
    case CSR_STIMECMP:
        if (!stimecmp_ok(h))
            return -1;
        h->stimecmp = val;
        rv_timer_update(h);
        return 0;
    case CSR_SATP: {
        if (h->priv == RV_PRIV_S && (h->mstatus & MSTATUS_TVM))
            return -1;
        unsigned mode = (unsigned)(val >> SATP_MODE_SHIFT);
        if (mode != SATP_BARE && (mode < SATP_SV39 || mode > SATP_SV57 ||
                                  !(h->satp_modes >> mode & 1)))
            return 0; /* an unsupported mode: the write has no effect */
        uint64_t nv = (uint64_t)mode << SATP_MODE_SHIFT |
                      (val & (SATP_ASID_MASK << SATP_ASID_SHIFT)) | (val & SATP_PPN_MASK);
        if (nv != h->satp) {
            h->satp = nv;
            /* entries carry their ASID, but a new root makes them all suspect: keep only
             * M-mode's (QEMU flushes the same way) */
            rv_sys_flush(h, RV_MMU_TRANSLATED);
        }
        return 0;
    }
    case CSR_MSTATUS: mstatus_write(h, val); return 0;
    case CSR_MISA: return 0; /* fixed */
    case CSR_MEDELEG: h->medeleg = val & MEDELEG_MASK; return 0;
    case CSR_MIDELEG:
        h->mideleg = val & MIP_S_MASK;
        rv_irq_kick(h);
        return 0;
    case CSR_MIE:
        h->mie = val & MIP_ALL;
        rv_irq_kick(h);
        return 0;
    case CSR_MTVEC: tvec_write(&h->mtvec, val); return 0;
    case CSR_MCOUNTEREN: h->mcounteren = (uint32_t)val; return 0;
    case CSR_MENVCFG:
        h->menvcfg = envcfg_legal(h->menvcfg, val, MENVCFG_MASK);
        rv_timer_update(h);
        rv_irq_kick(h);
        return 0;
    case CSR_MCOUNTINHIBIT: h->mcountinhibit = (uint32_t)val & ~2u; return 0;
    case CSR_MSCRATCH: h->mscratch = val; return 0;
    case CSR_MEPC: h->mepc = val & ~1ull; return 0;
    case CSR_MCAUSE: h->mcause = val; return 0;
    case CSR_MTVAL: h->mtval = val; return 0;
    case CSR_MIP: {
        uint64_t m = MIP_SSIP | MIP_SEIP | ((h->menvcfg & ENVCFG_STCE) ? 0 : MIP_STIP);
        h->mip_sw = (h->mip_sw & ~m) | (val & m);
        rv_irq_kick(h);
        return 0;
    }
    case CSR_PMPCFG0:
    case CSR_PMPCFG2: {
        unsigned first = num == CSR_PMPCFG0 ? 0 : 8;
        for (unsigned k = 0; k < 8; k++) {
            uint8_t c = (uint8_t)(val >> (8 * k));
            if (pmp_locked(h, first + k))
                continue;
            if ((c & RV_PMP_W) && !(c & RV_PMP_R))
                c &= (uint8_t)~(RV_PMP_W | RV_PMP_R); /* reserved R=0 W=1: no access */
            h->pmpcfg[first + k] = c & (RV_PMP_R | RV_PMP_W | RV_PMP_X | RV_PMP_A | RV_PMP_L);
        }
        pmp_changed(h);
        return 0;
    }
    case CSR_MCYCLE: h->cycle_off = (int64_t)(val - h->cpu.c.icount); return 0;
    case CSR_MINSTRET: h->instret_off = (int64_t)(val - h->cpu.c.icount); return 0;
    default: return -1;
    }
}

/* pack: csr | op << 12 | read << 14 | write << 15 | insn << 32; src: rs1 or uimm. */
static uint64_t helper_csr(struct cpu_common *c, uint64_t pack, uint64_t src, uint64_t a2)
{
    struct rv_hart *h = rv_hart_of(c);
    unsigned num = pack & 0xfff, op = (pack >> 12) & 3;
    bool rd = (pack >> 14) & 1, wr = (pack >> 15) & 1;
    uint64_t old = 0;
    if ((rd || op != 1) && rv_csr_read(h, num, &old) < 0)
        rv_raise_illegal(h, pack >> 32);
    if (wr) {
        /* csrrs/csrrc on mip modify the software-written SEIP bit, not what reads show
         * (that ORs in the external line: writing it back would latch it forever) */
        uint64_t base = old;
        if (num == CSR_MIP)
            base = (old & ~MIP_SEIP) | (h->mip_sw & MIP_SEIP);
        uint64_t nv = op == 1 ? src : op == 2 ? base | src : base & ~src;
        if (rv_csr_write(h, num, nv) < 0)
            rv_raise_illegal(h, pack >> 32);
    }
    return old;
}

typedef uint64_t rv_helper_fn(struct cpu_common *, uint64_t, uint64_t, uint64_t);
const struct ir_helper rv_helper_csr = {"rv_csr", (void *)(rv_helper_fn *)helper_csr,
                                        IR_HELPER_FAULT | IR_HELPER_STATE};
