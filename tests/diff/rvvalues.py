"""Operand values for the differential test generator, biased towards edge cases.

Every function takes a random.Random so that a program's values depend only on its
own seed. Values are returned as unsigned bit patterns: 64-bit for integer and double
registers, 32-bit for singles (callers NaN-box them). The pools are spec facts
(IEEE 754 encodings, integer limits), not tuned to any implementation.
"""

import struct

M64 = (1 << 64) - 1


def _d(x):
    """Bit pattern of a Python float as a double."""
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _s(x):
    """Bit pattern of a Python float rounded to single."""
    return struct.unpack("<I", struct.pack("<f", x))[0]


INT_EDGES = [
    0, 1, 2, 3, 7, 31, 32, 33, 63, 64, 127, 128, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
    0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0x17FFFFFFF,
    0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0x8000000000000001, M64, M64 - 1,
    0xFFFFFFFF80000000, 0xFFFFFFFF7FFFFFFF, 0x00000000FFFFFFFE, 0xFFFFFFFF00000000,
    0x8080808080808080, 0x0101010101010101, 0x00FF00FF00FF00FF, 0xFF00FF00FF00FF00,
    0x0000800000008000, 0x7F7F7F7F7F7F7F7F, 0x00000000000000FF, 0x8000000080000000,
    0x0123456789ABCDEF, 0xFEDCBA9876543210,
]

F64_SPECIAL = [
    0x0000000000000000, 0x8000000000000000,  # +-0
    0x7FF0000000000000, 0xFFF0000000000000,  # +-inf
    0x7FF8000000000000, 0xFFF8000000000000,  # canonical qNaN, negative qNaN
    0x7FF8000000000123, 0x7FFFFFFFFFFFFFFF,  # qNaN payloads
    0x7FF0000000000001, 0x7FF4000000000000, 0xFFF0000000000001, 0x7FF7FFFFFFFFFFFF,  # sNaNs
    0x0000000000000001, 0x8000000000000001,  # smallest subnormal
    0x000FFFFFFFFFFFFF, 0x800FFFFFFFFFFFFF,  # largest subnormal
    0x0008000000000000,                      # mid subnormal
    0x0010000000000000, 0x8010000000000000,  # smallest normal
    0x0010000000000001, 0x001FFFFFFFFFFFFF,
    0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF,  # largest normal
    0x7FE0000000000000,                      # 2^1023
]

F64_NUMS = [
    1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, 0.25, 0.75, 2.0, 3.0, 10.0, 0.1,
    1.0 / 3.0, -2.0 / 3.0, 0.49999999999999994, 0.5000000000000001, 0.9999999999999999,
    1.0000000000000002, 1.0 + 2.0 ** -52, 2.0 ** -53, 3.0 * 2.0 ** -54, 2.0 ** -24,
    2.0 ** -1022, 2.0 ** -1074 * 3, 2.0 ** 52, 2.0 ** 52 + 0.5, 2.0 ** 53, 2.0 ** 53 + 2,
    4503599627370495.5,
    # near the limits of integer conversion targets
    2147483647.0, 2147483647.5, 2147483647.4, 2147483648.0, 2147483648.5, -2147483648.0,
    -2147483648.5, -2147483648.9, -2147483649.0, 4294967295.0, 4294967295.5, 4294967296.0,
    -0.9, -0.4, 0.4, 0.6, -1.0000000000000002,
    9223372036854775808.0, 9223372036854774784.0, -9223372036854775808.0,
    -9223372036854777856.0, 18446744073709551616.0, 18446744073709549568.0,
    # near the float32 range, for fcvt.s.d overflow/underflow and ties
    3.4028234663852886e38, 3.4028235677973366e38, 3.402823567797337e38, 1.1754943508222875e-38,
    1.401298464324817e-45, 7.006492321624085e-46, 1.0 + 2.0 ** -24, 1.0 + 3 * 2.0 ** -24,
    1.0 + 2.0 ** -23 + 2.0 ** -24, 16777217.0, -16777217.0,
    1e308, -1e308, 1e-308, 6.02214076e23, 1.7976931348623157e308,
]

F32_SPECIAL = [
    0x00000000, 0x80000000, 0x7F800000, 0xFF800000,  # +-0, +-inf
    0x7FC00000, 0xFFC00000, 0x7FC00123, 0x7FFFFFFF,  # qNaNs
    0x7F800001, 0x7FA00000, 0xFF800001, 0x7FBFFFFF,  # sNaNs
    0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00400000,  # subnormals
    0x00800000, 0x80800000, 0x00800001, 0x00FFFFFF,  # small normals
    0x7F7FFFFF, 0xFF7FFFFF, 0x7F000000,  # large normals
    0x4F000000, 0x4EFFFFFF, 0xCF000000, 0xCF000001, 0x4F800000, 0x4F7FFFFF,  # +-2^31, 2^32
    0x5F000000, 0x5EFFFFFF, 0xDF000000, 0xDF000001, 0x5F800000, 0x5F7FFFFF,  # +-2^63, 2^64
    0x4B000000, 0x4B000001, 0x4B7FFFFF, 0x3F800001, 0x3F7FFFFF,
]

F32_NUMS = [
    1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, 0.25, 2.0, 3.0, 0.1, 1.0 / 3.0,
    2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -25, 8388607.5, 8388608.5, 16777215.0, 16777216.0,
    -0.9, -0.4, 0.4, 0.6, 2147483520.0, 4294967040.0, 1e30, -1e30, 1e-30,
]


def int64(rng):
    """A 64-bit integer register value."""
    r = rng.random()
    if r < 0.35:
        return rng.choice(INT_EDGES)
    if r < 0.45:
        return (-rng.choice(INT_EDGES)) & M64
    if r < 0.60:
        return rng.getrandbits(64)
    if r < 0.72:  # sign-extended 32-bit
        v = rng.getrandbits(32)
        return (v | 0xFFFFFFFF00000000) if v & 0x80000000 else v
    if r < 0.82:
        return rng.randint(-70, 70) & M64
    if r < 0.92:
        return ((1 << rng.randrange(64)) + rng.choice([-1, 0, 0, 1])) & M64
    # a float bit pattern in an integer register, for fmv and mixed flows
    return f64(rng) if rng.random() < 0.5 else f32(rng)


def shamt(rng, bits):
    """A shift or bit-index amount for an immediate, biased to the ends."""
    r = rng.random()
    if r < 0.4:
        return rng.choice([0, 1, bits // 2 - 1, bits // 2, bits - 2, bits - 1])
    return rng.randrange(bits)


def imm12(rng):
    r = rng.random()
    if r < 0.4:
        return rng.choice([0, 1, -1, 2047, -2048, 2, -2, 0x7F, 0x80, 0xFF, 31, 32, 63, 64])
    if r < 0.7:
        return rng.randint(-16, 16)
    return rng.randint(-2048, 2047)


def imm20(rng):
    r = rng.random()
    if r < 0.4:
        return rng.choice([0, 1, 0x7FFFF, 0x80000, 0xFFFFF, 0x80001, 0x12345])
    return rng.getrandbits(20)


def _rand_f64_normal(rng):
    exp = rng.randint(1023 - 40, 1023 + 70)
    return (rng.getrandbits(1) << 63) | (exp << 52) | rng.getrandbits(52)


def f64(rng):
    """A double bit pattern."""
    r = rng.random()
    if r < 0.28:
        return rng.choice(F64_SPECIAL)
    if r < 0.55:
        v = _d(rng.choice(F64_NUMS))
        return v ^ (1 << 63) if rng.random() < 0.25 else v
    if r < 0.70:
        return _rand_f64_normal(rng)
    if r < 0.78:  # small integers and halves: conversion ties
        return _d(rng.randint(-40, 40) / 2.0)
    if r < 0.84:  # short mantissas: additions that land on ties
        return _d(float(rng.getrandbits(rng.randint(1, 60))) * 2.0 ** rng.randint(-64, 8))
    if r < 0.90:  # exactly representable as a single, so float<->double paths meet
        v = f32(rng)
        if (v >> 23) & 0xFF == 0xFF:  # NaN widening is the FPU's business, not Python's
            return rng.choice(F64_SPECIAL)
        return _d(struct.unpack("<f", struct.pack("<I", v))[0])
    if r < 0.95:  # random subnormal or near-subnormal
        return (rng.getrandbits(1) << 63) | (rng.randint(0, 2) << 52) | rng.getrandbits(52)
    return rng.getrandbits(64)


def _rand_f32_normal(rng):
    exp = rng.randint(127 - 30, 127 + 40)
    return (rng.getrandbits(1) << 31) | (exp << 23) | rng.getrandbits(23)


def f32(rng):
    """A single bit pattern (32 bits)."""
    r = rng.random()
    if r < 0.30:
        return rng.choice(F32_SPECIAL)
    if r < 0.55:
        v = _s(rng.choice(F32_NUMS))
        return v ^ (1 << 31) if rng.random() < 0.25 else v
    if r < 0.75:
        return _rand_f32_normal(rng)
    if r < 0.83:
        return _s(rng.randint(-40, 40) / 2.0)
    if r < 0.90:
        return _s(float(rng.getrandbits(rng.randint(1, 30))) * 2.0 ** rng.randint(-30, 8))
    if r < 0.95:
        return (rng.getrandbits(1) << 31) | (rng.randint(0, 2) << 23) | rng.getrandbits(23)
    return rng.getrandbits(32)


def boxed(v32):
    return 0xFFFFFFFF00000000 | (v32 & 0xFFFFFFFF)


def freg(rng):
    """An f-register value and its kind: 's' (NaN-boxed single), 'd' (double), or 'x'
    (a single that is not properly boxed, so single-precision reads see the canonical NaN)."""
    r = rng.random()
    if r < 0.47:
        return boxed(f32(rng)), "s"
    if r < 0.95:
        return f64(rng), "d"
    return (rng.getrandbits(32) << 32 | f32(rng)) & M64, "x"


def fcsr(rng):
    """Initial fcsr: frm 0..4 (a valid dynamic mode), fflags clear half the time."""
    frm = rng.randrange(5)
    flags = 0 if rng.random() < 0.5 else rng.randrange(32)
    return frm << 5 | flags


def scratch_dword(rng):
    r = rng.random()
    if r < 0.4:
        return int64(rng)
    if r < 0.7:
        return f64(rng)
    return boxed(f32(rng)) if rng.random() < 0.5 else (f32(rng) << 32 | f32(rng))
