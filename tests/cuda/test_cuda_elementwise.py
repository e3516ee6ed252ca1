"""Elementwise functions on the GPU: every function, derivative and backward
in float16/32/64 against the CPU result and the float64 reference."""

import math

import mpmath
import numpy as np
import pytest
from _cuda_helpers import all_dtype_params, assert_close, on_device, same_bits, to_dev
from _helpers import KINDS, MP_DPS, ULP_TARGET, bound, public_name, ref_float64, subnormal_errors, ulp_errors, worst

import numba_act as na
from numba_act.registry import ACTIVATIONS, BY_NAME

# GPU and CPU are each within ULP_TARGET of the exact value (the simulator
# computes exp in double and fma as a * b + c, a real GPU uses libdevice
# and hardware fma): they agree to twice that.
VS_CPU_ULP = {k: 2 * v for k, v in ULP_TARGET.items()}
# The float64 reference (libm formulas, `numba_act.testing.ref64`) has a
# few ulp of error of its own in float64.
REF64_EXTRA_ULP = 4


def params():
    return [
        pytest.param(a, k, np.dtype(d), id=f"{public_name(a.name, k)}-{np.dtype(d).name}")
        for a in ACTIVATIONS
        for k in KINDS
        for d in (np.float16, np.float32, np.float64)
    ]


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


def check_vs_reference(y, act_name, kind, x, dy, dtype):
    """float32: within ULP_TARGET of the float64 reference (exact at float32
    scale), in ulps of the exact value's binade, or in subnormal spacings
    where the exact value is subnormal; float64: within a few ulp more."""
    label = f"{public_name(act_name, kind)} {dtype.name} vs ref64"
    exact = ref_float64(act_name, kind, x, dy)
    with np.errstate(all="ignore"):
        r = exact.astype(dtype)
    assert_close(y[np.isnan(r) | np.isinf(r)], r[np.isnan(r) | np.isinf(r)], 0, label)
    assert not (np.isnan(y) & ~np.isnan(r)).any(), f"{label}: NaN where the reference is {r[np.isnan(y)]}"
    target = ULP_TARGET[kind] + (REF64_EXTRA_ULP if dtype == np.float64 else 0)
    err, mask = ulp_errors(y, exact, dtype)
    e, at = worst(err, x, mask)
    assert mask.sum() > 0.5 * x.size
    assert e <= target, f"{label}: {e:.3f} ulp at x={at!r} (limit {target})"
    serr, smask = subnormal_errors(y, exact, dtype)
    se, sat = worst(serr, x, smask)
    assert se <= target, f"{label}: {se:.3f} subnormal spacings at x={sat!r} where the exact value is subnormal"


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
        with np.errstate(all="ignore"):
            ref = ref_float64(act.name, kind, x, dy).astype(np.float16)
        assert_close(y, ref, 1, f"{label} vs ref64", where=x)
        return
    assert_close(y, f(*args_of(kind, x, dy)), VS_CPU_ULP[kind], f"{label} vs CPU", where=x)
    check_vs_reference(y, act.name, kind, x, dy, dtype)


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
    CPU's NaN pattern and values, and the documented conventions hold
    (relu_backward is exactly 0 for x <= 0 even for dy = inf or NaN; the
    logistic backwards are 0 at x = +-inf for finite dy).  Infinite dy with
    x far in the tail: test_backward_infinite_dy_in_the_tail."""
    nan, inf = math.nan, math.inf
    big = float(np.finfo(dtype).max)
    xs = [nan, inf, -inf, 0.0, -0.0, 1.5, -1.5, 6.0, -6.0]
    dys = [nan, inf, -inf, 0.0, -0.0, 2.0, -0.75]
    pairs = [(d, v) for v in xs for d in dys] + [(d, v) for v in (big, -big) for d in dys if math.isfinite(d)]
    dy = np.array([p[0] for p in pairs], dtype)
    x = np.array([p[1] for p in pairs], dtype)
    labels = np.array([f"dy={d!r}, x={v!r}" for d, v in zip(dy, x)], object)
    for act in ACTIVATIONS:
        f = bound(public_name(act.name, "backward"))
        got = on_device(f, dy, x)
        assert_close(got, f(dy, x), VS_CPU_ULP["backward"], f"{f.__name__} {dtype.name}", where=labels)
        assert np.isnan(got[np.isnan(x)]).all(), f"{f.__name__}: NaN x must give NaN"
        assert np.isnan(got[np.isnan(dy) & (x > 0)]).all(), f"{f.__name__}: NaN dy must give NaN"
        if act.name == "relu":
            assert (got[x <= 0] == 0).all(), f"relu_backward must be 0 for x <= 0, got {got[x <= 0]}"
        else:
            sel = (np.isinf(x) | (np.abs(x) == big)) & np.isfinite(dy)
            assert (got[sel] == 0).all(), f"{f.__name__}(finite dy, +-inf or +-max) = {got[sel]}, expected 0"


class DeviceMismatch(AssertionError):
    """The GPU result fails a check that the CPU result passes."""


def _underflow_params():
    out = []
    for act in ACTIVATIONS:
        if act.name == "relu":
            continue  # relu' has no subnormal values
        for dt in (np.float32, np.float64):
            out.append(pytest.param(act, np.dtype(dt), id=f"{act.name}_backward-{np.dtype(dt).name}"))
    return out


@pytest.mark.xfail(
    strict=True,
    raises=DeviceMismatch,
    reason=(
        "GPU backward loses accuracy where f'(x) is subnormal or underflows but dy * f'(x) is normal: "
        "numba_act/cuda/device.py's exp_split returns (exp(x), 1.0) instead of a split with the power of "
        "two applied last, so exp underflows before dy is multiplied in (e.g. float64 "
        "sigmoid_backward(1e300, 800.0): CPU 3.668e-48, GPU 0.0; float32 sigmoid_backward(1e30, 100.0): "
        "exact 3.7200760e-14, GPU 3.7835058e-14)"
    ),
)
@pytest.mark.parametrize("act,dtype", _underflow_params())
def test_backward_where_grad_underflows(act, dtype):
    """The CPU suite's test_backward_where_grad_underflows, on the GPU."""
    rng = np.random.default_rng(5)
    fi = np.finfo(dtype)
    scale = 2.0 if act.name == "tanh" else 1.0  # tanh'(x) = 4 sigmoid'(2x)
    lo, hi = (86.0, 105.0) if dtype == np.float32 else (706.0, 746.0)
    x = (rng.choice([-1.0, 1.0], 200) * rng.uniform(lo, hi, 200) / scale).astype(dtype)
    with mpmath.workdps(MP_DPS):
        g = [act.ref_grad(mpmath, mpmath.mpf(float(v))) for v in x]
        gf = np.array([float(v) for v in g])
    sel = np.flatnonzero((np.abs(gf) < float(fi.tiny)) & (gf != 0))[:40]
    assert sel.size == 40
    x, gf, g = x[sel], gf[sel], [g[i] for i in sel]
    # |dy * f'(x)| between 1 and 256 times the smallest normal number
    dy = (
        rng.choice([-1.0, 1.0], x.size) * float(fi.tiny) / np.abs(gf) * np.exp2(rng.uniform(0.0, 8.0, x.size))
    ).astype(dtype)
    with mpmath.workdps(MP_DPS):
        exact = [mpmath.mpf(float(d)) * v for d, v in zip(dy, g)]
    f = bound(public_name(act.name, "backward"))
    target = ULP_TARGET["backward"]

    cpu_err, mask = ulp_errors(f(dy, x), exact, dtype)
    assert mask.all() and cpu_err.max() <= target, f"CPU: {cpu_err.max():.2f} ulp"
    gpu = on_device(f, dy, x)
    err, _ = ulp_errors(gpu, exact, dtype)
    e, at = worst(err, x, mask)
    if not e <= target:
        i = int(np.argmax(err))
        raise DeviceMismatch(
            f"{f.__name__} {dtype.name}: {e:.3g} ulp at dy={dy[i]!r}, x={at!r}: GPU {gpu[i]!r}, "
            f"CPU {f(dy, x)[i]!r}, exact {float(exact[i])!r}"
        )


@pytest.mark.xfail(
    strict=True,
    raises=DeviceMismatch,
    reason=(
        "GPU backward gives NaN instead of +-inf for dy = +-inf where x is finite but exp(-|x|) underflows "
        "(same cause: device exp_split is (exp(x), 1.0) and the product inf * 0 is formed; the CPU's split "
        "keeps the factor nonzero): e.g. float32 sigmoid_backward(inf, 200.0): CPU inf, GPU nan; "
        "float64 sigmoid_backward(inf, 800.0): CPU inf, GPU nan; float16 sigmoid_backward(inf, 6e4): CPU inf, GPU nan"
    ),
)
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
    if not same_bits(gpu, cpu):
        raise DeviceMismatch(f"{name} {dtype.name}: dy={dy}, x={x}: GPU {gpu}, CPU {cpu}")


@pytest.mark.parametrize("name", [public_name(a.name, k) for a in ACTIVATIONS for k in KINDS])
def test_launch_shape_does_not_matter(name, monkeypatch, launches):
    """Same bits with the default launch, one block of one thread, and 3
    blocks of 8 threads (grid-stride loops over a longer array)."""
    from numba_act.cuda import elementwise

    f = bound(name)
    act = BY_NAME[name.split("_")[0]]
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
