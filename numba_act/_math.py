"""Vectorizable scalar primitives: exp and expm1 in float64.

`math.exp` compiles to a scalar libm call, which blocks LLVM's loop
vectorizer.  These versions are plain arithmetic (Cody-Waite range reduction,
a Taylor polynomial, and a power of two built from bits), so a ufunc loop
built on them vectorizes.  Both are accurate to about 1 ulp in float64 over
the whole range, propagate NaN, and handle +-inf, overflow and underflow
(including subnormal results) without branches that the vectorizer cannot
turn into selects.

Everything here takes and returns float64; the float32 loops of the
activations evaluate in float64 and round once.
"""

from numba import njit, types
from numba.core.extending import intrinsic


@intrinsic
def _f64_as_i64(typingctx, x):
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return sig, codegen


@intrinsic
def _i64_as_f64(typingctx, i):
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return sig, codegen


# x*LOG2E + SHIFT rounds x/ln2 to the nearest integer n and leaves n in the
# low mantissa bits of the sum (SHIFT = 1.5 * 2**52), so no float->int
# conversion (undefined for NaN) is needed.
_SHIFT = 6755399441055744.0
_SHIFT_BITS = 0x4338000000000000
_LOG2E = 1.4426950408889634
# ln2 split so that n * _LN2_HI is exact for |n| < 2**11.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# Below _EXP_MIN exp underflows to 0, above _EXP_MAX it overflows to inf;
# clamping keeps n inside the range the two-factor scaling can represent.
_EXP_MIN = -746.0
_EXP_MAX = 710.0


@njit(cache=True)
def _expm1_reduced(r):
    """expm1(r) for |r| <= ln2/2, Taylor to degree 13 (truncation < 1e-17)."""
    return r + r * r * (
        0.5
        + r * (1.0 / 6.0
        + r * (1.0 / 24.0
        + r * (1.0 / 120.0
        + r * (1.0 / 720.0
        + r * (1.0 / 5040.0
        + r * (1.0 / 40320.0
        + r * (1.0 / 362880.0
        + r * (1.0 / 3628800.0
        + r * (1.0 / 39916800.0
        + r * (1.0 / 479001600.0
        + r * (1.0 / 6227020800.0))))))))))))


@njit(cache=True)
def _pow2(n):
    """2.0**n for -1022 <= n <= 1023, built from its bit pattern."""
    return _i64_as_f64((n + 1023) << 52)


@njit(cache=True)
def exp(x):
    """e**x in float64, within 1 ulp; exp(-inf) = 0, exp(inf) = inf."""
    if x > _EXP_MAX:
        x = _EXP_MAX
    if x < _EXP_MIN:
        x = _EXP_MIN
    k = x * _LOG2E + _SHIFT
    n = k - _SHIFT
    r = (x - n * _LN2_HI) - n * _LN2_LO
    p = _expm1_reduced(r)
    ni = _f64_as_i64(k) - _SHIFT_BITS
    # 2**n as two factors, so that results near overflow and subnormal
    # results (|n| up to 1077) are both reachable.
    n1 = ni >> 1
    s1 = _pow2(n1)
    return (s1 + s1 * p) * _pow2(ni - n1)


@njit(cache=True)
def expm1(x):
    """e**x - 1 in float64, within about 1 ulp, for x <= 709."""
    if x > 709.0:
        x = 709.0
    if x < -60.0:
        x = -60.0
    k = x * _LOG2E + _SHIFT
    n = k - _SHIFT
    r = (x - n * _LN2_HI) - n * _LN2_LO
    p = _expm1_reduced(r)
    s = _pow2(_f64_as_i64(k) - _SHIFT_BITS)
    # 2**n (1 + p) - 1 = (2**n - 1) + 2**n p; 2**n - 1 is exact here, and for
    # n = 0 the result is p itself, so small x keeps full relative accuracy.
    return (s - 1.0) + s * p
