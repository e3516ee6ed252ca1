"""Scalar kernels of the elementwise activations: math only.

Each function takes float64 arguments and returns float64.  The target
builders (`cpu.py`) compile them into ufunc loops; float32 loops widen the
input to float64, call the same kernel and round once, which keeps float32
results within about 0.5 ulp.

Derivatives are computed from x, never from the forward output, so they do
not cancel in the tails: sigma'(x) = e / (1 + e)**2 with e = exp(-|x|) instead
of y * (1 - y), which is 0 once y rounds to 1.
"""

import math

from numba import njit

from ._math import exp, expm1


@njit(cache=True)
def sigmoid(x):
    e = exp(-abs(x))
    r = 1.0 / (1.0 + e)
    return r if x >= 0.0 else e * r


@njit(cache=True)
def sigmoid_grad(x):
    e = exp(-abs(x))
    d = 1.0 + e
    return e / (d * d)


@njit(cache=True)
def tanh(x):
    a = abs(x)
    # tanh(20) rounds to 1 in float64; the clamp keeps expm1 finite.
    if a > 20.0:
        a = 20.0
    t = expm1(2.0 * a)
    return math.copysign(t / (t + 2.0), x)


@njit(cache=True)
def tanh_grad(x):
    e = exp(-2.0 * abs(x))
    d = 1.0 + e
    return 4.0 * e / (d * d)


@njit(cache=True)
def relu(x):
    # NaN fails both comparisons and passes through; -0.0 gives +0.0.
    return 0.0 if x <= 0.0 else x


@njit(cache=True)
def relu_grad(x):
    if x > 0.0:
        return 1.0
    return 0.0 if x <= 0.0 else x


@njit(cache=True)
def relu_backward(dy, x):
    # A select, not dy * relu_grad(x): the gradient is exactly 0 for x <= 0
    # even where dy is inf or NaN, as in PyTorch's threshold_backward.
    if x > 0.0:
        return dy
    return 0.0 if x <= 0.0 else x
