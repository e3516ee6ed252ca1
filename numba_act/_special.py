"""Vectorizable special functions for float32 and float64 (jitted code only).

The building blocks of the activations that need more than exp: log1p (for
softplus and log_sigmoid) and exp(-x**2), exp(-x**2/2) with the square taken
exactly (gaussian, gelu).  (Still to come: the Mills ratio and the upper
normal tail for gelu, x - tanh(x) for tanhshrink.)  Like `_math`, they are plain arithmetic (FMA,
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
    exp,
    fma,
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
def _exp_poly64(r0, lo):
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
    return h + (((1.0 - h) + r0) + fma(r * r, q, lo))


@njit(cache=True)
def _exp_poly32(r0, lo):
    one = _f32(1.0)
    r = r0 + lo
    q = fma(_C6, r, _C5)
    q = fma(q, r, _C4)
    q = fma(q, r, _C3)
    q = fma(q, r, _C2)
    h = one + r0
    return h + (((one - h) + r0) + fma(r * r, q, lo))


@njit(cache=True)
def _exp_dw_split64(x, lo):
    """exp(x + lo) as (m, s), s a power of two (the split of
    _math._exp64_split), for x <= 0 and |lo| <= ulp(x).  The reduced
    argument x - n ln2 is exact; the small terms (-n ln2_lo + lo) are added
    in with the polynomial, so the result is rounded about once."""
    if x < -1416.0:
        x = -1416.0
    k = fma(x, _LOG2E64, _SHIFT64)
    n = k - _SHIFT64
    ni = _float_to_bits(k) - _SHIFT64_BITS
    p = _exp_poly64(fma(-n, _LN2_HI64, x), fma(-n, _LN2_LO64, lo))
    n1 = ni >> 1
    s1 = _bits_to_float((n1 + 1023) << 52)
    s2 = _bits_to_float((ni - n1 + 1023) << 52)
    return s1 * p, s2


@njit(cache=True)
def _exp_dw_split32(x, lo):
    if x < _f32(-174.0):
        x = _f32(-174.0)
    k = fma(x, _LOG2E32, _SHIFT32)
    n = k - _SHIFT32
    ni = _float_to_bits(k) - _SHIFT32_BITS
    p = _exp_poly32(fma(-n, _LN2_HI32, x), fma(-n, _LN2_LO32, lo))
    n1 = ni >> 1
    s1 = _bits_to_float(np.int32((n1 + 127) << 23))
    s2 = _bits_to_float(np.int32((ni - n1 + 127) << 23))
    return s1 * p, s2


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


# ---------------------------------------------------------------- CUDA
def _cuda_log1p(u):
    return math.log1p(u)


def _cuda_exp_neg_sq_split(x):
    # CUDA_EQUIVALENTS are compiled with the _math names (exp, fma) rebound to
    # their CUDA versions.  The clamp keeps fma(a, a, -h) finite for a = inf.
    a = abs(x)
    a = type(x)(38.0) if a > type(x)(38.0) else a
    h = a * a
    e = exp(-h)
    return fma(-e, fma(a, a, -h), e), type(x)(1.0)


def _cuda_exp_neg_half_sq_split(x):
    a = abs(x)
    a = type(x)(54.0) if a > type(x)(54.0) else a
    h = a * a
    e = exp(type(x)(-0.5) * h)
    return fma(-e, type(x)(0.5) * fma(a, a, -h), e), type(x)(1.0)


CUDA_EQUIVALENTS = {
    "log1p": _cuda_log1p,
    "exp_neg_sq_split": _cuda_exp_neg_sq_split,
    "exp_neg_half_sq_split": _cuda_exp_neg_half_sq_split,
}
