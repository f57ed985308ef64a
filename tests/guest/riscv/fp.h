/*
 * Helpers for the F/D tests: run one floating-point instruction on raw bit patterns and
 * return its full 64-bit register result and the fflags it raised (fflags is cleared just
 * before the instruction). Operands go in with fmv.d.x, so single-precision inputs must be
 * written NaN-boxed (S(x)) unless a test wants an unboxed value; results come out with
 * fmv.x.d, so a single result is checked together with its NaN-boxing.
 *
 * Invariant: the C compiler never computes a floating-point value here; every operation
 * under test is one explicit instruction with an explicit rounding-mode operand.
 */
#ifndef OMNIVM_GUEST_FP_H
#define OMNIVM_GUEST_FP_H

#include "check.h"

struct fr {
    uint64_t v;  /* result bits (64-bit f register, or integer register) */
    uint64_t fl; /* fflags raised by the instruction */
};

#define S(x) (0xffffffff00000000ull | (uint32_t)(x)) /* NaN-boxed single */

#define NV 0x10u
#define DZ 0x08u
#define OF 0x04u
#define UF 0x02u
#define NX 0x01u

#define RM_RNE 0
#define RM_RTZ 1
#define RM_RDN 2
#define RM_RUP 3
#define RM_RMM 4

/* f <- op(f, f) with rounding mode rm ("rne", ..., "dyn") */
#define F2R(op, rm, a, b)                                                                   \
    ({                                                                                      \
        uint64_t f_v_, f_fl_;                                                               \
        __asm__ volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fsflags zero\n " op           \
                         " ft2, ft0, ft1, " rm "\n frflags %1\n fmv.x.d %0, ft2"            \
                         : "=r"(f_v_), "=r"(f_fl_)                                          \
                         : "r"((uint64_t)(a)), "r"((uint64_t)(b))                           \
                         : "ft0", "ft1", "ft2");                                            \
        (struct fr){f_v_, f_fl_};                                                           \
    })
/* f <- op(f, f) without a rounding mode (fmin, fsgnj, ...) */
#define F2(op, a, b)                                                                        \
    ({                                                                                      \
        uint64_t f_v_, f_fl_;                                                               \
        __asm__ volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fsflags zero\n " op           \
                         " ft2, ft0, ft1\n frflags %1\n fmv.x.d %0, ft2"                    \
                         : "=r"(f_v_), "=r"(f_fl_)                                          \
                         : "r"((uint64_t)(a)), "r"((uint64_t)(b))                           \
                         : "ft0", "ft1", "ft2");                                            \
        (struct fr){f_v_, f_fl_};                                                           \
    })
/* f <- op(f) with rounding mode (fsqrt, fcvt.s.d, ...) */
#define F1R(op, rm, a)                                                                      \
    ({                                                                                      \
        uint64_t f_v_, f_fl_;                                                               \
        __asm__ volatile("fmv.d.x ft0, %2\n fsflags zero\n " op " ft2, ft0, " rm "\n"       \
                         " frflags %1\n fmv.x.d %0, ft2"                                    \
                         : "=r"(f_v_), "=r"(f_fl_)                                          \
                         : "r"((uint64_t)(a))                                               \
                         : "ft0", "ft2");                                                   \
        (struct fr){f_v_, f_fl_};                                                           \
    })
/* f <- op(f) without a rounding mode (fcvt.d.s is exact) */
#define F1(op, a)                                                                           \
    ({                                                                                      \
        uint64_t f_v_, f_fl_;                                                               \
        __asm__ volatile("fmv.d.x ft0, %2\n fsflags zero\n " op " ft2, ft0\n"              \
                         " frflags %1\n fmv.x.d %0, ft2"                                    \
                         : "=r"(f_v_), "=r"(f_fl_)                                          \
                         : "r"((uint64_t)(a))                                               \
                         : "ft0", "ft2");                                                   \
        (struct fr){f_v_, f_fl_};                                                           \
    })
/* f <- op(f, f, f) with rounding mode (fmadd family) */
#define F3R(op, rm, a, b, c)                                                                \
    ({                                                                                      \
        uint64_t f_v_, f_fl_;                                                               \
        __asm__ volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fmv.d.x ft2, %4\n"            \
                         " fsflags zero\n " op " ft3, ft0, ft1, ft2, " rm "\n"              \
                         " frflags %1\n fmv.x.d %0, ft3"                                    \
                         : "=r"(f_v_), "=r"(f_fl_)                                          \
                         : "r"((uint64_t)(a)), "r"((uint64_t)(b)), "r"((uint64_t)(c))       \
                         : "ft0", "ft1", "ft2", "ft3");                                     \
        (struct fr){f_v_, f_fl_};                                                           \
    })
/* x <- op(f) with rounding mode (fcvt.w.s, ...) */
#define X1R(op, rm, a)                                                                      \
    ({                                                                                      \
        uint64_t f_v_, f_fl_;                                                               \
        __asm__ volatile("fmv.d.x ft0, %2\n fsflags zero\n " op " %0, ft0, " rm "\n"        \
                         " frflags %1"                                                      \
                         : "=&r"(f_v_), "=r"(f_fl_)                                         \
                         : "r"((uint64_t)(a))                                               \
                         : "ft0");                                                          \
        (struct fr){f_v_, f_fl_};                                                           \
    })
/* x <- op(f) (fclass, fmv.x.w) */
#define X1(op, a)                                                                           \
    ({                                                                                      \
        uint64_t f_v_, f_fl_;                                                               \
        __asm__ volatile("fmv.d.x ft0, %2\n fsflags zero\n " op " %0, ft0\n frflags %1"     \
                         : "=&r"(f_v_), "=r"(f_fl_)                                         \
                         : "r"((uint64_t)(a))                                               \
                         : "ft0");                                                          \
        (struct fr){f_v_, f_fl_};                                                           \
    })
/* x <- op(f, f) (feq, flt, fle) */
#define X2(op, a, b)                                                                        \
    ({                                                                                      \
        uint64_t f_v_, f_fl_;                                                               \
        __asm__ volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fsflags zero\n " op           \
                         " %0, ft0, ft1\n frflags %1"                                       \
                         : "=&r"(f_v_), "=r"(f_fl_)                                         \
                         : "r"((uint64_t)(a)), "r"((uint64_t)(b))                           \
                         : "ft0", "ft1");                                                   \
        (struct fr){f_v_, f_fl_};                                                           \
    })
/* f <- op(x) with rounding mode (fcvt.s.w, ...) */
#define I1R(op, rm, x)                                                                      \
    ({                                                                                      \
        uint64_t f_v_, f_fl_;                                                               \
        __asm__ volatile("fsflags zero\n " op " ft0, %2, " rm "\n frflags %1\n"             \
                         " fmv.x.d %0, ft0"                                                 \
                         : "=r"(f_v_), "=r"(f_fl_)                                          \
                         : "r"((uint64_t)(x))                                               \
                         : "ft0");                                                          \
        (struct fr){f_v_, f_fl_};                                                           \
    })
/* f <- op(x) (fmv.w.x, fmv.d.x) */
#define I1(op, x)                                                                           \
    ({                                                                                      \
        uint64_t f_v_, f_fl_;                                                               \
        __asm__ volatile("fsflags zero\n " op " ft0, %2\n frflags %1\n fmv.x.d %0, ft0"     \
                         : "=r"(f_v_), "=r"(f_fl_)                                          \
                         : "r"((uint64_t)(x))                                               \
                         : "ft0");                                                          \
        (struct fr){f_v_, f_fl_};                                                           \
    })

__attribute__((unused)) static void check_fr(const char *what, struct fr r, uint64_t want,
                                             uint64_t want_flags)
{
    check_count++;
    if (r.v != want || r.fl != want_flags) {
        check_failed += !check_xfail(what);
        printf("FAIL %s: got 0x%016llx flags 0x%02llx, want 0x%016llx flags 0x%02llx\n", what,
               (unsigned long long)r.v, (unsigned long long)r.fl, (unsigned long long)want,
               (unsigned long long)want_flags);
    }
}

static inline void set_frm(unsigned rm) { __asm__ volatile("fsrm %0" : : "r"(rm)); }

static const char *const rm_names[5] = {"rne", "rtz", "rdn", "rup", "rmm"};

/* Checks one operation under all five rounding modes, first with the mode in the
 * instruction (static), then with rm=dyn and the mode in frm. */
__attribute__((unused)) static void check_rm5(const char *what, const struct fr st[5],
                                              const struct fr dy[5], const uint64_t want[5],
                                              const uint64_t flags[5])
{
    char name[128];
    for (int m = 0; m < 5; m++) {
        snprintf(name, sizeof name, "%s [%s]", what, rm_names[m]);
        check_fr(name, st[m], want[m], flags[m]);
        snprintf(name, sizeof name, "%s [dyn frm=%s]", what, rm_names[m]);
        check_fr(name, dy[m], want[m], flags[m]);
    }
}

#define V5(a, b, c, d, e) ((const uint64_t[5]){a, b, c, d, e})
#define SAME5(x) V5(x, x, x, x, x)

/* ALLRM(name, K, op, want[5], flags[5], operands...): K is F2R, F1R, F3R, X1R or I1R */
#define ALLRM(name, K, op, want, flags, ...)                                                \
    do {                                                                                    \
        struct fr st_[5] = {K(op, "rne", __VA_ARGS__), K(op, "rtz", __VA_ARGS__),           \
                            K(op, "rdn", __VA_ARGS__), K(op, "rup", __VA_ARGS__),           \
                            K(op, "rmm", __VA_ARGS__)};                                     \
        struct fr dy_[5];                                                                   \
        for (unsigned m_ = 0; m_ < 5; m_++) {                                               \
            set_frm(m_);                                                                    \
            dy_[m_] = K(op, "dyn", __VA_ARGS__);                                            \
        }                                                                                   \
        set_frm(0);                                                                         \
        check_rm5(name, st_, dy_, want, flags);                                             \
    } while (0)

#endif
