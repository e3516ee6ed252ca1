"""Shared helpers of the test suite: input generators, references, ulp errors.

Everything here is driven by `numba_act.registry.ACTIVATIONS`, so a new
registry entry is picked up by every parametrized test automatically.
"""

import functools

import mpmath
import numpy as np
import pytest

import numba_act as na
from numba_act.registry import ACTIVATIONS, BY_NAME
from numba_act.testing import ref64

KINDS = ("forward", "grad", "backward")
FLOATS = (np.float32, np.float64)

# Error targets in ulp (of the binade of the exact value), for both dtypes.
ULP_TARGET = {"forward": 2.0, "grad": 4.0, "backward": 4.0}

# Digits of the mpmath references.
MP_DPS = 40


def public_name(act_name, kind):
    return act_name if kind == "forward" else f"{act_name}_{kind}"


def public(act_name, kind):
    """The public callable na.<name>, na.<name>_grad or na.<name>_backward."""
    return getattr(na, public_name(act_name, kind))


def act_params():
    """pytest params over the registry, with the activation name as id."""
    return [pytest.param(a, id=a.name) for a in ACTIVATIONS]


def act_kind_params():
    return [pytest.param(a, k, id=public_name(a.name, k)) for a in ACTIVATIONS for k in KINDS]


def dtype_params():
    return [pytest.param(np.dtype(d), id=np.dtype(d).name) for d in FLOATS]


def test_params(act_name):
    """The parameter values the generic tests use, by keyword."""
    act = BY_NAME[act_name]
    return {p.name: v for p, v in zip(act.params, act.test_params())}


def call(act_name, kind, x, dy=None, params=None, **kw):
    """Call the public function (with the test parameters unless `params`
    is given as a tuple); backward gets (dy, x)."""
    f = public(act_name, kind)
    act = BY_NAME[act_name]
    pkw = test_params(act_name) if params is None else {p.name: v for p, v in zip(act.params, params)}
    if kind == "backward":
        return f(dy, x, **pkw, **kw)
    return f(x, **pkw, **kw)


def base_name(name):
    """The activation of a public elementwise name: sigmoid_grad -> sigmoid,
    leaky_relu_backward -> leaky_relu, log_sigmoid -> log_sigmoid; names of
    other functions (softmax, ...) unchanged."""
    for suffix in ("_grad", "_backward"):
        if name.endswith(suffix) and name[: -len(suffix)] in BY_NAME:
            return name[: -len(suffix)]
    return name


def bound(name):
    """na.<name> with the test parameters of its activation bound as
    keywords (na.threshold needs its two); other functions (softmax, ...)
    unchanged."""
    f = getattr(na, name)
    base = base_name(name)
    if base not in BY_NAME or not BY_NAME[base].params:
        return f
    kw = test_params(base)

    def with_params(*args, **more):
        return f(*args, **kw, **more)

    with_params.__name__ = f.__name__
    return with_params


def ufunc_args(act_name, *arrays):
    """The arrays followed by the test parameters: the raw ufunc's inputs."""
    return (*arrays, *BY_NAME[act_name].test_params())


def call_ufunc(act_name, kind, x, dy=None):
    """The raw numpy.ufunc (single-threaded, no dispatch)."""
    u = public(act_name, kind).ufunc
    args = (dy, x) if kind == "backward" else (x,)
    with np.errstate(all="ignore"):
        return u(*ufunc_args(act_name, *args))


# ------------------------------------------------------------------ inputs
def float32_inputs(core, seed=0, n_bits=1 << 16, n_core=1 << 14, n_tail=1 << 13):
    """float32 inputs over the whole finite range.

    Random bit patterns of finite floats (every binade, subnormals
    included, both signs), uniform samples in the core range, and the tails
    from the edge of the core out to where every function saturates.
    """
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 1 << 32, n_bits, dtype=np.uint64).astype(np.uint32).view(np.float32)
    bits = bits[np.isfinite(bits)]
    lo, hi = core
    edge = max(abs(lo), abs(hi))
    sign = rng.choice(np.array([-1.0, 1.0]), n_tail)
    tails = sign * rng.uniform(edge, 120.0, n_tail)
    tiny = np.ldexp(rng.uniform(-1.0, 1.0, n_tail // 4), rng.integers(-149, 0, n_tail // 4))
    subnormal = (
        rng.integers(1, 1 << 23, 256, dtype=np.int64).astype(np.uint32)
        | (rng.integers(0, 2, 256).astype(np.uint32) << 31)
    ).view(np.float32)
    fi = np.finfo(np.float32)
    fixed = np.array(
        [
            0.0,
            -0.0,
            1.0,
            -1.0,
            15.0,
            -15.0,
            30.0,
            -30.0,
            88.0,
            -88.0,
            104.0,
            -104.0,
            fi.max,
            -fi.max,
            fi.tiny,
            -fi.tiny,
            fi.smallest_subnormal,
            -fi.smallest_subnormal,
        ]
    )
    parts = [bits, rng.uniform(lo, hi, n_core), tails, tiny, subnormal, fixed]
    return np.concatenate([np.asarray(p).astype(np.float32) for p in parts])


def float64_inputs(core, seed=0, n=2400):
    """float64 inputs: core range, [-1, 1], tails out to +-750, tiny
    magnitudes, subnormals, and a few named points."""
    rng = np.random.default_rng(seed)
    lo, hi = core
    edge = max(abs(lo), abs(hi))
    sign = lambda k: rng.choice(np.array([-1.0, 1.0]), k)
    k = n // 12
    fi = np.finfo(np.float64)
    parts = [
        rng.uniform(lo, hi, 4 * k),
        rng.uniform(-1.0, 1.0, k),
        sign(2 * k) * rng.uniform(edge, 750.0, 2 * k),  # the tails
        np.ldexp(rng.uniform(-1.0, 1.0, 2 * k), rng.integers(-1074, 0, 2 * k)),  # tiny magnitudes
        sign(k) * rng.integers(1, 1 << 52, k).astype(np.float64) * fi.smallest_subnormal,  # subnormals
        sign(k) * np.exp(rng.uniform(np.log(750.0), np.log(fi.max), k)),  # huge magnitudes
        np.array(
            [
                0.0,
                -0.0,
                1e-300,
                -1e-300,
                5e-324,
                -5e-324,
                30.0,
                -30.0,
                700.0,
                -700.0,
                709.0,
                -709.0,
                745.0,
                -745.0,
                750.0,
                -750.0,
                fi.max,
                -fi.max,
                fi.tiny,
                -fi.tiny,
            ]
        ),
    ]
    return np.concatenate(parts)


# -------------------------------------------------------------- references
def ref_float64(act_name, kind, x, dy=None, params=None, dtype=np.float32):
    """float64 reference (libm, ~1e-16 relative) for float32 tests.

    `dtype` is the type the tested function computes in (float32 for
    float32 and float16 data): its calls cast the parameters to it, so the
    exact function is the one of the parameters rounded to dtype."""
    ps = BY_NAME[act_name].test_params() if params is None else tuple(params)
    ps = tuple(float(np.dtype(dtype).type(p)) for p in ps)
    with np.errstate(all="ignore"):
        x64 = np.asarray(x, np.float64)
        if kind == "forward":
            return ref64(act_name, "forward")(x64, *ps)
        g = ref64(act_name, "grad")(x64, *ps)
        if kind == "grad":
            return g
        return np.asarray(dy, np.float64) * g


@functools.cache
def _mp_values(act_name, kind, xs, dys, params):
    """mpmath values (tuple of mpf) of the exact function at float64 points."""
    import mpmath

    act = BY_NAME[act_name]
    fn = act.ref if kind == "forward" else act.ref_grad
    with mpmath.workdps(MP_DPS):
        ps = [mpmath.mpf(p) for p in params]
        vals = [fn(mpmath, mpmath.mpf(v), *ps) for v in xs]
        if kind == "backward":
            vals = [mpmath.mpf(d) * v for d, v in zip(dys, vals)]
        return tuple(+v for v in vals)


def ref_mpmath(act_name, kind, x, dy=None, params=None):
    """Exact values (mpf, MP_DPS digits) at the float64 points x (and dy)."""
    ps = BY_NAME[act_name].test_params() if params is None else tuple(float(p) for p in params)
    xs = tuple(float(v) for v in np.asarray(x, np.float64))
    dys = None if dy is None else tuple(float(v) for v in np.asarray(dy, np.float64))
    grad_kind = "grad" if kind == "backward" else kind
    if kind == "backward":
        return _mp_values(act_name, "backward", xs, dys, ps)
    return _mp_values(act_name, grad_kind, xs, None, ps)


# -------------------------------------------------------------- ulp errors
def ulp_errors(y, exact, dtype):
    """Errors of y in ulps of the binade of the exact value.

    `exact` is a float64 array (float32 tests: the float64 reference is exact
    at float32 scale) or a sequence of mpmath mpf (float64 tests).  Returns
    (errors, mask) where mask marks the points whose exact value is a
    normal number of `dtype` (finite, tiny <= |exact| <= max); errors are
    reported only there.
    """
    dtype = np.dtype(dtype)
    fi = np.finfo(dtype)
    p = fi.nmant + 1
    y = np.asarray(y)
    if isinstance(exact, np.ndarray):
        r = exact.astype(np.float64)
        with np.errstate(all="ignore"):
            a = np.abs(r)
            mask = np.isfinite(r) & (a >= float(fi.tiny)) & (a <= float(fi.max))
            e = np.frexp(np.where(mask, a, 1.0))[1]
            ulp = np.ldexp(1.0, e - p)
            err = np.abs(y.astype(np.float64)[mask] - r[mask]) / ulp[mask]
        return err, mask
    import mpmath

    with mpmath.workdps(MP_DPS):
        tiny, big = mpmath.mpf(float(fi.tiny)), mpmath.mpf(float(fi.max))
        mask = np.zeros(len(exact), bool)
        errs = []
        for i, (yi, r) in enumerate(zip(y.astype(np.float64), exact)):
            if not mpmath.isfinite(r) or not (tiny <= abs(r) <= big):
                continue
            mask[i] = True
            e = mpmath.frexp(r)[1]
            ulp = mpmath.ldexp(1, e - p)
            if not np.isfinite(yi):
                errs.append(np.inf)
            else:
                errs.append(float(abs(mpmath.mpf(yi) - r) / ulp))
        return np.array(errs), mask


def rounded(exact, dtype):
    """The exact values rounded to dtype (inf where they overflow)."""
    dtype = np.dtype(dtype)
    if isinstance(exact, np.ndarray):
        with np.errstate(all="ignore"):
            return exact.astype(dtype)
    import mpmath

    with mpmath.workdps(MP_DPS):
        return np.array([float(r) for r in exact]).astype(dtype)


def subnormal_errors(y, exact, dtype):
    """Absolute errors in units of the smallest subnormal of dtype, at the
    points whose exact value is below the normal range (subnormal or 0)."""
    dtype = np.dtype(dtype)
    fi = np.finfo(dtype)
    y = np.asarray(y).astype(np.float64)
    if isinstance(exact, np.ndarray):
        r = exact.astype(np.float64)
        mask = np.isfinite(r) & (np.abs(r) < float(fi.tiny))
        return np.abs(y[mask] - r[mask]) / float(fi.smallest_subnormal), mask
    import mpmath

    with mpmath.workdps(MP_DPS):
        tiny = mpmath.mpf(float(fi.tiny))
        unit = mpmath.mpf(float(fi.smallest_subnormal))
        mask = np.array([bool(mpmath.isfinite(r) and abs(r) < tiny) for r in exact], bool)
        errs = [
            float(abs(mpmath.mpf(yi) - r) / unit) if np.isfinite(yi) else np.inf
            for yi, r, m in zip(y, exact, mask)
            if m
        ]
        return np.array(errs), mask


def worst(err, x, mask):
    """(max error, input where it occurs) for messages."""
    if err.size == 0:
        return 0.0, None
    i = int(np.argmax(err))
    return float(err[i]), np.asarray(x)[mask][i]


def random_dy(n, dtype, seed=1):
    """Random upstream gradients: standard normal with a spread of scales."""
    rng = np.random.default_rng(seed)
    dy = rng.standard_normal(n) * np.exp2(rng.integers(-20, 21, n))
    return dy.astype(dtype)


# ------------------------------------------------------- accuracy checks
def exact_grad_underflows(act_name, x, dtype):
    """Mask of the inputs where the exact derivative is below the normal
    range of dtype but not zero: there dy * f'(x) can be a normal number
    while f'(x) itself is subnormal (see test_backward_where_grad_underflows in
    tests/test_elementwise.py)."""
    g = ref_float64(act_name, "grad", x, dtype=dtype) if dtype == np.float32 else None
    tiny = float(np.finfo(dtype).tiny)
    if g is not None:
        return (np.abs(g) < tiny) & (g != 0)
    vals = ref_mpmath(act_name, "grad", x)
    with mpmath.workdps(MP_DPS):
        return np.array([bool(v != 0 and abs(v) < tiny) for v in vals])


def grad_scale_of(act, kind, x, dy=None):
    """Magnitude of the cancelling terms of a derivative (see
    Activation.grad_scale), or None."""
    if kind == "forward" or act.grad_scale is None:
        return None
    with np.errstate(all="ignore"):
        s = act.grad_scale(np.asarray(x, np.float64), *act.test_params())
        if kind == "backward":
            s = s * np.abs(np.asarray(dy, np.float64))
    return s


def check_accuracy(y, exact, x, dtype, kind, label, keep=None, scale=None, act=None):
    """NaN/inf agreement, ulp error where the exact value is normal, and
    absolute error (in subnormal spacings) where it is subnormal.  With
    `scale` (derivatives whose terms cancel near an interior zero), errors
    are in ulps of max(|exact|, scale)."""
    dtype = np.dtype(dtype)
    assert y.dtype == dtype, f"{label}: result dtype {y.dtype}, expected {dtype}"
    target = ULP_TARGET[kind]
    if act is not None:
        target = {(k, d): t for k, d, t in act.ulp_targets}.get((kind, dtype.name), target)
    r = rounded(exact, dtype)
    if keep is None:
        keep = np.ones(x.shape, bool)
    nan_bad = keep & (np.isnan(y) != np.isnan(r))
    assert not nan_bad.any(), (
        f"{label}: NaN mismatch at x={x[nan_bad][:5]} (got {y[nan_bad][:5]}, exact {r[nan_bad][:5]})"
    )
    inf_bad = keep & (np.isinf(r) | np.isinf(y)) & (y != r)
    assert not inf_bad.any(), (
        f"{label}: inf mismatch at x={x[inf_bad][:5]} (got {y[inf_bad][:5]}, exact {r[inf_bad][:5]})"
    )

    if not np.any(keep & (r != 0) & ~np.isnan(r)):
        # an identically zero derivative (binary_step'): exact zeros
        assert np.array_equal(y[keep], r[keep], equal_nan=True), f"{label}: not exactly 0"
        return
    err, mask = ulp_errors(y, exact, dtype)
    if scale is not None:
        with np.errstate(all="ignore"):
            ra = np.abs(r.astype(np.float64))[mask]
            sc = np.asarray(scale, np.float64)[mask]
            p = np.finfo(dtype).nmant + 1
            ulp_r = np.ldexp(1.0, np.frexp(np.where(ra > 0, ra, 1.0))[1] - p)
            ulp_s = np.ldexp(1.0, np.frexp(np.where(sc > 0, sc, 1.0))[1] - p)
            err = np.where(sc > ra, err * ulp_r / np.maximum(ulp_s, ulp_r), err)
    err = err[keep[mask]]
    mask = mask & keep
    e, at = worst(err, x, mask)
    # enough checked points (functions such as relu6' are nonzero only on a
    # short interval, so a fixed count rather than a share of all inputs)
    assert mask.sum() >= min(0.3 * keep.sum(), 500), f"{label}: too few inputs with a normal exact value ({mask.sum()})"
    assert e <= target, f"{label}: {e:.3f} ulp at x={at!r} (target {target})"

    serr, smask = subnormal_errors(y, exact, dtype)
    serr = serr[keep[smask]]
    smask = smask & keep
    se, sat = worst(serr, x, smask)
    assert se <= target, f"{label}: error {se:.3f} x smallest subnormal at x={sat!r} where the exact value is subnormal"
