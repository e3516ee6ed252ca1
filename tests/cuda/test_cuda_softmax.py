"""softmax, softmax_backward and softmax_jacobian on the GPU, against the
CPU path: shapes, axes, dtypes, special rows, shared-memory and launch
configurations.

Under the simulator each row costs about 0.1 s (barriers between 32 Python
threads), so the shapes keep the number of rows small: axis=0 is tested on
arrays with few columns.
"""

import math

import numpy as np
import pytest
from _cuda_helpers import ALL_FLOATS, all_dtype_params, assert_close, on_device, same_bits, to_dev
from _helpers import ulp_errors, worst

import numba_act as na
from numba_act.cuda import rowwise

NAMES = ("softmax", "softmax_backward", "softmax_jacobian")
# GPU vs CPU, in ulps of the result dtype.  float16 is computed in float32
# and rounded once (1 ulp across a rounding boundary); float32 sums are
# float64 on both; float64 sums are compensated on the CPU and plain on
# the GPU (and the Jacobian's 1/sum enters squared): the float64 Jacobian
# limit grows with the row length n.
SOFTMAX_ULP = {"float16": 1, "float32": 4, "float64": 8}


def jacobian_ulp(dtype, n):
    return {"float16": 1, "float32": 4}.get(np.dtype(dtype).name, 8 + n // 4)


def make_x(shape, dtype, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale).astype(dtype)


def make_dy(shape, dtype, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(dtype)


def host_args(name, x, axis, seed=1):
    """Host arguments of `name`: (x,) or (dy, p) with p = softmax(x) on the CPU."""
    if name == "softmax_backward":
        return make_dy(x.shape, x.dtype, seed), na.softmax(x, axis=axis)
    return (x,)


def check_backward(got, dy, p, axis, label):
    """softmax_backward: the CPU computes sum(dy * p) with compensation, the
    GPU without, and the result p * (dy - sum) amplifies that difference
    where dy is close to the sum: the limit is 2 ulp of the result plus
    p * n * eps64 * sum(|dy * p|)."""
    want = na.softmax_backward(dy, p, axis=axis)
    assert got.dtype == want.dtype and got.shape == want.shape, label
    if got.size == 0:
        return
    nan_bad = np.isnan(got) != np.isnan(want)
    assert not nan_bad.any(), f"{label}: NaN mismatch: got {got[nan_bad][:5]}, expected {want[nan_bad][:5]}"
    inf_bad = (np.isinf(got) | np.isinf(want)) & (got != want)
    assert not inf_bad.any(), f"{label}: inf mismatch: got {got[inf_bad][:5]}, expected {want[inf_bad][:5]}"
    fin = np.isfinite(want)
    d64, p64 = dy.astype(np.float64), p.astype(np.float64)
    n = dy.shape[axis]
    with np.errstate(all="ignore"):
        mag = np.nansum(np.abs(d64 * p64), axis=axis, keepdims=True)
        tol = 2 * np.spacing(np.abs(want).astype(want.dtype)).astype(np.float64) + np.abs(p64) * n * 2.0**-52 * mag
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf (checked above)
        err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    bad = fin & ~(err <= tol)
    assert not bad.any(), (
        f"{label}: off by {err[bad][:3]} (limit {tol[bad][:3]}): got {got[bad][:3]}, expected {want[bad][:3]}"
    )


def check(name, x_or_args, axis, got, label):
    if name == "softmax_backward":
        dy, p = x_or_args
        check_backward(got, dy, p, axis, label)
        return
    (x,) = x_or_args
    want = getattr(na, name)(x, axis=axis)
    n = x.shape[axis]
    limit = SOFTMAX_ULP[x.dtype.name] if name == "softmax" else jacobian_ulp(x.dtype, n)
    assert_close(got, want, limit, label)


# (shape, axis, functions, dtypes): rows longer than a block of 32 threads,
# strided rows (axis=0 and the middle axis of a 3-D array), single rows
# and columns, empty arrays.  The Jacobian of 600-column rows (360000
# entries per row) is too slow for the simulator.
CASES = [
    ((3, 70), -1, NAMES, ALL_FLOATS),
    ((70, 3), 0, NAMES, ALL_FLOATS),
    ((2, 600), -1, NAMES[:2], ALL_FLOATS),
    ((1, 1), -1, NAMES, ALL_FLOATS),
    ((1, 1), 0, NAMES, ALL_FLOATS),
    ((5, 1), -1, NAMES, ALL_FLOATS),
    ((5, 1), 0, NAMES, ALL_FLOATS),
    ((7,), 0, NAMES, ALL_FLOATS),
    ((0, 4), -1, NAMES, ALL_FLOATS),
    ((0, 4), 0, NAMES, ALL_FLOATS),
    ((4, 0), -1, NAMES, ALL_FLOATS),
    ((4, 0), 0, NAMES, ALL_FLOATS),
    ((3, 4, 5), 0, NAMES, ALL_FLOATS[1:2]),
    ((3, 4, 5), 1, NAMES, ALL_FLOATS[1:2]),
    ((3, 4, 5), -1, NAMES, ALL_FLOATS[1:2]),
    ((2, 3, 4), 0, NAMES, ALL_FLOATS[::2]),
    ((2, 3, 4), 1, NAMES, ALL_FLOATS[::2]),
    ((2, 3, 4), -1, NAMES, ALL_FLOATS[::2]),
]


def case_params():
    return [
        pytest.param(name, shape, axis, dtype, id=f"{name}-{'x'.join(map(str, shape))}-axis{axis}-{dtype.name}")
        for shape, axis, names, dtypes in CASES
        for name in names
        for dtype in dtypes
    ]


@pytest.mark.parametrize("name,shape,axis,dtype", case_params())
def test_matches_cpu(name, shape, axis, dtype):
    f = getattr(na, name)
    x = make_x(shape, dtype, seed=sum(shape))
    args = host_args(name, x, axis)
    got = on_device(f, *args, axis=axis)
    label = f"{name}{shape} axis={axis} {dtype.name}"
    check(name, args, axis, got, label)
    if name == "softmax" and got.size:
        assert ((got >= 0) & (got <= 1)).all(), label
        sums = got.astype(np.float64).sum(axis=axis)
        assert np.allclose(sums, 1.0, rtol=0, atol=8 * float(np.finfo(dtype).eps) * math.log2(max(2, shape[axis]))), (
            sums
        )
    if name == "softmax" and dtype == np.float32 and got.size:
        # and within 4 ulp of the exact softmax of the float32 input
        x64 = x.astype(np.float64)
        e = np.exp(x64 - x64.max(axis=axis, keepdims=True))
        exact = (e / e.sum(axis=axis, keepdims=True)).ravel()
        err, mask = ulp_errors(got.ravel(), exact, dtype)
        w, at = worst(err, x.ravel(), mask)
        assert w <= 4, f"{label}: {w:.2f} ulp from the exact softmax at x={at!r}"


def special_rows(dtype, n=40):
    """Rows of length n > 32 with NaN, +-inf, all -inf and extreme entries."""
    nan, inf = math.nan, math.inf
    big = float(np.finfo(dtype).max)
    rng = np.random.default_rng(11)
    rows = np.tile(rng.standard_normal(n) * 2, (9, 1))
    rows[0, 37] = nan  # a NaN (in the second warp's elements)
    rows[1, 3] = -nan  # a NaN with the sign bit set
    rows[2, 20] = inf  # +inf: all NaN
    rows[3, [0, 5, 39]] = -inf  # -inf entries of a finite row: 0 there
    rows[4, :] = -inf  # all -inf: all NaN
    rows[5, :] = -inf  # one finite entry among -inf: exactly 1 there
    rows[5, 33] = 0.5
    rows[6, [1, 30]] = (inf, -inf)
    rows[7, [2, 35]] = (big, -big)  # x - max overflows to -inf
    rows[8, :] = 1e4 if dtype != np.float16 else 6e4  # large equal entries: 1/n each
    with np.errstate(over="ignore"):
        return rows.astype(dtype)


@pytest.mark.parametrize("dtype", all_dtype_params())
@pytest.mark.parametrize("name", NAMES)
def test_special_rows(name, dtype):
    """Special rows agree with the CPU's NaN pattern and values."""
    x = special_rows(dtype)
    args = host_args(name, x, -1)
    if name == "softmax_backward":
        dy, p = args
        dy = dy.copy()
        dy[3, 7] = np.nan  # NaN dy in a finite row: the row is NaN
        dy[7, 10] = np.inf  # inf * 0 in the sum: the row is NaN
        args = (dy, p)
    got = on_device(getattr(na, name), *args, axis=-1)
    check(name, args, -1, got, f"{name} special rows {dtype.name}")
    if name == "softmax":
        nan_rows = [0, 1, 2, 4, 6]
        assert np.isnan(got[nan_rows]).all()
        assert not np.isnan(got[[3, 5, 7, 8]]).any()
        assert (got[3, [0, 5, 39]] == 0).all()
        assert got[5, 33] == 1 and (np.delete(got[5], 33) == 0).all()
        assert got[7, 35] == 0
        assert np.allclose(got[8].astype(np.float64), 1 / 40, rtol=float(np.finfo(dtype).eps))


class DeviceMismatch(AssertionError):
    """The GPU result differs from the CPU's where the CPU is not in question."""


@pytest.mark.parametrize("dtype", all_dtype_params())
def test_backward_infinite_dy(dtype):
    x = make_x((2, 40), dtype, seed=12)
    dy, p = host_args("softmax_backward", x, -1)
    dy = dy.copy()
    dy[0, 7] = -np.inf
    dy[1, 33] = np.inf
    got = on_device(na.softmax_backward, dy, p)
    want = na.softmax_backward(dy, p)
    if not (np.isnan(got) == np.isnan(want)).all():
        raise DeviceMismatch(f"{dtype.name}: GPU {got[:, [0, 7, 33]]}, CPU {want[:, [0, 7, 33]]} (columns 0, 7, 33)")
    check_backward(got, dy, p, -1, f"softmax_backward infinite dy {dtype.name}")


@pytest.mark.parametrize("name", NAMES)
def test_special_rows_strided(name):
    """The same special rows along axis=0 (strided reads), float32."""
    x = np.ascontiguousarray(special_rows(np.float32)[[0, 3, 4, 5, 7]].T)
    args = host_args(name, x, 0)
    got = on_device(getattr(na, name), *args, axis=0)
    check(name, args, 0, got, f"{name} special rows axis=0")


@pytest.mark.parametrize(
    "shape,dtype", [((1, 13000), np.float32), ((1, 6200), np.float64)], ids=["13000-float32", "6200-float64"]
)
def test_rows_beyond_shared_memory(shape, dtype, launches):
    """A row whose values do not fit in the kernels' shared-memory budget
    (rowwise.SMEM_BYTES, 44-48 KiB): the kernel re-reads global memory
    (launched with no dynamic shared memory); the result still matches the
    CPU.  (float16 takes the float32 kernel.)"""
    dtype = np.dtype(dtype)
    x = make_x(shape, dtype, seed=5, scale=5.0)
    compute = np.dtype(np.float64 if dtype == np.float64 else np.float32)
    assert shape[-1] * compute.itemsize > rowwise.SMEM_BYTES
    for name in NAMES[:2]:
        args = host_args(name, x, -1)
        del launches[:]
        got = on_device(getattr(na, name), *args)
        check(name, args, -1, got, f"{name}{shape} {dtype.name}")
        ((_, config),) = launches
        assert config[0] == 1 and config[3] == 0, config  # one block, no dynamic shared memory
    # a row that fits uses shared memory
    del launches[:]
    on_device(na.softmax, make_x((2, 600), dtype))
    assert launches[0][1][3] == 600 * compute.itemsize


@pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.dtype(np.float64)], ids=["float32", "float64"])
def test_shared_memory_paths_agree(dtype, monkeypatch, launches):
    """With SMEM_BYTES = 0 the kernels recompute the exponentials from
    global memory: the same values, bit for bit."""
    x = make_x((2, 40), dtype, seed=2)
    with_smem = {n: on_device(getattr(na, n), x) for n in ("softmax", "softmax_jacobian")}
    assert all(c[3] > 0 for _, c in launches)
    monkeypatch.setattr(rowwise, "SMEM_BYTES", 0)
    del launches[:]
    for n, ref in with_smem.items():
        assert same_bits(on_device(getattr(na, n), x), ref), f"{n}: shared-memory and global-memory paths differ"
    assert [c[3] for _, c in launches] == [0, 0]


@pytest.mark.parametrize("name", NAMES)
def test_launch_shape_does_not_matter(name, monkeypatch, launches):
    """One block striding over all rows gives the same bits; more threads
    per block (other reduction trees) agree within the usual limits."""
    x = make_x((3, 70), np.float32, seed=3)
    args = host_args(name, x, -1)
    f = getattr(na, name)
    expected_default = (min(3, rowwise.MAX_BLOCKS), rowwise.threads_for(70))
    default = on_device(f, *args)
    monkeypatch.setattr(rowwise, "MAX_BLOCKS", 1)
    one_block = on_device(f, *args)
    assert same_bits(one_block, default), f"{name}: result depends on the number of blocks"
    monkeypatch.setattr(rowwise, "threads_for", lambda n: 64)
    wide = on_device(f, *args)
    check(name, args, -1, wide, f"{name} with 64 threads")
    t = expected_default[1]
    assert [c[:2] for _, c in launches] == [expected_default, (1, t), (1, 64)]
    assert expected_default[0] > 1 and t != 64


@pytest.mark.parametrize("name", NAMES)
def test_out(name):
    """out= on the device: the same object is returned and holds the result;
    bad out= arrays raise before anything is written."""
    f = getattr(na, name)
    x = make_x((2, 3, 2), np.float32, seed=4)
    args = [to_dev(a) for a in host_args(name, x, 1)]
    expected = f(*args, axis=1).copy_to_host()
    shape = (2, 2, 3, 3) if name == "softmax_jacobian" else x.shape
    assert expected.shape == shape
    out = to_dev(np.full(shape, 7.0, np.float32))
    assert f(*args, axis=1, out=out) is out
    assert same_bits(out.copy_to_host(), expected)
    bad = [
        (ValueError, np.full((2, 3, 3), 7.0, np.float32)),
        (ValueError, np.full(int(np.prod(shape)), 7.0, np.float32)),
        (TypeError, np.full(shape, 7.0, np.float64)),
        (TypeError, np.full(shape, 7.0, np.float16)),
    ]
    if name == "softmax_jacobian":
        bad.append((ValueError, np.full(x.shape, 7.0, np.float32)))
    for exc, o in bad:
        d = to_dev(o)
        with pytest.raises(exc):
            f(*args, axis=1, out=d)
        assert same_bits(d.copy_to_host(), o), f"{name}: out= written before the error"
    big = to_dev(np.full((2 * shape[0],) + shape[1:], 7.0, np.float32))
    with pytest.raises(ValueError, match="contiguous"):
        f(*args, axis=1, out=big[::2])
    assert (big.copy_to_host() == 7).all()
