"""Fit the polynomial / rational coefficients of numba_act/_special.py.

Each fit is linear least squares at high precision (mpmath, 50 digits) on
Chebyshev nodes, weighted by the relative error of the approximated
quantity, like the `_D` coefficients of numba_act/_math.py.  Rational fits
are linearized (P - f Q = 0) and reweighted by 1/Q a few times
(Sanathanan-Koerner).  The printed max errors are of the mathematical
approximation with the coefficients rounded to float64 (float32 for the
float32 sets), evaluated in mpmath; the errors of the float arithmetic are
measured by tests/test_special.py.

    python tools/fit_special.py [name ...]
"""

import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 50


def cheb_nodes(a, b, n):
    return [(a + b) / 2 + (b - a) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]


def lstsq(rows, rhs):
    A = mp.matrix(rows)
    y = mp.matrix(rhs)
    return list(mp.qr_solve(A, y)[0])


def round_to(cs, dtype):
    return [mp.mpf(float(np.dtype(dtype).type(c))) for c in cs]


def horner(cs, z):
    r = mp.mpf(0)
    for c in reversed(cs):
        r = r * z + c
    return r


def fit_poly(f, a, b, powers, n=300, rel=None):
    """Coefficients c_i of sum c_i z**powers[i] ~ f(z) on [a, b], least
    squares weighted by 1/|rel(z)| (rel defaults to f)."""
    zs = cheb_nodes(mp.mpf(a), mp.mpf(b), n)
    rows, rhs = [], []
    for z in zs:
        w = 1 / abs((rel or f)(z))
        rows.append([w * z**p for p in powers])
        rhs.append(w * f(z))
    return lstsq(rows, rhs)


def fit_rational(f, a, b, np_, nq, n=300, rel=None, iters=6):
    """P(z)/Q(z) ~ f(z) on [a, b], deg P = np_, deg Q = nq, Q(0) = 1."""
    zs = cheb_nodes(mp.mpf(a), mp.mpf(b), n)
    q = [mp.mpf(1)] + [mp.mpf(0)] * nq
    for _ in range(iters):
        rows, rhs = [], []
        for z in zs:
            fz = f(z)
            w = 1 / abs((rel or f)(z)) / abs(horner(q, z))
            rows.append([w * z**i for i in range(np_ + 1)] + [-w * fz * z**j for j in range(1, nq + 1)])
            rhs.append(w * fz)
        c = lstsq(rows, rhs)
        p, q = c[: np_ + 1], [mp.mpf(1)] + c[np_ + 1 :]
    return p, q


def max_rel(approx, f, a, b, n=2000, rel=None):
    worst, where = mp.mpf(0), None
    for z in cheb_nodes(mp.mpf(a), mp.mpf(b), n):
        e = abs(approx(z) - f(z)) / abs((rel or f)(z))
        if e > worst:
            worst, where = e, z
    return worst, where


def show(name, cs):
    print(f"{name} = (")
    for c in cs:
        print(f"    {float(c)!r},")
    print(")")


# ------------------------------------------------------------------ log1p
# log(1 + f) = 2 s + s R(s**2), s = f / (2 + f), |s| <= (sqrt2 - 1)/(sqrt2 + 1)
# (fdlibm's form): R(z) = z (L1 + L2 z + ...), fitted for relative error of
# log(1 + f) ~ 2 s.
S_MAX = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)


def _log_r(z):
    s = mp.sqrt(z)
    return (2 * mp.atanh(s) - 2 * s) / s


def fit_log1p(deg, dtype):
    z_max = S_MAX**2
    f = lambda z: _log_r(z) / z  # noqa: E731
    cs = fit_poly(f, mp.mpf(10) ** -30, z_max, list(range(deg)), rel=lambda z: 2 / z)
    cs = round_to(cs, dtype)
    err = max_rel(lambda z: z * horner(cs, z), _log_r, mp.mpf(10) ** -30, z_max, rel=lambda z: 2 / mp.sqrt(z) * 1)
    return cs, err


def main_log1p():
    for deg, dt in ((3, np.float32), (7, np.float64)):
        cs, (err, where) = fit_log1p(deg, dt)
        print(f"# log1p {np.dtype(dt).name}: degree {deg} in z = s**2, max |error| / (2 s) = {mp.nstr(err, 3)}")
        show(f"_LG_{np.dtype(dt).itemsize * 8}", cs)


FITS = {"log1p": main_log1p}

if __name__ == "__main__":
    for name in sys.argv[1:] or FITS:
        FITS[name]()
