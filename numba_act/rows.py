"""Row kernels of the softmax family: plain loops over one row (math only).

Each takes 1-D input rows and writes a 1-D output row, in the layout of a
NumPy gufunc; `cpu.py` compiles them with `guvectorize` (any axis, any
layout) and, for C-contiguous rows, into a 2-D driver that runs blocks of
rows per thread.

- The row maximum is an integer max over order-preserving keys of the
  floats, which vectorizes (a float max reduction does not, here).
- x - max is computed with its rounding error (TwoSum) and the error folded
  into the exponential, so a float32 softmax is accurate to a few ulp of the
  exact softmax of its input, not only to a few ulp of its rounded shifts.
- Sums accumulate in float64 in blocks: each block of `_BLOCK` terms is
  summed with reassociation allowed (vectorized partial sums), and block
  sums are added with Kahan-Babuska compensation (a float32 running sum
  loses about 7e-4 at 32768 columns).

Special rows follow `scipy.special.softmax`: a row containing NaN or +inf is
all NaN, a row that is all -inf is all NaN, -inf entries of an otherwise
finite row are 0, and an empty row gives an empty result.

log_softmax and logsumexp share the maximum and the exponentials, and need
log(S) for S = sum_j exp(x_j - m) >= 1.  S is summed as 1 + T, T = the sum
of the terms below the maximum plus (number of maximal entries - 1), and
log(S) = log1p(T): a row dominated by its maximum (T tiny) keeps log(S)
accurate to a few ulp of itself, where log(fl(S)) would lose it all.  Then
log_softmax_i = (x_i - m) - log(S) adds two quantities of the same sign
(x_i - m <= 0 <= log S), so it does not cancel: with x_i - m carried exactly
(TwoSum; float32 rows are shifted in float64) the result is within a few
ulp of |log_softmax_i| itself.  logsumexp = m + log(S) can cancel (m < 0
and log S close to -m): its error is a few ulp of max(|m|, log S), the
condition of the sum.  Special rows: see `log_softmax_row` and
`logsumexp_row`.
"""

import math

import numpy as np
from numba import njit

from ._math import exp, fma, order_key, order_key_inverse

_BLOCK = 256
_REASSOC = {"reassoc", "contract"}


@njit(cache=True)
def _row_max(x):
    # +NaN keys order above +inf, so a NaN row maximum poisons the row;
    # -NaN keys order below -inf, and the NaN poisons the sum instead.
    k = order_key(x[0])
    for i in range(1, x.shape[0]):
        ki = order_key(x[i])
        k = ki if ki > k else k
    return order_key_inverse(k)


@njit(cache=True)
def _exp_shifted(v, m):
    """exp(v - m), with the rounding error of v - m folded in."""
    d = v - m
    bb = d - v
    d_lo = (v - (d - bb)) + (-m - bb)
    # d = -inf (v = -inf, or v - m overflowing) makes d_lo NaN: exp(d) is 0
    # then, and so must the result be.
    if d_lo != d_lo:
        d_lo = type(d)(0.0)
    e = exp(d)
    return fma(e, d_lo, e)


@njit(cache=True)
def _exp_store(x, m, out):
    # Kept apart from the float64 sum: a loop mixing float32 and float64
    # vectorizes at the float64 width, halving the float32 lanes.
    for i in range(x.shape[0]):
        out[i] = _exp_shifted(x[i], m)


@njit(cache=True, fastmath=_REASSOC)
def _sum64_block(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += np.float64(a[i])
    return s


@njit(cache=True, fastmath=_REASSOC)
def _dot64_block(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += np.float64(a[i]) * np.float64(b[i])
    return s


@njit(cache=True)
def _neumaier_add(s, c, v):
    """Add v to the sum s with running compensation c (Kahan-Babuska)."""
    t = s + v
    if abs(s) >= abs(v):
        c += (s - t) + v
    else:
        c += (v - t) + s
    return t, c


@njit(cache=True)
def _sum64(a):
    # Blocks are summed vectorized; block sums are added with compensation,
    # so long float64 rows stay within a few ulp.
    s = 0.0
    c = 0.0
    for start in range(0, a.shape[0], _BLOCK):
        s, c = _neumaier_add(s, c, _sum64_block(a[start : start + _BLOCK]))
    # An infinite term makes the compensation inf - inf = NaN: keep the sum.
    return s + c if c == c else s


@njit(cache=True)
def _dot64(a, b):
    s = 0.0
    c = 0.0
    for start in range(0, a.shape[0], _BLOCK):
        s, c = _neumaier_add(s, c, _dot64_block(a[start : start + _BLOCK], b[start : start + _BLOCK]))
    return s + c if c == c else s


@njit(cache=True)
def softmax_row(x, out):
    if x.shape[0] == 0:
        return
    _exp_store(x, _row_max(x), out)
    inv = 1.0 / _sum64(out)
    for i in range(out.shape[0]):
        out[i] = np.float64(out[i]) * inv


@njit(cache=True)
def softmax_backward_row(dy, p, out):
    # Vector-Jacobian product from the output p: p * (dy - sum(dy * p)).
    s = _dot64(dy, p)
    for i in range(p.shape[0]):
        out[i] = np.float64(p[i]) * (np.float64(dy[i]) - s)


@njit(cache=True)
def softmax_jacobian_row(x, out):
    # J[i, j] = s_i (delta_ij - s_j).  The diagonal s_i (1 - s_i) is formed
    # as s_i * (sum of the other exponentials) / S from prefix and suffix
    # sums, so it does not cancel when s_i is close to 1.
    n = x.shape[0]
    if n == 0:
        return
    m = _row_max(x)
    e = np.empty(n, np.float64)
    prefix = np.empty(n + 1, np.float64)
    prefix[0] = 0.0
    for i in range(n):
        e[i] = _exp_shifted(np.float64(x[i]), np.float64(m))
        prefix[i + 1] = prefix[i] + e[i]
    inv = 1.0 / prefix[n]
    suffix = 0.0
    for i in range(n - 1, -1, -1):
        si = e[i] * inv
        for j in range(n):
            out[i, j] = -si * (e[j] * inv)
        out[i, i] = si * ((prefix[i] + suffix) * inv)
        suffix += e[i]


# ------------------------------------------------------- log_softmax family
@njit(cache=True)
def _count_max(x, m):
    # Number of entries equal to the maximum (each has exp(x - m) = 1
    # exactly).  A loop of its own: counting inside the exponential loop
    # below halves its speed (measured, float32).
    c = 0
    for i in range(x.shape[0]):
        c += x[i] == m
    return c


@njit(cache=True)
def _exp_store_others(x, m, out):
    # exp(x - m), with 0 in place of the entries equal to m.
    for i in range(x.shape[0]):
        e = _exp_shifted(x[i], m)
        out[i] = e if x[i] != m else type(e)(0.0)


@njit(cache=True)
def _sum_exp_others(x, m, buf):
    """T = S - 1 for S = sum_j exp(x_j - m), without cancellation: the sum
    (float64, blocked, compensated) of the terms of the entries below m plus
    (number of entries equal to m) - 1.  buf: scratch of at least len(x)
    elements of x's dtype (the output row, for log_softmax)."""
    n = x.shape[0]
    e = buf[:n]
    _exp_store_others(x, m, e)
    return _sum64(e) + np.float64(_count_max(x, m) - 1)


@njit(cache=True)
def _log_shifted(v, m, log_s):
    """(v - m) - log_s in float64, v - m carried with its rounding error
    (float32 data: v - m is exact in float64 but for extreme exponent gaps)."""
    d = v - m
    bb = d - v
    d_lo = (v - (d - bb)) + (-m - bb)
    if d_lo != d_lo:  # d = -inf: v = -inf, or v - m overflowed
        d_lo = 0.0
    return (d - log_s) + d_lo


@njit(cache=True)
def log_softmax_row(x, out):
    n = x.shape[0]
    if n == 0:
        return
    m = _row_max(x)
    # NaN, +inf or an all -inf row: all NaN (a NaN with its sign bit set is
    # below every key and poisons the sum instead).
    if not (abs(m) < np.inf):
        for i in range(n):
            out[i] = np.nan
        return
    log_s = math.log1p(_sum_exp_others(x, m, out))
    m64 = np.float64(m)
    for i in range(n):
        out[i] = _log_shifted(np.float64(x[i]), m64, log_s)


@njit(cache=True)
def exp_of(v):
    # exp in v's precision (a device function on the GPU: cuda/rowwise.py)
    return exp(v)


@njit(cache=True)
def log_softmax_backward_row(dy, y, out):
    # Vector-Jacobian product from the output y = log_softmax(x):
    # dx = dy - exp(y) * sum(dy) (PyTorch's _log_softmax_backward_data).
    s = _sum64(dy)
    for i in range(y.shape[0]):
        out[i] = np.float64(dy[i]) - np.float64(exp_of(y[i])) * s


@njit(cache=True)
def scratch_row(x):
    """A scratch row for the reductions' row driver (x: 2-D rows)."""
    return np.empty(x.shape[1], x.dtype)


@njit(cache=True)
def logsumexp_row(x, out):
    # gufunc layout (n)->(): out is a one-element array.
    logsumexp_row_scratch(x, out, np.empty(x.shape[0], x.dtype))


@njit(cache=True)
def logsumexp_row_scratch(x, out, buf):
    # buf: scratch of x's dtype and at least len(x) elements (the row driver
    # passes one for all rows).
    n = x.shape[0]
    if n == 0:
        out[0] = -np.inf
        return
    m = _row_max(x)
    if m == np.inf:
        # +inf present: +inf, unless a NaN is (a negative NaN orders below
        # every key, so it can hide behind an infinite maximum).
        r = np.inf
        for i in range(n):
            if x[i] != x[i]:
                r = np.nan
        out[0] = r
        return
    if m == -np.inf:
        out[0] = -np.inf
        return
    out[0] = np.float64(m) + math.log1p(_sum_exp_others(x, m, buf))


# Reductions whose row driver passes one scratch row for all rows.
SCRATCH_KERNELS = {"logsumexp": logsumexp_row_scratch}
