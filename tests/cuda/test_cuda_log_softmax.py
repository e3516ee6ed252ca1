"""log_softmax, log_softmax_backward and logsumexp on the GPU, against the
CPU path: tiny shapes (each simulated row costs about 0.1 s), axes 0 and
-1, float16/32/64, special rows, out= and argument errors.
"""

import numpy as np
import pytest
from _cuda_helpers import all_dtype_params, assert_close, on_device, same_bits, to_dev

import numba_act as na
from numba_act.cuda import rowwise

NAMES = ("log_softmax", "log_softmax_backward", "logsumexp")
# GPU vs CPU, in ulps of the result dtype.  float16 is computed in float32
# and rounded once.  log_softmax: both sides are within 2-3 ulp of exact
# (the GPU sums its float64 terms in another order, uncompensated).
LOG_SOFTMAX_ULP = {"float16": 1, "float32": 2, "float64": 4}


def make_x(shape, dtype, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale).astype(dtype)


def host_args(name, x, axis):
    if name == "log_softmax_backward":
        dy = make_x(x.shape, x.dtype, seed=1, scale=1.0)
        return dy, na.log_softmax(x, axis=axis)
    return (x,)


def check(name, args, axis, got, label):
    want = getattr(na, name)(*args, axis=axis)
    dt = args[0].dtype
    if name == "log_softmax":
        assert_close(got, want, LOG_SOFTMAX_ULP[dt.name], label)
        return
    want = np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, label
    nan = np.isnan(want)
    assert (np.isnan(got) == nan).all(), f"{label}: NaN mismatch: {got} vs {want}"
    inf = np.isinf(want)
    assert (got[inf] == want[inf]).all(), f"{label}: inf mismatch"
    eps = float(np.finfo(dt).eps)
    g, w = got.astype(np.float64), want.astype(np.float64)
    ok = nan | inf
    if name == "logsumexp":
        # within 4 ulp of max(|m|, log S) on both sides (m + log S cancels)
        x = args[0].astype(np.float64)
        with np.errstate(invalid="ignore"):
            m = np.max(x, axis=axis)
        scale = np.maximum(np.abs(np.where(np.isfinite(m), m, 0)), np.abs(w - np.where(np.isfinite(m), m, 0)))
        tol = 8 * eps * np.maximum(scale, 1e-300) if dt != np.float16 else np.spacing(np.abs(want)).astype(np.float64)
    else:
        # dy - exp(y) sum(dy) cancels, and so may sum(dy) (compensated on the
        # CPU, a plain tree on the GPU): in units of eps (|dy| + exp(y) sum|dy|)
        dy, y = (a.astype(np.float64) for a in args)
        with np.errstate(invalid="ignore"):
            s = np.abs(dy).sum(axis=axis, keepdims=True)
            scale = np.abs(dy) + np.exp(y) * s
        tol = (
            4 * eps * scale if dt != np.float16 else np.spacing(np.abs(want)).astype(np.float64) + 4 * 2.0**-24 * scale
        )
    with np.errstate(invalid="ignore"):
        bad = ~ok & ~(np.abs(g - w) <= tol)
    assert not bad.any(), (
        f"{label}: got {got[bad][:3]}, expected {want[bad][:3]} (limit {np.broadcast_to(tol, bad.shape)[bad][:3]})"
    )


# (shape, axis): rows longer than a block of 32 threads, strided rows, the
# middle axis of a 3-D array (float32 only: simulator time), single rows
# and columns.
CASES = [((3, 40), -1), ((40, 2), 0), ((2, 3, 4), 1), ((5,), 0), ((2, 1), -1)]


def case_params():
    return [
        pytest.param(shape, axis, name, dt, id=f"{name}-{'x'.join(map(str, shape))}-axis{axis}-{dt.name}")
        for shape, axis in CASES
        for name in NAMES
        for dt in (p.values[0] for p in all_dtype_params())
        if len(shape) < 3 or dt == np.float32
    ]


@pytest.mark.parametrize("shape,axis,name,dtype", case_params())
def test_matches_cpu(shape, axis, name, dtype):
    x = make_x(shape, dtype, seed=sum(shape))
    args = host_args(name, x, axis)
    got = on_device(getattr(na, name), *args, axis=axis)
    check(name, args, axis, got, f"{name}{shape} axis={axis} {dtype.name}")


def special_rows(dtype, n=36):
    nan, inf = np.nan, np.inf
    big = float(np.finfo(dtype).max)
    rng = np.random.default_rng(11)
    rows = np.tile(rng.standard_normal(n), (8, 1))
    rows[0, 34] = nan
    rows[1, 3] = -nan  # a NaN with the sign bit set
    rows[2, 20] = inf
    rows[3, [0, 5, 35]] = -inf  # -inf entries: -inf there
    rows[4, :] = -inf  # all -inf: NaN (log_softmax), -inf (logsumexp)
    rows[5, :] = -inf
    rows[5, 33] = 0.5  # one finite entry: 0 there
    rows[6, [2, 35]] = (big, -big)  # x - max overflows
    rows[7, :] = 1000.0 if dtype != np.float16 else 6e4  # ties: log(1/n)
    with np.errstate(over="ignore"):
        return rows.astype(dtype)


@pytest.mark.parametrize("dtype", all_dtype_params())
def test_special_rows(dtype):
    x = special_rows(dtype)
    y = on_device(na.log_softmax, x)
    check("log_softmax", (x,), -1, y, f"log_softmax special {dtype.name}")
    assert np.isnan(y[[0, 1, 2, 4]]).all() and not np.isnan(y[[3, 5, 6, 7]]).any()
    assert (y[3, [0, 5, 35]] == -np.inf).all() and y[5, 33] == 0
    g = on_device(na.logsumexp, x)
    check("logsumexp", (x,), -1, g, f"logsumexp special {dtype.name}")
    assert np.isnan(g[[0, 1]]).all() and g[2] == np.inf and g[4] == -np.inf and g[5] == 0.5
    # [1000, 1]: no underflow to -inf
    t = np.array([[1000.0, 1.0]], dtype if dtype != np.float16 else np.float32)
    assert same_bits(on_device(na.log_softmax, t), np.array([[0.0, -999.0]], t.dtype))


@pytest.mark.parametrize("name", NAMES)
def test_out_and_errors(name):
    f = getattr(na, name)
    x = make_x((2, 3, 2), np.float32, seed=4)
    args = [to_dev(a) for a in host_args(name, x, 1)]
    expected = f(*args, axis=1).copy_to_host()
    shape = (2, 2) if name == "logsumexp" else x.shape
    assert expected.shape == shape
    out = to_dev(np.full(shape, 7.0, np.float32))
    assert f(*args, axis=1, out=out) is out
    assert same_bits(out.copy_to_host(), expected)
    for exc, o in (
        (ValueError, np.full((2, 2, 2, 2), 7.0, np.float32)),
        (TypeError, np.full(shape, 7.0, np.float64)),
        (TypeError, np.full(shape, 7.0, np.float16)),
    ):
        d = to_dev(o)
        with pytest.raises(exc):
            f(*args, axis=1, out=d)
        assert same_bits(d.copy_to_host(), o), f"{name}: out= written before the error"
    with pytest.raises(TypeError, match="mix"):
        f(*(args[:-1] + [x]), axis=1) if len(args) == 2 else f(args[0], axis=1, out=np.zeros(shape, np.float32))
    with pytest.raises(TypeError):
        f(*[to_dev(np.ones((2, 3), np.int32))] * len(args))


def test_logsumexp_axis_none_keepdims_and_empty():
    x = make_x((3, 4), np.float64, seed=5)
    d = to_dev(x)
    g = na.logsumexp(d, axis=None).copy_to_host()
    assert g.shape == () and abs(g - na.logsumexp(x, axis=None)) <= 8 * 2.0**-52 * abs(g)
    k = na.logsumexp(d, axis=0, keepdims=True).copy_to_host()
    assert k.shape == (1, 4)
    check("logsumexp", (x,), 0, k[0], "keepdims")
    assert (na.logsumexp(to_dev(np.zeros((2, 0))), axis=1).copy_to_host() == -np.inf).all()
    # host inputs with target="cuda": copied over and back, as the CPU result
    r = na.logsumexp(x[0], target="cuda")
    assert isinstance(r, np.generic) and abs(r - na.logsumexp(x[0])) <= 8 * 2.0**-52 * abs(r)


def test_shared_memory_paths_agree(monkeypatch):
    x = make_x((1, 40), np.float64, seed=2)
    with_smem = [on_device(f, x) for f in (na.log_softmax, na.logsumexp)]
    monkeypatch.setattr(rowwise, "SMEM_BYTES", 0)
    for f, ref in zip((na.log_softmax, na.logsumexp), with_smem):
        assert same_bits(on_device(f, x), ref), f"{f.__name__}: shared-memory and global-memory paths differ"
