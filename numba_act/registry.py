"""The activation registry: one record per elementwise activation.

A record names the scalar kernels (forward, derivative, and optionally a
fused backward), the formulas and kink convention that the docstrings are
built from, a doctest example, and the high-precision reference that the
tests and the accuracy sweep compare against.  The CPU (and later CUDA)
builders, the public API, the tests and the benchmarks all loop over
`ACTIVATIONS`, so adding an activation is one record here plus its kernels in
`scalar.py`.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from . import scalar


@dataclass(frozen=True)
class Activation:
    name: str
    summary: str
    forward: Callable  # numba-jitted float64 -> float64
    grad: Callable  # numba-jitted float64 -> float64, derivative at x
    formula: str  # forward, as a math expression
    grad_formula: str  # derivative, as a math expression
    kink: str  # convention at points where the derivative is not defined
    example: str  # doctest body, run by the test suite
    # High-precision references, called as ref(mp, x) with the mpmath module
    # (mpmath is a test dependency, not a runtime one) and x an mpf.
    ref: Callable
    ref_grad: Callable
    # float64 scalar references of the forward and the derivative, written
    # with libm (`math`), independent of numba_act's own exp; compiled into
    # ufuncs by `numba_act.testing.ref64` for the float32 tests and the
    # exhaustive float32 sweep (~1e-16 relative: exact at float32 scale).
    ref64: Callable
    ref64_grad: Callable
    # Fused dy * f'(x); None means the builder derives it from `grad`.
    backward: Callable | None = None
    # Inputs where tests sample densely (the interesting region).
    core: tuple = (-20.0, 20.0)


ACTIVATIONS = (
    Activation(
        name="sigmoid",
        summary="Logistic sigmoid.",
        forward=scalar.sigmoid,
        grad=scalar.sigmoid_grad,
        backward=scalar.sigmoid_backward,
        formula="sigmoid(x) = 1 / (1 + exp(-x))",
        grad_formula="sigmoid'(x) = sigmoid(x) * sigmoid(-x) = exp(-|x|) / (1 + exp(-|x|))**2",
        kink="smooth everywhere; sigmoid(-inf) = 0, sigmoid(inf) = 1, sigmoid'(+-inf) = 0",
        example=(
            ">>> na.sigmoid(np.array([-1.0, 0.0, 2.0]))\n"
            "array([0.26894142, 0.5       , 0.88079708])\n"
            ">>> float(na.sigmoid_grad(np.float32(30.0)))  # no cancellation in the tail\n"
            "9.357622912219837e-14\n"
        ),
        ref=lambda mp, x: 1 / (1 + mp.exp(-x)),
        ref_grad=lambda mp, x: mp.exp(-abs(x)) / (1 + mp.exp(-abs(x))) ** 2,
        ref64=lambda x: 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x)),
        ref64_grad=lambda x: math.exp(-abs(x)) / (1 + math.exp(-abs(x))) ** 2,
        core=(-40.0, 40.0),
    ),
    Activation(
        name="tanh",
        summary="Hyperbolic tangent.",
        forward=scalar.tanh,
        grad=scalar.tanh_grad,
        backward=scalar.tanh_backward,
        formula="tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))",
        grad_formula="tanh'(x) = sech(x)**2 = 4 exp(-2|x|) / (1 + exp(-2|x|))**2",
        kink="smooth everywhere; tanh(+-inf) = +-1, tanh'(+-inf) = 0, tanh(-0.0) = -0.0",
        example=(
            ">>> na.tanh(np.array([-1.0, 0.0, 2.0]))\n"
            "array([-0.76159416,  0.        ,  0.96402758])\n"
            ">>> na.tanh_grad(np.float32(15.0))  # 1 - tanh**2 would give 0 here\n"
            "np.float32(3.7430492e-13)\n"
        ),
        ref=lambda mp, x: mp.tanh(x),
        ref_grad=lambda mp, x: mp.sech(x) ** 2,
        ref64=lambda x: math.tanh(x),
        ref64_grad=lambda x: 1 / math.cosh(x) ** 2,
        core=(-20.0, 20.0),
    ),
    Activation(
        name="relu",
        summary="Rectified linear unit.",
        forward=scalar.relu,
        grad=scalar.relu_grad,
        backward=scalar.relu_backward,
        formula="relu(x) = max(x, 0)",
        grad_formula="relu'(x) = 1 if x > 0 else 0",
        kink="relu'(0) = 0 (as in PyTorch and JAX); relu(-0.0) = +0.0; NaN passes through",
        example=(
            ">>> na.relu(np.array([-1.0, 0.0, 2.0]))\n"
            "array([0., 0., 2.])\n"
            ">>> na.relu_grad(np.array([-1.0, 0.0, 2.0]))\n"
            "array([0., 0., 1.])\n"
        ),
        ref=lambda mp, x: x if x > 0 else mp.mpf(0),
        ref_grad=lambda mp, x: mp.mpf(1) if x > 0 else mp.mpf(0),
        ref64=lambda x: x if x > 0 or x != x else 0.0,
        ref64_grad=lambda x: 1.0 if x > 0 else (x if x != x else 0.0),
        core=(-10.0, 10.0),
    ),
)

BY_NAME = {a.name: a for a in ACTIVATIONS}
