"""softmax, softmax_backward and softmax_jacobian."""

import math

import mpmath
import numpy as np
import pytest
import scipy.special
from _helpers import MP_DPS, dtype_params, ulp_errors, worst

import numba_act as na

SOFTMAX_ULP = 4.0  # accuracy target of float32 softmax (and of Jacobian entries, plus |x - max|)
SOFTMAX64_ULP = 8.0  # float64 softmax of contiguous rows up to 600 columns (sums have no extra precision)
# Strided and contiguous rows may sum in different orders: results agree to
# this many ulp (float32 sums are float64, so the final rounding hides it).
LAYOUT_ULP = {np.dtype(np.float32): 1, np.dtype(np.float64): 16}


def softmax64(x, axis=-1):
    """float64 softmax of (float32) data: exact at float32 scale."""
    x = np.asarray(x, np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_mp(row):
    """Exact softmax of a 1-D row (mpf values)."""
    with mpmath.workdps(MP_DPS):
        xs = [mpmath.mpf(float(v)) for v in row]
        m = max(xs)
        e = [mpmath.exp(v - m) for v in xs]
        s = mpmath.fsum(e)
        return [v / s for v in e]


def rows_of(rng, n_rows, n, dtype, scale=3.0):
    return (rng.standard_normal((n_rows, n)) * scale).astype(dtype)


# ------------------------------------------------------------ normalization
@pytest.mark.parametrize("dtype", dtype_params())
@pytest.mark.parametrize("n", [1, 2, 3, 7, 31, 256, 257, 1000, 4096, 32768])
def test_rows_sum_to_one(n, dtype):
    rng = np.random.default_rng(n)
    n_rows = 3 if n >= 4096 else 8
    for scale in (0.1, 3.0, 50.0):
        x = rows_of(rng, n_rows, n, dtype, scale)
        p = na.softmax(x)
        assert p.dtype == dtype and p.shape == x.shape
        assert ((p >= 0) & (p <= 1)).all()
        eps = float(np.finfo(dtype).eps)
        # The outputs are each within a few ulp of exact, so the exact sum of
        # the outputs is within a few eps of 1 (far below n ulp).
        tol = 4 * eps * max(1.0, math.log2(n))
        for row in p:
            s = math.fsum(row.astype(np.float64))
            assert abs(s - 1) <= tol, f"n={n} scale={scale}: sum-1 = {s - 1:.3g} ({(s - 1) / eps:.1f} eps)"


@pytest.mark.parametrize("n", [2, 100, 4096, 32768])
def test_float32_accuracy_long_rows(n):
    """float32 softmax within a few ulp of the exact softmax of its input."""
    rng = np.random.default_rng(3)
    for scale in (1.0, 10.0, 100.0):
        x = rows_of(rng, 2, n, np.float32, scale)
        p = na.softmax(x)
        err, mask = ulp_errors(p.ravel(), softmax64(x).ravel(), np.float32)
        e, at = worst(err, x.ravel(), mask)
        assert e <= SOFTMAX_ULP, f"n={n} scale={scale}: {e:.2f} ulp at x={at!r}"


def test_float64_accuracy_vs_mpmath():
    rng = np.random.default_rng(4)
    for n, scale in ((2, 1.0), (3, 20.0), (17, 5.0), (64, 100.0), (300, 2.0), (600, 3.0)):
        x = rng.standard_normal(n) * scale
        p = na.softmax(x)
        err, mask = ulp_errors(p, softmax_mp(x), np.float64)
        e, at = worst(err, x, mask)
        assert e <= SOFTMAX64_ULP, f"n={n} scale={scale}: {e:.2f} ulp at x={at!r}"


@pytest.mark.parametrize("dtype", dtype_params())
def test_shift_invariance(dtype):
    rng = np.random.default_rng(5)
    # quarter-integers: adding the constants below is exact in both dtypes
    x = (rng.integers(-200, 200, (6, 40)) / 4).astype(dtype)
    p = na.softmax(x)
    for c in (1.0, -37.25, 1000.0, -1000.0, 4096.5):
        q = na.softmax(x + dtype.type(c))
        np.testing.assert_allclose(q, p, rtol=4 * np.finfo(dtype).eps, atol=0, err_msg=f"c={c}")


@pytest.mark.parametrize("dtype", dtype_params())
def test_no_overflow_large_entries(dtype, recwarn):
    x = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4], [3e4, 3e4 - 1, 3e4 - 2]], dtype)
    p = na.softmax(x)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p, scipy.special.softmax(x.astype(np.float64), axis=-1), rtol=4 * np.finfo(dtype).eps)
    np.testing.assert_array_equal(p[0], [1, 0, 0])
    np.testing.assert_array_equal(p[1], [0.5, 0.5, 0])
    np.testing.assert_allclose(p[2], [1 / 3] * 3, rtol=np.finfo(dtype).eps)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("dtype", dtype_params())
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_axis_matches_scipy(axis, dtype):
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((3, 4, 5)) * 4).astype(dtype)
    p = na.softmax(x, axis=axis)
    expected = scipy.special.softmax(x.astype(np.float64), axis=axis)
    assert p.shape == x.shape and p.dtype == dtype
    # scipy's float64 result is itself only accurate to ~|x - max| ulp
    rtol = 4 * np.finfo(np.float32).eps if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(p, expected, rtol=rtol, atol=0)
    # the same as softmax over the last axis of the moved array
    moved = na.softmax(np.ascontiguousarray(np.moveaxis(x, axis, -1)))
    np.testing.assert_array_max_ulp(np.moveaxis(p, axis, -1), moved, maxulp=LAYOUT_ULP[dtype])


def test_axis_numpy_integer():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(na.softmax(x, axis=np.int64(0)), na.softmax(x, axis=0))


# ------------------------------------------------------------- special rows
_NEG_NAN = np.copysign(np.nan, -1.0)
SPECIAL_ROWS = {
    "nan": [np.nan, 1.0, 2.0],
    "negative-nan": [_NEG_NAN, 1.0, 2.0],
    "nan-and-neg-inf": [1.0, np.nan, -np.inf],
    "pos-inf": [np.inf, 1.0, 2.0],
    "two-pos-inf": [np.inf, np.inf],
    "pos-and-neg-inf": [-np.inf, np.inf],
    "all-neg-inf": [-np.inf, -np.inf, -np.inf],
    "single-neg-inf": [-np.inf],
    "neg-inf-in-finite-row": [-np.inf, 0.0, 1.0],
    "two-neg-inf-in-finite-row": [-np.inf, -np.inf, 5.0],
    "neg-inf-last": [3.0, -2.0, -np.inf],
    # finite rows whose differences x - max overflow ("max" is the dtype's largest finite value)
    "huge-finite": ["max", "-max", 0.0],
    "huge-finite-half": ["max", "-max/2", 1.0],
}


def _materialize(row, dtype):
    big = float(np.finfo(dtype).max)
    vals = {"max": big, "-max": -big, "-max/2": -big / 2}
    return [vals.get(v, v) if isinstance(v, str) else v for v in row]


def _special_params():
    out = []
    for name, row in SPECIAL_ROWS.items():
        for dt in (np.float32, np.float64):
            out.append(pytest.param(row, np.dtype(dt), id=f"{name}-{np.dtype(dt).name}"))
    return out


@pytest.mark.parametrize("row,dtype", _special_params())
def test_special_rows_match_scipy(row, dtype):
    row = _materialize(row, dtype)
    x = np.array([row, row[::-1]], dtype)
    with np.errstate(all="ignore"):
        expected = scipy.special.softmax(x.astype(np.float64), axis=-1).astype(dtype)
        got = na.softmax(x)
        got_t = na.softmax(np.ascontiguousarray(x.T), axis=0)
    # NaN exactly where scipy has NaN, exact zeros and ones, and the other
    # entries within 2 ulp (scipy's float64 result is itself rounded).
    for g, e in ((got, expected), (got_t, expected.T)):
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e))
        np.testing.assert_array_equal(g[(e == 0) | (e == 1)], e[(e == 0) | (e == 1)])
        finite = ~np.isnan(e)
        np.testing.assert_array_max_ulp(g[finite], e[finite], maxulp=2)


def test_special_rows_do_not_leak_into_other_rows():
    x = np.array([[np.nan, 1.0], [0.0, 1.0], [np.inf, 0.0], [2.0, 1.0]])
    p = na.softmax(x)
    assert np.isnan(p[0]).all() and np.isnan(p[2]).all()
    np.testing.assert_allclose(p[[1, 3]], scipy.special.softmax(x[[1, 3]], axis=-1), rtol=1e-15)


@pytest.mark.parametrize(
    "shape,axis",
    [((3, 0), -1), ((3, 0), 0), ((0, 5), -1), ((0,), 0), ((2, 0, 4), 1)],
    ids=["3x0-last", "3x0-axis0", "0x5-last", "0", "2x0x4-axis1"],
)
def test_empty(shape, axis):
    x = np.zeros(shape)
    p = na.softmax(x, axis=axis)
    assert p.shape == shape and p.dtype == np.float64
    b = na.softmax_backward(x, x, axis=axis)
    assert b.shape == shape
    j = na.softmax_jacobian(x, axis=axis)
    moved = np.moveaxis(x, axis, -1).shape
    assert j.shape == moved + moved[-1:]


# ----------------------------------------------------------- dtypes and out
def test_float16():
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((5, 33)) * 3).astype(np.float16)
    p = na.softmax(x)
    assert p.dtype == np.float16
    ref = na.softmax(x.astype(np.float32)).astype(np.float16)
    np.testing.assert_array_max_ulp(p, ref, maxulp=1)
    b = na.softmax_backward(x, p)
    assert b.dtype == np.float16
    assert na.softmax_jacobian(x[0]).dtype == np.float16


@pytest.mark.parametrize("dt", [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64])
def test_integer_promotion(dt):
    x = np.array([[0, 1, 1], [1, 0, 0]]).astype(dt)
    expected = np.exp(x).dtype
    p = na.softmax(x)
    assert p.dtype == expected
    np.testing.assert_array_equal(p, na.softmax(x.astype(expected)))
    assert na.softmax_jacobian(x).dtype == expected
    assert na.softmax_backward(x, x).dtype == expected


@pytest.mark.parametrize("dtype", dtype_params())
def test_out(dtype):
    rng = np.random.default_rng(9)
    x = rows_of(rng, 4, 6, dtype)
    out = np.full(x.shape, 7, dtype)
    r = na.softmax(x, out=out)
    assert r is out
    np.testing.assert_array_equal(out, na.softmax(x))
    out_t = np.full((6, 4), 7, dtype)
    assert na.softmax(x.T, axis=0, out=out_t) is out_t
    np.testing.assert_array_equal(out_t, na.softmax(x).T)
    dy = rows_of(rng, 4, 6, dtype)
    ob = np.full(x.shape, 7, dtype)
    assert na.softmax_backward(dy, out, out=ob) is ob
    np.testing.assert_array_equal(ob, na.softmax_backward(dy, out))
    oj = np.full((4, 6, 6), 7, dtype)
    assert na.softmax_jacobian(x, out=oj) is oj
    np.testing.assert_array_equal(oj, na.softmax_jacobian(x))


def test_inputs_not_modified():
    rng = np.random.default_rng(10)
    x = rows_of(rng, 3, 5, np.float64)
    dy = rows_of(rng, 3, 5, np.float64)
    x0, dy0 = x.copy(), dy.copy()
    p = na.softmax(x)
    p0 = p.copy()
    na.softmax_backward(dy, p)
    na.softmax_jacobian(x)
    na.softmax(x, axis=0)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dy, dy0)
    np.testing.assert_array_equal(p, p0)


@pytest.mark.parametrize("dtype", dtype_params())
def test_layouts(dtype):
    rng = np.random.default_rng(11)
    base = rows_of(rng, 8, 300, dtype)
    expected = na.softmax(base)
    for label, x, undo in (
        ("fortran", np.asfortranarray(base), lambda p: p),
        ("reversed", base[::-1, ::-1], lambda p: p[::-1, ::-1]),
        ("strided", np.repeat(base, 2, axis=1)[:, ::2], lambda p: p),
        ("byteswapped", base.byteswap().view(base.dtype.newbyteorder()), lambda p: p),
        ("transposed-axis0", np.ascontiguousarray(base.T), lambda p: p.T),
    ):
        axis = 0 if label == "transposed-axis0" else -1
        x0 = x.copy()
        got = undo(na.softmax(x, axis=axis))
        np.testing.assert_array_equal(x, x0)
        assert got.dtype == dtype, label
        np.testing.assert_array_max_ulp(got, expected, maxulp=LAYOUT_ULP[dtype])
    np.testing.assert_array_equal(na.softmax(base.tolist()), na.softmax(base.astype(np.float64)))


# ----------------------------------------------------------------- Jacobian
def _fd_jacobian(x, h=1e-6):
    n = x.shape[-1]
    J = np.empty((n, n))
    for j in range(n):
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        J[:, j] = (na.softmax(xp) - na.softmax(xm)) / (2 * h)
    return J


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_jacobian_finite_differences(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) * 2
    J = na.softmax_jacobian(x)
    assert J.shape == (n, n) and J.dtype == np.float64
    np.testing.assert_allclose(J, _fd_jacobian(x), atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("dtype", dtype_params())
def test_jacobian_symmetric_and_rows_sum_to_zero(dtype):
    rng = np.random.default_rng(12)
    x = rows_of(rng, 4, 7, dtype)
    J = na.softmax_jacobian(x)
    assert J.shape == (4, 7, 7) and J.dtype == dtype
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(J, np.swapaxes(J, -1, -2), rtol=2 * eps, atol=0)
    assert np.abs(J.astype(np.float64).sum(axis=-1)).max() <= 8 * eps
    s = softmax64(x)
    np.testing.assert_allclose(
        J, s[..., :, None] * (np.eye(7) - s[..., None, :]), rtol=8 * eps, atol=8 * eps * float(np.abs(J).max())
    )


def test_jacobian_vs_mpmath():
    """Every entry of the float64 Jacobian within a few ulp of exact, plus
    the error of exp of a rounded difference (|x - max| ulp), including the
    diagonal of rows where one s_i is close to 1."""
    rng = np.random.default_rng(13)
    rows = [
        rng.standard_normal(6) * 3,
        np.array([40.0, 0.0, 0.0]),
        np.array([-30.0, 5.0, 5.0, 0.5]),
        np.array([700.0, 0.0, -700.0]),
        np.array([1.0, 1.0]),
        rng.standard_normal(8) * 30,
    ]
    for x in rows:
        spread = float(x.max() - x.min())
        J = na.softmax_jacobian(x)
        s = softmax_mp(x)
        with mpmath.workdps(MP_DPS):
            exact = [s[i] * ((1 if i == j else 0) - s[j]) for i in range(len(x)) for j in range(len(x))]
        err, mask = ulp_errors(J.ravel(), exact, np.float64)
        e, _ = worst(err, np.arange(J.size), mask)
        assert e <= SOFTMAX_ULP + spread, f"x={x}: {e:.2f} ulp"


@pytest.mark.parametrize("dtype", dtype_params())
def test_jacobian_diagonal_near_one(dtype):
    x = np.array([40.0, 0.0, 0.0], dtype)
    J = na.softmax_jacobian(x)
    e = math.exp(-40.0)
    exact = 2 * e / (1 + 2 * e) ** 2  # s0 (1 - s0)
    assert J[0, 0] != 0
    rel = 4 * float(np.finfo(dtype).eps)
    assert float(J[0, 0]) == pytest.approx(exact, rel=rel)
    assert float(J[1, 1]) == pytest.approx(e / (1 + 2 * e) * (1 + e) / (1 + 2 * e), rel=rel)
    assert float(J[0, 1]) == pytest.approx(-e / (1 + 2 * e) ** 2, rel=rel)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_jacobian_axis(axis):
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 3, 4))
    J = na.softmax_jacobian(x, axis=axis)
    moved = np.moveaxis(x, axis, -1)
    C = moved.shape[-1]
    assert J.shape == moved.shape + (C,)
    for idx in np.ndindex(moved.shape[:-1]):
        np.testing.assert_array_equal(J[idx], na.softmax_jacobian(np.ascontiguousarray(moved[idx])))


# ----------------------------------------------------------------- backward
@pytest.mark.parametrize("dtype", dtype_params())
def test_backward_equals_jacobian_transpose_dy(dtype):
    rng = np.random.default_rng(15)
    x = rows_of(rng, 5, 8, dtype)
    dy = rows_of(rng, 5, 8, dtype, 1.0)
    p = na.softmax(x)
    b = na.softmax_backward(dy, p)
    assert b.dtype == dtype and b.shape == x.shape
    J = na.softmax_jacobian(x).astype(np.float64)
    expected = np.einsum("...ij,...i->...j", J, dy.astype(np.float64))
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(b, expected, rtol=16 * eps, atol=16 * eps * float(np.abs(dy).max()))
    # formula p * (dy - sum(dy * p))
    p64 = p.astype(np.float64)
    direct = p64 * (dy - (dy * p64).sum(-1, keepdims=True))
    np.testing.assert_allclose(b, direct, rtol=4 * eps, atol=4 * eps * float(np.abs(direct).max()))


def test_backward_finite_differences():
    rng = np.random.default_rng(16)
    x = rng.standard_normal((3, 6))
    dy = rng.standard_normal((3, 6))
    b = na.softmax_backward(dy, na.softmax(x))
    h = 1e-6
    fd = np.empty_like(x)
    for j in range(x.shape[1]):
        xp, xm = x.copy(), x.copy()
        xp[:, j] += h
        xm[:, j] -= h
        fd[:, j] = ((dy * na.softmax(xp)).sum(-1) - (dy * na.softmax(xm)).sum(-1)) / (2 * h)
    np.testing.assert_allclose(b, fd, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_backward_axis(axis):
    rng = np.random.default_rng(17)
    x = rng.standard_normal((4, 5))
    dy = rng.standard_normal((4, 5))
    p = na.softmax(x, axis=axis)
    b = na.softmax_backward(dy, p, axis=axis)
    expected = p * (dy - (dy * p).sum(axis=axis, keepdims=True))
    np.testing.assert_allclose(b, expected, rtol=1e-14, atol=1e-16)
