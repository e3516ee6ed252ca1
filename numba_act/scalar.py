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

from ._math import (
    _C2,
    _C3,
    _C4,
    _C5,
    _C6,
    _D2,
    _D3,
    _D4,
    _D5,
    _D6,
    _D7,
    _D8,
    _D9,
    _D10,
    _D11,
    exp,
    exp_split,
    expm1,
    fma,
    recip,
    recip12,
)
from ._special import exp_neg_sq_split, log1p, normal_tail_split, x_minus_tanh


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


# ------------------------------------------------------------ piecewise
# Kinks follow PyTorch's conventions (its autograd formulas); NaN inputs give
# NaN for every function and derivative (`x if x != x`), where PyTorch's
# derivatives return a number.


@njit(cache=True)
def _nan_or(x, v):
    return x if x != x else v


@njit(cache=True)
def _div6(s, s_lo):
    """(s + s_lo) / 6 to about 0.5 ulp, without a division."""
    T = type(s)
    inv = T(1.0 / 6.0)
    q = s * inv
    r = fma(-q, T(6.0), s) + s_lo
    v = fma(r, inv, q)
    return v if v == v else q  # s = +-inf: inf - inf in the error term (NaN s stays NaN)


@njit(cache=True)
def identity(x):
    return x


@njit(cache=True)
def identity_grad(x):
    return _nan_or(x, type(x)(1.0))


@njit(cache=True)
def identity_backward(dy, x):
    return _nan_or(x, dy)


@njit(cache=True)
def binary_step(x):
    T = type(x)
    return _nan_or(x, T(1.0) if x >= T(0.0) else T(0.0))


@njit(cache=True)
def binary_step_grad(x):
    return _nan_or(x, type(x)(0.0))


@njit(cache=True)
def binary_step_backward(dy, x):
    return _nan_or(x, type(x)(0.0))


@njit(cache=True)
def hardtanh(x, min_val, max_val):
    # NaN fails both comparisons and passes through; -0.0 stays -0.0 (as
    # torch.clamp).
    v = min_val if x < min_val else x
    return max_val if x > max_val else v


@njit(cache=True)
def hardtanh_grad(x, min_val, max_val):
    T = type(x)
    return _nan_or(x, T(1.0) if (x > min_val and x < max_val) else T(0.0))


@njit(cache=True)
def hardtanh_backward(dy, x, min_val, max_val):
    # A select, as PyTorch's hardtanh_backward: 0 outside even for dy = inf.
    return _nan_or(x, dy if (x > min_val and x < max_val) else type(x)(0.0))


@njit(cache=True)
def relu6(x):
    T = type(x)
    return hardtanh(x, T(0.0), T(6.0))


@njit(cache=True)
def relu6_grad(x):
    T = type(x)
    return hardtanh_grad(x, T(0.0), T(6.0))


@njit(cache=True)
def relu6_backward(dy, x):
    T = type(x)
    return hardtanh_backward(dy, x, T(0.0), T(6.0))


@njit(cache=True)
def leaky_relu(x, negative_slope):
    return x if x > type(x)(0.0) else negative_slope * x


@njit(cache=True)
def leaky_relu_grad(x, negative_slope):
    return _nan_or(x, type(x)(1.0) if x > type(x)(0.0) else negative_slope)


@njit(cache=True)
def leaky_relu_backward(dy, x, negative_slope):
    return _nan_or(x, dy if x > type(x)(0.0) else dy * negative_slope)


@njit(cache=True)
def hardsigmoid(x):
    # (x + 3) / 6 on (-3, 3): x + 3 is exact near -3 (Sterbenz), and the
    # division is compensated, so small results keep their accuracy.
    T = type(x)
    v = _div6(x + T(3.0), T(0.0))
    v = T(0.0) if x <= T(-3.0) else v
    return T(1.0) if x >= T(3.0) else v


@njit(cache=True)
def hardsigmoid_grad(x):
    T = type(x)
    return _nan_or(x, T(1.0 / 6.0) if (x > T(-3.0) and x < T(3.0)) else T(0.0))


@njit(cache=True)
def hardsigmoid_backward(dy, x):
    T = type(x)
    return _nan_or(x, _div6(dy, T(0.0)) if (x > T(-3.0) and x < T(3.0)) else T(0.0))


@njit(cache=True)
def hardswish(x):
    # x (x + 3) / 6 on (-3, 3), with the product kept exactly (FMA).
    T = type(x)
    s = x + T(3.0)
    p = x * s
    v = _div6(p, fma(x, s, -p))
    v = x * T(0.5) if abs(x) < T(8.673617379884035e-19) else v  # x/2 + x**2/6: exact for tiny x
    v = T(0.0) if x <= T(-3.0) else v
    return x if x >= T(3.0) else v


@njit(cache=True)
def hardswish_grad(x):
    # (2x + 3) / 6 on (-3, 3): exact near its zero at -1.5 (Sterbenz).
    T = type(x)
    v = _div6(x + x + T(3.0), T(0.0))
    v = T(0.0) if x <= T(-3.0) else v
    return _nan_or(x, T(1.0) if x >= T(3.0) else v)


@njit(cache=True)
def hardswish_backward(dy, x):
    T = type(x)
    g = x + x + T(3.0)
    p = dy * g
    v = _div6(p, fma(dy, g, -p))
    v = T(0.0) if x <= T(-3.0) else v
    return _nan_or(x, dy if x >= T(3.0) else v)


@njit(cache=True)
def softshrink(x, lambd):
    T = type(x)
    v = x - lambd if x > lambd else T(0.0)
    v = x + lambd if x < -lambd else v
    return _nan_or(x, v)


@njit(cache=True)
def softshrink_grad(x, lambd):
    T = type(x)
    return _nan_or(x, T(1.0) if (x > lambd or x < -lambd) else T(0.0))


@njit(cache=True)
def softshrink_backward(dy, x, lambd):
    return _nan_or(x, dy if (x > lambd or x < -lambd) else type(x)(0.0))


@njit(cache=True)
def hardshrink(x, lambd):
    return _nan_or(x, x if (x > lambd or x < -lambd) else type(x)(0.0))


@njit(cache=True)
def threshold(x, threshold, value):
    return _nan_or(x, x if x > threshold else value)


@njit(cache=True)
def threshold_grad(x, threshold, value):
    T = type(x)
    return _nan_or(x, T(1.0) if x > threshold else T(0.0))


@njit(cache=True)
def threshold_backward(dy, x, threshold, value):
    return _nan_or(x, dy if x > threshold else type(x)(0.0))


@njit(cache=True)
def softsign(x):
    # x / (1 + |x|) with the sum's rounding error kept; |x| is capped where
    # the result rounds to +-1 (recip needs 1/d normal).  NaN passes.
    T = type(x)
    a = abs(x)
    big = T(18446744073709551616.0)  # 2**64
    a = big if a > big else a
    one = T(1.0)
    hi = a if a > one else one
    lo = one if a > one else a
    d, d_lo = _fast2sum(hi, lo)
    return math.copysign(_quotient(a, d, d_lo, recip(d)), x)


@njit(cache=True)
def _softsign_slope(x, dy):
    """dy / (1 + |x|)**2, the power-of-two scale of huge |x| applied last."""
    T = type(x)
    a = abs(x)
    big = T(18446744073709551616.0)  # 2**64
    huge = a > big
    a = a * T(5.421010862427522e-20) if huge else a  # * 2**-64, exact
    one = T(1.0)
    # 1 + |x| = 2**64 (a + 2**-64): the 1 is below half an ulp of a then.
    hi = a if (a > one or huge) else one
    lo = T(0.0) if huge else (one if a > one else a)
    d, d_lo = _fast2sum(hi, lo)
    y = _quotient(one, d, d_lo, recip(d))
    r = (dy * y) * y
    # (2**-64)**2 = 2**-128 in two steps (2**-128 is subnormal in float32).
    s = T(5.421010862427522e-20) if huge else one
    r = (r * s) * s
    return dy * T(0.0) if abs(x) == T(np.inf) else r


@njit(cache=True)
def softsign_grad(x):
    return _softsign_slope(x, type(x)(1.0))


@njit(cache=True)
def softsign_backward(dy, x):
    return _softsign_slope(x, dy)


# ------------------------------------------------------ exponential family
def _dw(text):
    """A decimal constant as a float64 pair hi + lo (lo: the rounding error)."""
    from decimal import Decimal, getcontext

    getcontext().prec = 60
    d = Decimal(1)
    for factor in text.split("*"):
        d *= Decimal(factor)
    hi = float(d)
    return hi, float(d - Decimal(hi))


# SELU's constants as PyTorch writes them, as double-word pairs: scale, and
# scale * alpha.
SELU_SCALE = "1.0507009873554804934193349852946"
SELU_ALPHA = "1.6732632423543772848170429916717"
_SCALE_HI, _SCALE_LO = _dw(SELU_SCALE)
_SA_HI, _SA_LO = _dw(f"{SELU_SCALE}*{SELU_ALPHA}")


@njit(cache=True)
def _quotient2(n, n_lo, d, d_lo, y):
    """(n + n_lo) / (d + d_lo) to about 0.5 ulp, y ~ 1/d as in _quotient."""
    q0 = n * y
    q = fma(fma(-q0, d, n) + (n_lo - q0 * d_lo), y, q0)
    return q if q == q else q0  # n = +-inf: inf - inf in the correction (NaN n stays NaN)


@njit(cache=True)
def _logistic_parts(z):
    """(q1, qe, ea, eb) with e = exp(-|z|) = ea * eb (eb a power of two):
    q1 = 1 / (1 + e) and qe = ea / (1 + e), each to about 0.5 ulp, so that
    sigmoid(|z|) = q1 and sigmoid(-|z|) = qe * eb."""
    one = type(z)(1.0)
    ea, eb = exp_split(-abs(z))
    d, d_lo = _fast2sum(one, ea * eb)
    y = recip12(d)
    return _quotient(one, d, d_lo, y), _quotient(ea, d, d_lo, y), ea, eb


@njit(cache=True)
def _inv_scaled(v, c):
    """v / c to about 0.5 ulp; 1/c is loop-invariant for a scalar c."""
    inv = type(v)(1.0) / c
    q = v * inv
    r = fma(fma(-q, c, v), inv, q)
    return r if r == r else q  # v = +-inf (NaN v stays NaN)


@njit(cache=True)
def _mul_dw(hi, lo, v):
    """(hi + lo) * v with one rounding (about 0.5 ulp); for tiny v the small
    term lo * v is formed scaled up, so it does not underflow first."""
    T = type(v)
    tiny = abs(v) < T(8.673617379884035e-19)  # 2**-60
    s = T(1099511627776.0) if tiny else T(1.0)  # 2**40
    c = (lo * (v * s)) * (T(9.094947017729282e-13) if tiny else T(1.0))
    r = fma(hi, v, c)
    return r if r == r else hi * v  # v = +-inf (NaN v stays NaN)


@njit(cache=True)
def _far(x, r, right, left):
    """r, or the limits beyond |x| = 1e4 (right for x > 1e4, left for
    x < -1e4), where the x * exp(x)-type formulas would meet inf * 0 or
    lose the exp clamp; NaN passes as r."""
    T = type(x)
    v = right if x > T(1e4) else r
    return left if x < T(-1e4) else v


@njit(cache=True)
def elu(x, alpha):
    return x if x > type(x)(0.0) else alpha * expm1(x)


@njit(cache=True)
def elu_grad(x, alpha):
    return type(x)(1.0) if x > type(x)(0.0) else alpha * exp(x)


@njit(cache=True)
def elu_backward(dy, x, alpha):
    if x > type(x)(0.0):
        return dy
    ea, eb = exp_split(x)  # the power-of-two factor last: dy * f'(x) may be normal where f'(x) is not
    return ((dy * alpha) * ea) * eb


@njit(cache=True)
def celu(x, alpha):
    return x if x > type(x)(0.0) else alpha * expm1(_inv_scaled(x, alpha))


@njit(cache=True)
def _celu_t(x, alpha):
    """(t, t_lo) with t + t_lo = x / alpha to twice the working precision:
    exp's relative sensitivity to t is |t|, so the rounding error of the
    quotient is carried (alpha = 2.5, float32: 25.7 ulp at x = -88 without)."""
    T = type(x)
    t = _inv_scaled(x, alpha)
    t_lo = fma(-t, alpha, x) * (T(1.0) / alpha)
    return t, (t_lo if abs(t_lo) < T(np.inf) else T(0.0))


@njit(cache=True)
def celu_grad(x, alpha):
    T = type(x)
    t, t_lo = _celu_t(x, alpha)
    e = exp(T(0.0) if t > T(0.0) else t)  # (x > 0 selects 1 below; NaN passes)
    return T(1.0) if x > T(0.0) else fma(e, t_lo, e)


@njit(cache=True)
def celu_backward(dy, x, alpha):
    if x > type(x)(0.0):
        return dy
    t, t_lo = _celu_t(x, alpha)
    ea, eb = exp_split(t)
    return (dy * fma(ea, t_lo, ea)) * eb


@njit(cache=True)
def selu(x):
    T = type(x)
    hi, lo = T(_SCALE_HI), T((_SCALE_HI - np.float64(T(_SCALE_HI))) + _SCALE_LO)
    shi, slo = T(_SA_HI), T((_SA_HI - np.float64(T(_SA_HI))) + _SA_LO)
    return _mul_dw(hi, lo, x) if x > T(0.0) else _mul_dw(shi, slo, expm1(x))


@njit(cache=True)
def selu_grad(x):
    T = type(x)
    shi, slo = T(_SA_HI), T((_SA_HI - np.float64(T(_SA_HI))) + _SA_LO)
    return _nan_or(x, T(_SCALE_HI) if x > T(0.0) else _mul_dw(shi, slo, exp(x)))


@njit(cache=True)
def selu_backward(dy, x):
    T = type(x)
    if x > T(0.0):
        hi, lo = T(_SCALE_HI), T((_SCALE_HI - np.float64(T(_SCALE_HI))) + _SCALE_LO)
        return _mul_dw(hi, lo, dy)
    shi, slo = T(_SA_HI), T((_SA_HI - np.float64(T(_SA_HI))) + _SA_LO)
    ea, eb = exp_split(x)
    return (_mul_dw(shi, slo, dy) * ea) * eb


@njit(cache=True)
def silu(x):
    # x sigmoid(x): x / (1 + e) for x >= 0, (x ea / (1 + e)) eb for x < 0,
    # with x ea kept exactly, so the tail is as accurate as sigmoid's.
    T = type(x)
    one = T(1.0)
    ea, eb = exp_split(-abs(x))
    d, d_lo = _fast2sum(one, ea * eb)
    y = recip12(d)
    neg = x < T(0.0)
    n = x * ea if neg else x
    n_lo = fma(x, ea, -n) if neg else T(0.0)
    r = _quotient2(n, n_lo, d, d_lo, y) * (eb if neg else one)
    r = x * T(0.5) if abs(x) < T(8.673617379884035e-19) else r  # x/2 + x**2/4: exact for tiny x
    return _far(x, r, x, T(-0.0))


@njit(cache=True)
def _silu_slope(x, dy):
    """dy * silu'(x), silu'(x) = sigmoid(x) (1 + x sigmoid(-x))."""
    T = type(x)
    q1, qe, ea, eb = _logistic_parts(x)
    neg = x < T(0.0)
    s_other = q1 if neg else qe * eb  # sigmoid(-x)
    bracket = fma(x, s_other, T(1.0))
    r = ((dy * (qe if neg else q1)) * bracket) * (eb if neg else T(1.0))
    return _far(x, r, dy, dy * T(-0.0))


@njit(cache=True)
def silu_grad(x):
    return _silu_slope(x, type(x)(1.0))


@njit(cache=True)
def silu_backward(dy, x):
    return _silu_slope(x, dy)


@njit(cache=True)
def _sigmoid_dw(z, z_lo, k):
    """(q, b) with k * sigmoid(z + z_lo) = q * b for a small z_lo, b a power
    of two to apply last: k sigmoid(z) (1 + sigmoid(-z) z_lo), with k times
    the numerator kept exactly in the compensated quotient."""
    T = type(z)
    one = T(1.0)
    ea, eb = exp_split(-abs(z))
    e = ea * eb
    d, d_lo = _fast2sum(one, e)
    y = recip12(d)
    neg = z < T(0.0)
    num = ea if neg else one
    m = k * num
    m_lo = fma(k, num, -m)
    m_lo = m_lo if m_lo == m_lo else T(0.0)  # k = +-inf: inf - inf (NaN k stays NaN through m)
    q = _quotient2(m, m_lo, d, d_lo, y)
    s_other = (one if neg else e) * y  # sigmoid(-z), enough for the correction
    r = fma(q, s_other * z_lo, q)
    return (r if r == r else q), (eb if neg else one)  # q = +-inf times a zero correction


@njit(cache=True)
def _sigmoid_dw_slope(z, z_lo, dy):
    """dy * sigmoid(z + z_lo), the power-of-two factor of exp applied last."""
    q, b = _sigmoid_dw(z, z_lo, dy)
    return q * b


@njit(cache=True)
def _scaled_dw(x, beta):
    """(t, t_lo) with t + t_lo = beta x exactly; t_lo = 0 where t is +-inf or
    NaN (beta x overflowing, or x infinite), so no inf * 0 follows."""
    T = type(x)
    t = beta * x
    t_lo = fma(beta, x, -t)
    return t, (t_lo if abs(t_lo) < T(np.inf) else T(0.0))


@njit(cache=True)
def softplus(x, beta, threshold):
    # (1/beta) log(1 + exp(beta x)), x itself where beta x > threshold
    # (PyTorch's definition).  t = beta x is carried with its rounding error
    # t_lo (softplus' relative sensitivity to t is |t| in the left tail), and
    # log(1 + e**t) = max(t, 0) + log1p(exp(-|t|)).
    T = type(x)
    t, t_lo = _scaled_dw(x, beta)
    one = T(1.0)
    e = exp(-abs(t))
    sig = (one if t >= T(0.0) else e) * recip12(one + e)  # sigmoid(t), enough for the correction
    sp = ((t if t > T(0.0) else T(0.0)) + log1p(e)) + sig * t_lo
    r = sp if beta == one else _inv_scaled(sp, beta)
    return x if t > threshold else r


@njit(cache=True)
def softplus_grad(x, beta, threshold):
    T = type(x)
    t, t_lo = _scaled_dw(x, beta)
    return _nan_or(x, T(1.0) if t > threshold else _sigmoid_dw_slope(t, t_lo, T(1.0)))


@njit(cache=True)
def softplus_backward(dy, x, beta, threshold):
    t, t_lo = _scaled_dw(x, beta)
    return _nan_or(x, dy if t > threshold else _sigmoid_dw_slope(t, t_lo, dy))


@njit(cache=True)
def log_sigmoid(x):
    # -softplus(-x) = min(x, 0) - log1p(exp(-|x|)): never log(0).
    T = type(x)
    L = log1p(exp(-abs(x)))
    return x - L if x < T(0.0) else -L


@njit(cache=True)
def log_sigmoid_grad(x):
    return _sigmoid_dw_slope(-x, type(x)(0.0), type(x)(1.0))


@njit(cache=True)
def log_sigmoid_backward(dy, x):
    return _sigmoid_dw_slope(-x, type(x)(0.0), dy)


# exp and expm1 as double words (for the left tails of mish and gelu_tanh,
# where the result is about x e**x and exp's own ~1.4e-7 relative error
# passed through, and for tanhshrink' = tanh**2).
_LN2_DW = _dw("0.69314718055994530941723212145818")


@njit(cache=True)
def _em1_dw(r, r_lo):
    """(p, p_lo): expm1(r + r_lo) as a double word, for |r| <= ln2/2 and a
    tiny r_lo: r + r**2 q(r) (the polynomials of `_math`), with the square's
    and the product's rounding errors kept; what is left is q's own rounding,
    |r| / 2 of an ulp at most."""
    T = type(r)
    f32 = T(1.0) + T(1e-10) == T(1.0)  # a constant after compilation
    q32 = fma(fma(fma(fma(T(_C6), r, T(_C5)), r, T(_C4)), r, T(_C3)), r, T(_C2))
    q64 = fma(fma(fma(fma(fma(T(_D11), r, T(_D10)), r, T(_D9)), r, T(_D8)), r, T(_D7)), r, T(_D6))
    q64 = fma(fma(fma(fma(q64, r, T(_D5)), r, T(_D4)), r, T(_D3)), r, T(_D2))
    q = q32 if f32 else q64
    rr = r * r
    c = rr * q
    c_lo = fma(rr, q, -c) + fma(r, r, -rr) * q
    p, p_lo = _fast2sum(r, c)
    return p, p_lo + (c_lo + r_lo * (T(1.0) + p))


@njit(cache=True)
def _exp_split_dw(x):
    """(a, a_lo, b) with e**x = (a + a_lo) b to about 0.1 ulp: exp_split's
    (a, b), and a's error from expm1(r) as a double word (_em1_dw) on
    x = n ln2 + r.  a = 2**m (1 + p) rounded (m = n >> 1 for the CPU's
    split); 2**m is recovered as a / (1 + p) rounded to a power of two
    (Veltkamp's split to 2 bits), whatever reduction exp_split used."""
    T = type(x)
    f32 = T(1.0) + T(1e-10) == T(1.0)  # a constant after compilation
    a, b = exp_split(x)
    hi = T(89.0) if f32 else T(710.0)  # exp_split's clamps
    lo = T(-174.0) if f32 else T(-1416.0)
    xc = hi if x > hi else x
    xc = lo if xc < lo else xc
    shift = T(12582912.0) if f32 else T(6755399441055744.0)  # 1.5 * 2**23, 1.5 * 2**52
    n = fma(xc, T(1.4426950408889634), shift) - shift  # round(x / ln2)
    ln2_hi, ln2_lo = T(_LN2_DW[0]), T((_LN2_DW[0] - np.float64(T(_LN2_DW[0]))) + _LN2_DW[1])
    r = fma(-n, ln2_hi, xc)  # exact: |r| <= ln2/2 on the grid of x and n ln2_hi
    p, p_lo = _em1_dw(r, -n * ln2_lo)
    v = a * fma(p, p - T(1.0), T(1.0))  # a / (1 + p) within 7%
    g = v * (T(4194305.0) if f32 else T(2251799813685249.0))  # 2**22 + 1, 2**51 + 1
    q = g - (g - v)  # 2**m
    return a, ((q - a) + q * p) + q * p_lo, b


@njit(cache=True)
def mish(x):
    # x tanh(softplus(x)) = x n / (n + 2), n = e (e + 2), e = exp(x), with x
    # times the numerator kept exactly in the compensated quotient.  For x < 0
    # the numerator is x ea (e + 2) and eb (a power of two) is applied last,
    # so the left tail keeps full accuracy where e is subnormal.  e, e + 2 and
    # n are double words (in the left tail mish ~ 2 x e / (e + 2)... ~ x e:
    # exp's error and the roundings of e + 2 and n passed through).
    T = type(x)
    two = T(2.0)
    # tanh(softplus(x)) rounds to 1 beyond x = 20 in both precisions; the
    # clamp keeps n finite.  NaN passes.
    xc = T(20.0) if x > T(20.0) else x
    ea, ea_lo, eb = _exp_split_dw(xc)
    e = ea * eb
    e_lo = ea_lo * eb
    f, f_lo = _fast2sum(e, two) if e > two else _fast2sum(two, e)
    f_lo = f_lo + e_lo
    n = e * f
    n_lo = fma(e, f, -n) + (e * f_lo + e_lo * f)
    d, d_lo = _fast2sum(n, two) if n > two else _fast2sum(two, n)
    d_lo = d_lo + n_lo
    y = recip(d)
    neg = x < T(0.0)
    k = x * ea if neg else x
    k_lo = fma(x, ea, -k) + x * ea_lo if neg else T(0.0)
    g = f if neg else n
    g_lo = f_lo if neg else n_lo
    m = k * g
    r = _quotient2(m, fma(k, g, -m) + (k_lo * g + k * g_lo), d, d_lo, y) * (eb if neg else T(1.0))
    return _far(x, r, x, T(-0.0))


@njit(cache=True)
def _mish_slope(x, dy):
    # mish'(x) = n/(n+2) + 4 x e (1+e) / (n+2)**2
    #          = e [(e + 2) + 4 x (1 + e) / (n + 2)] / (n + 2).
    # In the left tail the bracket cancels (x = -5.9: 2.0 - 5.9), so e, e + 2,
    # n + 2, the quotient w = 4 x (1 + e) / (n + 2) and the bracket are double
    # words (with w and the bracket rounded, the float32 error reached 4.16
    # ulp at x = -5.884485); dy e times the bracket over n + 2 is rounded
    # once, then times eb.  Beyond x = 20 (e clamped there) mish' is
    # 1 + (4x - 2) exp(-2x) to within 1e-17.
    T = type(x)
    one = T(1.0)
    two = T(2.0)
    xc = T(20.0) if x > T(20.0) else x
    ea, ea_lo, eb = _exp_split_dw(xc)
    e = ea * eb
    e_lo = ea_lo * eb
    f, f_lo = _fast2sum(e, two) if e > two else _fast2sum(two, e)  # e + 2
    f_lo = f_lo + e_lo
    n = e * f
    n_lo = fma(e, f, -n) + (e * f_lo + e_lo * f)
    d, d_lo = _fast2sum(n, two) if n > two else _fast2sum(two, n)  # n + 2
    d_lo = d_lo + n_lo
    y = recip(d)
    g, g_lo = _fast2sum(e, one) if e > one else _fast2sum(one, e)  # 1 + e
    g_lo = g_lo + e_lo
    x4 = T(4.0) * xc
    p = x4 * g
    p_lo = fma(x4, g, -p) + x4 * g_lo
    w = p * y  # w + w_lo = (p + p_lo) / (d + d_lo)
    w_lo = (fma(-w, d, p) + (p_lo - w * d_lo)) * y
    b, b_lo = _fast2sum(f, w) if abs(f) > abs(w) else _fast2sum(w, f)  # the bracket
    b_lo = b_lo + (f_lo + w_lo)
    k = dy * ea
    k_lo = fma(dy, ea, -k) + dy * ea_lo
    m = k * b
    m_lo = fma(k, b, -m) + (k * b_lo + k_lo * b)
    r = _quotient2(m, m_lo, d, d_lo, y) * eb
    r = fma(dy * (T(4.0) * x - T(2.0)), exp(-(x + x)), dy) if x > T(20.0) else r  # 1 + (4x - 2) e**-2x
    return _far(x, r, dy, dy * T(-0.0))


@njit(cache=True)
def mish_grad(x):
    return _mish_slope(x, type(x)(1.0))


@njit(cache=True)
def mish_backward(dy, x):
    return _mish_slope(x, dy)


# gelu with the tanh approximation, PyTorch's formula:
#   0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))) = x sigmoid(z),
#   z = 2 sqrt(2/pi) x (1 + 0.044715 x**2).
_GT_C1 = _dw("1.5957691216057307117597842397375")  # 2 sqrt(2/pi)
_GT_C3 = _dw("1.5957691216057307117597842397375*0.044715")
_GT_C1_HI, _GT_C1_LO = _GT_C1
_GT_C3_HI, _GT_C3_LO = _GT_C3


@njit(cache=True)
def _gelu_tanh_z(x):
    """(z, z_lo, dz, dz_lo): z = x (c1 + c3 x**2) and dz/dx = c1 + 3 c3 x**2
    in double-word arithmetic (sigmoid's relative sensitivity to z is |z|,
    up to ~100 in the tail)."""
    T = type(x)
    c1h, c1l = T(_GT_C1_HI), T((_GT_C1_HI - np.float64(T(_GT_C1_HI))) + _GT_C1_LO)
    c3h, c3l = T(_GT_C3_HI), T((_GT_C3_HI - np.float64(T(_GT_C3_HI))) + _GT_C3_LO)
    w = x * x
    w_lo = fma(x, x, -w)
    # u = c3 * x**2, as hi + lo
    u = c3h * w
    u_lo = fma(c3h, w, -u) + (c3h * w_lo + c3l * w)
    # s = c1 + u
    s, s_lo = _fast2sum(c1h, u) if c1h >= abs(u) else _fast2sum(u, c1h)
    s_lo = s_lo + (u_lo + c1l)
    z = x * s
    z_lo = fma(x, s, -z) + x * s_lo
    # dz = c1 + 3 u
    v = T(3.0) * u
    v_lo = fma(T(3.0), u, -v) + T(3.0) * u_lo
    dz, dz_lo = _fast2sum(c1h, v) if c1h >= v else _fast2sum(v, c1h)
    return z, z_lo, dz, dz_lo + (v_lo + c1l)


@njit(cache=True)
def _gelu_tanh_parts(x):
    """(z, z_lo, dz, dz_lo, ea, ea_lo, eb, d, d_lo, y): _gelu_tanh_z's, with
    e = exp(-|z|) = (ea + ea_lo) eb, d + d_lo = 1 + e, y ~ 1/d."""
    T = type(x)
    z, z_lo, dz, dz_lo = _gelu_tanh_z(x)
    z_lo = z_lo if z_lo == z_lo else T(0.0)
    ea, ea_lo, eb = _exp_split_dw(-abs(z))
    d, d_lo = _fast2sum(T(1.0), ea * eb)
    return z, z_lo, dz, dz_lo, ea, ea_lo, eb, d, d_lo + ea_lo * eb, recip12(d)


@njit(cache=True)
def gelu_tanh(x):
    # x sigmoid(z + z_lo) = x num / (1 + e) (num = e for z < 0, 1 above), with
    # e and 1 + e double words and x num (1 + sigmoid(-z) z_lo) kept in the
    # compensated quotient: rounded once, then times eb.
    T = type(x)
    z, z_lo, dz, dz_lo, ea, ea_lo, eb, d, d_lo, y = _gelu_tanh_parts(x)
    neg = z < T(0.0)
    num = ea if neg else T(1.0)
    num_lo = ea_lo if neg else T(0.0)
    s_other = (T(1.0) if neg else ea * eb) * y  # sigmoid(-z), enough for the correction
    m = x * num
    m_lo = fma(x, num, -m) + (x * num_lo + m * (s_other * z_lo))
    r = _quotient2(m, m_lo, d, d_lo, y) * (eb if neg else T(1.0))
    r = x * T(0.5) if abs(x) < T(8.673617379884035e-19) else r  # x/2 + O(x**2): exact for tiny x
    return _far(x, r, x, T(-0.0))


@njit(cache=True)
def _gelu_tanh_slope(x, dy):
    # d/dx x sigmoid(z) = sigmoid(z) (1 + x sigmoid(-z) z'), with z's
    # rounding error folded into sigmoid(z) (its relative sensitivity is |z|).
    # The bracket B is a double word (sigmoid(-z) from the compensated
    # quotient, z' and the products kept), and dy B num (1 + sigmoid(-z) z_lo)
    # / (1 + e) is rounded once, then times eb.
    T = type(x)
    one = T(1.0)
    z, z_lo, dz, dz_lo, ea, ea_lo, eb, d, d_lo, y = _gelu_tanh_parts(x)
    neg = z < T(0.0)
    on = one if neg else ea * eb
    on_lo = T(0.0) if neg else ea_lo * eb
    so = on * y  # sigmoid(-z) = so + so_lo
    so_lo = (fma(-so, d, on) + (on_lo - so * d_lo)) * y
    p = x * so
    p_lo = fma(x, so, -p) + x * so_lo
    b1 = p * dz
    b1_lo = fma(p, dz, -b1) + (p_lo * dz + p * dz_lo)
    bh, bl = _fast2sum(b1, one) if abs(b1) > one else _fast2sum(one, b1)
    bl = bl + b1_lo
    k = dy * bh
    k_lo = fma(dy, bh, -k) + dy * bl
    num = ea if neg else one
    num_lo = ea_lo if neg else T(0.0)
    m = k * num
    m_lo = fma(k, num, -m) + (k_lo * num + k * num_lo + m * (so * z_lo))
    r = _quotient2(m, m_lo, d, d_lo, y) * (eb if neg else one)
    return _far(x, r, dy, dy * T(-0.0))


@njit(cache=True)
def gelu_tanh_grad(x):
    return _gelu_tanh_slope(x, type(x)(1.0))


@njit(cache=True)
def gelu_tanh_backward(dy, x):
    return _gelu_tanh_slope(x, dy)


@njit(cache=True)
def gaussian(x):
    m, s = exp_neg_sq_split(x)
    return m * s


@njit(cache=True)
def gaussian_grad(x):
    return gaussian_backward(type(x)(1.0), x)


@njit(cache=True)
def gaussian_backward(dy, x):
    # -2 x exp(-x**2), the power of two last (the product may be normal where
    # exp(-x**2) is not).
    T = type(x)
    m, s = exp_neg_sq_split(x)
    r = ((dy * (T(-2.0) * x)) * m) * s
    return dy * math.copysign(T(0.0), -x) if abs(x) > T(1e4) else r


# ------------------------------------------------------------------- gelu
# gelu(x) = x Phi(x), Phi the standard normal CDF, computed in the type of x
# from _special.normal_tail_split: Phi_c(a) = Phi(-a) = r m s for a = |x|,
# r = Phi_c(a) exp(a**2/2) (a rational function of a, or of 1/a**2 above
# a = 4, with the errors of its polynomials damped), exp(-a**2/2) = m s with
# the square taken exactly and s a power of two applied last, so the left
# tail keeps its relative accuracy down to subnormal results (gelu(-38.4) in
# float64).  All branches are selects: the ufunc loops vectorize (libm's
# erfc, called per element before, took 21-23 ns per element, float32 and
# float64).
#   gelu(x)   = x - x Phi_c(x)               for x > 0, x Phi_c(-x) below;
#   gelu'(x)  = 1 - exp(-x**2/2) D(x)        for x > 0, exp(-x**2/2) D(-x)
#               below, D(a) = r - a / sqrt(2 pi) (Phi_c(a) - a phi(a) over
#               the exp), with one FMA: it cancels at the zero of gelu',
#               x = -0.7518, and the error is a few ulp of the terms there.
# Measured (benchmarks.accuracy, every 64th float32 bit pattern and 5000
# float64 points against mpmath): forward 1.04 ulp float32, 1.0 float64;
# gelu' 1.86 and 2.0, the backward 2.92 and 2.0 (ulp of the larger term).
# Speed (2**20 elements, one thread, AVX-512): 1.7 ns per element float32,
# 4.9 float64 (forward; the derivatives 1.7-2.1 and 4.4-4.7), against about
# 44 ns with libm's erfc before.
_INV_SQRT_2PI = _dw("0.39894228040143267793994605993438186847585863116493")
_ISP_HI, _ISP_LO = _INV_SQRT_2PI


@njit(cache=True)
def gelu(x):
    T = type(x)
    q, q_lo, m, s = normal_tail_split(x)
    pos = fma(-x, (q + q_lo) * s, x)  # x (1 - Phi_c(x))
    neg = fma(x, q, x * q_lo) * s  # x Phi_c(-x), rounded once, the power of two last
    return _far(x, pos if x > T(0.0) else neg, x, T(-0.0))


@njit(cache=True)
def _gelu_slope(x, dy):
    # gelu'(x) = Phi(x) + x phi(x); with a = |x| and exp(-a**2/2) = m s,
    # Phi_c(a) - a phi(a) = D s, D = q + q_lo - a m / sqrt(2 pi): gelu'(-a) =
    # D s, gelu'(a) = 1 - D s.  (a is clamped where m s is 0 anyway, so a
    # huge dy * D does not overflow; beyond |x| = 1e4 the limits.)
    T = type(x)
    ih = T(_ISP_HI)
    il = T((_ISP_HI - np.float64(ih)) + _ISP_LO)
    q, q_lo, m, s = normal_tail_split(x)
    a = abs(x)
    a = T(54.0) if a > T(54.0) else a
    t = a * m
    t_lo = fma(a, m, -t)
    d = fma(-t, ih, q) + (q_lo - fma(t, il, t_lo * ih))
    pos = dy * fma(-d, s, T(1.0))
    neg = (dy * d) * s
    return _far(x, pos if x > T(0.0) else neg, dy, dy * T(-0.0))


@njit(cache=True)
def gelu_grad(x):
    return _gelu_slope(x, type(x)(1.0))


@njit(cache=True)
def gelu_backward(dy, x):
    return _gelu_slope(x, dy)


# -------------------------------------------------------------- tanhshrink
# tanhshrink' = tanh(x)**2 from tanh as a double word h + l (tanh rounded
# first, then squared, was 4-5 ulp off in float32: tanh's own error counts
# twice), so the square is rounded once: h**2 + 2 h l, with dy folded in
# before that rounding for the backward.
@njit(cache=True)
def _tanh_dw(a):
    """(h, h_lo) with h + h_lo = tanh(a) to about twice the working precision below
    a = 1.5, for a >= 0 (NaN passes).  tanh(a) = t / (t + 2) with t =
    expm1(2a) = 2**n (1 + p) - 1 as a double word (n <= 4, p = expm1(r) from
    _em1_dw), the quotient kept as q0 + its correction (as _special's
    x - tanh(x) does above 1.375).  From a = 1.5 on, t is expm1's: its error
    is damped by 2 / (t + 2) < 0.1."""
    T = type(a)
    f32 = T(1.0) + T(1e-10) == T(1.0)
    two = T(2.0)
    ac = T(20.0) if a > T(20.0) else a  # tanh rounds to 1 from 20 on
    x2 = ac + ac
    near = x2 <= T(3.0)
    xs = x2 if near else T(3.0)
    shift = T(12582912.0) if f32 else T(6755399441055744.0)  # 1.5 * 2**23, 1.5 * 2**52
    n = fma(xs, T(1.4426950408889634), shift) - shift  # round(xs / ln2), 0 to 4
    ln2_hi, ln2_lo = T(_LN2_DW[0]), T((_LN2_DW[0] - np.float64(T(_LN2_DW[0]))) + _LN2_DW[1])
    r = fma(-n, ln2_hi, xs)  # exact: |r| <= ln2/2 on the grid of xs and n ln2_hi
    p, p_lo = _em1_dw(r, -n * ln2_lo)
    s = T(16.0) if n > T(3.5) else (T(8.0) if n > T(2.5) else (T(4.0) if n > T(1.5) else T(1.0)))
    s = T(2.0) if (n > T(0.5)) & (n < T(1.5)) else s
    t, t_lo = _fast2sum(s - T(1.0), s * p)  # 2**n - 1 >= |2**n p| (or 0)
    t_lo = t_lo + s * p_lo
    t = t if near else expm1(x2)
    t_lo = t_lo if near else T(0.0)
    big = t if t > two else two
    sm = two if t > two else t
    d, d_lo = _fast2sum(big, sm)
    y = recip(d)
    q0 = t * y
    # (t + t_lo) / (d + d_lo + t_lo) - q0 to first order
    return q0, (fma(-q0, d, t) + (fma(-q0, t_lo, t_lo) - q0 * d_lo)) * y


@njit(cache=True)
def tanhshrink(x):
    return x_minus_tanh(x)


@njit(cache=True)
def tanhshrink_grad(x):
    h, h_lo = _tanh_dw(abs(x))
    return fma(h, h, type(x)(2.0) * (h * h_lo))


@njit(cache=True)
def tanhshrink_backward(dy, x):
    # dy (h + h_lo)**2 = k h + (k_lo h + 2 k h_lo) with k + k_lo = dy h exactly.
    # (With dy = +-inf the error terms are inf - inf: k * h alone then.)
    h, h_lo = _tanh_dw(abs(x))
    k = dy * h
    r = fma(k, h, fma(fma(dy, h, -k), h, type(x)(2.0) * (k * h_lo)))
    return r if abs(k) < type(x)(np.inf) else k * h
