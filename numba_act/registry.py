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

import numpy as np
from numba import njit

from . import scalar

REQUIRED = None  # a Param default: the caller must give a value (as in PyTorch)


@dataclass(frozen=True)
class Param:
    """A scalar parameter of an activation, an extra input of its ufuncs
    (after x), so it broadcasts; `default` is PyTorch's (or REQUIRED)."""

    name: str
    default: float | None
    doc: str
    # The value the generic tests use when there is no default.
    sample: float | None = None

    @property
    def test_value(self):
        return self.default if self.default is not REQUIRED else self.sample


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
    # Scalar parameters: every kernel and reference takes them after x (and
    # after dy, x for the backward), in this order.
    params: tuple = ()
    # More parameter tuples the tests check besides the defaults.
    param_cases: tuple = ()
    # check(*params) raises ValueError for parameter values that make no
    # sense (scalar parameters only); None: no constraint.
    check: Callable | None = None
    # Keyword options that select a registry entry: (keyword, value, name)
    # triples, e.g. gelu's ("approximate", "tanh", "gelu_tanh").
    variants: tuple = ()
    # For derivatives that cross zero inside the domain (silu', gelu', ...):
    # scale(x, *params), the float64 magnitude of the terms that cancel there
    # (numpy, vectorized).  Near such zeros the error is bounded in ulps of
    # this scale, not of the tiny result; the tests measure it that way.
    grad_scale: Callable | None = None
    # Looser error targets than the library's (forward 2, derivatives 4 ulp),
    # as (kind, dtype name, ulp) triples, each with its reason in `kink`.
    ulp_targets: tuple = ()

    def test_params(self):
        """The parameter values the generic tests use (defaults, or samples)."""
        return tuple(p.test_value for p in self.params)


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


# ------------------------------------------------------------------ the catalogue
def _hardtanh_check(name, min_val, max_val):
    if min_val > max_val:
        raise ValueError(f"{name}: min_val ({min_val}) cannot be greater than max_val ({max_val})")


def _nonneg_lambd(name, lambd):
    if lambd < 0:
        raise ValueError(f"{name}: lambd must be >= 0, got {lambd}")


def _nonzero(what):
    def check(name, value, *rest):
        if value == 0:
            raise ValueError(f"{name}: {what} must be nonzero")

    return check


def _mp_ncdf(mp, x):
    """Phi(x); mpmath's erfc fails for huge arguments, where Phi is 1, or its
    asymptotic series (to many more digits than needed) in the left tail."""
    if x > 1e6:
        return mp.mpf(1)
    if x < -1e6:
        u = 1 / x**2
        return mp.exp(-(x**2) / 2) / (-x * mp.sqrt(2 * mp.pi)) * (1 - u + 3 * u**2 - 15 * u**3)
    return mp.erfc(-x / mp.sqrt(2)) / 2


def _mp_sigmoid(mp, z):
    return 1 / (1 + mp.exp(-z))


@njit
def _sig64(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


@njit
def _nan_or(x, v):
    return x if x != x else v


def _np_sig(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def _np_erfc(z):
    from scipy.special import erfc  # tests only (scipy is a test dependency)

    return erfc(z)


def _np_gt_z(x):
    with np.errstate(over="ignore", invalid="ignore"):
        return 2 * _GT_C * (x + _GT_K * x**3)


_SELU_SCALE = float(scalar.SELU_SCALE)
_SELU_ALPHA = float(scalar.SELU_ALPHA)
_GT_C = 0.7978845608028654  # sqrt(2/pi)
_GT_K = 0.044715
_SQRT2 = 1.4142135623730951
_INV_SQRT_2PI = 0.3989422804014327


def _gt_z_mp(mp, x):
    return 2 * mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)


def _gt_grad_mp(mp, x):
    z = _gt_z_mp(mp, x)
    s = _mp_sigmoid(mp, z)
    dz = 2 * mp.sqrt(2 / mp.pi) * (1 + 3 * mp.mpf("0.044715") * x**2)
    return s + x * s * (1 - s) * dz if z < 0 else s + x * s * _mp_sigmoid(mp, -z) * dz


@njit
def _tanhshrink64(x):
    a = abs(x)
    if a < 0.01:
        x2 = x * x
        return x * x2 * (1 / 3 - x2 * (2 / 15 - x2 * (17 / 315 - x2 * 62 / 2835)))
    return x - math.tanh(x)


_MORE = (
    Activation(
        name="identity",
        summary="Identity (linear activation).",
        forward=scalar.identity,
        grad=scalar.identity_grad,
        backward=scalar.identity_backward,
        formula="identity(x) = x",
        grad_formula="identity'(x) = 1",
        kink="linear everywhere; NaN gives NaN for the function and its derivative",
        example=">>> na.identity(np.array([-1.5, 0.0, 2.0]))\narray([-1.5,  0. ,  2. ])\n",
        ref=lambda mp, x: x,
        ref_grad=lambda mp, x: mp.mpf(1),
        ref64=lambda x: x,
        ref64_grad=lambda x: _nan_or(x, 1.0),
        core=(-10.0, 10.0),
    ),
    Activation(
        name="binary_step",
        summary="Binary (Heaviside) step.",
        forward=scalar.binary_step,
        grad=scalar.binary_step_grad,
        backward=scalar.binary_step_backward,
        formula="binary_step(x) = 1 if x >= 0 else 0",
        grad_formula="binary_step'(x) = 0",
        kink="binary_step(0) = binary_step(-0.0) = 1 (np.heaviside(x, 1)); the derivative is taken as 0 at the jump",
        example=">>> na.binary_step(np.array([-1.0, 0.0, 2.0]))\narray([0., 1., 1.])\n",
        ref=lambda mp, x: mp.mpf(1) if x >= 0 else mp.mpf(0),
        ref_grad=lambda mp, x: mp.mpf(0),
        ref64=lambda x: _nan_or(x, 1.0 if x >= 0 else 0.0),
        ref64_grad=lambda x: _nan_or(x, 0.0),
        core=(-10.0, 10.0),
    ),
    Activation(
        name="relu6",
        summary="ReLU capped at 6: hardtanh(x, 0, 6).",
        forward=scalar.relu6,
        grad=scalar.relu6_grad,
        backward=scalar.relu6_backward,
        formula="relu6(x) = min(max(x, 0), 6)",
        grad_formula="relu6'(x) = 1 if 0 < x < 6 else 0",
        kink="relu6'(0) = relu6'(6) = 0 and relu6(-0.0) = -0.0, as in PyTorch",
        example=">>> na.relu6(np.array([-1.0, 3.0, 8.0]))\narray([0., 3., 6.])\n",
        ref=lambda mp, x: min(max(x, mp.mpf(0)), mp.mpf(6)),
        ref_grad=lambda mp, x: mp.mpf(1) if 0 < x < 6 else mp.mpf(0),
        ref64=lambda x: _nan_or(x, min(max(x, 0.0), 6.0)),
        ref64_grad=lambda x: _nan_or(x, 1.0 if 0 < x < 6 else 0.0),
        core=(-10.0, 10.0),
    ),
    Activation(
        name="hardtanh",
        summary="Hard tanh: x clipped to [min_val, max_val].",
        forward=scalar.hardtanh,
        grad=scalar.hardtanh_grad,
        backward=scalar.hardtanh_backward,
        formula="hardtanh(x) = min(max(x, min_val), max_val)",
        grad_formula="hardtanh'(x) = 1 if min_val < x < max_val else 0",
        kink="the derivative is 0 at x = min_val and x = max_val, as in PyTorch",
        example=">>> na.hardtanh(np.array([-3.0, 0.5, 3.0]))\narray([-1. ,  0.5,  1. ])\n",
        ref=lambda mp, x, lo, hi: min(max(x, mp.mpf(lo)), mp.mpf(hi)),
        ref_grad=lambda mp, x, lo, hi: mp.mpf(1) if lo < x < hi else mp.mpf(0),
        ref64=lambda x, lo, hi: _nan_or(x, min(max(x, lo), hi)),
        ref64_grad=lambda x, lo, hi: _nan_or(x, 1.0 if lo < x < hi else 0.0),
        core=(-5.0, 5.0),
        params=(Param("min_val", -1.0, "lower bound"), Param("max_val", 1.0, "upper bound")),
        param_cases=((-2.0, 3.0), (0.0, 6.0)),
        check=_hardtanh_check,
    ),
    Activation(
        name="leaky_relu",
        summary="Leaky ReLU.",
        forward=scalar.leaky_relu,
        grad=scalar.leaky_relu_grad,
        backward=scalar.leaky_relu_backward,
        formula="leaky_relu(x) = x if x > 0 else negative_slope * x",
        grad_formula="leaky_relu'(x) = 1 if x > 0 else negative_slope",
        kink="leaky_relu'(0) = negative_slope, as in PyTorch",
        example=(
            ">>> na.leaky_relu(np.array([-2.0, 0.0, 3.0]))\narray([-0.02,  0.  ,  3.  ])\n"
            ">>> na.leaky_relu(np.array([-2.0, 3.0]), negative_slope=0.2)\narray([-0.4,  3. ])\n"
        ),
        ref=lambda mp, x, a: x if x > 0 else mp.mpf(a) * x,
        ref_grad=lambda mp, x, a: mp.mpf(1) if x > 0 else mp.mpf(a),
        ref64=lambda x, a: x if x > 0 else a * x,
        ref64_grad=lambda x, a: _nan_or(x, 1.0 if x > 0 else a),
        core=(-10.0, 10.0),
        params=(Param("negative_slope", 0.01, "slope for x <= 0"),),
        param_cases=((0.2,), (-0.5,)),
    ),
    Activation(
        name="hardsigmoid",
        summary="Hard sigmoid: relu6(x + 3) / 6.",
        forward=scalar.hardsigmoid,
        grad=scalar.hardsigmoid_grad,
        backward=scalar.hardsigmoid_backward,
        formula="hardsigmoid(x) = 0 if x <= -3, 1 if x >= 3, else (x + 3) / 6",
        grad_formula="hardsigmoid'(x) = 1/6 if -3 < x < 3 else 0",
        kink="the derivative is 0 at x = -3 and x = 3, as in PyTorch",
        example=">>> na.hardsigmoid(np.array([-4.0, 0.0, 1.5]))\narray([0.  , 0.5 , 0.75])\n",
        ref=lambda mp, x: mp.mpf(0) if x <= -3 else (mp.mpf(1) if x >= 3 else (x + 3) / 6),
        ref_grad=lambda mp, x: mp.mpf(1) / 6 if -3 < x < 3 else mp.mpf(0),
        ref64=lambda x: _nan_or(x, 0.0 if x <= -3 else (1.0 if x >= 3 else (x + 3) / 6)),
        ref64_grad=lambda x: _nan_or(x, 1 / 6 if -3 < x < 3 else 0.0),
        core=(-5.0, 5.0),
    ),
    Activation(
        name="hardswish",
        summary="Hard swish: x * relu6(x + 3) / 6.",
        forward=scalar.hardswish,
        grad=scalar.hardswish_grad,
        backward=scalar.hardswish_backward,
        formula="hardswish(x) = 0 if x <= -3, x if x >= 3, else x (x + 3) / 6",
        grad_formula="hardswish'(x) = 0 if x <= -3, 1 if x >= 3, else (2x + 3) / 6",
        kink="hardswish'(-3) = 0 and hardswish'(3) = 1, as in PyTorch",
        example=">>> na.hardswish(np.array([-4.0, -1.5, 1.5, 4.0]))\narray([ 0.   , -0.375,  1.125,  4.   ])\n",
        ref=lambda mp, x: mp.mpf(0) if x <= -3 else (x if x >= 3 else x * (x + 3) / 6),
        ref_grad=lambda mp, x: mp.mpf(0) if x <= -3 else (mp.mpf(1) if x >= 3 else (2 * x + 3) / 6),
        ref64=lambda x: _nan_or(x, 0.0 if x <= -3 else (x if x >= 3 else x * (x + 3) / 6)),
        ref64_grad=lambda x: _nan_or(x, 0.0 if x <= -3 else (1.0 if x >= 3 else (2 * x + 3) / 6)),
        core=(-5.0, 5.0),
    ),
    Activation(
        name="softsign",
        summary="Softsign.",
        forward=scalar.softsign,
        grad=scalar.softsign_grad,
        backward=scalar.softsign_backward,
        formula="softsign(x) = x / (1 + |x|)",
        grad_formula="softsign'(x) = 1 / (1 + |x|)**2",
        kink="smooth except for a kink of the derivative at 0; softsign(+-inf) = +-1, softsign'(+-inf) = 0",
        example=">>> na.softsign(np.array([-3.0, 0.0, 1.0]))\narray([-0.75,  0.  ,  0.5 ])\n",
        ref=lambda mp, x: x / (1 + abs(x)),
        ref_grad=lambda mp, x: 1 / (1 + abs(x)) ** 2,
        ref64=lambda x: _nan_or(x, x / (1 + abs(x)) if abs(x) < 1e300 else math.copysign(1.0, x)),
        ref64_grad=lambda x: 1 / (1 + abs(x)) ** 2 if abs(x) < 1e150 else (1 / abs(x)) ** 2,
        core=(-20.0, 20.0),
    ),
    Activation(
        name="softshrink",
        summary="Soft shrinkage.",
        forward=scalar.softshrink,
        grad=scalar.softshrink_grad,
        backward=scalar.softshrink_backward,
        formula="softshrink(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0",
        grad_formula="softshrink'(x) = 1 if |x| > lambd else 0",
        kink="the derivative is 0 at x = +-lambd, as in PyTorch",
        example=">>> na.softshrink(np.array([-2.0, 0.25, 1.0]))\narray([-1.5,  0. ,  0.5])\n",
        ref=lambda mp, x, lam: x - lam if x > lam else (x + lam if x < -lam else mp.mpf(0)),
        ref_grad=lambda mp, x, lam: mp.mpf(1) if abs(x) > lam else mp.mpf(0),
        ref64=lambda x, lam: _nan_or(x, x - lam if x > lam else (x + lam if x < -lam else 0.0)),
        ref64_grad=lambda x, lam: _nan_or(x, 1.0 if abs(x) > lam else 0.0),
        core=(-5.0, 5.0),
        params=(Param("lambd", 0.5, "half-width of the zero band (>= 0)"),),
        param_cases=((1.0,), (0.0,)),
        check=_nonneg_lambd,
    ),
    Activation(
        name="hardshrink",
        summary="Hard shrinkage.",
        forward=scalar.hardshrink,
        grad=scalar.softshrink_grad,
        backward=scalar.softshrink_backward,
        formula="hardshrink(x) = x if |x| > lambd else 0",
        grad_formula="hardshrink'(x) = 1 if |x| > lambd else 0",
        kink="the derivative is 0 at x = +-lambd, as in PyTorch",
        example=">>> na.hardshrink(np.array([-2.0, 0.25, 1.0]))\narray([-2.,  0.,  1.])\n",
        ref=lambda mp, x, lam: x if abs(x) > lam else mp.mpf(0),
        ref_grad=lambda mp, x, lam: mp.mpf(1) if abs(x) > lam else mp.mpf(0),
        ref64=lambda x, lam: _nan_or(x, x if abs(x) > lam else 0.0),
        ref64_grad=lambda x, lam: _nan_or(x, 1.0 if abs(x) > lam else 0.0),
        core=(-5.0, 5.0),
        params=(Param("lambd", 0.5, "half-width of the zero band (>= 0)"),),
        param_cases=((1.0,), (0.0,)),
        check=_nonneg_lambd,
    ),
    Activation(
        name="threshold",
        summary="Threshold: x where x > threshold, else value.",
        forward=scalar.threshold,
        grad=scalar.threshold_grad,
        backward=scalar.threshold_backward,
        formula="threshold(x) = x if x > threshold else value",
        grad_formula="threshold'(x) = 1 if x > threshold else 0",
        kink="the derivative is 0 at x = threshold; both parameters are required, as in PyTorch",
        example=">>> na.threshold(np.array([-1.0, 0.5, 2.0]), 0.5, -9.0)\narray([-9., -9.,  2.])\n",
        ref=lambda mp, x, th, v: x if x > th else mp.mpf(v),
        ref_grad=lambda mp, x, th, v: mp.mpf(1) if x > th else mp.mpf(0),
        ref64=lambda x, th, v: _nan_or(x, x if x > th else v),
        ref64_grad=lambda x, th, v: _nan_or(x, 1.0 if x > th else 0.0),
        core=(-5.0, 5.0),
        params=(
            Param("threshold", REQUIRED, "inputs at or below it are replaced", sample=0.5),
            Param("value", REQUIRED, "the replacement", sample=-1.0),
        ),
        param_cases=((-1.0, 2.0),),
    ),
    Activation(
        name="elu",
        summary="Exponential linear unit.",
        forward=scalar.elu,
        grad=scalar.elu_grad,
        backward=scalar.elu_backward,
        formula="elu(x) = x if x > 0 else alpha * (exp(x) - 1)",
        grad_formula="elu'(x) = 1 if x > 0 else alpha * exp(x)",
        kink="elu'(0) = alpha (the x <= 0 branch, as in PyTorch)",
        example=">>> na.elu(np.array([-1.0, 0.0, 2.0]))\narray([-0.63212056,  0.        ,  2.        ])\n",
        ref=lambda mp, x, a: x if x > 0 else mp.mpf(a) * mp.expm1(x),
        ref_grad=lambda mp, x, a: mp.mpf(1) if x > 0 else mp.mpf(a) * mp.exp(x),
        ref64=lambda x, a: x if x > 0 else a * math.expm1(x),
        ref64_grad=lambda x, a: _nan_or(x, 1.0 if x > 0 else a * math.exp(x)),
        core=(-30.0, 10.0),
        params=(Param("alpha", 1.0, "the negative saturation value is -alpha"),),
        param_cases=((0.5,), (2.0,)),
    ),
    Activation(
        name="selu",
        summary="Scaled exponential linear unit (the self-normalizing constants).",
        forward=scalar.selu,
        grad=scalar.selu_grad,
        backward=scalar.selu_backward,
        formula=(
            "selu(x) = scale * (x if x > 0 else alpha * (exp(x) - 1)), "
            f"scale = {scalar.SELU_SCALE}, alpha = {scalar.SELU_ALPHA}"
        ),
        grad_formula="selu'(x) = scale if x > 0 else scale * alpha * exp(x)",
        kink="selu'(0) = scale * alpha (the x <= 0 branch, as in PyTorch)",
        example=">>> na.selu(np.array([-1.0, 0.0, 2.0]))\narray([-1.11133074,  0.        ,  2.10140197])\n",
        ref=lambda mp, x: mp.mpf(scalar.SELU_SCALE) * (x if x > 0 else mp.mpf(scalar.SELU_ALPHA) * mp.expm1(x)),
        ref_grad=lambda mp, x: mp.mpf(scalar.SELU_SCALE) * (1 if x > 0 else mp.mpf(scalar.SELU_ALPHA) * mp.exp(x)),
        ref64=lambda x: _SELU_SCALE * x if x > 0 else _SELU_SCALE * _SELU_ALPHA * math.expm1(x),
        ref64_grad=lambda x: _nan_or(x, _SELU_SCALE if x > 0 else _SELU_SCALE * _SELU_ALPHA * math.exp(x)),
        core=(-30.0, 10.0),
    ),
    Activation(
        name="celu",
        summary="Continuously differentiable exponential linear unit.",
        forward=scalar.celu,
        grad=scalar.celu_grad,
        backward=scalar.celu_backward,
        formula="celu(x) = x if x > 0 else alpha * (exp(x / alpha) - 1)",
        grad_formula="celu'(x) = 1 if x > 0 else exp(x / alpha)",
        kink="celu'(0) = 1 for every alpha",
        example=">>> na.celu(np.array([-1.0, 0.0, 2.0]), alpha=2.0)\narray([-0.78693868,  0.        ,  2.        ])\n",
        ref=lambda mp, x, a: x if x > 0 else mp.mpf(a) * mp.expm1(x / a),
        ref_grad=lambda mp, x, a: mp.mpf(1) if x > 0 else mp.exp(x / a),
        ref64=lambda x, a: x if x > 0 else a * math.expm1(x / a),
        ref64_grad=lambda x, a: _nan_or(x, 1.0 if x > 0 else math.exp(x / a)),
        core=(-30.0, 10.0),
        params=(Param("alpha", 1.0, "nonzero; the negative saturation value is -alpha"),),
        param_cases=((0.5,), (2.5,)),
        check=_nonzero("alpha"),
    ),
    Activation(
        name="silu",
        summary="Sigmoid-weighted linear unit (swish): x * sigmoid(x).",
        forward=scalar.silu,
        grad=scalar.silu_grad,
        backward=scalar.silu_backward,
        formula="silu(x) = x * sigmoid(x) = x / (1 + exp(-x))",
        grad_formula="silu'(x) = sigmoid(x) * (1 + x * sigmoid(-x))",
        kink=(
            "smooth everywhere; silu(-inf) = -0.0, silu'(+inf) = 1, silu'(-inf) = 0; near the zero of "
            "silu' at x = -1.2785 the error is a few ulp of sigmoid(x) (the terms cancel)"
        ),
        example=">>> na.silu(np.array([-1.0, 0.0, 2.0]))\narray([-0.26894142,  0.        ,  1.76159416])\n",
        ref=lambda mp, x: x * _mp_sigmoid(mp, x),
        ref_grad=lambda mp, x: _mp_sigmoid(mp, x) * (1 + x * _mp_sigmoid(mp, -x)),
        ref64=lambda x: x * _sig64(x),
        ref64_grad=lambda x: _sig64(x) * (1 + x * _sig64(-x)),
        core=(-40.0, 40.0),
        grad_scale=lambda x: _np_sig(x) * np.maximum(1.0, np.abs(x) * _np_sig(-x)),
    ),
    Activation(
        name="softplus",
        summary="Softplus, with PyTorch's beta and linear threshold.",
        forward=scalar.softplus,
        grad=scalar.softplus_grad,
        backward=scalar.softplus_backward,
        formula="softplus(x) = log(1 + exp(beta * x)) / beta, or x where beta * x > threshold",
        grad_formula="softplus'(x) = sigmoid(beta * x), or 1 where beta * x > threshold",
        kink=(
            "the switch to x above the threshold is PyTorch's definition (a jump of about "
            "exp(-threshold) / beta); below it the log(1 + exp) branch is evaluated without overflow"
        ),
        example=(
            ">>> na.softplus(np.array([-20.0, 0.0, 2.0]))\narray([2.06115362e-09, 6.93147181e-01, 2.12692801e+00])\n"
        ),
        ref=lambda mp, x, b, th: x if b * x > th else mp.log1p(mp.exp(b * x)) / b,
        ref_grad=lambda mp, x, b, th: mp.mpf(1) if b * x > th else _mp_sigmoid(mp, b * x),
        ref64=lambda x, b, th: x if b * x > th else (max(b * x, 0.0) + math.log1p(math.exp(-abs(b * x)))) / b,
        ref64_grad=lambda x, b, th: _nan_or(x, 1.0 if b * x > th else _sig64(b * x)),
        core=(-40.0, 40.0),
        params=(
            Param("beta", 1.0, "sharpness (nonzero)"),
            Param("threshold", 20.0, "beta * x above it gives x"),
        ),
        param_cases=((2.0, 10.0), (0.5, 20.0)),
        check=_nonzero("beta"),
    ),
    Activation(
        name="log_sigmoid",
        summary="Log of the logistic sigmoid, computed without log(0).",
        forward=scalar.log_sigmoid,
        grad=scalar.log_sigmoid_grad,
        backward=scalar.log_sigmoid_backward,
        formula="log_sigmoid(x) = log(1 / (1 + exp(-x))) = min(x, 0) - log1p(exp(-|x|))",
        grad_formula="log_sigmoid'(x) = sigmoid(-x)",
        kink="smooth everywhere; log_sigmoid(-inf) = -inf, log_sigmoid(inf) = 0",
        example=(
            ">>> na.log_sigmoid(np.array([-1000.0, 0.0, 40.0]))  # never log(0)\n"
            "array([-1.00000000e+03, -6.93147181e-01, -4.24835426e-18])\n"
        ),
        ref=lambda mp, x: -mp.log1p(mp.exp(-x)),
        ref_grad=lambda mp, x: _mp_sigmoid(mp, -x),
        ref64=lambda x: min(x, 0.0) - math.log1p(math.exp(-abs(x))),
        ref64_grad=lambda x: _sig64(-x),
        core=(-40.0, 40.0),
    ),
    Activation(
        name="mish",
        summary="Mish: x * tanh(softplus(x)).",
        forward=scalar.mish,
        grad=scalar.mish_grad,
        backward=scalar.mish_backward,
        formula="mish(x) = x * tanh(log(1 + exp(x)))",
        grad_formula="mish'(x) = tanh(softplus(x)) + x * sigmoid(x) * (1 - tanh(softplus(x))**2)",
        kink=(
            "smooth everywhere; mish(-inf) = -0.0, mish'(+inf) = 1, mish'(-inf) = 0; near the zero of "
            "mish' at x = -1.1924 the error is a few ulp of tanh(softplus(x)) (the terms cancel)"
        ),
        example=">>> na.mish(np.array([-1.0, 0.0, 2.0]))\narray([-0.30340146,  0.        ,  1.94395896])\n",
        ref=lambda mp, x: x * mp.tanh(mp.log1p(mp.exp(x))),
        ref_grad=lambda mp, x: (
            mp.tanh(mp.log1p(mp.exp(x))) + x * _mp_sigmoid(mp, x) * mp.sech(mp.log1p(mp.exp(x))) ** 2
        ),
        ref64=lambda x: x * math.tanh(math.log1p(math.exp(x))) if x < 700 else x,
        ref64_grad=lambda x: (
            math.tanh(math.log1p(math.exp(x))) + x * _sig64(x) / math.cosh(math.log1p(math.exp(x))) ** 2
            if x < 700
            else _nan_or(x, 1.0)
        ),
        core=(-40.0, 40.0),
        grad_scale=lambda x: np.maximum(
            np.tanh(np.logaddexp(0.0, x)), np.abs(x) * _np_sig(x) / np.cosh(np.logaddexp(0.0, x)) ** 2
        ),
    ),
    Activation(
        name="gelu_tanh",
        summary="GELU with PyTorch's tanh approximation (gelu(x, approximate='tanh')).",
        forward=scalar.gelu_tanh,
        grad=scalar.gelu_tanh_grad,
        backward=scalar.gelu_tanh_backward,
        formula="gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))) = x sigmoid(z)",
        grad_formula="gelu_tanh'(x) = sigmoid(z) (1 + x sigmoid(-z) z'), z = 2 sqrt(2/pi) (x + 0.044715 x**3)",
        kink=(
            "smooth everywhere; gelu_tanh(-inf) = -0.0; near the zero of the derivative at x = -0.7522 "
            "the error is a few ulp of sigmoid(z) (the terms cancel)"
        ),
        example=">>> na.gelu_tanh(np.array([-1.0, 0.0, 2.0]))\narray([-0.15880801,  0.        ,  1.95459769])\n",
        ref=lambda mp, x: x * _mp_sigmoid(mp, _gt_z_mp(mp, x)),
        ref_grad=_gt_grad_mp,
        ref64=lambda x: x * _sig64(2 * _GT_C * (x + _GT_K * x * x * x)),
        ref64_grad=lambda x: (
            _sig64(2 * _GT_C * (x + _GT_K * x**3))
            * (1 + x * _sig64(-2 * _GT_C * (x + _GT_K * x**3)) * 2 * _GT_C * (1 + 3 * _GT_K * x * x))
            if abs(x) < 1e100
            else _nan_or(x, 1.0 if x > 0 else 0.0)
        ),
        core=(-12.0, 12.0),
        grad_scale=lambda x: (
            _np_sig(_np_gt_z(x))
            * np.maximum(1.0, np.abs(x) * _np_sig(-_np_gt_z(x)) * 2 * _GT_C * (1 + 3 * _GT_K * x * x))
        ),
    ),
    Activation(
        name="gaussian",
        summary="Gaussian bump exp(-x**2).",
        forward=scalar.gaussian,
        grad=scalar.gaussian_grad,
        backward=scalar.gaussian_backward,
        formula="gaussian(x) = exp(-x**2)",
        grad_formula="gaussian'(x) = -2 x exp(-x**2)",
        kink="smooth everywhere; x**2 is taken exactly, so the tails keep full relative accuracy",
        example=">>> na.gaussian(np.array([-1.0, 0.0, 2.0]))\narray([0.36787944, 1.        , 0.01831564])\n",
        ref=lambda mp, x: mp.exp(-(x**2)),
        ref_grad=lambda mp, x: -2 * x * mp.exp(-(x**2)),
        ref64=lambda x: math.exp(-x * x),
        ref64_grad=lambda x: -2 * x * math.exp(-x * x) if abs(x) < 1e10 else _nan_or(x, 0.0),
        core=(-12.0, 12.0),
    ),
)
_GELU = (
    Activation(
        name="gelu",
        summary="Gaussian error linear unit (exact, with erf).",
        forward=scalar.gelu,
        grad=scalar.gelu_grad,
        backward=scalar.gelu_backward,
        formula="gelu(x) = x * Phi(x) = x/2 * (1 + erf(x / sqrt(2)))",
        grad_formula="gelu'(x) = Phi(x) + x * phi(x), phi(x) = exp(-x**2/2) / sqrt(2 pi)",
        kink=(
            "smooth everywhere; gelu(-inf) = -0.0; the left tail is relative-accurate (gelu(-9) = "
            "-1.0e-18, not -0.0); near the zero of gelu' at x = -0.7518 the error is a few ulp of "
            "Phi(x) (the terms cancel); approximate='tanh' selects gelu_tanh, as in PyTorch"
        ),
        example=(
            ">>> na.gelu(np.array([-1.0, 0.0, 2.0]))\narray([-0.15865525,  0.        ,  1.95449974])\n"
            ">>> float(na.gelu(-9.0))  # PyTorch's float32 gelu gives -0.0 here\n"
            "-1.0157295653584566e-18\n"
        ),
        ref=lambda mp, x: x * _mp_ncdf(mp, x),
        ref_grad=lambda mp, x: _mp_ncdf(mp, x) + x * mp.exp(-(x**2) / 2) / mp.sqrt(2 * mp.pi),
        ref64=lambda x: _nan_or(x, 0.5 * x * math.erfc(-x / _SQRT2) if abs(x) < 1e300 else (x if x > 0 else -0.0)),
        ref64_grad=lambda x: (
            0.5 * math.erfc(-x / _SQRT2) + x * _INV_SQRT_2PI * math.exp(-0.5 * x * x)
            if abs(x) < 1e10
            else _nan_or(x, 1.0 if x > 0 else 0.0)
        ),
        core=(-12.0, 12.0),
        variants=(("approximate", "none", "gelu"), ("approximate", "tanh", "gelu_tanh")),
        grad_scale=lambda x: np.maximum(
            0.5 * _np_erfc(-x / _SQRT2), np.abs(x) * _INV_SQRT_2PI * np.exp(-0.5 * np.minimum(x * x, 1e4))
        ),
    ),
    Activation(
        name="tanhshrink",
        summary="Tanh shrinkage: x - tanh(x), without cancellation near 0.",
        forward=scalar.tanhshrink,
        grad=scalar.tanhshrink_grad,
        backward=scalar.tanhshrink_backward,
        formula="tanhshrink(x) = x - tanh(x)",
        grad_formula="tanhshrink'(x) = tanh(x)**2",
        kink="smooth everywhere; tanhshrink(1e-6) = 3.3e-19 to full precision (x - tanh(x) computed naively cancels)",
        example=(
            ">>> na.tanhshrink(np.array([-1.0, 0.0, 2.0]))\narray([-0.23840584,  0.        ,  1.03597242])\n"
            ">>> float(na.tanhshrink(1e-6))\n3.3333333333319997e-19\n"
        ),
        # (series below 1e-5: x - tanh(x) cancels beyond the 40 digits of the tests)
        ref=lambda mp, x: x**3 / 3 - 2 * x**5 / 15 + 17 * x**7 / 315 if abs(x) < 1e-5 else x - mp.tanh(x),
        ref_grad=lambda mp, x: mp.tanh(x) ** 2,
        ref64=lambda x: _tanhshrink64(x),
        ref64_grad=lambda x: math.tanh(x) ** 2,
        core=(-10.0, 10.0),
    ),
)
ACTIVATIONS = ACTIVATIONS + _MORE + _GELU
BY_NAME = {a.name: a for a in ACTIVATIONS}
