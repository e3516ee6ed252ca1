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


def fit_rational_rounded(f, a, b, np_, nq, dtype, n=300, rel=None, iters=6):
    """fit_rational with the coefficients rounded to dtype one at a time
    (p0, q1, p1, q2, ...), the free ones refitted after each rounding, so the
    later coefficients absorb the rounding errors of the earlier ones (plain
    rounding of a float32 set can cost 20x in accuracy)."""
    zs = cheb_nodes(mp.mpf(a), mp.mpf(b), n)
    fz = [f(z) for z in zs]
    wz = [1 / abs((rel or f)(z)) for z in zs]
    nun = np_ + 1 + nq
    order = [
        i for k in range(max(np_, nq) + 1) for i in ((k,) if k <= np_ else ()) + ((np_ + k,) if 1 <= k <= nq else ())
    ]
    fixed = {}
    q = [mp.mpf(1)] + [mp.mpf(0)] * nq
    for step in range(nun + 1):
        free = [i for i in range(nun) if i not in fixed]
        for _ in range(iters if step == 0 else 3):
            rows, rhs = [], []
            for z, fv, w0 in zip(zs, fz, wz, strict=True):
                w = w0 / abs(horner(q, z))
                full = [w * z**i for i in range(np_ + 1)] + [-w * fv * z**j for j in range(1, nq + 1)]
                rows.append([full[i] for i in free])
                rhs.append(w * fv - sum(full[i] * v for i, v in fixed.items()))
            c = dict(fixed)
            c.update(zip(free, lstsq(rows, rhs), strict=True))
            q = [mp.mpf(1)] + [c[np_ + j] for j in range(1, nq + 1)]
        if step < nun:
            fixed[order[step]] = round_to([c[order[step]]], dtype)[0]
            if len(fixed) == nun:
                c = fixed
                break
    return [c[i] for i in range(np_ + 1)], [mp.mpf(1)] + [c[np_ + j] for j in range(1, nq + 1)]


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


# ------------------------------------------------------------ x - tanh(x)
# x - tanh(x) = x**3 G(x**2) for |x| below the switch to x - tanh(x) (1.375
# in _special.py; z = x**2 <= 1.9 covers it).  G(z) = G(z0) + (z - z0) R(z),
# R = P/Q, on two pieces: z0 = 0 (G(0) = 1/3) for z < XMT_ZB, z0 = XMT_Z0
# above, so that the rounding errors of the correction (z - z0) R(z), at most
# ~0.2 of G, stay small (1/3 + z R(z) on all of [0, 1.9] has a correction up
# to 0.75 G: 2.5 ulp measured).  R is fitted for the relative error of G; Q
# stays in [1, 2] (recip12).
XMT_ZB = mp.mpf("0.5625")
XMT_Z0 = mp.mpf("1.25")
XMT_ZMAX = mp.mpf("1.9")


def _xmt_g(z):
    with mp.workdps(120):
        x = mp.sqrt(z)
        return (x - mp.tanh(x)) / x**3


def _xmt_r(z0):
    def r(z):
        with mp.workdps(120):
            return (_xmt_g(z) - (_xmt_g(z0) if z0 else mp.mpf(1) / 3)) / (z - z0)

    return r


def fit_x_minus_tanh(np_, nq, dtype):
    """[(z0, G(z0), P, Q, max rel error of G) for the two pieces]."""
    out = []
    for z0, a, b in ((mp.mpf(0), mp.mpf(0), XMT_ZB), (XMT_Z0, XMT_ZB, XMT_ZMAX)):
        g0 = _xmt_g(z0) if z0 else mp.mpf(1) / 3
        rel = lambda z, z0=z0: _xmt_g(z) / abs(z - z0)  # noqa: E731
        p, q = fit_rational_rounded(_xmt_r(z0), a, b, np_, nq, dtype, n=80, rel=rel)
        err = max_rel(lambda z, p=p, q=q, z0=z0, g0=g0: g0 + (z - z0) * horner(p, z) / horner(q, z), _xmt_g, a, b)
        out.append((z0, g0, p, q, err, horner(q, b)))
    return out


def main_x_minus_tanh():
    for np_, nq, dt in ((1, 2, np.float32), (3, 3, np.float64)):
        bits = np.dtype(dt).itemsize * 8
        for k, (z0, g0, p, q, (err, where), qmax) in enumerate(fit_x_minus_tanh(np_, nq, dt)):
            hi = round_to([g0], dt)[0]
            print(
                f"# x - tanh(x) {np.dtype(dt).name} piece {k}: z0 = {z0}, R = P/Q of degree ({np_}, {nq}), "
                f"max |error of G| / G = {mp.nstr(err, 3)} at z = {mp.nstr(where, 4)}, Q <= {mp.nstr(qmax, 4)}"
            )
            print(f"G0 = {float(hi)!r}, {float(round_to([g0 - hi], dt)[0])!r}")
            show(f"_XMT{k}_P{bits}", p)
            show(f"_XMT{k}_Q{bits}", q[1:])


# ------------------------------------------------------------ normal tail
# R(a) = Phi_c(a) exp(a**2/2) (Phi_c(a) = erfc(a/sqrt2)/2), the Mills ratio
# over c = sqrt(2 pi).  Below NT_SPLIT: R = P(a)/Q(a), deg Q = deg P + 1;
# above: a R = Pb(u)/Qb(u), u = 1/a**2.  Evaluated as
#     R = N / (c a N + T),  T = S(a) = Q - c a P  (N = P), or
#                           T = a Sb(u), Sb = Qb - c Pb  (N = Pb),
# so that the rounding errors of N cancel between numerator and denominator
# and those of T count with the weight T / (c a N + T) = H / (a + H), H =
# 1/(c R) - a (1 at a = 0, 1/a**2 for large a): Horner's rounding errors in
# a single P/Q add up to 2 ulp at a ~ 3 (its terms are of one size there).
# P, S, Pb, Sb are rounded to the working type; the printed errors are of R
# from the rounded coefficients.
NT_SPLIT = mp.mpf(4)
NT_AMAX = {np.float64: mp.mpf(54), np.float32: mp.mpf(19)}
NT_DEG = {np.float64: ((7, 8), (6, 6)), np.float32: ((4, 4), (3, 3))}


def _nt_r(a):
    return mp.erfc(a / mp.sqrt(2)) / 2 * mp.exp(a * a / 2)


def fit_normal_tail(dtype):
    c = mp.sqrt(2 * mp.pi)
    (na, qa), (nb, qb) = NT_DEG[dtype]
    top = NT_AMAX[dtype]
    p, q = fit_rational_rounded(_nt_r, 0, NT_SPLIT, na, qa, dtype, n=100)
    q = q + [mp.mpf(0)] * (na + 2 - len(q))
    s = round_to([q[k] - (c * p[k - 1] if k >= 1 else 0) for k in range(na + 2)], dtype)
    g = lambda u: _nt_r(1 / mp.sqrt(u)) / mp.sqrt(u)  # noqa: E731
    ulo, uhi = 1 / top**2, 1 / NT_SPLIT**2
    pb, qbs = fit_rational_rounded(g, ulo, uhi, nb, qb, dtype, n=100)
    sb = round_to([qbs[k] - c * pb[k] for k in range(nb + 1)], dtype)
    ra = lambda a: horner(p, a) / (c * a * horner(p, a) + horner(s, a))  # noqa: E731
    rb = lambda a: horner(pb, 1 / a**2) / (a * (c * horner(pb, 1 / a**2) + horner(sb, 1 / a**2)))  # noqa: E731
    ea = max_rel(ra, _nt_r, 0, NT_SPLIT, n=1000)
    eb = max_rel(rb, _nt_r, NT_SPLIT, top, n=1000)
    return p, s, pb, sb, ea, eb, horner(p, NT_SPLIT)


def main_normal_tail():
    for dt in (np.float64, np.float32):
        bits = np.dtype(dt).itemsize * 8
        (na, qa), (nb, qb) = NT_DEG[dt]
        p, s, pb, sb, (ea, wa), (eb, wb), pmax = fit_normal_tail(dt)
        print(
            f"# normal tail {np.dtype(dt).name}: below {NT_SPLIT} degree ({na}, {qa}) in a, max |error| / R = "
            f"{mp.nstr(ea, 3)} at {mp.nstr(wa, 4)}; above, up to {NT_AMAX[dt]}, degree ({nb}, {qb}) in u: "
            f"{mp.nstr(eb, 3)} at {mp.nstr(wb, 4)}"
        )
        show(f"_NT_P{bits}", p)
        show(f"_NT_S{bits}", s)
        show(f"_NT_PB{bits}", pb)
        show(f"_NT_SB{bits}", sb)


FITS = {"log1p": main_log1p, "x_minus_tanh": main_x_minus_tanh, "normal_tail": main_normal_tail}

if __name__ == "__main__":
    for name in sys.argv[1:] or FITS:
        FITS[name]()
