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
from ._special import exp_neg_half_sq_split, exp_neg_sq_split, log1p, x_minus_tanh


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
    e = exp(t)
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
    T = type(x)
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


@njit(cache=True)
def _mish_parts(x):
    """(n, ea, eb, e, d, d_lo, y) for mish: e = exp(x) = ea * eb, n = e (e + 2),
    d + d_lo = n + 2, y ~ 1/d, tanh(softplus(x)) = n / (n + 2)."""
    T = type(x)
    two = T(2.0)
    # tanh(softplus(x)) rounds to 1 beyond x = 20 in both precisions; the
    # clamp keeps n finite.  NaN passes.
    xc = T(20.0) if x > T(20.0) else x
    ea, eb = exp_split(xc)
    e = ea * eb
    n = e * (e + two)
    hi = n if n > two else two
    lo = two if n > two else n
    d, d_lo = _fast2sum(hi, lo)
    return n, ea, eb, e, d, d_lo, recip(d)


@njit(cache=True)
def mish(x):
    # x tanh(softplus(x)) = x n / (n + 2), n = e (e + 2), e = exp(x), with x
    # times the numerator kept exactly in the compensated quotient.  For x < 0
    # the numerator is x ea (e + 2) and eb (a power of two) is applied last,
    # so the left tail keeps full accuracy where e is subnormal.
    T = type(x)
    n, ea, eb, e, d, d_lo, y = _mish_parts(x)
    neg = x < T(0.0)
    k = x * ea if neg else x
    k_lo = fma(x, ea, -k) if neg else T(0.0)
    f = e + T(2.0) if neg else n
    m = k * f
    r = _quotient2(m, fma(k, f, -m) + k_lo * f, d, d_lo, y) * (eb if neg else T(1.0))
    return _far(x, r, x, T(-0.0))


@njit(cache=True)
def _mish_slope(x, dy):
    # mish'(x) = n/(n+2) + 4 x e (1+e) / (n+2)**2
    #          = e [(e + 2) + 4 x (1 + e) / (n + 2)] / (n + 2).
    # Beyond x = 20 (e clamped there) it is 1 + (4x - 2) exp(-2x) to within 1e-17.
    T = type(x)
    n, ea, eb, e, d, d_lo, y = _mish_parts(x)
    one = T(1.0)
    w = _quotient(T(4.0) * x * (one + e), d, d_lo, y)
    bracket = (e + T(2.0)) + w
    k = dy * ea
    m = k * bracket
    r = _quotient2(m, fma(k, bracket, -m) + fma(dy, ea, -k) * bracket, d, d_lo, y) * eb
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
    """(z, z_lo, dz/dx): z = x (c1 + c3 x**2) in double-word arithmetic
    (sigmoid's relative sensitivity to z is |z|, up to ~100 in the tail)."""
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
    dz = fma(T(3.0) * c3h, w, c1h)
    return z, z_lo, dz


@njit(cache=True)
def gelu_tanh(x):
    T = type(x)
    z, z_lo, dz = _gelu_tanh_z(x)
    z_lo = z_lo if z_lo == z_lo else T(0.0)
    r = _sigmoid_dw_slope(z, z_lo, x)
    r = x * T(0.5) if abs(x) < T(8.673617379884035e-19) else r  # x/2 + O(x**2): exact for tiny x
    return _far(x, r, x, T(-0.0))


@njit(cache=True)
def _gelu_tanh_slope(x, dy):
    # d/dx x sigmoid(z) = sigmoid(z) (1 + x sigmoid(-z) z'), with z's
    # rounding error folded into sigmoid(z) (its relative sensitivity is |z|).
    T = type(x)
    z, z_lo, dz = _gelu_tanh_z(x)
    z_lo = z_lo if z_lo == z_lo else T(0.0)
    zc = z
    e = exp(-abs(zc))
    d, d_lo = _fast2sum(T(1.0), e)
    s_other = _quotient(T(1.0) if zc < T(0.0) else e, d, d_lo, recip12(d))  # sigmoid(-z)
    bracket = fma(x * s_other, dz, T(1.0))
    q, b = _sigmoid_dw(zc, z_lo, dy * bracket)
    return _far(x, q * b, dy, dy * T(-0.0))


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
# gelu(x) = x Phi(x), Phi the standard normal CDF.  erfc has no vectorizable
# form here yet: it is libm's (a scalar call per element on the CPU,
# libdevice on the GPU).  float32 is computed in float64 and rounded once.
# Phi_c(a) = Phi(-a) = erfc(a / sqrt 2) / 2 with a / sqrt 2 taken as a
# double word z + z_lo (erfc's relative sensitivity to z is ~2 z**2), and
# beyond a = 26, where erfc's result leaves the normal range, the Mills
# ratio's asymptotic series: Phi_c(a) = phi(a) R(a), the exp factor applied
# last.
_INV_SQRT2 = _dw("0.70710678118654752440084436210484903928483593768847")
_INV_SQRT2_HI, _INV_SQRT2_LO = _INV_SQRT2
_INV_SQRT_PI = 0.5641895835477563  # 1/sqrt(pi), for a correction term
_INV_SQRT_2PI = _dw("0.39894228040143267793994605993438186847585863116493")
_ISP_HI, _ISP_LO = _INV_SQRT_2PI


@njit(cache=True)
def _mills_asymptotic(a):
    """The Mills ratio Phi_c(a) / phi(a) for a >= 26 (float64): its
    asymptotic series 1/a sum (-1)**k (2k-1)!! / a**(2k), 11 terms (the
    truncation error is below 1e-19 there)."""
    ia = 1.0 / a
    u = ia * ia
    r = fma(654729075.0, u, -34459425.0)
    r = fma(r, u, 2027025.0)
    r = fma(r, u, -135135.0)
    r = fma(r, u, 10395.0)
    r = fma(r, u, -945.0)
    r = fma(r, u, 105.0)
    r = fma(r, u, -15.0)
    r = fma(r, u, 3.0)
    r = fma(r, u, -1.0)
    return fma(r, u, 1.0) * ia


@njit(cache=True)
def _gelu_parts(a):
    """For a = |x| (float64): (Phi_c(a) from erfc, or 0 beyond a = 26,
    e_m, e_s with exp(-a**2/2) = e_m * e_s, the Mills ratio for a > 26)."""
    e_m, e_s = exp_neg_half_sq_split(a)
    z = a * _INV_SQRT2_HI
    z_lo = fma(a, _INV_SQRT2_HI, -z) + a * _INV_SQRT2_LO
    pc = fma(-_INV_SQRT_PI * (e_m * e_s), z_lo, 0.5 * math.erfc(z))
    big = a > 26.0
    return (0.0 if big else pc), e_m, e_s, _mills_asymptotic(a if big else 26.0)


@njit(cache=True)
def _gelu64(x):
    a = abs(x)
    pc, e_m, e_s, mills = _gelu_parts(a)
    if x >= 0.0:
        return fma(-x, pc, x)  # x (1 - Phi_c(x))
    if a > 26.0:
        # x phi(a) R(a), the power of two of exp last
        return ((x * mills) * _mul_dw(_ISP_HI, _ISP_LO, e_m)) * e_s
    return x * pc


@njit(cache=True)
def _gelu_slope64(x, dy):
    # gelu'(x) = Phi(x) + x phi(x): for x >= 0, 1 - Phi_c(x) + x phi(x); for
    # x < 0 (a = -x), Phi_c(a) - a phi(a) = phi(a) (R(a) - a) in the tail.
    a = abs(x)
    pc, e_m, e_s, mills = _gelu_parts(a)
    phi_m = _mul_dw(_ISP_HI, _ISP_LO, e_m)  # phi(a) = phi_m * e_s
    if x < -1e4:  # the limit -0 (the exp clamp would leave a * tiny)
        return dy * -0.0
    if x >= 0.0:
        return dy * ((1.0 - pc) + (x * phi_m) * e_s)
    if a > 26.0:
        return ((dy * (mills - a)) * phi_m) * e_s
    return dy * (pc - (a * phi_m) * e_s)


@njit(cache=True)
def gelu(x):
    T = type(x)
    if abs(x) == T(np.inf):
        return x if x > T(0.0) else T(-0.0)
    return T(_gelu64(np.float64(x)))


@njit(cache=True)
def gelu_grad(x):
    T = type(x)
    r = T(_gelu_slope64(np.float64(x), 1.0))
    return _nan_or(x, (T(1.0) if x > T(0.0) else T(-0.0)) if abs(x) == T(np.inf) else r)


@njit(cache=True)
def gelu_backward(dy, x):
    T = type(x)
    r = T(_gelu_slope64(np.float64(x), np.float64(dy)))
    return _nan_or(x, (dy if x > T(0.0) else dy * T(-0.0)) if abs(x) == T(np.inf) else r)


# -------------------------------------------------------------- tanhshrink
@njit(cache=True)
def tanhshrink(x):
    return x_minus_tanh(x)


@njit(cache=True)
def tanhshrink_grad(x):
    t = tanh(x)
    return t * t


@njit(cache=True)
def tanhshrink_backward(dy, x):
    t = tanh(x)
    return (dy * t) * t
