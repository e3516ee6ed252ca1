"""Vectorizable scalar primitives for float32 and float64: exp, expm1, fma.

`math.exp` compiles to a scalar libm call, which blocks LLVM's loop
vectorizer.  These are plain arithmetic (Cody-Waite range reduction with
FMA, a polynomial, and a power of two built from its bits), so a ufunc loop
built on them vectorizes, in float32 lanes for float32 data.  They propagate
NaN and handle +-inf, overflow and underflow (subnormal results included)
with selects the vectorizer can keep.

`exp` and `expm1` are overloaded on the argument type: a float32 argument
runs the float32 algorithm (degree-6 minimax polynomial, about 0.6 ulp), a
float64 argument the float64 one (degree-13 Taylor, about 1 ulp).  They are
meant to be called from jitted code only.
"""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic, overload

_f32 = np.float32
_f64 = np.float64


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c with one rounding (llvm.fma), for float32 or float64."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None
    sig = a(a, b, c)

    def codegen(context, builder, signature, args):
        ty = context.get_value_type(signature.return_type)
        fnty = ir.FunctionType(ty, [ty, ty, ty])
        fn = builder.module.declare_intrinsic("llvm.fma", [ty], fnty)
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def _bits_to_float(typingctx, i):
    """Reinterpret an int32 as float32 or an int64 as float64."""
    if i == types.int64:
        sig = types.float64(i)
    elif i == types.int32:
        sig = types.float32(i)
    else:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(signature.return_type))

    return sig, codegen


@intrinsic
def _float_to_bits(typingctx, x):
    """Reinterpret a float32 as int32 or a float64 as int64."""
    if x == types.float64:
        sig = types.int64(x)
    elif x == types.float32:
        sig = types.int32(x)
    else:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(signature.return_type))

    return sig, codegen


# ---------------------------------------------------------------- float64
# x * LOG2E + SHIFT rounds x/ln2 to the nearest integer n and leaves n in the
# low mantissa bits (SHIFT = 1.5 * 2**52), so no float->int conversion
# (undefined for NaN) is needed; n is read back from the bits.
_SHIFT64 = 6755399441055744.0
_SHIFT64_BITS = 0x4338000000000000
_LOG2E64 = 1.4426950408889634
_LN2_HI64 = 6.93147180369123816490e-01  # n * _LN2_HI64 is exact for |n| < 2**11
_LN2_LO64 = 1.90821492927058770002e-10


# Near-minimax q for expm1(r) = r + r**2 q(r) on |r| <= ln2/2, degree 11 in
# all (least squares on 300 Chebyshev nodes at 50 digits, weighted by
# relative error): |error| < 1.3e-17, two FMAs fewer than Taylor's degree 13.
_D = (
    0.5000000000000012,
    0.16666666666666483,
    0.04166666666651632,
    0.008333333333451433,
    0.0013888888946678828,
    0.00019841269597118904,
    2.480149034623507e-05,
    2.755750728541229e-06,
    2.7631125446226205e-07,
    2.50246452096493e-08,
)
_D2, _D3, _D4, _D5, _D6, _D7, _D8, _D9, _D10, _D11 = _D


@njit(cache=True)
def _expm1_poly64(r):
    q = fma(_D11, r, _D10)
    q = fma(q, r, _D9)
    q = fma(q, r, _D8)
    q = fma(q, r, _D7)
    q = fma(q, r, _D6)
    q = fma(q, r, _D5)
    q = fma(q, r, _D4)
    q = fma(q, r, _D3)
    q = fma(q, r, _D2)
    return fma(r * r, q, r)


@njit(cache=True)
def _reduce64(x):
    """(n as float64, bits holding n, r) with x = n ln2 + r, |r| <= ln2/2."""
    k = fma(x, _LOG2E64, _SHIFT64)
    n = k - _SHIFT64
    r = fma(-n, _LN2_HI64, x)
    r = fma(-n, _LN2_LO64, r)
    return n, _float_to_bits(k) - _SHIFT64_BITS, r


@njit(cache=True)
def _exp64_split(x):
    """exp(x) as a product a * b of two floats, a within a few binades of
    e**(x/2) and b a power of two, so that results near overflow and
    subnormal results (|n| up to 1077) are reachable, and so that callers can
    apply b last (see scalar._logistic_backward)."""
    if x > 710.0:  # overflows to inf below
        x = 710.0
    # Below -745 e**x underflows to 0; the clamp is lower so that callers
    # multiplying a by a large factor before applying b stay exact down to
    # the limit of two normal factors (n >= -2044).
    if x < -1416.0:
        x = -1416.0
    n, ni, r = _reduce64(x)
    p = _expm1_poly64(r)
    n1 = ni >> 1
    s1 = _bits_to_float((n1 + 1023) << 52)
    s2 = _bits_to_float((ni - n1 + 1023) << 52)
    return fma(s1, p, s1), s2


@njit(cache=True)
def _exp64(x):
    a, b = _exp64_split(x)
    return a * b


@njit(cache=True)
def _expm1_64(x):
    if x > 710.0:  # overflows to inf below
        x = 710.0
    if x < -60.0:  # expm1 rounds to -1
        x = -60.0
    n, ni, r = _reduce64(x)
    p = _expm1_poly64(r)
    # 2**n (1 + p) - 1 = 2 * (h p + (h - 1/2)) with h = 2**(n-1): h - 1/2 is
    # exact, h stays finite up to the overflow threshold, and for n = 0 the
    # result is p itself, so small x keeps full relative accuracy.
    h = _bits_to_float((ni + 1022) << 52)
    # Below 2**-54 expm1(x) rounds to x (x**2/2 is under half an ulp); the
    # select also keeps subnormal x exact (halving them would round).
    return x if abs(x) < 5.551115123125783e-17 else 2.0 * fma(h, p, h - 0.5)


# ---------------------------------------------------------------- float32
_SHIFT32 = _f32(12582912.0)  # 1.5 * 2**23
_SHIFT32_BITS = 0x4B400000
_LOG2E32 = _f32(1.4426950408889634)
_LN2_HI32 = _f32(0.693145751953125)  # 16 significant bits
_LN2_LO32 = _f32(1.4286067653302226e-06)
# Near-minimax q for expm1(r) = r + r**2 q(r) on |r| <= ln2/2 (least squares
# on 200 Chebyshev nodes, weighted by relative error): |error| < 4e-9.
_C2 = _f32(0.49999988079071045)
_C3 = _f32(0.166665181517601)
_C4 = _f32(0.04166953265666962)
_C5 = _f32(0.008368915878236294)
_C6 = _f32(0.0013751407386735082)


@njit(cache=True)
def _expm1_poly32(r):
    q = fma(_C6, r, _C5)
    q = fma(q, r, _C4)
    q = fma(q, r, _C3)
    q = fma(q, r, _C2)
    return fma(r * r, q, r)


@njit(cache=True)
def _reduce32(x):
    k = fma(x, _LOG2E32, _SHIFT32)
    n = k - _SHIFT32
    r = fma(-n, _LN2_HI32, x)
    r = fma(-n, _LN2_LO32, r)
    return n, _float_to_bits(k) - _SHIFT32_BITS, r


@njit(cache=True)
def _exp32_split(x):
    if x > _f32(89.0):  # overflows to inf below
        x = _f32(89.0)
    if x < _f32(-174.0):  # as in _exp64_split: n >= -252
        x = _f32(-174.0)
    n, ni, r = _reduce32(x)
    p = _expm1_poly32(r)
    n1 = ni >> 1
    s1 = _bits_to_float(np.int32((n1 + 127) << 23))
    s2 = _bits_to_float(np.int32((ni - n1 + 127) << 23))
    return fma(s1, p, s1), s2


@njit(cache=True)
def _exp32(x):
    a, b = _exp32_split(x)
    return a * b


@njit(cache=True)
def _expm1_32(x):
    if x > _f32(89.0):  # overflows to inf below
        x = _f32(89.0)
    if x < _f32(-20.0):  # expm1 rounds to -1
        x = _f32(-20.0)
    n, ni, r = _reduce32(x)
    p = _expm1_poly32(r)
    h = _bits_to_float(np.int32((ni + 126) << 23))  # 2**(n-1), as in _expm1_64
    return x if abs(x) < _f32(2.9802322e-08) else _f32(2.0) * fma(h, p, h - _f32(0.5))  # 2**-25


# ---------------------------------------------------------------- ordering
# A float's bits, with the magnitude bits flipped for negative numbers, order
# like the float itself (for non-NaN values) when compared as signed
# integers.  Integer max reductions vectorize without fast-math flags, while
# LLVM will not vectorize a float max reduction here even with them.
@njit(cache=True)
def _order_key_32(x):
    b = _float_to_bits(x)
    return b ^ ((b >> 31) & 0x7FFFFFFF)


@njit(cache=True)
def _order_key_64(x):
    b = _float_to_bits(x)
    return b ^ ((b >> 63) & 0x7FFFFFFFFFFFFFFF)


def order_key(x):
    """An integer that orders like x (float32 -> int32, float64 -> int64);
    order_key_inverse undoes it.  Positive NaN orders above +inf."""
    raise NotImplementedError("numba_act._math.order_key is for jitted code")


def order_key_inverse(k):
    raise NotImplementedError("numba_act._math.order_key_inverse is for jitted code")


@overload(order_key, jit_options={"cache": True})
def _order_key_overload(x):
    if x == types.float32:
        return lambda x: np.int32(_order_key_32(x))
    if x == types.float64:
        return lambda x: _order_key_64(x)


@overload(order_key_inverse, jit_options={"cache": True})
def _order_key_inverse_overload(k):
    if k == types.int32:
        return lambda k: _bits_to_float(np.int32(k ^ ((k >> 31) & 0x7FFFFFFF)))
    if k == types.int64:
        return lambda k: _bits_to_float(k ^ ((k >> 63) & 0x7FFFFFFFFFFFFFFF))


# ---------------------------------------------------------------- 1/d
# A division is the slowest instruction in these kernels (vdivps: about
# 0.55 ns per float32 element here, more than a whole exp), so reciprocals of
# denominators known to lie in [1, 2] are a linear minimax start (relative
# error 1/17) and Newton steps, all FMAs.  Callers finish with one
# compensated correction step, which squares the remaining error.
@njit(cache=True)
def _recip12_32(d):
    one = _f32(1.0)
    y = fma(_f32(-8.0 / 17.0), d, _f32(24.0 / 17.0))
    y = fma(y, fma(-d, y, one), y)  # 3.5e-3
    return fma(y, fma(-d, y, one), y)  # 1.2e-5


@njit(cache=True)
def _recip12_64(d):
    y = fma(-8.0 / 17.0, d, 24.0 / 17.0)
    y = fma(y, fma(-d, y, 1.0), y)  # 3.5e-3
    y = fma(y, fma(-d, y, 1.0), y)  # 1.2e-5
    return fma(y, fma(-d, y, 1.0), y)  # 1.5e-10


@njit(cache=True)
def _recip_32(d):
    # d = m * 2**k with m in [1, 2): 1/d = (1/m) * 2**-k, both from the bits.
    b = _float_to_bits(d)
    m = _bits_to_float(np.int32((b & 0x007FFFFF) | 0x3F800000))
    return _recip12_32(m) * _bits_to_float(np.int32(0x7F000000 - (b & 0x7F800000)))


@njit(cache=True)
def _recip_64(d):
    b = _float_to_bits(d)
    m = _bits_to_float((b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    return _recip12_64(m) * _bits_to_float(0x7FE0000000000000 - (b & 0x7FF0000000000000))


# ---------------------------------------------------------------- generic
def recip(d):
    """About 1/d for a positive normal d with 1/d normal, as recip12."""
    raise NotImplementedError("numba_act._math.recip is for jitted code")


@overload(recip, jit_options={"cache": True})
def _recip_overload(d):
    if d == types.float32:
        return lambda d: _recip_32(d)
    if d == types.float64:
        return lambda d: _recip_64(d)


def recip12(d):
    """About 1/d for 1 <= d <= 2 without a division: relative error below
    1.2e-5 (float32) or 1.5e-10 (float64); refine with one correction step."""
    raise NotImplementedError("numba_act._math.recip12 is for jitted code")


@overload(recip12, jit_options={"cache": True})
def _recip12_overload(d):
    if d == types.float32:
        return lambda d: _recip12_32(d)
    if d == types.float64:
        return lambda d: _recip12_64(d)


def exp(x):
    """e**x; float32 and float64 (jitted code only)."""
    raise NotImplementedError("numba_act._math.exp is for jitted code")


def exp_split(x):
    """(a, b) with a * b = e**x, b a power of two (see _exp64_split)."""
    raise NotImplementedError("numba_act._math.exp_split is for jitted code")


def expm1(x):
    """e**x - 1; float32 and float64 (jitted code only)."""
    raise NotImplementedError("numba_act._math.expm1 is for jitted code")


@overload(exp, jit_options={"cache": True})
def _exp_overload(x):
    if x == types.float32:
        return lambda x: _exp32(x)
    if x == types.float64:
        return lambda x: _exp64(x)


@overload(exp_split, jit_options={"cache": True})
def _exp_split_overload(x):
    if x == types.float32:
        return lambda x: _exp32_split(x)
    if x == types.float64:
        return lambda x: _exp64_split(x)


@overload(expm1, jit_options={"cache": True})
def _expm1_overload(x):
    if x == types.float32:
        return lambda x: _expm1_32(x)
    if x == types.float64:
        return lambda x: _expm1_64(x)
