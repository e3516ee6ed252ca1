"""Vectorizable special functions for float32 and float64 (jitted code only).

The building blocks of the activations that need more than exp: log1p (for
softplus and log_sigmoid) and exp(-x**2), exp(-x**2/2) with the square taken
exactly (gaussian, gelu).  x - tanh(x) without cancellation
(tanhshrink).  (Still to come: the Mills ratio and the upper normal tail for
gelu.)  Like `_math`, they are plain arithmetic (FMA,
polynomials, reciprocals from FMAs, powers of two from bits), so ufunc loops
built on them vectorize, and a float32 argument is computed in float32
arithmetic, a float64 argument in float64.

Every public name is overloaded on the argument type and is meant to be
called from jitted code only.  `CUDA_EQUIVALENTS` maps each public name to a
plain-Python function (math module, arithmetic and the `_math` primitive
names `fma`, `exp`, which must be rebound to their CUDA versions as in
cuda/device.py) that the CUDA side compiles instead, since the
bit manipulation used here cannot run there.

Coefficients come from tools/fit_special.py (mpmath least squares on
Chebyshev nodes, weighted by relative error); the accuracy figures in the
docstrings are measured by tests/test_special.py against mpmath.
"""

import math

import numpy as np
from numba import njit, types
from numba.core.extending import overload

from ._math import (
    _C2,
    _C3,
    _C4,
    _C5,
    _C6,
    _D,
    _LN2_HI32,
    _LN2_HI64,
    _LN2_LO32,
    _LN2_LO64,
    _LOG2E32,
    _LOG2E64,
    _SHIFT32,
    _SHIFT32_BITS,
    _SHIFT64,
    _SHIFT64_BITS,
    _bits_to_float,
    _float_to_bits,
    exp_split,
    expm1,
    fma,
    recip,
    recip12,
)

_f32 = np.float32


def _jit_only(name):
    def stub(*args):
        raise NotImplementedError(f"numba_act._special.{name} is for jitted code")

    stub.__name__ = stub.__qualname__ = name
    return stub


def _by_type(stub, f32, f64):
    """Overload `stub` with the njit functions f32 (float32 argument) and f64."""

    @overload(stub, jit_options={"cache": True})
    def _impl(x):
        if x == types.float32:
            return lambda x: f32(x)
        if x == types.float64:
            return lambda x: f64(x)

    return stub


# ---------------------------------------------------------------- log1p
# log(1 + f) = 2 s + s R(s**2) with s = f / (2 + f), |s| <= 0.1716 (fdlibm's
# form), R(z) = z (L1 + L2 z + ...).  tools/fit_special.py log1p: degree 3
# (float32) and 7 (float64) in z, max |error| / (2 s) = 2.0e-10 and 2.3e-19.
_LG_32 = (
    _f32(0.6666677594184875),
    _f32(0.3997734487056732),
    _f32(0.29876095056533813),
)
_LG_64 = (
    0.6666666666666736,
    0.3999999999940507,
    0.2857142874413889,
    0.22222198419192385,
    0.1818357138419732,
    0.15313888042339555,
    0.1479743510950102,
)
_SQRT2 = 1.4142135623730951


@njit(cache=True)
def _log_r32(z):
    L1, L2, L3 = _LG_32
    return z * fma(fma(L3, z, L2), z, L1)


@njit(cache=True)
def _log_r64(z):
    L1, L2, L3, L4, L5, L6, L7 = _LG_64
    q = fma(L7, z, L6)
    q = fma(q, z, L5)
    q = fma(q, z, L4)
    q = fma(q, z, L3)
    q = fma(q, z, L2)
    return z * fma(q, z, L1)


_log_r = _by_type(_jit_only("_log_r"), _log_r32, _log_r64)


@njit(cache=True)
def _log1p01(u):
    T = type(u)
    one = T(1.0)
    half = T(0.5)
    # 1 + u = 2**k (1 + f) with 1 + f in (sqrt2/2, sqrt2], k in {0, 1}.  For
    # k = 0, f = u exactly; for k = 1, f = (1 + u)/2 - 1 is exact but 1 + u
    # was rounded: c = 1 + u - fl(1 + u) exactly (Fast2Sum, 1 >= u), and
    # log(1 + u) = k ln2 + log(1 + f) + c / (1 + u) to first order.
    v = one + u
    big = v > T(_SQRT2)
    c = (one - v) + u
    f = fma(v, half, -one) if big else u
    # c / v with 1/v = 1 / (2 (1 + f)) ~ (1 - f + f**2) / 2 (c is below half
    # an ulp of v, so a 3% error of 1/v is harmless).
    c = c * fma(f, fma(half, f, -half), half) if big else T(0.0)
    k = one if big else T(0.0)
    # s = f / (2 + f): d = 2 + f lies in (1.707, 2.415]; recip12 wants [1, 2].
    d = T(2.0) + f
    e = d * half if d > T(2.0) else d
    y = recip12(e)
    y = fma(y, fma(-e, y, one), y)
    y = y * half if d > T(2.0) else y
    s = f * y
    s = fma(fma(-s, d, f), y, s)
    hfsq = half * f * f
    r = _log_r(s * s)
    lo = fma(s, hfsq + r, fma(k, T(_LN2_LO64), c))
    return fma(k, T(_LN2_HI64), f - (hfsq - lo))


log1p = _by_type(_jit_only("log1p"), _log1p01, _log1p01)
log1p.__doc__ = """log(1 + u) for 0 <= u <= 1 (and NaN -> NaN), float32 or float64.

fdlibm's reduction with k in {0, 1} and the reciprocal of 2 + f from FMAs.
Outside [0, 1] the result is wrong (no range reduction beyond k = 1).
Measured max error (tests/test_special.py, ~2500 random points per type):
0.81 ulp float32, 0.71 ulp float64."""


# ---------------------------------------------------------------- exp(-x**2)
# exp(r0 + lo) = 1 + r0 + (lo + r**2 q(r)) with r = fl(r0 + lo), |lo| << |r0|,
# and 1 + r0 split exactly (Fast2Sum, |r0| < 1): the sum is rounded about
# once at the end instead of rounding expm1(r) and then 1 + expm1(r).  q is
# _math's expm1 polynomial.
@njit(cache=True)
def _exp_poly_dw64(r0, lo):
    D2, D3, D4, D5, D6, D7, D8, D9, D10, D11 = _D
    r = r0 + lo
    q = fma(D11, r, D10)
    q = fma(q, r, D9)
    q = fma(q, r, D8)
    q = fma(q, r, D7)
    q = fma(q, r, D6)
    q = fma(q, r, D5)
    q = fma(q, r, D4)
    q = fma(q, r, D3)
    q = fma(q, r, D2)
    h = 1.0 + r0
    return h, ((1.0 - h) + r0) + fma(r * r, q, lo)


@njit(cache=True)
def _exp_poly64(r0, lo):
    h, t = _exp_poly_dw64(r0, lo)
    return h + t


@njit(cache=True)
def _exp_poly_dw32(r0, lo):
    one = _f32(1.0)
    r = r0 + lo
    q = fma(_C6, r, _C5)
    q = fma(q, r, _C4)
    q = fma(q, r, _C3)
    q = fma(q, r, _C2)
    h = one + r0
    return h, ((one - h) + r0) + fma(r * r, q, lo)


@njit(cache=True)
def _exp_poly32(r0, lo):
    h, t = _exp_poly_dw32(r0, lo)
    return h + t


@njit(cache=True)
def _exp_dw_split_parts64(x, lo):
    """(s1, h, t, s2) with exp(x + lo) = s1 (h + t) s2, h + t the polynomial
    before its last rounding (|t| < ulp(h)), s1 and s2 powers of two."""
    if x < -1416.0:
        x = -1416.0
    k = fma(x, _LOG2E64, _SHIFT64)
    n = k - _SHIFT64
    ni = _float_to_bits(k) - _SHIFT64_BITS
    h, t = _exp_poly_dw64(fma(-n, _LN2_HI64, x), fma(-n, _LN2_LO64, lo))
    n1 = ni >> 1
    s1 = _bits_to_float((n1 + 1023) << 52)
    s2 = _bits_to_float((ni - n1 + 1023) << 52)
    return s1, h, t, s2


@njit(cache=True)
def _exp_dw_split64(x, lo):
    """exp(x + lo) as (m, s), s a power of two (the split of
    _math._exp64_split), for x <= 0 and |lo| <= ulp(x).  The reduced
    argument x - n ln2 is exact; the small terms (-n ln2_lo + lo) are added
    in with the polynomial, so the result is rounded about once."""
    s1, h, t, s2 = _exp_dw_split_parts64(x, lo)
    return s1 * (h + t), s2


@njit(cache=True)
def _exp_dw_split_parts32(x, lo):
    if x < _f32(-174.0):
        x = _f32(-174.0)
    k = fma(x, _LOG2E32, _SHIFT32)
    n = k - _SHIFT32
    ni = _float_to_bits(k) - _SHIFT32_BITS
    h, t = _exp_poly_dw32(fma(-n, _LN2_HI32, x), fma(-n, _LN2_LO32, lo))
    n1 = ni >> 1
    s1 = _bits_to_float(np.int32((n1 + 127) << 23))
    s2 = _bits_to_float(np.int32((ni - n1 + 127) << 23))
    return s1, h, t, s2


@njit(cache=True)
def _exp_dw_split32(x, lo):
    s1, h, t, s2 = _exp_dw_split_parts32(x, lo)
    return s1 * (h + t), s2


@njit(cache=True)
def _exp_neg_sq_split(x):
    T = type(x)
    a = abs(x)
    # exp(-a*a) is 0 in both types from a = 38 on (the clamp inside
    # _exp_dw_split keeps the exponent in range); NaN passes through.
    a = T(38.0) if a > T(38.0) else a
    h = a * a
    return _exp_dw_split(-h, -fma(a, a, -h))


@njit(cache=True)
def _exp_neg_half_sq_split(x):
    T = type(x)
    a = abs(x)
    a = T(54.0) if a > T(54.0) else a
    h = a * a
    return _exp_dw_split(T(-0.5) * h, T(-0.5) * fma(a, a, -h))


@njit(cache=True)
def _exp_neg_half_sq_parts(x):
    """(s1, h, t, s2) with exp(-x**2/2) = s1 (h + t) s2 (exp_neg_half_sq_split
    before the last rounding of its polynomial)."""
    T = type(x)
    a = abs(x)
    a = T(54.0) if a > T(54.0) else a
    h = a * a
    return _exp_dw_split_parts(T(-0.5) * h, T(-0.5) * fma(a, a, -h))


def _exp_dw_split_parts(x, lo):
    raise NotImplementedError


@overload(_exp_dw_split_parts, jit_options={"cache": True})
def _exp_dw_split_parts_overload(x, lo):
    if x == types.float32:
        return lambda x, lo: _exp_dw_split_parts32(x, lo)
    if x == types.float64:
        return lambda x, lo: _exp_dw_split_parts64(x, lo)


def _exp_dw_split(x, lo):
    raise NotImplementedError


@overload(_exp_dw_split, jit_options={"cache": True})
def _exp_dw_split_overload(x, lo):
    if x == types.float32:
        return lambda x, lo: _exp_dw_split32(x, lo)
    if x == types.float64:
        return lambda x, lo: _exp_dw_split64(x, lo)


exp_neg_sq_split = _by_type(_jit_only("exp_neg_sq_split"), _exp_neg_sq_split, _exp_neg_sq_split)
exp_neg_sq_split.__doc__ = """(m, s) with exp(-x**2) = m * s, s a power of two.

Any x (float32 or float64): x**2 is taken exactly (x*x plus its FMA
rounding error) into the exp reduction, so the result keeps its accuracy
for large |x|.  m lies within a few binades of sqrt(exp(-x**2)) (the split
of _math.exp_split): apply s last to reach subnormal results.  +-inf gives
0 (m * s), NaN gives NaN.  Measured max error of m * s (normal and subnormal
results): 0.72 ulp float32, 0.63 ulp float64."""

exp_neg_half_sq_split = _by_type(_jit_only("exp_neg_half_sq_split"), _exp_neg_half_sq_split, _exp_neg_half_sq_split)
exp_neg_half_sq_split.__doc__ = """(m, s) with exp(-x**2 / 2) = m * s, as exp_neg_sq_split."""


# ---------------------------------------------------------------- x - tanh(x)
# For |x| < 1.375: x - tanh(x) = x**3 G(z), z = x**2, G(z) = G(z0) + (z - z0)
# R(z), R = P/Q, in two pieces: z0 = 0 (G = 1/3) for z < 0.5625, z0 = 1.25
# above (z - z0 is exact), so the correction (z - z0) R(z) and its rounding
# errors stay below ~0.2 of G.  tools/fit_special.py x_minus_tanh
# (coefficients rounded one at a time, the rest refitted): degree (1, 2)
# float32, (3, 3) float64; max |error of G| / G = 6.6e-10, 3.4e-10 (float32
# pieces), 6.7e-20, 1.1e-19 (float64); Q lies in [1, 1.98] (recip12).
# Each piece: (G(z0) hi, lo, z0, P..., Q...).
_XMT0_32 = (
    _f32(0.3333333432674408),
    _f32(-9.934107758624577e-09),
    _f32(0.0),
    _f32(-0.13333334028720856),
    _f32(-0.006711431313306093),
    _f32(0.45509815216064453),
    _f32(0.020183630287647247),
)
_XMT1_32 = (
    _f32(0.22264081239700317),
    _f32(4.876500980799392e-09),
    _f32(1.25),
    _f32(-0.0885540097951889),
    _f32(-0.0038578014355152845),
    _f32(0.4481021761894226),
    _f32(0.017353808507323265),
)
_XMT0_64 = (
    0.3333333333333333,
    1.850371707708594e-17,
    0.0,
    -0.13333333333333333,
    -0.008065174229980113,
    -9.086603491213302e-05,
    -7.370048224059406e-11,
    0.46525071148675523,
    0.0249760954138913,
    0.00027267572050962267,
)
_XMT1_64 = (
    0.22264081727350413,
    -5.054932547775821e-18,
    1.25,
    -0.08855401284786307,
    -0.00538870657504713,
    -6.124046584297112e-05,
    -8.418946465986843e-11,
    0.4653901233614762,
    0.025038788401127807,
    0.00027518503392615524,
)
_XMT_ZB = 0.5625  # piece boundary in z
_XMT_SWITCH = 1.375  # in |x|; x - tanh(x) = 0.495 here: no cancellation above


@njit(cache=True, forceinline=True)
def _xmt_g32(z):
    """(G(z0) hi, lo, z - z0, R(z)) of the piece holding z."""
    up = z >= _f32(_XMT_ZB)
    A = _XMT0_32
    B = _XMT1_32
    g_hi = B[0] if up else A[0]
    g_lo = B[1] if up else A[1]
    z0 = B[2] if up else A[2]
    P0 = B[3] if up else A[3]
    P1 = B[4] if up else A[4]
    Q1 = B[5] if up else A[5]
    Q2 = B[6] if up else A[6]
    p = fma(P1, z, P0)
    q = fma(fma(Q2, z, Q1), z, _f32(1.0))
    y = recip12(q)
    r = p * y
    return g_hi, g_lo, z - z0, fma(fma(-r, q, p), y, r)


@njit(cache=True, forceinline=True)
def _xmt_g64(z):
    up = z >= _XMT_ZB
    A = _XMT0_64
    B = _XMT1_64
    g_hi = B[0] if up else A[0]
    g_lo = B[1] if up else A[1]
    z0 = B[2] if up else A[2]
    P0 = B[3] if up else A[3]
    P1 = B[4] if up else A[4]
    P2 = B[5] if up else A[5]
    P3 = B[6] if up else A[6]
    Q1 = B[7] if up else A[7]
    Q2 = B[8] if up else A[8]
    Q3 = B[9] if up else A[9]
    p = fma(fma(fma(P3, z, P2), z, P1), z, P0)
    q = fma(fma(fma(Q3, z, Q2), z, Q1), z, 1.0)
    y = recip12(q)
    r = p * y
    return g_hi, g_lo, z - z0, fma(fma(-r, q, p), y, r)


_xmt_g = _by_type(_jit_only("_xmt_g"), _xmt_g32, _xmt_g64)


@njit(cache=True, forceinline=True)
def _xmt_small(a, tiny, up, down):
    """a**3 G(a**2) for 0 <= a < 1.375."""
    T = type(a)
    # Small |x|: a**3 as p + pl (exact square and product errors), times
    # G = g_hi + g_lo, rounded once by the last FMA.  Below `tiny` the cube
    # would lose bits to underflow: it is formed from a * up (a power of two)
    # and the result scaled by down = up**-3 in one rounding, so subnormal
    # results are rounded once (and G = 1/3 there to all digits).
    # (Beyond the switch this path is unused: clamped, it raises no spurious
    # overflow flags, and the scale factors are selected, not the products.)
    a_s = a if a < T(_XMT_SWITCH) else T(_XMT_SWITCH)
    z = a_s * a_s
    zl = fma(a_s, a_s, -z)
    scaled = a < tiny
    b = a_s * (up if scaled else T(1.0))
    h = b * b
    hl = fma(b, b, -h)
    p = b * h
    pl = fma(b, h, -p) + b * hl
    g_hi, g_lo, w, r = _xmt_g(z)
    # G - g_hi = (z - z0) R(z) + g_lo, the rounding error zl of z included
    # (dG/dz ~ R).
    g_lo = fma(w, r, fma(zl, r, g_lo))
    small = fma(p, g_hi, fma(p, g_lo, pl * (g_hi + g_lo)))
    small = small * (down if scaled else T(1.0))
    return small


@njit(cache=True, forceinline=True)
def _xmt_large(a):
    """a - tanh(a) for a >= 1.375."""
    T = type(a)
    # Larger |x|: tanh(a) = t / (t + 2), t = expm1(2a), as scalar.tanh, but
    # kept as q0 + tl (the quotient's correction term) and subtracted from
    # a with Fast2Sum (a >= 1.375 > q0), so the result is rounded once; the
    # error of t is damped by 2 / (t + 2) < 0.12.
    ac = T(20.0) if a > T(20.0) else a
    t = expm1(ac + ac)
    two = T(2.0)
    big = t if t > two else two
    sm = two if t > two else t
    d = big + sm
    d_lo = (big - d) + sm
    y = recip(d)
    q0 = t * y
    tl = (fma(-q0, d, t) - q0 * d_lo) * y
    # From 2**100 on the result is a itself (the clamp keeps a = inf from
    # making e NaN).
    huge = T(1.2676506002282294e30)
    a_l = a if a < huge else huge
    s = a_l - q0
    e = (a_l - s) - q0
    large = s + (e - tl)
    return a if a > huge else large


@njit(cache=True, forceinline=True)
def _x_minus_tanh_impl(x, tiny, up, down):
    a = abs(x)
    small = _xmt_small(a, tiny, up, down)
    large = _xmt_large(a)
    return math.copysign(small if a < type(x)(_XMT_SWITCH) else large, x)


@njit(cache=True, forceinline=True)
def _x_minus_tanh32(x):
    # tiny 2**-30, up 2**40, down 2**-120
    return _x_minus_tanh_impl(x, _f32(9.313225746154785e-10), _f32(1099511627776.0), _f32(7.52316384526264e-37))


@njit(cache=True, forceinline=True)
def _x_minus_tanh64(x):
    # tiny 2**-300, up 2**340, down 2**-1020
    return _x_minus_tanh_impl(x, 4.909093465297727e-91, 2.2397447421778042e102, 8.900295434028806e-308)


# Too large for LLVM's inlining heuristics: forceinline (here and on the
# overload, so not _by_type) puts it whole into the calling kernel, and an
# njit loop over it vectorizes (2.0 ns per float32 element measured, against
# 17 ns as a call per element).  A numba.vectorize ufunc still calls its
# kernel per element once the kernel is this large (numba's alwaysinline on
# the kernel's declaration does not survive linking); with "alwaysinline"
# added to the kernel's definition it runs at 1.9 ns (float32), 5.5 ns.
x_minus_tanh = _jit_only("x_minus_tanh")


@overload(x_minus_tanh, jit_options={"cache": True, "forceinline": True})
def _x_minus_tanh_overload(x):
    if x == types.float32:
        return lambda x: _x_minus_tanh32(x)
    if x == types.float64:
        return lambda x: _x_minus_tanh64(x)


x_minus_tanh.__doc__ = """x - tanh(x) (tanhshrink) for any float32 or float64 x.

Odd, +-inf -> +-inf, NaN -> NaN, -0.0 -> -0.0; tiny x gives x**3 / 3
rounded once, subnormal results included (the cube formed at a scale, then
scaled down in one rounding).  Below |x| = 1.375: x**3 (G(z0) + (z - z0)
P(z)/Q(z)), z = x**2, on two pieces, with a compensated cube; above: x minus
tanh(x), the latter kept to twice the working precision.  Measured max error
(tests/test_special.py, ~3000 points per type, tiny and subnormal results
included): 0.73 ulp float32, 0.90 ulp float64 (0.84 and 0.91 in a
90000-point sweep per type).  The CUDA equivalent, compiled for the CPU,
measures the same."""


# ---------------------------------------------------------------- normal tail
# Phi_c(a) = Phi(-a) = erfc(a / sqrt 2) / 2 = exp(-a**2/2) R(a) for a >= 0,
# R(a) = Phi_c(a) exp(a**2/2) (the Mills ratio over c = sqrt(2 pi)): smooth
# on [0, inf), R(0) = 1/2, R(a) ~ 1/(c a).  Two rational pieces, both
# evaluated and the result selected (no branches): below a = 4, R = P(a) /
# Q(a), deg Q = deg P + 1; above, up to where exp(-a**2/2) leaves the split's
# range, a R = Pb(u) / Qb(u), u = 1/a**2.  Each is evaluated as
#     R = N / (c a N + T),  N = P(a), T = S(a) = Q(a) - c a P(a), or
#                           N = Pb(u), T = a Sb(u), Sb = Qb - c Pb,
# the denominator in double-word arithmetic: the rounding errors of N cancel
# between numerator and denominator, and those of T count with the weight
# T / (c a N + T) = H / (a + H), H = 1/(c R) - a (1 at a = 0, 1/a**2 for
# large a).  (Plain P / Q has terms of one size at a ~ 3 and Horner's
# rounding errors add up to 2 ulp there; one P / Q for all of [0, 54]
# reaches 5 ulp.)  tools/fit_special.py normal_tail, max |error| / R with the
# rounded coefficients: float64 8.0e-18 (degree (7, 8)), 1.7e-17 ((6, 6) on
# [4, 54]); float32 7.9e-9 ((4, 4)), 4.7e-9 ((3, 3) on [4, 19]).
_NT_P64 = (
    0.5,
    0.5700434773885593,
    0.3269218549886947,
    0.11545304862774693,
    0.02670307863007274,
    0.004015143320098724,
    0.0003632523675411283,
    1.5324730367000553e-05,
)
_NT_S64 = (
    1.0,
    0.684657378264483,
    0.27123416334327927,
    0.06491080049415224,
    0.010008536454316864,
    0.0009088657365270378,
    3.8511543339139507e-05,
    -3.760013731353863e-09,
    7.063503121537835e-11,
)
_NT_PB64 = (
    0.39894228040143265,
    21.10973571751376,
    383.52796446295537,
    2920.4415433455765,
    9059.982336669056,
    9151.342877001833,
    1309.325741331007,
)
_NT_SB64 = (
    7.667244288497499e-17,
    0.9999999999997601,
    50.91426041973675,
    865.5335188946436,
    5852.8798965685555,
    14473.04635289804,
    8778.72513277675,
)
_NT_P32 = (
    _f32(0.5),
    _f32(0.291532427072525),
    _f32(0.08451412618160248),
    _f32(0.0095885144546628),
    _f32(2.7876087642653147e-06),
)
_NT_S32 = (
    _f32(1.0),
    _f32(0.12763512134552002),
    _f32(0.04010523483157158),
    _f32(-0.0021295358892530203),
    _f32(0.0001780497987056151),
    _f32(-6.987499091337668e-06),
)
_NT_PB32 = (
    _f32(0.3989422917366028),
    _f32(9.008562088012695),
    _f32(39.08503723144531),
    _f32(19.23802375793457),
)
_NT_SB32 = (
    _f32(-2.8413058572596128e-08),
    _f32(1.0000126361846924),
    _f32(20.579313278198242),
    _f32(62.927371978759766),
)
_NT_SPLIT = 4.0
_NT_AMAX64 = 54.0
_NT_AMAX32 = 19.0
# c = sqrt(2 pi) as hi + lo in each type
_NT_C64 = (2.5066282746310007, -1.8328579980459167e-16)
_NT_C32 = (_f32(2.5066282749176025), _f32(-2.866020476499642e-10))


@njit(cache=True, forceinline=True)
def _nt_polys64(a, u):
    """((P(a) - P0) / a, (S(a) - S0) / a, Pb(u), Sb(u))."""
    P0, P1, P2, P3, P4, P5, P6, P7 = _NT_P64
    S0, S1, S2, S3, S4, S5, S6, S7, S8 = _NT_S64
    B0, B1, B2, B3, B4, B5, B6 = _NT_PB64
    C0, C1, C2, C3, C4, C5, C6 = _NT_SB64
    p = fma(P7, a, P6)
    p = fma(p, a, P5)
    p = fma(p, a, P4)
    p = fma(p, a, P3)
    p = fma(p, a, P2)
    p = fma(p, a, P1)
    s = fma(S8, a, S7)
    s = fma(s, a, S6)
    s = fma(s, a, S5)
    s = fma(s, a, S4)
    s = fma(s, a, S3)
    s = fma(s, a, S2)
    s = fma(s, a, S1)
    pb = fma(B6, u, B5)
    pb = fma(pb, u, B4)
    pb = fma(pb, u, B3)
    pb = fma(pb, u, B2)
    pb = fma(pb, u, B1)
    pb = fma(pb, u, B0)
    sb = fma(C6, u, C5)
    sb = fma(sb, u, C4)
    sb = fma(sb, u, C3)
    sb = fma(sb, u, C2)
    sb = fma(sb, u, C1)
    sb = fma(sb, u, C0)
    return p, s, pb, sb


@njit(cache=True, forceinline=True)
def _nt_polys32(a, u):
    P0, P1, P2, P3, P4 = _NT_P32
    S0, S1, S2, S3, S4, S5 = _NT_S32
    B0, B1, B2, B3 = _NT_PB32
    C0, C1, C2, C3 = _NT_SB32
    p = fma(P4, a, P3)
    p = fma(p, a, P2)
    p = fma(p, a, P1)
    s = fma(S5, a, S4)
    s = fma(s, a, S3)
    s = fma(s, a, S2)
    s = fma(s, a, S1)
    pb = fma(B3, u, B2)
    pb = fma(pb, u, B1)
    pb = fma(pb, u, B0)
    sb = fma(C3, u, C2)
    sb = fma(sb, u, C1)
    sb = fma(sb, u, C0)
    return p, s, pb, sb


_nt_polys = _jit_only("_nt_polys")


@overload(_nt_polys, jit_options={"cache": True, "forceinline": True})
def _nt_polys_overload(a, u):
    if a == types.float32:
        return lambda a, u: _nt_polys32(a, u)
    if a == types.float64:
        return lambda a, u: _nt_polys64(a, u)


@njit(cache=True, forceinline=True)
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@njit(cache=True, forceinline=True)
def _nt_ratio(a, big, a_b, p, p_lo, s, s_lo, pb, sb, c_hi, c_lo):
    """(r, r_lo): R = N / (c a N + T) from the pieces' polynomials (N = P,
    T = S below the split; N = Pb, T = a Sb above), shared by the CPU split
    and its CUDA equivalent (where recip is a division)."""
    T = type(a)
    n = pb if big else p
    n_lo = T(0.0) if big else p_lo
    t = a_b * sb if big else s
    t_lo = T(0.0) if big else s_lo
    # d + d_lo = c a n + t: c a as k + k_lo, the product and the sum (both
    # terms >= 0) with their rounding errors.
    k = c_hi * a
    k_lo = fma(c_hi, a, -k) + c_lo * a
    h = k * n
    h_lo = fma(k, n, -h) + fma(k_lo, n, k * n_lo)
    g = h if h > t else t
    e = t if h > t else h
    d = g + e
    d_lo = ((g - d) + e) + (h_lo + t_lo)
    y = recip(d)
    r = n * y
    return r, ((fma(-r, d, n) + n_lo) - r * d_lo) * y


@njit(cache=True, forceinline=True)
def _normal_tail_split_impl(x, amax, c_hi, c_lo):
    T = type(x)
    one = T(1.0)
    split = T(_NT_SPLIT)
    a = abs(x)
    a = amax if a > amax else a  # (NaN passes through)
    big = a >= split
    # Each piece's argument clamped to its interval: the unused one stays
    # finite (u is not 1/0).
    a_a = split if big else a
    a_b = a if big else split
    ia = recip(a_b)
    ia = fma(ia, fma(-a_b, ia, one), ia)  # (u enters R with the weight u R'/R < 1/16)
    u = ia * ia
    p1, s1, pb, sb = _nt_polys(a_a, u)
    # Below the split, P = 1/2 + a P1(a) and S = 1 + a S1(a) as double
    # words (TwoSum): near a = 0, R is just below 1/2, where one rounding of P
    # or S (relative 2**-53 or 2**-24) would already be an ulp of R.
    p, p_lo = _two_sum(T(0.5), a_a * p1)
    s, s_lo = _two_sum(one, a_a * s1)
    r, r_lo = _nt_ratio(a, big, a_b, p, p_lo, s, s_lo, pb, sb, c_hi, c_lo)
    # Phi_c = r m s with r + r_lo and m + m_lo = s1 (h + t) as unnormalized
    # pairs (r_lo / r is recip's error, up to 1.5e-10 float64 or 1.2e-5
    # float32, and m_lo / m up to ~0.08), the product rounded once into q +
    # q_lo (s1 a power of two); the r_lo m_lo term counts.
    s1, h, te, sc = _exp_neg_half_sq_parts(x)
    m = s1 * h
    m_lo = s1 * te
    q = r * m
    q_lo = fma(r, m, -q) + fma(r, m_lo, r_lo * (m + m_lo))
    return q, q_lo, m + m_lo, sc


@njit(cache=True, forceinline=True)
def _normal_tail_split32(x):
    c_hi, c_lo = _NT_C32
    return _normal_tail_split_impl(x, _f32(_NT_AMAX32), c_hi, c_lo)


@njit(cache=True, forceinline=True)
def _normal_tail_split64(x):
    c_hi, c_lo = _NT_C64
    return _normal_tail_split_impl(x, _NT_AMAX64, c_hi, c_lo)


normal_tail_split = _jit_only("normal_tail_split")


@overload(normal_tail_split, jit_options={"cache": True, "forceinline": True})
def _normal_tail_split_overload(x):
    if x == types.float32:
        return lambda x: _normal_tail_split32(x)
    if x == types.float64:
        return lambda x: _normal_tail_split64(x)


normal_tail_split.__doc__ = """(q, q_lo, m, s) with Phi_c(|x|) = Phi(-|x|) = (q + q_lo) * s and
exp(-x**2 / 2) = m * s (s a power of two, applied last so that subnormal
results keep their accuracy).  q + q_lo
= r * m with r = Phi_c(a) exp(a**2 / 2) (the Mills ratio over sqrt(2 pi), in
(0, 1/2]) from two rational pieces in a = |x| (below 4) and 1/a**2 (4 to 54
float64, 19 float32, where a is clamped: m * s is 0 or far below the range).
float32 or float64, computed in the argument's type, all selects (the
ufunc loops vectorize).  +-inf gives 0, NaN gives NaN.  Measured
(tests/test_special.py, ~2700 points per type, subnormal results
included): (q + q_lo) * s within 0.66 ulp float32, 0.75 ulp float64; the
CUDA equivalent (real divisions, libdevice exp) 1.33 and 1.52 ulp."""


# ---------------------------------------------------------------- CUDA
def _cuda_log1p(u):
    return math.log1p(u)


def _cuda_exp_neg_sq_split(x):
    # CUDA_EQUIVALENTS are compiled with the _math names (exp, fma) rebound to
    # their CUDA versions.  The clamp keeps fma(a, a, -h) finite for a = inf.
    a = abs(x)
    a = type(x)(38.0) if a > type(x)(38.0) else a
    h = a * a
    # exp_split (rebound to the device split): the power of two last, as on
    # the CPU, so dy * exp(-x**2) stays accurate where exp(-x**2) underflows
    ea, eb = exp_split(-h)
    return fma(-ea, fma(a, a, -h), ea), eb


def _cuda_exp_neg_half_sq_split(x):
    a = abs(x)
    a = type(x)(54.0) if a > type(x)(54.0) else a
    h = a * a
    ea, eb = exp_split(type(x)(-0.5) * h)
    return fma(-ea, type(x)(0.5) * fma(a, a, -h), ea), eb


def _cuda_x_minus_tanh(x):
    # The CPU algorithm with real divisions and no bit tricks (fma rebound to
    # its CUDA version; math.expm1 is libdevice's).  float32 is told from
    # float64 by its precision (a constant after compilation), the piece by z.
    T = type(x)
    f32 = T(1.0) + T(1e-10) == T(1.0)
    a = abs(x)
    a_s = a if a < T(_XMT_SWITCH) else T(_XMT_SWITCH)
    z = a_s * a_s
    zl = fma(a_s, a_s, -z)
    up = z >= T(_XMT_ZB)
    c = _XMT1_64 if up else _XMT0_64
    c32 = _XMT1_32 if up else _XMT0_32
    zero = T(0.0)
    g_hi = T(c32[0]) if f32 else T(c[0])
    g_lo = T(c32[1]) if f32 else T(c[1])
    w = z - (T(c32[2]) if f32 else T(c[2]))  # (float64 constants in a float32 kernel are f64 PTX)
    P0 = T(c32[3]) if f32 else T(c[3])
    P1 = T(c32[4]) if f32 else T(c[4])
    P2 = zero if f32 else T(c[5])
    P3 = zero if f32 else T(c[6])
    Q1 = T(c32[5]) if f32 else T(c[7])
    Q2 = T(c32[6]) if f32 else T(c[8])
    Q3 = zero if f32 else T(c[9])
    r = fma(fma(fma(P3, z, P2), z, P1), z, P0) / fma(fma(fma(Q3, z, Q2), z, Q1), z, T(1.0))
    tiny = T(9.313225746154785e-10) if f32 else T(4.909093465297727e-91)
    scale_up = T(1099511627776.0) if f32 else T(2.2397447421778042e102)
    down = T(7.52316384526264e-37) if f32 else T(8.900295434028806e-308)
    scaled = a < tiny
    b = a_s * (scale_up if scaled else T(1.0))
    h = b * b
    p = b * h
    pl = fma(b, h, -p) + b * fma(b, b, -h)
    g_lo = fma(w, r, fma(zl, r, g_lo))
    small = fma(p, g_hi, fma(p, g_lo, pl * (g_hi + g_lo)))
    small = small * (down if scaled else T(1.0))
    ac = T(20.0) if a > T(20.0) else a
    t = math.expm1(ac + ac)
    d = t + T(2.0)
    d_lo = (t - d) + T(2.0) if t > T(2.0) else (T(2.0) - d) + t
    q0 = t / d
    tl = (fma(-q0, d, t) - q0 * d_lo) / d
    huge = T(1.2676506002282294e30)
    a_l = a if a < huge else huge
    s = a_l - q0
    large = s + (((a_l - s) - q0) - tl)
    large = a if a > huge else large
    res = small if a < T(_XMT_SWITCH) else large
    return math.copysign(res, x)


@njit(cache=True)
def _cuda_nt_polys(P, S, PB, SB, C, a, u):
    """_nt_polys's values ((P - P0) / a, (S - S0) / a, Pb(u), Sb(u)) and c = sqrt(2 pi) as hi, lo for one
    coefficient set, in the type of a (each coefficient cast: in the branch a kernel does not take, the
    other type's set compiles to dead constants), for the CUDA equivalent."""
    T = type(a)
    p = T(P[len(P) - 1])
    for i in range(len(P) - 2, 0, -1):
        p = fma(p, a, T(P[i]))
    s = T(S[len(S) - 1])
    for i in range(len(S) - 2, 0, -1):
        s = fma(s, a, T(S[i]))
    pb = T(PB[len(PB) - 1])
    for i in range(len(PB) - 2, -1, -1):
        pb = fma(pb, u, T(PB[i]))
    sb = T(SB[len(SB) - 1])
    for i in range(len(SB) - 2, -1, -1):
        sb = fma(sb, u, T(SB[i]))
    return p, s, pb, sb, T(C[0]), T(C[1])


def _cuda_normal_tail_split(x):
    # The CPU algorithm (its shared parts, _two_sum and _nt_ratio, become
    # device functions with recip a division); the polynomials without the
    # overload; float32 is told from float64 by its precision (a constant
    # after compilation).
    T = type(x)
    f32 = T(1.0) + T(1e-10) == T(1.0)
    one = T(1.0)
    split = T(_NT_SPLIT)
    a = abs(x)
    amax = T(_NT_AMAX32) if f32 else T(_NT_AMAX64)
    a = amax if a > amax else a
    big = a >= split
    a_a = split if big else a
    a_b = a if big else split
    u = one / (a_b * a_b)
    if f32:
        p, s, pb, sb, c_hi, c_lo = _cuda_nt_polys(_NT_P32, _NT_S32, _NT_PB32, _NT_SB32, _NT_C32, a_a, u)
    else:
        p, s, pb, sb, c_hi, c_lo = _cuda_nt_polys(_NT_P64, _NT_S64, _NT_PB64, _NT_SB64, _NT_C64, a_a, u)
    p, p_lo = _two_sum(T(0.5), a_a * p)
    s, s_lo = _two_sum(one, a_a * s)
    r, r_lo = _nt_ratio(a, big, a_b, p, p_lo, s, s_lo, pb, sb, c_hi, c_lo)
    # exp(-x**2/2) = (m + m_lo) sc as _cuda_exp_neg_half_sq_split (inlined:
    # the CUDA equivalents are compiled one by one and do not call each
    # other), its correction for the rounding of x**2 kept apart, the power
    # of two sc applied last by the callers
    b = abs(x)
    b = T(54.0) if b > T(54.0) else b
    hh = b * b
    m, sc = exp_split(T(-0.5) * hh)
    m_lo = -m * (T(0.5) * fma(b, b, -hh))
    q = r * m
    q_lo = fma(r, m, -q) + fma(r, m_lo, r_lo * (m + m_lo))
    return q, q_lo, m + m_lo, sc


CUDA_EQUIVALENTS = {
    "log1p": _cuda_log1p,
    "exp_neg_sq_split": _cuda_exp_neg_sq_split,
    "exp_neg_half_sq_split": _cuda_exp_neg_half_sq_split,
    "x_minus_tanh": _cuda_x_minus_tanh,
    "normal_tail_split": _cuda_normal_tail_split,
}
