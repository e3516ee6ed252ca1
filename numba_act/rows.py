"""Row kernels of the softmax family: plain loops over one row (math only).

Each takes 1-D input rows and writes a 1-D output row, in the layout of a
NumPy gufunc; `cpu.py` compiles them with `guvectorize`.  Sums are
accumulated in float64 for every input dtype (a float32 running sum loses
about 7e-4 at 32768 columns), and the exponentials use the vectorizable
`_math.exp`.

Special rows follow `scipy.special.softmax`: a row containing NaN or +inf is
all NaN, a row that is all -inf is all NaN, -inf entries of an otherwise
finite row are 0, and an empty row gives an empty result.
"""

import numpy as np
from numba import njit

from ._math import exp


@njit(cache=True)
def _row_max(x):
    # NaN entries are skipped here; they poison the sum below instead.
    m = -np.inf
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        if v > m:
            m = v
    return m


@njit(cache=True)
def softmax_row(x, out):
    n = x.shape[0]
    if n == 0:
        return
    m = _row_max(x)
    s = 0.0
    for i in range(n):
        e = exp(np.float64(x[i]) - m)
        out[i] = e
        s += e
    inv = 1.0 / s
    for i in range(n):
        out[i] = np.float64(out[i]) * inv


@njit(cache=True)
def softmax_backward_row(dy, p, out):
    # Vector-Jacobian product from the output p: p * (dy - sum(dy * p)).
    s = 0.0
    for i in range(p.shape[0]):
        s += np.float64(dy[i]) * np.float64(p[i])
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
        e[i] = exp(np.float64(x[i]) - m)
        prefix[i + 1] = prefix[i] + e[i]
    total = prefix[n]
    inv = 1.0 / total
    suffix = 0.0
    for i in range(n - 1, -1, -1):
        si = e[i] * inv
        others = prefix[i] + suffix
        for j in range(n):
            out[i, j] = -si * (e[j] * inv)
        out[i, i] = si * (others * inv)
        suffix += e[i]
