"""Activation parameters: defaults and argument binding, accuracy of every
`param_cases` tuple, derivatives, broadcasting and casting of parameters,
the fast and general call paths, `check` constraints and variants.

Driven by the registry: every activation with `params` (or `check`, or
`variants`) is covered as soon as it is registered.
"""

import mpmath
import numpy as np
import pytest
from _helpers import KINDS, MP_DPS, check_accuracy, public, public_name, ref_mpmath

import numba_act as na
from numba_act import dispatch
from numba_act.registry import ACTIVATIONS
from numba_act.testing import ref64

PARAM_ACTS = [a for a in ACTIVATIONS if a.params]
CHECKED_ACTS = [a for a in ACTIVATIONS if a.check is not None]
VARIANT_ACTS = [a for a in ACTIVATIONS if a.variants]


def _ids(acts):
    return [pytest.param(a, id=a.name) for a in acts]


def _cases(act):
    """The parameter tuples to test: the test values (defaults, or the
    samples of required parameters) and every `param_cases` tuple."""
    return [act.test_params(), *act.param_cases]


def _case_params(include_test_values=False):
    out = []
    for a in PARAM_ACTS:
        cases = _cases(a) if include_test_values else list(a.param_cases)
        for c in cases:
            out.append(pytest.param(a, tuple(c), id=f"{a.name}-{'-'.join(map(repr, c))}"))
    return out


def _case_kind_params():
    return [
        pytest.param(a, c, k, id=f"{public_name(a.name, k)}-{'-'.join(map(repr, c))}")
        for a in PARAM_ACTS
        for c in a.param_cases
        for k in KINDS
    ]


def _f(act, kind):
    return public(act.name, kind)


def _call(act, kind, x, dy, params, **kw):
    f = _f(act, kind)
    return f(dy, x, *params, **kw) if kind == "backward" else f(x, *params, **kw)


def _kinks(act, params):
    """Where a derivative of a parametrized activation may jump: 0, +-p
    for each parameter and +-p/q for each pair (softplus switches to x at
    threshold / beta).  An over-approximation, generic over the registry."""
    ps = [float(p) for p in params]
    pts = {0.0}
    for p in ps:
        pts |= {p, -p}
        for q in ps:
            if q != 0:
                pts |= {p / q, -p / q}
    return np.array(sorted(pts))


def test_registry_has_parameters():
    """The tests below loop over these: they must not be empty."""
    assert PARAM_ACTS and CHECKED_ACTS and VARIANT_ACTS
    for a in PARAM_ACTS:
        assert a.param_cases, f"{a.name}: no param_cases to test"
        for c in a.param_cases:
            assert len(c) == len(a.params), f"{a.name}: param case {c} has the wrong length"


# ----------------------------------------------------------------- binding
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act", _ids(PARAM_ACTS))
def test_defaults_positional_keyword(act, kind):
    """f(x) == f(x, *defaults) == f(x, **defaults) == mixed forms, bit for
    bit; with no defaults (threshold) only the explicit forms."""
    rng = np.random.default_rng(0)
    lo, hi = act.core
    x = rng.uniform(lo, hi, 64)
    dy = rng.standard_normal(64)
    f = _f(act, kind)
    arrays = (dy, x) if kind == "backward" else (x,)
    vals = act.test_params()
    names = [p.name for p in act.params]
    ref = f(*arrays, *vals)
    assert ref.dtype == np.float64 and ref.shape == x.shape
    forms = [f(*arrays, **dict(zip(names, vals)))]
    for i in range(1, len(vals)):  # the first i positionally, the rest by keyword
        forms.append(f(*arrays, *vals[:i], **dict(zip(names[i:], vals[i:]))))
    forms.append(f(*arrays, **dict(reversed(list(zip(names, vals))))))  # keyword order is free
    if all(p.default is not None for p in act.params):
        forms.append(f(*arrays))
        for i in range(len(vals)):  # some given, the rest defaulted
            forms.append(f(*arrays, *vals[:i]))
            forms.append(f(*arrays, **{names[i]: vals[i]}))
    for y in forms:
        np.testing.assert_array_equal(y, ref)
    # and the defaults are what the call uses: a different value changes it
    for case in act.param_cases:
        y = f(*arrays, *case)
        assert not np.array_equal(y, ref), f"{act.name} {kind}: parameters {case} give the default result"


def test_defaults_are_pytorch_values():
    """The defaults as documented (PyTorch's); required ones are None."""
    expected = {
        "hardtanh": (-1.0, 1.0),
        "leaky_relu": (0.01,),
        "softshrink": (0.5,),
        "hardshrink": (0.5,),
        "threshold": (None, None),
        "elu": (1.0,),
        "celu": (1.0,),
        "softplus": (1.0, 20.0),
    }
    got = {a.name: tuple(p.default for p in a.params) for a in PARAM_ACTS}
    assert got == expected


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act", _ids([a for a in PARAM_ACTS if any(p.default is None for p in a.params)]))
def test_required_parameter_missing(act, kind):
    f = _f(act, kind)
    x = np.linspace(-2, 2, 5)
    arrays = (x, x) if kind == "backward" else (x,)
    vals = dict(zip([p.name for p in act.params], act.test_params()))
    for p in act.params:
        if p.default is not None:
            continue
        others = {k: v for k, v in vals.items() if k != p.name}
        with pytest.raises(TypeError, match=f"missing required argument '{p.name}'"):
            f(*arrays, **others)
    with pytest.raises(TypeError, match="missing required argument"):
        f(*arrays)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act", _ids(ACTIVATIONS))
def test_bad_arguments(act, kind):
    """Too many positional arguments, unknown and duplicate keywords, too
    few arrays: TypeError, for every activation (with or without params)."""
    f = _f(act, kind)
    name = public_name(act.name, kind)
    x = np.linspace(-2, 2, 5)
    arrays = (x, x) if kind == "backward" else (x,)
    vals = act.test_params()
    with pytest.raises(TypeError, match=f"{name}\\(\\) takes at most {len(arrays) + len(vals)} positional"):
        f(*arrays, *vals, 0.25)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        f(*arrays, *vals, bogus=1.0)
    if act.params:
        with pytest.raises(TypeError, match=f"multiple values for argument '{act.params[0].name}'"):
            f(*arrays, *vals, **{act.params[0].name: vals[0]})
    if kind == "backward":
        with pytest.raises(TypeError, match="takes 2 positional"):
            f(x)


# ---------------------------------------------------------------- accuracy
def _f32_inputs(act, params, seed):
    """float32 inputs: the core range, the tails, tiny magnitudes, random
    bit patterns, and the kinks with their neighbours."""
    rng = np.random.default_rng(seed)
    lo, hi = act.core
    edge = max(abs(lo), abs(hi), *[abs(k) for k in _kinks(act, params)])
    bits = rng.integers(0, 1 << 32, 2048, dtype=np.uint64).astype(np.uint32).view(np.float32)
    kinks = _kinks(act, params).astype(np.float32)
    near = np.concatenate([kinks, np.nextafter(kinks, np.float32(np.inf)), np.nextafter(kinks, np.float32(-np.inf))])
    parts = [
        bits[np.isfinite(bits)],
        rng.uniform(lo, hi, 3000),
        rng.choice([-1.0, 1.0], 600) * rng.uniform(edge, 120.0, 600),
        np.ldexp(rng.uniform(-1.0, 1.0, 300), rng.integers(-149, 0, 300)),
        near,
        [0.0, -0.0, np.finfo(np.float32).max, -np.finfo(np.float32).max],
    ]
    return np.concatenate([np.asarray(p, np.float64).astype(np.float32) for p in parts])


def _f64_inputs(act, params, seed):
    """A few hundred float64 inputs (mpmath is slow): core range, [-1, 1],
    tails, tiny magnitudes, kinks and their neighbours."""
    rng = np.random.default_rng(seed)
    lo, hi = act.core
    kinks = _kinks(act, params)
    edge = max(abs(lo), abs(hi), *np.abs(kinks))
    parts = [
        rng.uniform(lo, hi, 200),
        rng.uniform(-1.0, 1.0, 40),
        rng.choice([-1.0, 1.0], 60) * rng.uniform(edge, 750.0, 60),
        np.ldexp(rng.uniform(-1.0, 1.0, 40), rng.integers(-1074, 0, 40)),
        kinks,
        np.nextafter(kinks, np.inf),
        np.nextafter(kinks, -np.inf),
        [1e300, -1e300, np.finfo(np.float64).max, -np.finfo(np.float64).max],
    ]
    return np.concatenate([np.asarray(p, np.float64) for p in parts])


def _scale(act, kind, x, dy, params):
    """Activation.grad_scale(x, *params) (times |dy| for the backward), or None."""
    if kind == "forward" or act.grad_scale is None:
        return None
    with np.errstate(all="ignore"):
        s = act.grad_scale(np.asarray(x, np.float64), *params)
        return s * np.abs(np.asarray(dy, np.float64)) if kind == "backward" else s


def _ref32(act, kind, x, dy, params32):
    """The float64 libm reference at float32 points, with the parameters as
    float32 rounds them (the exact function of what the float32 call uses)."""
    ps = [float(p) for p in params32]
    with np.errstate(all="ignore"):
        x64 = x.astype(np.float64)
        if kind == "forward":
            return ref64(act.name, "forward")(x64, *ps)
        g = ref64(act.name, "grad")(x64, *ps)
        return g if kind == "grad" else dy.astype(np.float64) * g


def _grad_underflows(g, dtype):
    """Where the exact f'(x) is a nonzero subnormal: dy * f'(x) can be
    normal while f'(x) is not (as test_elementwise excludes them)."""
    tiny = float(np.finfo(dtype).tiny)
    with mpmath.workdps(MP_DPS):
        return np.array([bool(v != 0 and abs(v) < tiny) for v in g])


# ------------------------------------------------------- regression tests
# Bugs these tests found, fixed in numba_act/scalar.py:
#
# celu' and celu_backward rounded t = x / alpha before exp, whose relative
# sensitivity to t is |t|: for alpha not a power of two the error grew as
# ~|t|/2 ulp (float32: 25.7 ulp at x = -88.41 for alpha = 2.5; float64: 116
# ulp at t = -282).  The quotient's remainder is carried now.
#
# softplus with |beta| > 1 where beta * x overflows to -inf for finite x:
# t_lo = fma(beta, x, -t) was +inf and sig * t_lo 0 * inf, so the forward
# was NaN and the derivative inf where the exact values are 0.
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["grad", "backward"])
def test_celu_far_left_with_alpha_not_a_power_of_two(kind, dtype):
    act = next(a for a in PARAM_ACTS if a.name == "celu")
    alpha = 2.5
    x = np.linspace(-40 * alpha, -8 * alpha, 300).astype(dtype)
    dy = np.full(x.size, -0.5, dtype)
    y = _call(act, kind, x, dy, (alpha,))
    if dtype == np.float32:
        exact = _ref32(act, kind, x, dy, [np.float32(alpha)])
    else:
        exact = ref_mpmath(act.name, kind, x, dy if kind == "backward" else None, params=(alpha,))
    check_accuracy(y, exact, x, dtype, kind, f"{dtype.__name__} celu({alpha}) {kind}", act=act)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", KINDS)
def test_softplus_where_beta_x_overflows(kind, dtype):
    act = next(a for a in PARAM_ACTS if a.name == "softplus")
    fmax = np.finfo(dtype).max
    x = np.array([-fmax, -fmax / 1.5, -0.75 * fmax], dtype)
    y = _call(act, kind, x, np.ones(3, dtype), (2.0, 10.0))
    assert (y == 0).all(), f"softplus {kind}(x={x}, beta=2) = {y}, exact 0"


@pytest.mark.parametrize("act,params,kind", _case_kind_params())
def test_param_cases_float32(act, params, kind):
    """float32 with each param case vs the float64 reference."""
    x = _f32_inputs(act, params, seed=3)
    dy = np.random.default_rng(7).standard_normal(x.size).astype(np.float32)
    y = _call(act, kind, x, dy, params)
    p32 = [np.float32(p) for p in params]
    exact = _ref32(act, kind, x, dy, p32)
    keep = np.ones(x.shape, bool)
    if kind == "backward":
        g = _ref32(act, "grad", x, dy, p32)
        keep &= ~((np.abs(g) < float(np.finfo(np.float32).tiny)) & (g != 0))
    scale = _scale(act, kind, x, dy, [float(p) for p in p32])
    check_accuracy(y, exact, x, np.float32, kind, f"float32 {act.name}{params} {kind}", keep, scale, act)


@pytest.mark.parametrize("act,params,kind", _case_kind_params())
def test_param_cases_float64(act, params, kind):
    """float64 with each param case vs mpmath at 40 digits."""
    x = _f64_inputs(act, params, seed=11)
    dy = np.random.default_rng(3).standard_normal(x.size)
    y = _call(act, kind, x, dy, params)
    exact = ref_mpmath(act.name, kind, x, dy if kind == "backward" else None, params=params)
    keep = np.ones(x.shape, bool)
    if kind == "backward":
        keep &= ~_grad_underflows(ref_mpmath(act.name, "grad", x, params=params), np.float64)
    scale = _scale(act, kind, x, dy, params)
    check_accuracy(y, exact, x, np.float64, kind, f"float64 {act.name}{params} {kind}", keep, scale, act)


@pytest.mark.parametrize("act,params", _case_params(include_test_values=True))
def test_param_cases_central_differences(act, params):
    """grad and backward agree with central differences of the forward
    (float64), away from the kinks."""
    lo, hi = act.core
    x = np.linspace(lo, hi, 401) + 1e-3  # (not exactly on 0 or the integers)
    kinks = _kinks(act, params)
    h = 1e-6 * np.maximum(1.0, np.abs(x))
    away = np.min(np.abs(x[:, None] - kinks[None, :]), axis=1) > 1e3 * h
    x, h = x[away], h[away]
    assert x.size > 300
    f = _f(act, "forward")
    fd = (f(x + h, *params) - f(x - h, *params)) / (2 * h)
    g = _f(act, "grad")(x, *params)
    # truncation ~h**2 |f'''|, rounding ~eps |f| / h: both below 1e-8 (relative to max(1, |x|)) here
    tol = 1e-7 * np.maximum(1.0, np.abs(x))
    bad = np.abs(g - fd) > tol + 1e-7 * np.abs(fd)
    assert not bad.any(), f"{act.name}{params}: grad {g[bad][:4]} vs differences {fd[bad][:4]} at x={x[bad][:4]}"
    dy = np.random.default_rng(1).standard_normal(x.size)
    b = _f(act, "backward")(dy, x, *params)
    np.testing.assert_allclose(b, dy * g, rtol=2 * np.finfo(np.float64).eps, atol=0)


# ---------------------------------------------------------- broadcasting
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act", _ids(PARAM_ACTS))
def test_array_parameters_broadcast(act, kind, dtype):
    """Per-column parameter arrays (one column per param case) give, column
    by column, the bits of the scalar-parameter call; a per-row parameter
    (shape (n, 1)) broadcasts the result beyond x's shape."""
    cases = _cases(act)
    rng = np.random.default_rng(2)
    lo, hi = act.core
    m = 50
    x = rng.uniform(lo, hi, (m, len(cases))).astype(dtype)
    for j, c in enumerate(cases):  # the kinks of each column's parameters in its first rows
        k = _kinks(act, c)[:m]
        x[: k.size, j] = k
    dy = rng.standard_normal(x.shape).astype(dtype)
    cols = [np.array([c[i] for c in cases]) for i in range(len(act.params))]  # float64 arrays
    y = _call(act, kind, x, dy, cols)
    assert y.dtype == dtype and y.shape == x.shape
    for j, c in enumerate(cases):
        yj = _call(act, kind, np.ascontiguousarray(x[:, j]), np.ascontiguousarray(dy[:, j]), c)
        np.testing.assert_array_equal(y[:, j], yj, err_msg=f"column {j}, params {c}")
    # one parameter per row, the others scalars (the test values)
    base = list(act.test_params())
    for i in range(len(act.params)):
        vals = [c[i] for c in cases]
        ok = []
        for v in vals:
            ps = base[:i] + [v] + base[i + 1 :]
            try:
                if act.check is not None:
                    act.check(act.name, *ps)
            except ValueError:
                continue
            ok.append(v)
        row = np.array(ok).reshape(-1, 1)
        xr, dyr = x[:, 0], dy[:, 0]
        ps = base[:i] + [row] + base[i + 1 :]
        y = _call(act, kind, xr, dyr, ps)
        assert y.shape == (len(ok), m) and y.dtype == dtype
        for r, v in enumerate(ok):
            ps = base[:i] + [v] + base[i + 1 :]
            np.testing.assert_array_equal(y[r], _call(act, kind, xr, dyr, ps), err_msg=f"{act.params[i].name}={v}")


def _perturbed(params):
    """The parameters moved off the float32 grid (same signs and order)."""
    return tuple(float(p) * (1 + 3e-8) + 1e-9 for p in params)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act,params", _case_params(include_test_values=True))
def test_parameters_cast_to_compute_dtype(act, params, kind):
    """float32 x with float64 parameters computes in float32 (as PyTorch):
    the result is float32 and equals the call with the parameters rounded
    to float32; float64 x with float32 parameters stays float64 and uses
    their exact values; integer x computes in float64."""
    ps = _perturbed(params)
    assert any(float(np.float32(p)) != p for p in ps)
    rng = np.random.default_rng(5)
    lo, hi = act.core
    x64 = np.concatenate([rng.uniform(lo, hi, 200), _kinks(act, ps)])
    dy64 = rng.standard_normal(x64.size)
    x32, dy32 = x64.astype(np.float32), dy64.astype(np.float32)
    p32 = [np.float32(p) for p in ps]
    want = _call(act, kind, x32, dy32, p32)
    assert want.dtype == np.float32
    for given in (ps, [np.float64(p) for p in ps], [np.array(p) for p in ps]):
        y = _call(act, kind, x32, dy32, given)
        assert y.dtype == np.float32
        np.testing.assert_array_equal(y, want)
        # 0-d and scalar inputs too
        y0 = _call(act, kind, x32[7], dy32[7], given)
        assert y0.dtype == np.float32 and np.array_equal(y0, want[7], equal_nan=True)
    # an array parameter (not broadcast-trivial) is cast the same way
    y = _call(act, kind, x32, dy32, [np.full(x32.shape, p) for p in ps])
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, want)
    # float64 x with float32 parameters: float64, with the float32 values exactly
    y = _call(act, kind, x64, dy64, p32)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, _call(act, kind, x64, dy64, [float(p) for p in p32]))
    # float16 computes in float32 and rounds once
    with np.errstate(over="ignore"):  # (kinks such as 6 / 1e-9 are beyond float16)
        x16, dy16 = x64.astype(np.float16), dy64.astype(np.float16)
    y = _call(act, kind, x16, dy16, ps)
    assert y.dtype == np.float16
    with np.errstate(over="ignore"):
        r = _call(act, kind, x16.astype(np.float32), dy16.astype(np.float32), p32).astype(np.float16)
    np.testing.assert_array_equal(y, r)
    # integer x: float64, as np.exp
    xi = np.arange(-5, 6)
    y = _call(act, kind, xi, xi, ps)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, _call(act, kind, xi.astype(np.float64), xi.astype(np.float64), ps))


# ------------------------------------------------------------ call paths
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act,params", _case_params(include_test_values=True))
def test_call_paths_agree(act, params, kind, dtype):
    """The scalar fast path (small contiguous arrays, the flat driver) and
    the general paths (non-contiguous input, out=, where=, arrays above
    PARALLEL_MIN_SIZE split over threads, 0-d inputs) give the same bits."""
    rng = np.random.default_rng(9)
    lo, hi = act.core
    n = 1000
    x = np.resize(np.concatenate([_kinks(act, params)[:20], rng.uniform(lo, hi, n)]), n).astype(dtype)
    dy = rng.standard_normal(n).astype(dtype)
    ref = _call(act, kind, x, dy, params)  # fast path
    assert ref.dtype == dtype
    # the raw ufunc, with the parameters as stride-0 inputs
    u = _f(act, kind).ufunc
    with np.errstate(all="ignore"):
        raw = u(*((dy, x) if kind == "backward" else (x,)), *[dtype(p) for p in params])
    np.testing.assert_array_equal(ref, raw, err_msg="fast path vs ufunc")
    # non-contiguous input
    xs, dys = np.empty(2 * n, dtype), np.empty(2 * n, dtype)
    xs[::2], dys[::2] = x, dy
    np.testing.assert_array_equal(_call(act, kind, xs[::2], dys[::2], params), ref, err_msg="strided")
    # out= (contiguous: the fast path; strided: the general path)
    out = np.full(n, -7.0, dtype)
    res = _call(act, kind, x, dy, params, out=out)
    assert res is out
    np.testing.assert_array_equal(out, ref, err_msg="out=")
    out2 = np.full(2 * n, -7.0, dtype)
    _call(act, kind, x, dy, params, out=out2[::2])
    np.testing.assert_array_equal(out2[::2], ref, err_msg="strided out=")
    assert (out2[1::2] == -7.0).all()
    res = _call(act, kind, x, dy, params, out=(out,))
    np.testing.assert_array_equal(out, ref, err_msg="out=(a,)")
    # where=: everything selected, and half selected with out= keeping the rest
    np.testing.assert_array_equal(_call(act, kind, x, dy, params, where=np.ones(n, bool)), ref, err_msg="where=")
    sel = rng.random(n) < 0.5
    out = np.full(n, -7.0, dtype)
    _call(act, kind, x, dy, params, out=out, where=sel)
    np.testing.assert_array_equal(out[sel], ref[sel], err_msg="where= with out=")
    assert (out[~sel] == -7.0).all()
    # large arrays, split over threads when there are several
    reps = dispatch.PARALLEL_MIN_SIZE // n + 1
    xl, dyl = np.tile(x, reps), np.tile(dy, reps)
    assert xl.size >= dispatch.PARALLEL_MIN_SIZE
    yl = _call(act, kind, xl, dyl, params)
    np.testing.assert_array_equal(yl, np.tile(ref, reps), err_msg="large")
    # 2-d input: same bits elementwise
    np.testing.assert_array_equal(_call(act, kind, x.reshape(20, -1), dy.reshape(20, -1), params).ravel(), ref)
    # scalars
    for i in (0, n - 1, n - 20):
        s = _call(act, kind, x[i], dy[i], params)
        assert np.array_equal(s, ref[i], equal_nan=True) and s.dtype == dtype, f"scalar at x={x[i]!r}"


# ------------------------------------------------------------- constraints
# Parameter values that `check` must refuse, with a word the message must
# contain; every activation with a check needs an entry.
BAD_PARAMS = {
    "hardtanh": [((2.0, 1.0), "min_val \\(2.0\\) cannot be greater than max_val \\(1.0\\)")],
    "softshrink": [((-0.5,), "lambd must be >= 0, got -0.5")],
    "hardshrink": [((-0.5,), "lambd must be >= 0, got -0.5")],
    "celu": [((0.0,), "alpha must be nonzero"), ((-0.0,), "alpha must be nonzero")],
    "softplus": [((0.0, 20.0), "beta must be nonzero")],
}
# Boundary values that are allowed.
GOOD_EDGE_PARAMS = {
    "hardtanh": [(1.0, 1.0), (-0.0, 0.0)],
    "softshrink": [(0.0,)],
    "hardshrink": [(0.0,)],
    "celu": [(-1.0,), (1e-30,)],
    "softplus": [(-1.0, 20.0)],
}


def test_every_check_has_bad_values():
    assert {a.name for a in CHECKED_ACTS} == set(BAD_PARAMS)


def _bad_params():
    return [
        pytest.param(a, bad, msg, id=f"{a.name}-{'-'.join(map(repr, bad))}")
        for a in CHECKED_ACTS
        for bad, msg in BAD_PARAMS.get(a.name, [])
    ]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act,bad,msg", _bad_params())
def test_check_raises_before_writing(act, bad, msg, kind):
    """ValueError naming the function and the constraint, for each kind,
    positional, keyword and NumPy-scalar parameters, fast and general
    paths; a given out= is left untouched."""
    name = public_name(act.name, kind)
    x = np.linspace(-3, 3, 16)
    dy = np.ones(16)
    names = [p.name for p in act.params]
    for dtype in (np.float32, np.float64):
        xd, dyd = x.astype(dtype), dy.astype(dtype)
        for xs, dys in ((xd, dyd), (np.repeat(xd, 2)[::2], np.repeat(dyd, 2)[::2])):
            for form in ("positional", "keyword", "numpy"):
                out = np.full(16, 123.0, dtype)
                with pytest.raises(ValueError, match=f"^{name}: {msg}"):
                    if form == "positional":
                        _call(act, kind, xs, dys, bad, out=out)
                    elif form == "keyword":
                        f = _f(act, kind)
                        arrays = (dys, xs) if kind == "backward" else (xs,)
                        f(*arrays, **dict(zip(names, bad)), out=out)
                    else:
                        _call(act, kind, xs, dys, [np.array(b, dtype)[()] for b in bad], out=out)
                assert (out == 123.0).all(), f"{name}: out= written before the ValueError"
        # 0-d array parameters are scalars: checked as well
        with pytest.raises(ValueError, match=f"^{name}: {msg}"):
            _call(act, kind, xd, dyd, [np.array(b) for b in bad])
        with pytest.raises(ValueError, match=f"^{name}: {msg}"):
            _call(act, kind, xd[3], dyd[3], bad)


@pytest.mark.parametrize("act", _ids(CHECKED_ACTS))
def test_check_allows_edges(act):
    x = np.linspace(-3, 3, 16)
    for ps in GOOD_EDGE_PARAMS[act.name]:
        for kind in KINDS:
            y = _call(act, kind, x, x, ps)
            assert y.shape == x.shape and not np.isnan(y).any(), (act.name, kind, ps)


def test_check_values():
    """What the edge cases compute."""
    x = np.array([-2.0, -1.0, 0.5, 1.0, 3.0])
    np.testing.assert_array_equal(na.hardtanh(x, 1.0, 1.0), np.ones(5))
    np.testing.assert_array_equal(na.hardtanh_grad(x, 1.0, 1.0), np.zeros(5))
    np.testing.assert_array_equal(na.softshrink(x, 0.0), x)
    np.testing.assert_array_equal(na.hardshrink(x, 0.0), x)
    np.testing.assert_array_equal(na.hardshrink_grad(np.array([-0.0, 0.0, 1e-300]), 0.0), [0.0, 0.0, 1.0])
    # softplus with a negative beta: log(1 + exp(beta x)) / beta (PyTorch allows it)
    sp = na.softplus(x, -1.0, 20.0)
    np.testing.assert_allclose(sp, -np.log1p(np.exp(-x)), rtol=1e-15)


# ------------------------------------------------------------------ variants
def _variant_params():
    return [
        pytest.param(a, key, value, other, id=f"{a.name}-{key}={value}")
        for a in VARIANT_ACTS
        for key, value, other in a.variants
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act,key,value,other", _variant_params())
def test_variant_selects_entry(act, key, value, other, dtype):
    """f(x, key=value) is the selected registry entry, bit for bit, for
    forward, grad and backward, with out= and where= too."""
    rng = np.random.default_rng(6)
    lo, hi = act.core
    x = np.concatenate([rng.uniform(lo, hi, 300), [0.0, -0.0, np.inf, -np.inf, np.nan, -9.0, 1e-6]]).astype(dtype)
    dy = rng.standard_normal(x.size).astype(dtype)
    for kind in KINDS:
        f = _f(act, kind)
        g = public(other, kind)
        arrays = (dy, x) if kind == "backward" else (x,)
        want = g(*arrays)
        np.testing.assert_array_equal(f(*arrays, **{key: value}), want, err_msg=kind)
        out = np.empty_like(x)
        assert f(*arrays, **{key: value}, out=out) is out
        np.testing.assert_array_equal(out, want)
        np.testing.assert_array_equal(f(*arrays, **{key: value}, where=np.ones(x.size, bool)), want)
        np.testing.assert_array_equal(f(*[a[::2] for a in arrays], **{key: value}), want[::2])
        s = f(*[a[5] for a in arrays], **{key: value})
        assert s.dtype == dtype and s == want[5]
    assert any(o != act.name for _, _, o in act.variants), f"{act.name}: no variant selects another entry"


@pytest.mark.parametrize("act", _ids(VARIANT_ACTS))
def test_variant_bad_value(act):
    x = np.linspace(-1, 1, 5)
    for key in {k for k, _, _ in act.variants}:
        allowed = [v for k, v, _ in act.variants if k == key]
        for kind in KINDS:
            f = _f(act, kind)
            arrays = (x, x) if kind == "backward" else (x,)
            for bad in ("TANH", "erf", None, 1):
                with pytest.raises(ValueError, match=f"{key} must be one of") as info:
                    f(*arrays, **{key: bad})
                for v in allowed:
                    assert repr(v) in str(info.value)
        # the variant keyword is not positional, and other entries do not take it
        with pytest.raises(TypeError):
            _f(act, "forward")(x, allowed[0])
    others = {o for a in VARIANT_ACTS for _, _, o in a.variants} - {a.name for a in VARIANT_ACTS}
    for o in others:
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            public(o, "forward")(x, **{act.variants[0][0]: act.variants[0][1]})


def test_gelu_approximate():
    """The named case of the brief: gelu(x, approximate='tanh') is gelu_tanh."""
    x = np.linspace(-5, 5, 101, dtype=np.float32)
    np.testing.assert_array_equal(na.gelu(x, approximate="tanh"), na.gelu_tanh(x))
    np.testing.assert_array_equal(na.gelu_grad(x, approximate="tanh"), na.gelu_tanh_grad(x))
    np.testing.assert_array_equal(na.gelu_backward(x, x, approximate="tanh"), na.gelu_tanh_backward(x, x))
    np.testing.assert_array_equal(na.gelu(x, approximate="none"), na.gelu(x))
    assert not np.array_equal(na.gelu(x), na.gelu_tanh(x))
    with pytest.raises(ValueError, match=r"approximate must be one of \['none', 'tanh'\], got 'sigmoid'"):
        na.gelu(x, approximate="sigmoid")
