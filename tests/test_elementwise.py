"""Accuracy and special values of the elementwise activations, their
derivatives and their backward functions, driven by the registry."""

import zlib

import mpmath
import numpy as np
import pytest
from _helpers import (
    KINDS,
    MP_DPS,
    ULP_TARGET,
    act_kind_params,
    act_params,
    call,
    check_accuracy,
    dtype_params,
    exact_grad_underflows,
    float32_inputs,
    float64_inputs,
    grad_scale_of,
    public,
    ref_float64,
    ref_mpmath,
    ulp_errors,
)

import numba_act as na
from numba_act.registry import ACTIVATIONS


# ------------------------------------------------------------- accuracy
@pytest.mark.parametrize("act,kind", act_kind_params())
def test_accuracy_float32(act, kind):
    """float32 vs the float64 reference over the whole float32 range."""
    x = float32_inputs(act.core, seed=zlib.crc32(act.name.encode()))
    dy = np.random.default_rng(7).standard_normal(x.size).astype(np.float32)
    x_before, dy_before = x.copy(), dy.copy()
    y = call(act.name, kind, x, dy)
    assert np.array_equal(x, x_before) and np.array_equal(dy, dy_before), "input modified"
    exact = ref_float64(act.name, kind, x, dy)
    keep = ~exact_grad_underflows(act.name, x, np.float32) if kind == "backward" else None
    scale = grad_scale_of(act, kind, x, dy)
    check_accuracy(y, exact, x, np.float32, kind, f"float32 {act.name} {kind}", keep, scale, act)


@pytest.mark.parametrize("act,kind", act_kind_params())
def test_accuracy_float64(act, kind):
    """float64 vs mpmath at 40 digits on a few thousand sampled points."""
    x = float64_inputs(act.core, seed=11, n=3000)
    dy = np.random.default_rng(3).standard_normal(x.size)
    y = call(act.name, kind, x, dy)
    exact = ref_mpmath(act.name, kind, x, dy if kind == "backward" else None)
    keep = ~exact_grad_underflows(act.name, x, np.float64) if kind == "backward" else None
    scale = grad_scale_of(act, kind, x, dy)
    check_accuracy(y, exact, x, np.float64, kind, f"float64 {act.name} {kind}", keep, scale, act)


def _underflow_params():
    out = []
    for act in ACTIVATIONS:
        for dt in (np.float32, np.float64):
            out.append(pytest.param(act, np.dtype(dt), id=f"{act.name}_backward-{np.dtype(dt).name}"))
    return out


@pytest.mark.parametrize("act,dtype", _underflow_params())
def test_backward_where_grad_underflows(act, dtype):
    """dy * f'(x) within the backward target where f'(x) is a nonzero
    subnormal number but the product dy * f'(x) is a normal number."""
    rng = np.random.default_rng(5)
    fi = np.finfo(dtype)
    if dtype == np.float32:
        x = float32_inputs(act.core, seed=2)
    else:
        x = np.concatenate([float64_inputs(act.core, seed=2, n=3000), rng.uniform(-760.0, 760.0, 2000)])
    g = (
        ref_float64(act.name, "grad", x)
        if dtype == np.float32
        else np.array([float(v) for v in ref_mpmath(act.name, "grad", x)])
    )
    sel = (np.abs(g) >= float(fi.smallest_subnormal)) & (np.abs(g) < float(fi.tiny))
    if not sel.any():
        pytest.skip(f"{act.name}' has no subnormal values")
    x, g = x[sel][:300], g[sel][:300]
    # |dy * f'(x)| between 1 and 256 times the smallest normal number
    dy = rng.choice([-1.0, 1.0], x.size) * float(fi.tiny) / np.abs(g) * np.exp2(rng.uniform(0.0, 8.0, x.size))
    dy = dy.astype(dtype)
    y = call(act.name, "backward", x, dy)
    exact = (ref_float64 if dtype == np.float32 else ref_mpmath)(act.name, "backward", x, dy)
    check_accuracy(
        y,
        exact,
        x,
        dtype,
        "backward",
        f"{dtype.name} {act.name} backward, f' subnormal",
        scale=grad_scale_of(act, "backward", x, dy),
    )


# ------------------------------------------------------------ tail values
def _exact(name, kind, x):
    act = {a.name: a for a in ACTIVATIONS}[name]
    fn = act.ref if kind == "forward" else act.ref_grad
    with mpmath.workdps(MP_DPS):
        return fn(mpmath, mpmath.mpf(float(x)))


def _ulps(y, exact, dtype):
    err, mask = ulp_errors(np.asarray([y], dtype), [exact], dtype)
    assert mask.all(), "exact value is not a normal number"
    return float(err[0])


@pytest.mark.parametrize(
    "name,dtype,x",
    [
        pytest.param("sigmoid", np.float32, 30.0, id="sigmoid_grad-float32-30"),
        pytest.param("sigmoid", np.float32, -30.0, id="sigmoid_grad-float32--30"),
        pytest.param("sigmoid", np.float32, 80.0, id="sigmoid_grad-float32-80"),
        pytest.param("tanh", np.float32, 15.0, id="tanh_grad-float32-15"),
        pytest.param("tanh", np.float32, -40.0, id="tanh_grad-float32--40"),
        pytest.param("sigmoid", np.float64, 40.0, id="sigmoid_grad-float64-40"),
        pytest.param("sigmoid", np.float64, 700.0, id="sigmoid_grad-float64-700"),
        pytest.param("sigmoid", np.float64, -700.0, id="sigmoid_grad-float64--700"),
        pytest.param("tanh", np.float64, 20.0, id="tanh_grad-float64-20"),
        pytest.param("tanh", np.float64, 350.0, id="tanh_grad-float64-350"),
        pytest.param("tanh", np.float64, -350.0, id="tanh_grad-float64--350"),
    ],
)
def test_tail_derivatives_do_not_cancel(name, dtype, x):
    """Far in the tails, where 1 - y**2 or y * (1 - y) would round to 0."""
    exact = _exact(name, "grad", x)
    g = public(name, "grad")(dtype(x))
    assert g.dtype == dtype
    assert g != 0, f"{name}_grad({x}) is 0; exact {mpmath.nstr(exact, 10)}"
    assert _ulps(g, exact, dtype) <= ULP_TARGET["grad"]
    b = public(name, "backward")(dtype(-1.5), dtype(x))
    assert b != 0
    with mpmath.workdps(MP_DPS):
        assert _ulps(b, -1.5 * exact, dtype) <= ULP_TARGET["backward"]


def test_sigmoid_grad_float32_30_value():
    g = na.sigmoid_grad(np.float32(30.0))
    assert isinstance(g, np.float32)
    assert g == pytest.approx(9.357623e-14, rel=3e-7)


# ---------------------------------------------------------- special values
def _dy(dtype, n):
    return np.full(n, -0.5, dtype)  # a power of two: dy * f'(x) stays exactly rounded


@pytest.mark.parametrize("dtype", dtype_params())
@pytest.mark.parametrize("act,kind", act_kind_params())
def test_nan_in_nan_out(act, kind, dtype):
    x = np.array([np.nan, -np.nan, np.copysign(np.nan, -1.0)], dtype)
    y = call(act.name, kind, x, _dy(dtype, x.size))
    assert y.dtype == dtype and np.isnan(y).all(), y
    s = call(act.name, kind, dtype.type(np.nan), dtype.type(1.0))
    assert np.isnan(s)


@pytest.mark.parametrize("dtype", dtype_params())
@pytest.mark.parametrize("act", act_params())
def test_backward_nan_dy(act, dtype):
    """NaN upstream gradients give NaN wherever f'(x) is finite and nonzero."""
    x = np.array([-3.0, -0.5, 0.25, 2.0, 7.0], dtype)
    g = ref_float64(act.name, "grad", x)
    if act.name == "threshold":
        x = x + 1.0  # (above the test threshold)
        g = ref_float64(act.name, "grad", x)
    live = np.isfinite(g) & (g != 0)
    if not live.any():
        pytest.skip(f"{act.name}' is 0 at these points")
    y = call(act.name, "backward", x, np.full(x.size, np.nan, dtype))
    assert np.isnan(y[live]).all(), y


def _exact_rounded(act, kind, x, dtype):
    fn = act.ref if kind == "forward" else act.ref_grad
    with mpmath.workdps(MP_DPS):
        ps = [mpmath.mpf(float(np.dtype(dtype).type(p))) for p in act.test_params()]
        vals = [fn(mpmath, v if isinstance(v, mpmath.mpf) else mpmath.mpf(float(v)), *ps) for v in x]
        if kind == "backward":
            vals = [-0.5 * v for v in vals]
        return np.array([float(v) for v in vals]).astype(dtype)


@pytest.mark.parametrize("dtype", dtype_params())
@pytest.mark.parametrize("act,kind", act_kind_params())
def test_infinities(act, kind, dtype):
    """f(+-inf) is the exact limit (sigmoid 0/1, tanh +-1, derivatives 0, ...)."""
    x = np.array([np.inf, -np.inf], dtype)
    y = call(act.name, kind, x, _dy(dtype, 2))
    # The limits, as the exact values at +-2**2000 rounded (mpmath has no
    # limits of x * sigmoid(x) and the like at infinity).
    expected = _exact_rounded(act, kind, [mpmath.mpf(2) ** 2000, -(mpmath.mpf(2) ** 2000)], dtype)
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("dtype", dtype_params())
@pytest.mark.parametrize("act,kind", act_kind_params())
def test_extreme_finite_inputs(act, kind, dtype):
    """Subnormal inputs, the smallest normals and the largest finite values
    give the correctly rounded result."""
    fi = np.finfo(dtype)
    x = np.array(
        [
            fi.smallest_subnormal,
            -fi.smallest_subnormal,
            3 * fi.smallest_subnormal,
            -fi.tiny / 3,
            fi.tiny / 2,
            fi.tiny,
            -fi.tiny,
            fi.max,
            -fi.max,
            fi.max / 2,
            -fi.max / 2,
        ],
        dtype,
    )
    y = call(act.name, kind, x, _dy(dtype, x.size))
    expected = _exact_rounded(act, kind, x, dtype)
    unit = fi.smallest_subnormal
    for xi, yi, ei in zip(x, y, expected):
        # Subnormal results may be one unit (the smallest subnormal) off:
        # constants such as selu's are double-word products whose small
        # term rounds on the subnormal grid before the final rounding.
        ok = yi == ei or (abs(ei) < fi.tiny and abs(float(yi) - float(ei)) <= float(unit))
        assert ok and np.signbit(yi) == np.signbit(ei), f"{act.name} {kind}({xi!r}) = {yi!r}, expected {ei!r}"


@pytest.mark.parametrize("dtype", dtype_params())
def test_named_special_values(dtype):
    t = dtype.type
    inf = t(np.inf)
    for x, y in ((inf, 1.0), (-inf, 0.0)):
        assert na.sigmoid(x) == y
        assert na.sigmoid_grad(x) == 0.0
        assert na.sigmoid_backward(t(1.0), x) == 0.0
    assert na.tanh(inf) == 1.0 and na.tanh(-inf) == -1.0
    assert na.tanh_grad(inf) == 0.0 and na.tanh_grad(-inf) == 0.0
    assert na.tanh_backward(t(1.0), -inf) == 0.0
    fi = np.finfo(t)
    assert na.sigmoid(fi.max) == 1.0 and na.sigmoid(-fi.max) == 0.0
    assert na.tanh(fi.max) == 1.0 and na.tanh(-fi.max) == -1.0
    assert na.sigmoid(t(0.0)) == 0.5 and na.sigmoid_grad(t(0.0)) == 0.25
    assert na.tanh_grad(t(0.0)) == 1.0


@pytest.mark.parametrize("dtype", dtype_params())
def test_signed_zeros_and_kinks(dtype):
    t = dtype.type
    z, nz = t(0.0), t(-0.0)
    # tanh is odd: tanh(-0.0) is -0.0
    assert na.tanh(nz) == 0 and np.signbit(na.tanh(nz))
    assert na.tanh(z) == 0 and not np.signbit(na.tanh(z))
    assert np.signbit(na.tanh(np.array([-0.0, 0.0], t))).tolist() == [True, False]
    # relu(-0.0) is +0.0, relu'(0) = 0 (PyTorch / JAX convention)
    r = na.relu(np.array([-0.0, 0.0, -1.0], t))
    assert (r == 0).all() and not np.signbit(r).any()
    assert not np.signbit(na.relu(nz))
    assert na.relu_grad(z) == 0.0 and na.relu_grad(nz) == 0.0
    assert not np.signbit(na.relu_grad(nz))
    assert na.relu_backward(t(3.0), z) == 0.0
    assert na.relu_grad(np.nextafter(z, t(1))) == 1.0
    assert na.relu_backward(t(3.0), np.nextafter(z, t(1))) == 3.0


@pytest.mark.parametrize("dtype", dtype_params())
def test_relu_exact(dtype):
    """relu and its derivative are exact everywhere (random bit patterns)."""
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 1 << 64, 20000, dtype=np.uint64)
    x = (bits.astype(np.uint32) if dtype == np.float32 else bits).view(dtype)
    x = x[~np.isnan(x)]
    np.testing.assert_array_equal(na.relu(x), np.where(x > 0, x, 0).astype(dtype))
    np.testing.assert_array_equal(na.relu_grad(x), (x > 0).astype(dtype))
    dy = rng.standard_normal(x.size).astype(dtype)
    np.testing.assert_array_equal(na.relu_backward(dy, x), np.where(x > 0, dy, 0).astype(dtype))


@pytest.mark.parametrize("dtype", dtype_params())
@pytest.mark.parametrize("act", act_params())
def test_backward_is_dy_times_grad(act, dtype):
    """For normal-range values the fused backward equals dy * f'(x) up to
    one rounding of the product."""
    rng = np.random.default_rng(4)
    lo, hi = act.core
    x = rng.uniform(lo, hi, 5000).astype(dtype)
    dy = rng.standard_normal(5000).astype(dtype)
    b = call(act.name, "backward", x, dy)
    g = call(act.name, "grad", x)
    assert b.dtype == dtype
    np.testing.assert_allclose(b, dy * g, rtol=2 * np.finfo(dtype).eps, atol=4 * float(np.finfo(dtype).tiny))


@pytest.mark.parametrize("kind", KINDS)
def test_float16_every_input(kind):
    """float16 in, float16 out, within 1 float16 ulp of the float32 result
    for every float16 bit pattern (the float32 result is computed then
    rounded once)."""
    x16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    dy16 = np.random.default_rng(0).standard_normal(x16.size).astype(np.float16)
    for act in ACTIVATIONS:
        y16 = call(act.name, kind, x16, dy16)
        assert y16.dtype == np.float16
        y32 = call(act.name, kind, x16.astype(np.float32), dy16.astype(np.float32))
        with np.errstate(over="ignore"):
            r16 = y32.astype(np.float16)
        assert np.array_equal(np.isnan(y16), np.isnan(r16)), act.name
        fin = np.isfinite(r16)
        assert np.array_equal(y16[~fin & ~np.isnan(r16)], r16[~fin & ~np.isnan(r16)])
        np.testing.assert_array_max_ulp(y16[fin], r16[fin], maxulp=1)
