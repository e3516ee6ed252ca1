"""Property-based tests (hypothesis); settings are in conftest.py."""

import math

import numpy as np
import pytest
from _helpers import call
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import numba_act as na
from numba_act.registry import ACTIVATIONS

DTYPES = [np.float32, np.float64]


def finite(dtype, lo=None, hi=None, **kw):
    return st.floats(
        min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False, width=np.dtype(dtype).itemsize * 8, **kw
    )


def rows(dtype, lo=-1e4, hi=1e4, max_cols=40):
    shapes = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=max_cols)
    return hnp.arrays(dtype, shapes, elements=finite(dtype, lo, hi))


# ------------------------------------------------------------------ softmax
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@given(data=st.data())
def test_softmax_in_unit_interval_and_sums_to_one(dtype, data):
    x = data.draw(rows(dtype))
    p = na.softmax(x)
    assert p.dtype == dtype and p.shape == x.shape
    assert np.isfinite(p).all()
    assert ((p >= 0) & (p <= 1)).all()
    eps = float(np.finfo(dtype).eps)
    n = x.shape[-1]
    for row in p.reshape(-1, n):
        s = math.fsum(row.astype(np.float64))
        assert abs(s - 1) <= 4 * eps * max(1.0, math.log2(n)), s - 1
    # the largest entry of a row has the largest probability
    idx = np.argmax(x.reshape(-1, n), axis=-1)
    pr = p.reshape(-1, n)
    assert (pr[np.arange(len(pr)), idx] == pr.max(axis=-1)).all()


@given(x=rows(np.float64, -50.0, 50.0), c=finite(np.float64, -100.0, 100.0))
def test_softmax_shift_invariance_float64(x, c):
    p = na.softmax(x)
    q = na.softmax(x + c)
    # x + c is rounded (error <= 0.5 ulp of 150): s_i changes by at most
    # about twice that, relatively.
    np.testing.assert_allclose(q, p, rtol=1e-13, atol=1e-300)


@given(
    k=hnp.arrays(np.int32, hnp.array_shapes(min_dims=1, max_dims=2, max_side=30), elements=st.integers(-4000, 4000)),
    c=st.integers(-20000, 20000),
)
def test_softmax_shift_invariance_exact_shifts_float32(k, c):
    """Quarter-integers and integer shifts: x + c is exact in float32."""
    x = (k / 4).astype(np.float32)
    p = na.softmax(x)
    q = na.softmax(x + np.float32(c))
    np.testing.assert_allclose(q, p, rtol=4 * float(np.finfo(np.float32).eps), atol=0)


@given(x=rows(np.float64, -30.0, 30.0, max_cols=12), dy=st.data())
def test_softmax_backward_is_jacobian_product(x, dy):
    g = dy.draw(hnp.arrays(np.float64, x.shape, elements=finite(np.float64, -10.0, 10.0)))
    p = na.softmax(x)
    b = na.softmax_backward(g, p)
    J = na.softmax_jacobian(x)
    expected = np.einsum("...ij,...i->...j", J, g)
    np.testing.assert_allclose(b, expected, rtol=1e-12, atol=1e-14 * (1 + np.abs(g).max()))


# ------------------------------------------------------------- elementwise
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@given(data=st.data())
def test_sigmoid_symmetry(dtype, data):
    """sigmoid(x) + sigmoid(-x) == 1 within 2 ulp of 1."""
    x = data.draw(hnp.arrays(dtype, st.integers(1, 50), elements=finite(dtype)))
    a = na.sigmoid(x)
    b = na.sigmoid(-x)
    err = np.array([abs(math.fsum([float(u), float(v), -1.0])) for u, v in zip(a, b)])
    tol = 2 * float(np.finfo(dtype).eps)  # 2 ulp of 1
    assert err.max() <= tol, (x[np.argmax(err)], err.max())


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@given(data=st.data())
def test_tanh_odd_exact(dtype, data):
    x = data.draw(
        hnp.arrays(dtype, st.integers(1, 50), elements=st.floats(width=np.dtype(dtype).itemsize * 8, allow_nan=False))
    )
    a = na.tanh(x)
    b = na.tanh(-x)
    assert np.array_equal((-b).view(f"u{np.dtype(dtype).itemsize}"), a.view(f"u{np.dtype(dtype).itemsize}"))
    g1, g2 = na.tanh_grad(x), na.tanh_grad(-x)
    assert np.array_equal(g1, g2)
    s1, s2 = na.sigmoid_grad(x), na.sigmoid_grad(-x)
    assert np.array_equal(s1, s2)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("act", [pytest.param(a, id=a.name) for a in ACTIVATIONS])
@given(data=st.data())
def test_backward_is_dy_times_grad(act, dtype, data):
    lo, hi = act.core
    n = data.draw(st.integers(1, 40))
    x = data.draw(hnp.arrays(dtype, n, elements=finite(dtype, lo, hi)))
    dy = data.draw(
        hnp.arrays(
            dtype,
            n,
            elements=st.one_of(st.just(0.0), finite(dtype, 2.0**-10, 1024.0), finite(dtype, -1024.0, -(2.0**-10))),
        )
    )
    b = call(act.name, "backward", x, dy)
    g = call(act.name, "grad", x)
    assert b.dtype == dtype
    eps = float(np.finfo(dtype).eps)
    # Where f'(x) is subnormal, dy * g loses digits that the fused backward
    # keeps (it applies the small power of two last): absolute slack there.
    tiny = float(np.finfo(dtype).tiny)
    np.testing.assert_allclose(b, dy * g, rtol=2 * eps, atol=2 * tiny * float(np.abs(dy).max(initial=0.0)))


@pytest.mark.parametrize("act", [pytest.param(a, id=a.name) for a in ACTIVATIONS])
@given(x=finite(np.float64))
def test_float32_matches_float64_rounded(act, x):
    """The float32 functions agree with float64 ones to within their error
    bounds at float32 inputs (consistency across dtypes)."""
    x32 = np.float32(x) if abs(x) < 3e38 else np.float32(np.sign(x) * 3e38)
    for kind in ("forward", "grad"):
        y32 = call(act.name, kind, x32)
        y64 = call(act.name, kind, np.float64(x32))
        assume(abs(y64) >= float(np.finfo(np.float32).tiny) or y64 == 0)
        size = abs(y64)
        if kind == "grad" and act.grad_scale is not None:  # near a zero of f', ulps of the cancelling terms
            size = max(size, float(act.grad_scale(np.float64(x32), *act.test_params())))
        ulp = np.spacing(np.float32(size)) if size != 0 else np.float32(0)
        assert abs(float(y32) - y64) <= 4 * float(ulp), (kind, x32, y32, y64)
