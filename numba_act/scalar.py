"""Scalar kernels of the elementwise activations: math only.

Each kernel is generic over float32 and float64: it computes in the type of
its argument (`T = type(x)`, constants written as `T(c)` so that float32
stays float32 and vectorizes in float32 lanes), using the vectorizable
`exp`, `expm1` and `recip12` of `_math`.  `cpu.py` compiles them into ufunc
loops.

Accuracy comes from the formulation, not from wider arithmetic:
- Every denominator is a sum like 1 + e; its rounding error is recovered
  exactly (Fast2Sum), and the quotient is finished with one FMA correction
  step that includes that error, so n / (1 + e) is within about 0.5 ulp of
  the exact quotient of the computed operands.  The reciprocal comes from
  FMAs (`recip12`, `recip`), not from a division instruction, which costs
  more here than the whole exp.
- Derivatives are computed from x, never from the forward output, so they
  do not cancel in the tails: sigma'(x) = e / (1 + e)**2 with e = exp(-|x|)
  instead of y * (1 - y), which is 0 once y rounds to 1.
"""

import math

import numpy as np
from numba import njit

from ._math import exp, exp_split, expm1, fma, recip, recip12


@njit(cache=True)
def _fast2sum(a, b):
    """(s, t) with s = fl(a + b) and s + t = a + b exactly, for |a| >= |b|."""
    s = a + b
    return s, (a - s) + b


@njit(cache=True)
def _quotient(num, d, d_lo, y):
    """num / (d + d_lo) to about 0.5 ulp, given y ~ 1/d (relative error
    well below sqrt(ulp)): one Newton correction of q0 = num * y."""
    q0 = num * y
    return fma(fma(-q0, d, num) - q0 * d_lo, y, q0)


@njit(cache=True)
def sigmoid(x):
    one = type(x)(1.0)
    e = exp(-abs(x))
    d, d_lo = _fast2sum(one, e)
    # 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0 (and NaN).
    num = one if x >= 0 else e
    return _quotient(num, d, d_lo, recip12(d))


@njit(cache=True)
def _logistic_slope(a):
    """e / (1 + e)**2 with e = exp(-a), a >= 0: sigmoid'(a), no cancellation."""
    one = type(a)(1.0)
    e = exp(-a)
    d, d_lo = _fast2sum(one, e)
    y = recip12(d)
    return _quotient(e, d, d_lo, y) * _quotient(one, d, d_lo, y)


@njit(cache=True)
def _logistic_backward(dy, a, c):
    """dy * c * e / (1 + e)**2 with e = exp(-a), a >= 0, c a power of two.
    The power-of-two factor of e is applied last, so where the derivative
    itself is subnormal but dy times it is not, the product keeps its
    accuracy (dy * f'(x) with f'(x) rounded first would not)."""
    one = type(a)(1.0)
    ea, eb = exp_split(-a)
    d, d_lo = _fast2sum(one, ea * eb)
    y0 = recip12(d)
    # ea / (1 + e) and 1 / (1 + e), each to about 0.5 ulp.
    s = _quotient(ea, d, d_lo, y0)
    y = _quotient(one, d, d_lo, y0)
    r = ((dy * s) * (c * y)) * eb
    # exp_split clamps its argument, so a = inf must give 0 explicitly (NaN
    # dy still gives NaN).
    return dy * type(a)(0.0) if a == type(a)(np.inf) else r


@njit(cache=True)
def sigmoid_grad(x):
    return _logistic_slope(abs(x))


@njit(cache=True)
def sigmoid_backward(dy, x):
    return _logistic_backward(dy, abs(x), type(x)(1.0))


@njit(cache=True)
def tanh(x):
    # tanh(a) = t / (t + 2) with t = expm1(2a) >= 0: no cancellation for
    # small a, and the error of t is damped by 2 / (t + 2) <= 1.
    T = type(x)
    a = abs(x)
    # tanh(20) rounds to 1 in float64 and float32; the clamp keeps t finite.
    # NaN fails the comparison and passes through.
    if a > T(20.0):
        a = T(20.0)
    t = expm1(a + a)
    two = T(2.0)
    big = t if t > two else two
    small = two if t > two else t
    d, d_lo = _fast2sum(big, small)
    return math.copysign(_quotient(t, d, d_lo, recip(d)), x)


@njit(cache=True)
def tanh_grad(x):
    # sech(x)**2 = 4 e / (1 + e)**2 with e = exp(-2|x|) = 4 sigmoid'(2|x|).
    a = abs(x)
    return type(x)(4.0) * _logistic_slope(a + a)


@njit(cache=True)
def tanh_backward(dy, x):
    a = abs(x)
    return _logistic_backward(dy, a + a, type(x)(4.0))


@njit(cache=True)
def relu(x):
    # NaN fails both comparisons and passes through; -0.0 gives +0.0.
    zero = type(x)(0.0)
    return zero if x <= zero else x


@njit(cache=True)
def relu_grad(x):
    T = type(x)
    if x > T(0.0):
        return T(1.0)
    return T(0.0) if x <= T(0.0) else x


@njit(cache=True)
def relu_backward(dy, x):
    # A select, not dy * relu_grad(x): the gradient is exactly 0 for x <= 0
    # even where dy is inf or NaN, as in PyTorch's threshold_backward.
    T = type(x)
    if x > T(0.0):
        return dy
    return T(0.0) if x <= T(0.0) else x
