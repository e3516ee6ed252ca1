"""numba_act._special against mpmath (40 digits): ulp targets per function.

Errors are in ulp of the binade of the exact value; where the exact value is
subnormal, in units of the smallest subnormal.
"""

import zlib

import mpmath as mp
import numpy as np
import pytest
from numba import njit, vectorize

from numba_act import _special as sp

FLOATS = (np.float32, np.float64)
MP_DPS = 40
N = 1500  # random points per range


SIGS = ["float32(float32)", "float64(float64)"]


@vectorize(SIGS, cache=True)
def _log1p(u):
    return sp.log1p(u)


@vectorize(SIGS, cache=True)
def _gauss(x):
    m, s = sp.exp_neg_sq_split(x)
    return m * s


@vectorize(SIGS, cache=True)
def _half_gauss(x):
    m, s = sp.exp_neg_half_sq_split(x)
    return m * s


def _ulp_errors(got, exact, dtype):
    """|got - exact| in ulp of exact's binade (subnormal: smallest subnormal)."""
    fi = np.finfo(dtype)
    out = np.empty(len(got))
    for i, (g, e) in enumerate(zip(got, exact, strict=True)):
        if mp.isnan(e):
            out[i] = 0.0 if np.isnan(g) else np.inf
            continue
        if np.isnan(g):
            out[i] = np.inf
            continue
        if mp.isinf(e) or np.isinf(g):
            out[i] = 0.0 if g == e else np.inf
            continue
        a = abs(e)
        if a < fi.tiny:
            u = mp.mpf(float(fi.smallest_subnormal))
        else:
            u = mp.mpf(2) ** (mp.floor(mp.log(a, 2)) - fi.nmant)
        out[i] = float(abs(mp.mpf(float(g)) - e) / u)
    return out


def _check(f, ref, xs, dtype, target):
    xs = np.asarray(xs, dtype=dtype)
    with mp.workdps(MP_DPS):
        exact = [ref(mp.mpf(float(x))) if not np.isnan(x) else mp.nan for x in xs]
        with np.errstate(invalid="ignore"):
            got = f(xs)
        assert got.dtype == dtype
        err = _ulp_errors(got, exact, dtype)
    i = int(np.argmax(err))
    print(f"{getattr(f, '__name__', f)} {np.dtype(dtype).name}: max {err[i]:.3f} ulp at {xs[i]!r}")
    assert err[i] <= target, f"{err[i]:.3f} ulp at x = {xs[i]!r}: got {got[i]!r}, exact {mp.nstr(exact[i], 20)}"
    return err[i], xs[i]


def _rng(dtype, name):
    # zlib.crc32, not hash(): str hashes change from run to run.
    return np.random.default_rng(zlib.crc32(f"{np.dtype(dtype).name}-{name}".encode()))


SPECIAL = [0.0, -0.0, 1e-30, 1e-40, 5e-324, 1e-300, 1.0, 1e30, np.inf, -np.inf, np.nan]


# ---------------------------------------------------------------- log1p
@pytest.mark.parametrize("dtype", FLOATS)
def test_log1p(dtype):
    rng = _rng(dtype, "log1p")
    fi = np.finfo(dtype)
    xs = np.concatenate(
        [
            rng.random(N),
            rng.random(N // 3) * 1e-3,
            np.exp(rng.uniform(np.log(float(fi.smallest_subnormal)), 0.0, N // 3)),
            [0.0, -0.0, 1.0, 0.41421356237309503, 0.414213562373095, 0.4142135623731, np.sqrt(2) - 1],
            [fi.smallest_subnormal, fi.tiny, fi.eps, 1 - fi.epsneg],
        ]
    ).astype(dtype)
    _check(_log1p, mp.log1p, xs, dtype, 1.0)
    with np.errstate(invalid="ignore"):
        assert np.isnan(_log1p(np.array([np.nan], dtype))[0])


# ---------------------------------------------------------------- exp(-x**2)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("half", [False, True], ids=["sq", "half_sq"])
def test_exp_neg_sq(dtype, half):
    rng = _rng(dtype, f"gauss{half}")
    c = 2.0 if half else 1.0
    # Up to where the result underflows to 0 (float32: 1e-45, float64: 5e-324).
    top = np.sqrt(c * (104.0 if dtype == np.float32 else 745.2))
    xs = np.concatenate(
        [
            rng.uniform(-top, top, N),
            rng.uniform(-3, 3, N // 3),
            np.exp(rng.uniform(-100, 0, N // 3)),
            [top + 1, -top - 1, 1e30, 1e-30, 0.0, -0.0, 5e-324, 1e-40],
        ]
    ).astype(dtype)
    f = _half_gauss if half else _gauss
    _check(f, lambda x: mp.exp(-x * x / c), xs, dtype, 1.0)
    for x, want in ((np.inf, 0.0), (-np.inf, 0.0), (0.0, 1.0), (np.nan, np.nan)):
        with np.errstate(invalid="ignore"):
            got = f(np.array([x], dtype))[0]
        assert got.dtype == dtype and (got == want or (np.isnan(want) and np.isnan(got)))
    # s is a power of two, m within the normal range.
    split = njit(lambda x: sp.exp_neg_half_sq_split(x) if half else sp.exp_neg_sq_split(x))
    for x in xs[:50]:
        m, s = split(x)
        assert np.frexp(s)[0] == 0.5 and m >= np.finfo(np.float64).tiny


# ---------------------------------------------------------------- x - tanh(x)
@vectorize(SIGS, cache=True)
def _x_minus_tanh(x):
    return sp.x_minus_tanh(x)


# The CUDA equivalent, compiled for the CPU (its fma is _math's, math.expm1
# numba's): the same arithmetic with real divisions.
_x_minus_tanh_cuda = vectorize(SIGS)(sp.CUDA_EQUIVALENTS["x_minus_tanh"])


def _x_minus_tanh_ref(x):
    if abs(x) < mp.mpf("1e-6"):
        # x - tanh(x) = x**3 (1/3 - 2 z/15 + 17 z**2/315 - 62 z**3/2835 + ...)
        z = x * x
        return x**3 * (mp.mpf(1) / 3 - 2 * z / 15 + 17 * z**2 / 315 - 62 * z**3 / 2835)
    with mp.workdps(MP_DPS + 15):  # cancellation: x / (x - tanh x) < 1e13
        return +(x - mp.tanh(x))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("cuda", [False, True], ids=["cpu", "cuda_equivalent"])
def test_x_minus_tanh(dtype, cuda):
    rng = _rng(dtype, "x_minus_tanh")
    fi = np.finfo(dtype)
    tiny_log = np.log(float(fi.smallest_subnormal))
    mags = np.concatenate(
        [
            rng.uniform(0, 30, N),
            rng.uniform(0, 2, N // 2),  # both rational pieces and the switch
            rng.uniform(1.3, 1.45, N // 6),
            np.exp(rng.uniform(tiny_log, 0, N // 2)),
            # where x**3/3 is subnormal or about to underflow to 0
            np.cbrt(
                3 * np.exp(rng.uniform(np.log(float(fi.smallest_subnormal)) - 1, np.log(float(fi.tiny)) + 1, N // 6))
            ),
            [0.75, 0.7499999, 1.375, 1.3749999, 1.3750001, 20.0, 1e30, float(fi.max)],
            [fi.smallest_subnormal, fi.tiny, fi.eps],
        ]
    )
    signs = rng.choice([-1.0, 1.0], len(mags))
    xs = (mags * signs).astype(dtype)
    f = _x_minus_tanh_cuda if cuda else _x_minus_tanh
    _check(f, _x_minus_tanh_ref, xs, dtype, 2.0)
    # Subnormal results: within one unit of the smallest subnormal.
    sub = np.abs(xs.astype(np.float64)) < np.cbrt(3 * float(fi.tiny))
    with mp.workdps(MP_DPS):
        exact = [_x_minus_tanh_ref(mp.mpf(float(x))) for x in xs[sub]]
        err = _ulp_errors(f(xs[sub]), exact, dtype)
    assert sub.sum() > 50 and err.max() <= 1.0, err.max()
    # Odd, and the special values.
    np.testing.assert_array_equal(f(-xs), -f(xs))
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], dtype)
    with np.errstate(invalid="ignore"):
        got = f(specials)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got[:4], [0.0, -0.0, np.inf, -np.inf])
    assert np.signbit(got[1]) and not np.signbit(got[0]) and np.isnan(got[4])


# ---------------------------------------------------------------- normal tail
@vectorize(SIGS, cache=True)
def _normal_tail(x):
    q, q_lo, m, s = sp.normal_tail_split(x)
    return (q + q_lo) * s


_normal_tail_cuda_split = njit(sp.CUDA_EQUIVALENTS["normal_tail_split"])


@vectorize(SIGS)
def _normal_tail_cuda(x):
    q, q_lo, m, s = _normal_tail_cuda_split(x)
    return (q + q_lo) * s


@vectorize(SIGS, cache=True)
def _half_gauss_of_split(x):
    q, q_lo, m, s = sp.normal_tail_split(x)
    return m * s


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("cuda", [False, True], ids=["cpu", "cuda_equivalent"])
def test_normal_tail(dtype, cuda):
    """Phi_c(|x|) = erfc(|x| / sqrt 2) / 2 from the split, down to subnormal
    results; both rational pieces and the switch at 4.  CPU: 1 ulp (measured
    0.66 float32, 0.75 float64).  The CUDA equivalent rounds exp(-x**2/2)
    (libm's or libdevice's exp) before the product: 2 ulp (measured 1.33,
    1.52)."""
    rng = _rng(dtype, "normal_tail")
    fi = np.finfo(dtype)
    top = 14.2 if dtype == np.float32 else 38.6  # Phi_c underflows to 0 beyond
    xs = np.concatenate(
        [
            rng.uniform(-top, top, N),
            rng.uniform(0, 5, N // 2),
            rng.uniform(3.9, 4.1, N // 6),
            np.exp(rng.uniform(np.log(float(fi.smallest_subnormal)), 0, N // 6)),
            [0.0, -0.0, 4.0, np.nextafter(dtype(4.0), dtype(0.0)), 0.7518, top, -top],
            [fi.smallest_subnormal, fi.tiny, fi.eps],
        ]
    ).astype(dtype)
    f = _normal_tail_cuda if cuda else _normal_tail
    err, _ = _check(f, lambda x: mp.ncdf(-abs(x)), xs, dtype, 2.0 if cuda else 1.0)
    assert err > 0.1  # the comparison sees the rounding
    # Subnormal results in units of the smallest subnormal, and beyond: 0.
    with np.errstate(invalid="ignore", over="ignore"):
        got = f(np.array([np.inf, -np.inf, 1e30, -fi.max, np.nan], dtype))
    np.testing.assert_array_equal(got[:4], 0.0)
    assert np.isnan(got[4])
    # m * s is exp(-x**2 / 2) (CPU split).
    if not cuda:
        _check(_half_gauss_of_split, lambda x: mp.exp(-x * x / 2), xs, dtype, 1.0)
