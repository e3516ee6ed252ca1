"""Elementwise functions on the GPU: every function, derivative and backward
in float16/32/64 against the CPU result and the float64 reference."""

import math

import mpmath
import numpy as np
import pytest
from _cuda_helpers import VS_CPU_ULP, all_dtype_params, assert_close, on_device, same_bits, to_dev
from _helpers import (
    KINDS,
    MP_DPS,
    ULP_TARGET,
    base_name,
    bound,
    check_accuracy,
    exact_grad_underflows,
    float32_inputs,
    float64_inputs,
    grad_scale_of,
    public_name,
    ref_float64,
    ref_mpmath,
)

import numba_act as na
from numba_act.registry import ACTIVATIONS, BY_NAME


class DeviceMismatch(AssertionError):
    """The GPU result fails a check that the CPU result passes."""


# (activation, kind, dtype): reason, for GPU results known to fail a check
# the CPU passes (strict xfails).  Empty: the device exp(-x**2) splits that
# lost the left tails of gaussian and gelu now return the power of two apart,
# as the CPU's.
_KNOWN_DEVICE_MISMATCH = {}


def params():
    out = []
    for a in ACTIVATIONS:
        for k in KINDS:
            for d in (np.float16, np.float32, np.float64):
                d = np.dtype(d)
                reason = _KNOWN_DEVICE_MISMATCH.get((a.name, k, d.name))
                marks = pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason) if reason else ()
                out.append(pytest.param(a, k, d, id=f"{public_name(a.name, k)}-{d.name}", marks=marks))
    return out


def inputs(act, dtype, n=160, seed=0):
    """Core samples, [-1, 1], subnormals, and special values of dtype."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(seed)
    fi = np.finfo(dtype)
    lo, hi = act.core
    sub = np.ldexp(rng.uniform(-1.0, 1.0, 8), rng.integers(fi.minexp - fi.nmant, fi.minexp, 8))
    big = {
        "float16": [1e3, -1e3, 3e4, -3e4],
        "float32": [1e30, -1e30, 1e4, -1e4],
        "float64": [1e300, -1e300, 1e4, -1e4],
    }
    special = [math.nan, -math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5]
    special += [fi.max, -fi.max, fi.tiny, -fi.tiny, fi.smallest_subnormal, -fi.smallest_subnormal]
    parts = [rng.uniform(lo, hi, n), rng.uniform(-1.0, 1.0, 24), sub, np.array(special + big[dtype.name], np.float64)]
    with np.errstate(over="ignore"):
        return np.concatenate(parts).astype(dtype)


def upstream(n, dtype, seed=1):
    """Finite upstream gradients dy with a spread of scales (narrower in float16)."""
    rng = np.random.default_rng(seed)
    spread = 4 if np.dtype(dtype) == np.float16 else 20
    return (rng.standard_normal(n) * np.exp2(rng.integers(-spread, spread + 1, n))).astype(dtype)


def args_of(kind, x, dy):
    return (dy, x) if kind == "backward" else (x,)


def compute_type(dtype):
    """The type the GPU computes in (float16 data: float32) and casts the
    scalar parameters to."""
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)


_FAR = mpmath.mpf(2) ** 2000


def exact_values(act, kind, x, dy, dtype):
    """f(x), f'(x) or dy * f'(x) from the registry's mpmath reference, rounded
    to dtype, with the parameters rounded to the GPU's compute type; at
    x = +-inf the limits, as the exact values at +-2**2000 (as the CPU
    suite's test_infinities: mpmath has no limits of x * sigmoid(x) and the
    like at infinity).  x must not be NaN."""
    fn = act.ref if kind == "forward" else act.ref_grad
    ct = compute_type(dtype).type
    with mpmath.workdps(MP_DPS):
        ps = [mpmath.mpf(float(ct(p))) for p in act.test_params()]
        pts = [(_FAR if v > 0 else -_FAR) if math.isinf(v) else mpmath.mpf(float(v)) for v in x]
        vals = [fn(mpmath, v, *ps) for v in pts]
        if kind == "backward":
            vals = [mpmath.mpf(float(d)) * v for d, v in zip(dy, vals)]
        with np.errstate(over="ignore"):
            return np.array([float(v) for v in vals]).astype(dtype)


def check_vs_reference(y, act, kind, x, dy, dtype):
    """The GPU result against the exact values, as the CPU suite checks the
    CPU result (tests/test_elementwise.py, through the shared
    `check_accuracy`): NaN for NaN x; the exact limits at x = +-inf; for
    finite x, float32 against the float64 libm reference (exact at float32
    scale) and float64 against mpmath, each within the activation's ulp
    target (its `ulp_targets` and `grad_scale` honoured; backward points
    where f'(x) itself underflows are left to
    test_backward_where_grad_underflows, as on the CPU); float16 within 1
    float16 ulp of the exact value rounded."""
    dtype = np.dtype(dtype)
    label = f"{public_name(act.name, kind)} {dtype.name} vs exact"
    nan_x = np.isnan(x)
    assert np.isnan(y[nan_x]).all(), f"{label}: NaN x gave {y[nan_x]}"
    inf_x = np.isinf(x)
    if inf_x.any():
        d = None if dy is None else dy[inf_x]
        assert_close(y[inf_x], exact_values(act, kind, x[inf_x], d, dtype), 0, f"{label} at +-inf", where=x[inf_x])
    fin = np.isfinite(x)
    xf, yf = x[fin], y[fin]
    dyf = None if kind != "backward" else dy[fin]
    ct = compute_type(dtype)
    if dtype == np.float16:
        with np.errstate(all="ignore"):
            ref = ref_float64(act.name, kind, xf, dyf, dtype=ct).astype(np.float16)
        assert_close(yf, ref, 1, label, where=xf)
        return
    if dtype == np.float32:
        exact = ref_float64(act.name, kind, xf, dyf, dtype=np.float32)
    else:
        exact = ref_mpmath(act.name, kind, xf, dyf)
    keep = ~exact_grad_underflows(act.name, xf, dtype) if kind == "backward" else None
    check_accuracy(yf, exact, xf, dtype, kind, label, keep, grad_scale_of(act, kind, xf, dyf), act)


@pytest.mark.parametrize("act,kind,dtype", params())
def test_matches_cpu_and_reference(act, kind, dtype):
    f = bound(public_name(act.name, kind))
    x = inputs(act, dtype)
    dy = upstream(x.size, dtype)
    y = on_device(f, *args_of(kind, x, dy))
    label = f"{f.__name__} {dtype.name}"
    assert y.dtype == dtype and y.shape == x.shape
    if dtype == np.float16:
        # computed in float32 and rounded once: the float32 CPU result
        # rounded to float16, within 1 ulp (the float32 values may differ
        # by an ulp or two across a float16 rounding boundary)
        a32 = [a.astype(np.float32) for a in args_of(kind, x, dy)]
        assert_close(y, f(*a32).astype(np.float16), 1, f"{label} vs float32 CPU", where=x)
        assert_close(y, f(*args_of(kind, x, dy)), 1, f"{label} vs float16 CPU", where=x)
    else:
        assert_close(y, f(*args_of(kind, x, dy)), VS_CPU_ULP[kind], f"{label} vs CPU", where=x)
    check_vs_reference(y, act, kind, x, dy if kind == "backward" else None, dtype)


@pytest.mark.parametrize("dtype", all_dtype_params())
def test_named_special_values(dtype):
    """Exact results at the special inputs, signs of zeros included."""
    nan, inf = math.nan, math.inf
    big = float(np.finfo(dtype).max)
    sub = float(np.finfo(dtype).smallest_subnormal)
    cases = {
        # name: [(x, expected), ...]
        "sigmoid": [(nan, nan), (inf, 1.0), (-inf, 0.0), (big, 1.0), (-big, 0.0), (0.0, 0.5), (-0.0, 0.5), (sub, 0.5)],
        "sigmoid_grad": [(nan, nan), (inf, 0.0), (-inf, 0.0), (big, 0.0), (-big, 0.0), (0.0, 0.25), (sub, 0.25)],
        "tanh": [
            (nan, nan),
            (inf, 1.0),
            (-inf, -1.0),
            (big, 1.0),
            (-big, -1.0),
            (0.0, 0.0),
            (-0.0, -0.0),
            (sub, sub),
            (-sub, -sub),
        ],
        "tanh_grad": [
            (nan, nan),
            (inf, 0.0),
            (-inf, 0.0),
            (big, 0.0),
            (-big, 0.0),
            (0.0, 1.0),
            (-0.0, 1.0),
            (sub, 1.0),
        ],
        "relu": [
            (nan, nan),
            (inf, inf),
            (-inf, 0.0),
            (big, big),
            (-big, 0.0),
            (0.0, 0.0),
            (-0.0, 0.0),
            (sub, sub),
            (-sub, 0.0),
        ],
        "relu_grad": [(nan, nan), (inf, 1.0), (-inf, 0.0), (0.0, 0.0), (-0.0, 0.0), (sub, 1.0), (-sub, 0.0)],
    }
    for name, pairs in cases.items():
        x = np.array([p[0] for p in pairs], dtype)
        want = np.array([p[1] for p in pairs], dtype)
        got = on_device(getattr(na, name), x)
        for xi, g, w in zip(x, got, want):
            ok = (np.isnan(g) and np.isnan(w)) or same_bits(g, w)
            assert ok, f"{name}({xi!r}) on the GPU = {g!r}, expected {w!r}"


@pytest.mark.parametrize("dtype", all_dtype_params())
def test_backward_special_values(dtype):
    """dy and x over NaN, +-inf, +-0 and finite values: the GPU result has the
    CPU's NaN pattern and values, and the conventions hold.  For sigmoid,
    tanh and relu the documented ones (relu_backward is exactly 0 for x <= 0
    even for dy = inf or NaN; the logistic backwards are 0 at x = +-inf and
    +-max for finite dy); for every activation the ones that follow from the
    registry's exact f'(x) (rounded to the compute type; at +-inf its
    limit): NaN dy gives NaN wherever f'(x) is finite and nonzero, and
    finite dy gives dy * f'(x) at x = +-inf and +-max.  Infinite dy:
    test_backward_infinite_dy and test_backward_infinite_dy_in_the_tail."""
    nan, inf = math.nan, math.inf
    big = float(np.finfo(dtype).max)
    xs = [nan, inf, -inf, 0.0, -0.0, 1.5, -1.5, 6.0, -6.0]
    dys = [nan, inf, -inf, 0.0, -0.0, 2.0, -0.75]
    pairs = [(d, v) for v in xs for d in dys] + [(d, v) for v in (big, -big) for d in dys if math.isfinite(d)]
    dy = np.array([p[0] for p in pairs], dtype)
    x = np.array([p[1] for p in pairs], dtype)
    labels = np.array([f"dy={d!r}, x={v!r}" for d, v in zip(dy, x)], object)
    num = ~np.isnan(x)
    ct = compute_type(dtype)
    for act in ACTIVATIONS:
        f = bound(public_name(act.name, "backward"))
        name = f.__name__
        got = on_device(f, dy, x)
        assert_close(got, f(dy, x), VS_CPU_ULP["backward"], f"{name} {dtype.name}", where=labels)
        assert np.isnan(got[~num]).all(), f"{name}: NaN x must give NaN"
        if act.name == "relu":
            assert np.isnan(got[np.isnan(dy) & (x > 0)]).all(), f"{name}: NaN dy must give NaN for x > 0"
            assert (got[x <= 0] == 0).all(), f"relu_backward must be 0 for x <= 0, got {got[x <= 0]}"
        elif act.name in ("sigmoid", "tanh"):
            assert np.isnan(got[np.isnan(dy) & (x > 0)]).all(), f"{name}: NaN dy must give NaN"
            sel = (np.isinf(x) | (np.abs(x) == big)) & np.isfinite(dy)
            assert (got[sel] == 0).all(), f"{name}(finite dy, +-inf or +-max) = {got[sel]}, expected 0"
        # from the exact derivative
        g = np.full(x.shape, np.nan, ct)
        g[num] = exact_values(act, "grad", x[num], None, ct)
        live = np.isfinite(g) & (g != 0)
        sel = np.isnan(dy) & live
        assert np.isnan(got[sel]).all(), f"{name}: NaN dy gave {got[sel]} at {labels[sel]} (f' finite, nonzero)"
        sel = num & np.isfinite(dy) & (np.isinf(x) | (np.abs(x) == big))
        want = exact_values(act, "backward", x[sel], dy[sel], dtype)
        assert_close(got[sel], want, ULP_TARGET["backward"], f"{name}: finite dy at +-inf, +-max", where=labels[sel])


# Backward kernels whose compensated products formed fma(dy, g, -dy * g) =
# fma(inf, g, -inf) = NaN for infinite dy (numba_act/scalar.py, shared by the
# CPU and the GPU) until the error terms were guarded; none is known now.
_INF_DY_NAN = {}


def _inf_dy_params():
    out = []
    for a in ACTIVATIONS:
        why = _INF_DY_NAN.get(a.name)
        reason = f"{a.name}_backward(+-inf, x) is NaN on the CPU and the GPU where f'(x) is finite and nonzero: {why}"
        marks = pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason) if why else ()
        out.append(pytest.param(a, id=f"{a.name}_backward", marks=marks))
    return out


@pytest.mark.parametrize("act", _inf_dy_params())
def test_backward_infinite_dy(act):
    """dy = +-inf gives +-inf (the sign of dy * f'(x)) wherever the exact
    f'(x) (rounded to the compute type; at x = +-inf its limit) is finite
    and nonzero, on the GPU and on the CPU."""
    inf = math.inf
    xs = [inf, -inf, 0.0, -0.0, 0.25, -0.25, 1.5, -1.5, 6.0, -6.0]
    for dtype in (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)):
        g = exact_values(act, "grad", xs, None, compute_type(dtype))
        live = np.isfinite(g) & (g != 0)
        if not live.any():
            continue
        x = np.array(xs, dtype)[live].repeat(2)
        g = g[live].repeat(2)
        dy = np.tile(np.array([inf, -inf], dtype), live.sum())
        want = np.where(np.signbit(dy) != np.signbit(g), -inf, inf).astype(dtype)
        labels = np.array([f"dy={d!r}, x={v!r}" for d, v in zip(dy, x)], object)
        f = bound(public_name(act.name, "backward"))
        assert_close(f(dy, x), want, 0, f"CPU {f.__name__} {dtype.name}", where=labels)
        assert_close(on_device(f, dy, x), want, 0, f"GPU {f.__name__} {dtype.name}", where=labels)


def _underflow_candidates(act, dtype):
    """Inputs as in the CPU suite's test_backward_where_grad_underflows and
    the float64 libm f'(x) there (to preselect the points for mpmath)."""
    rng = np.random.default_rng(5)
    if dtype == np.float32:
        x = float32_inputs(act.core, seed=2)
    else:
        x = np.concatenate([float64_inputs(act.core, seed=2, n=3000), rng.uniform(-760.0, 760.0, 2000)])
    return x, ref_float64(act.name, "grad", x, dtype=dtype)


# Activations whose GPU backward still loses accuracy where f'(x) is
# subnormal but dy * f'(x) is normal (measured with the simulator's exact
# fma and float32 exp).  sigmoid, tanh, elu, selu, celu, silu, mish, ...
# pass since the device exp_split splits as the CPU's does.
_UNDERFLOW_MISMATCH = {}  # (activation, dtype): reason, as _KNOWN_DEVICE_MISMATCH


def _underflow_params():
    out = []
    for act in ACTIVATIONS:
        for dt in (np.float32, np.float64):
            key = (act.name, np.dtype(dt).name)
            marks = ()
            if key in _UNDERFLOW_MISMATCH:
                marks = pytest.mark.xfail(strict=True, raises=DeviceMismatch, reason=_UNDERFLOW_MISMATCH[key])
            out.append(pytest.param(act, np.dtype(dt), id=f"{act.name}_backward-{np.dtype(dt).name}", marks=marks))
    return out


@pytest.mark.parametrize("act,dtype", _underflow_params())
def test_backward_where_grad_underflows(act, dtype):
    """The CPU suite's test_backward_where_grad_underflows, on the GPU:
    dy * f'(x) within the backward target where f'(x) is a nonzero
    subnormal number but the product is a normal number."""
    rng = np.random.default_rng(5)
    fi = np.finfo(dtype)
    tiny, sub = float(fi.tiny), float(fi.smallest_subnormal)
    x, g = _underflow_candidates(act, dtype)
    if dtype == np.float64:
        # libm's f'(x) preselects (it may underflow or lose accuracy in the
        # tails: 0 and NaN are kept), mpmath decides
        pre = np.flatnonzero(~(np.abs(g) >= tiny * 2.0**20))
        x = x[pre]
        g = np.array([float(v) for v in ref_mpmath(act.name, "grad", x)])
    sel = (np.abs(g) >= sub) & (np.abs(g) < tiny)
    if not sel.any():
        pytest.skip(f"{act.name}' has no subnormal values")
    x, g = x[sel][:60].astype(dtype), g[sel][:60]
    # |dy * f'(x)| between 1 and 256 times the smallest normal number
    dy = (rng.choice([-1.0, 1.0], x.size) * tiny / np.abs(g) * np.exp2(rng.uniform(0.0, 8.0, x.size))).astype(dtype)
    exact = ref_float64(act.name, "backward", x, dy) if dtype == np.float32 else ref_mpmath(act.name, "backward", x, dy)
    f = bound(public_name(act.name, "backward"))
    scale = grad_scale_of(act, "backward", x, dy)
    cpu = f(dy, x)
    check_accuracy(cpu, exact, x, dtype, "backward", f"CPU {f.__name__} {dtype.name}", scale=scale, act=act)
    gpu = on_device(f, dy, x)
    try:
        check_accuracy(gpu, exact, x, dtype, "backward", f"GPU {f.__name__} {dtype.name}", scale=scale, act=act)
    except AssertionError as e:
        with np.errstate(all="ignore"):
            i = int(np.nanargmax(np.abs(gpu.astype(np.float64) - cpu.astype(np.float64)) / np.abs(cpu)))
        raise DeviceMismatch(f"{e}; worst vs CPU at dy={dy[i]!r}, x={x[i]!r}: GPU {gpu[i]!r}, CPU {cpu[i]!r}") from None


@pytest.mark.parametrize("dtype", all_dtype_params())
@pytest.mark.parametrize("name", ["sigmoid_backward", "tanh_backward"])
def test_backward_infinite_dy_in_the_tail(name, dtype):
    """dy * f'(x) with dy = +-inf and x finite: f'(x) > 0 exactly, so the
    product is +-inf (what the CPU returns), not NaN."""
    xs = {"float16": [6e4, -6e4], "float32": [200.0, -1e4], "float64": [800.0, -1e5]}[dtype.name]
    x = np.array(xs * 2, dtype)
    dy = np.array([math.inf, math.inf, -math.inf, -math.inf], dtype)
    f = bound(name)
    cpu = f(dy, x)
    assert same_bits(cpu, dy), f"CPU: {cpu}"
    gpu = on_device(f, dy, x)
    assert same_bits(gpu, cpu), f"{name} {dtype.name}: dy={dy}, x={x}: GPU {gpu}, CPU {cpu}"


@pytest.mark.parametrize("name", [public_name(a.name, k) for a in ACTIVATIONS for k in KINDS])
def test_launch_shape_does_not_matter(name, monkeypatch, launches):
    """Same bits with the default launch, one block of one thread, and 3
    blocks of 8 threads (grid-stride loops over a longer array)."""
    from numba_act.cuda import elementwise

    f = bound(name)
    act = BY_NAME[base_name(name)]
    results = []
    configs = []
    for dtype in (np.float16, np.float32, np.float64):
        x = inputs(act, dtype, n=170)
        args = args_of("backward" if name.endswith("backward") else "forward", x, upstream(x.size, dtype))
        per = []
        for blocks, threads in ((None, None), (1, 1), (3, 8)):
            with monkeypatch.context() as m:
                if blocks is not None:
                    m.setattr(elementwise, "MAX_BLOCKS", blocks)
                    m.setattr(elementwise, "THREADS", threads)
                del launches[:]
                per.append(on_device(f, *args))
                assert len(launches) == 1
                configs.append(launches[0][1][:2])
        results.append(per)
        for r in per[1:]:
            assert same_bits(r, per[0]), f"{name} {np.dtype(dtype).name}: result depends on the launch shape"
    default = elementwise.launch_shape(x.size)
    assert configs[:3] == [default, (1, 1), (3, 8)], configs
    assert default != (1, 1) and default != (3, 8)


@pytest.mark.parametrize("name", [public_name(a.name, k) for a in ACTIVATIONS for k in KINDS])
def test_out(name):
    """out= on the device: the very object is returned and holds the
    result; bad out= arrays raise before anything is written."""
    f = bound(name)
    nin = 2 if name.endswith("backward") else 1
    rng = np.random.default_rng(7)
    for dtype in (np.float16, np.float32, np.float64):
        x = rng.uniform(-4, 4, (3, 40)).astype(dtype)
        dx = [to_dev(x) for _ in range(nin)]
        expected = f(*dx).copy_to_host()
        out = to_dev(np.full(x.shape, 7.0, dtype))
        assert f(*dx, out=out) is out
        assert same_bits(out.copy_to_host(), expected)
        # in place
        inplace = to_dev(x)
        assert f(*([to_dev(x)] * (nin - 1) + [inplace]), out=inplace) is inplace
        assert same_bits(inplace.copy_to_host(), expected)

    x = np.linspace(-2, 2, 12, dtype=np.float32)
    dx = [to_dev(x) for _ in range(nin)]
    sentinel = np.full(12, 7.0, np.float32)
    bad = [
        (ValueError, to_dev(np.full(13, 7.0, np.float32))),  # shape
        (ValueError, to_dev(np.full((3, 4), 7.0, np.float32))),  # shape, same size
        (TypeError, to_dev(np.full(12, 7.0, np.float64))),  # dtype: no casts on the GPU
        (TypeError, to_dev(np.full(12, 7.0, np.float16))),
        (TypeError, to_dev(np.full(12, 7, np.int32))),
    ]
    for exc, out in bad:
        before = out.copy_to_host()
        with pytest.raises(exc):
            f(*dx, out=out)
        assert same_bits(out.copy_to_host(), before), f"{name}: out= written before the error"
    strided = to_dev(np.full(24, 7.0, np.float32))[::2]
    with pytest.raises(ValueError, match="contiguous"):
        f(*dx, out=strided)
    assert same_bits(strided.copy_to_host(), sentinel)
