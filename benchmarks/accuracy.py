"""Accuracy sweep: every finite float32 input, and sampled float64 inputs.

    python -m benchmarks.accuracy            # all 2**32 float32 bit patterns
    python -m benchmarks.accuracy --stride 64  # every 64th bit pattern (quick look)
    python -m benchmarks.accuracy --json out.json --float64 20000

float32: each elementwise function, derivative and backward of the registry
is evaluated on every finite float32 input (the backward with a seeded
random float32 dy), and compared with the registry's float64 NumPy
reference.  The error is in units in the last place (ulp) of the float32
result's binade; the table reports the maximum over inputs whose exact value
is a normal float32, the input where it occurs, and the largest error where
the exact value is subnormal (in units of the subnormal spacing 2**-149).
NaN/inf disagreements are counted separately and must be 0.

float64: a sample of inputs (uniform over the core range, the tails, tiny
and huge magnitudes) is compared with an mpmath reference at 40 digits.
"""

import argparse
import concurrent.futures
import functools
import json
import math
import os
import sys
import time

import numba
import numpy as np

import numba_act as na
from numba_act.registry import ACTIVATIONS
from numba_act.testing import ref64

CHUNK = 1 << 22
_TINY32 = 2.0**-126


def _cases():
    """(name, ufunc, float64 reference ufunc, backward?, activation, kind) of
    every elementwise function of the registry."""
    for act in ACTIVATIONS:
        grad = ref64(act.name, "grad")
        yield act.name, na.__dict__[act.name].ufunc, ref64(act.name), False, act, "forward"
        yield act.name + "_grad", na.__dict__[act.name + "_grad"].ufunc, grad, False, act, "grad"
        yield act.name + "_backward", na.__dict__[act.name + "_backward"].ufunc, grad, True, act, "backward"


def _params32(act):
    """The activation's test parameters (its defaults, or samples where it has
    none) as float32 calls see them: rounded to float32, so that the exact
    function is the one of the rounded parameters."""
    return tuple(float(np.float32(p)) for p in act.test_params())


def _scale(act, kind, x64, dy64, params):
    """float64 magnitude of the cancelling terms of a derivative near its
    interior zeros (Activation.grad_scale, times |dy| for the backward), or
    None: errors are measured in ulps of max(|exact|, scale), as the tests do."""
    if kind == "forward" or act.grad_scale is None:
        return None
    with np.errstate(all="ignore"):
        s = act.grad_scale(x64, *params)
        return s * np.abs(dy64) if kind == "backward" else s


@numba.njit(nogil=True, cache=True)
def _errors(x, y, r, s):
    """(NaN/inf mismatches, max ulp where exact is normal, its index, max
    subnormal error / 2**-149); ulps of the binade of max(|exact|, s[i])."""
    bad = 0
    worst = 0.0
    at = -1
    sub = 0.0
    for i in range(x.size):
        yi = np.float64(y[i])
        ri = r[i]
        rf = np.float32(ri)
        if np.isnan(yi) != np.isnan(ri) or np.isinf(rf) != np.isinf(y[i]) or (np.isinf(rf) and rf != y[i]):
            bad += 1
            continue
        if not np.isfinite(ri) or not np.isfinite(yi) or abs(ri) > 3.4028234663852886e38:
            continue
        a = abs(ri)
        if a >= _TINY32:
            m = a if not s[i] > a else s[i]
            e = abs(yi - ri) / math.ldexp(1.0, math.frexp(m)[1] - 24)
            if e > worst:
                worst = e
                at = i
        else:
            e = abs(yi - ri) / 2.0**-149
            if e > sub:
                sub = e
    return bad, worst, at, sub


def _chunk_errors(ufunc, ref, backward, act, kind, stride, start):
    # CHUNK bit patterns, every stride-th from `start` on, with an offset
    # that turns from chunk to chunk so that a power-of-two stride still
    # meets odd mantissas: every binade is sampled whatever the stride.
    offset = (start // (CHUNK * stride)) % stride
    x = np.arange(start + offset, start + CHUNK * stride, stride, dtype=np.uint64).astype(np.uint32).view(np.float32)
    ps = _params32(act)
    p32 = [np.float32(p) for p in ps]
    with np.errstate(invalid="ignore"):  # (signalling NaN patterns)
        x64 = x.astype(np.float64)
    dy = np.random.default_rng(start).standard_normal(x.size, dtype=np.float32) if backward else None
    with np.errstate(all="ignore"):
        if backward:
            y = ufunc(dy, x, *p32)
            r = dy * ref(x64, *ps)
        else:
            y = ufunc(x, *p32)
            r = ref(x64, *ps)
    s = _scale(act, kind, x64, None if dy is None else dy.astype(np.float64), ps)
    s = np.zeros(x.size) if s is None else np.nan_to_num(s, nan=0.0)
    finite = np.isfinite(x)
    if not finite.all():
        x, y, r, s = x[finite], y[finite], r[finite], s[finite]
    bad, worst, at, sub = _errors(x, y, r, s)
    return {
        "nan_bad": bad,
        "inf_bad": 0,
        "max": worst,
        "at": float(x[at]) if at >= 0 else None,
        "sub_max": sub,
        "n": int(x.size),
    }


def sweep_float32(stride=1, workers=None, progress=True, only=None):
    starts = list(range(0, 1 << 32, CHUNK * stride))  # each chunk: CHUNK inputs, stride apart
    workers = workers or os.cpu_count() or 1
    table = {}
    for name, ufunc, ref, backward, act, kind in _cases():
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        agg = {"nan_bad": 0, "inf_bad": 0, "max": 0.0, "at": None, "sub_max": 0.0, "n": 0}
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            work = functools.partial(_chunk_errors, ufunc, ref, backward, act, kind, stride)
            for k, res in enumerate(pool.map(work, starts)):
                agg["nan_bad"] += res["nan_bad"]
                agg["inf_bad"] += res["inf_bad"]
                agg["n"] += res["n"]
                agg["sub_max"] = max(agg["sub_max"], res["sub_max"])
                if res["max"] > agg["max"]:
                    agg["max"], agg["at"] = res["max"], res["at"]
                if progress and (k % 64 == 63 or k == len(starts) - 1):
                    print(f"\r  {name}: {k + 1}/{len(starts)} chunks", end="", file=sys.stderr, flush=True)
        agg["seconds"] = time.perf_counter() - t0
        if progress:
            print(f"\r  {name}: done in {agg['seconds']:.1f} s" + " " * 20, file=sys.stderr)
        table[name] = agg
    return table


def float64_inputs(n, core, seed=0):
    rng = np.random.default_rng(seed)
    lo, hi = core
    parts = [
        rng.uniform(lo, hi, n // 2),
        rng.uniform(-1.0, 1.0, n // 8),
        np.ldexp(rng.uniform(-1, 1, n // 8), rng.integers(-1074, 10, n // 8)),  # tiny to moderate
        rng.uniform(-750.0, 750.0, n // 8),  # the tails
        np.array([0.0, -0.0, 1e-300, -1e-300, 5e-324, 30.0, -30.0, 700.0, -700.0, 745.0, -745.0]),
    ]
    return np.concatenate(parts)


def sweep_float64(n=20000, dps=40, only=None):
    import mpmath

    mpmath.mp.dps = dps
    table = {}
    for act in ACTIVATIONS:
        x = float64_inputs(n, act.core)
        dy = np.random.default_rng(1).standard_normal(x.size)
        ps = act.test_params()
        mps = [mpmath.mpf(p) for p in ps]
        for name, ref, backward, kind in (
            (act.name, act.ref, False, "forward"),
            (act.name + "_grad", act.ref_grad, False, "grad"),
            (act.name + "_backward", act.ref_grad, True, "backward"),
        ):
            if only and name not in only:
                continue
            f = na.__dict__[name].ufunc
            with np.errstate(all="ignore"):
                y = f(dy, x, *ps) if backward else f(x, *ps)
            r = np.array(
                [float((mpmath.mpf(d) if backward else 1) * ref(mpmath, mpmath.mpf(v), *mps)) for v, d in zip(x, dy)]
            )
            ok = np.isfinite(r) & (np.abs(r) >= np.finfo(np.float64).tiny)
            s = _scale(act, kind, x, dy, ps)
            m = np.abs(r) if s is None else np.fmax(np.abs(r), np.nan_to_num(s, nan=0.0))
            with np.errstate(all="ignore"):
                err = np.abs(y[ok] - r[ok]) / np.spacing(m[ok])
            i = int(np.argmax(err)) if err.size else 0
            table[name] = {
                "max": float(err.max()) if err.size else 0.0,
                "at": float(x[ok][i]) if err.size else None,
                "n": int(x.size),
            }
    return table


def format_table(t32, t64=None):
    lines = [
        "| function | float32 max ulp | at x | float32 subnormal max err (x 2^-149) | NaN/inf mismatches | float64 max ulp (sampled) |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in t32.items():
        f64 = f"{t64[name]['max']:.2f}" if t64 and name in t64 else "-"
        at = "-" if r["at"] is None else f"{r['at']:.7g}"
        lines.append(f"| {name} | {r['max']:.3f} | {at} | {r['sub_max']:.2f} | {r['nan_bad'] + r['inf_bad']} | {f64} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--stride",
        type=int,
        default=1,
        help="sweep every STRIDE-th float32 bit pattern (1 = all 2**32; every binade is sampled at any stride)",
    )
    ap.add_argument("--float64", type=int, default=20000, metavar="N", help="float64 sample size (0 to skip)")
    ap.add_argument("--json", help="write the results as JSON to this file")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--only", help="comma-separated function names (default: every elementwise function)")
    args = ap.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    t0 = time.perf_counter()
    t32 = sweep_float32(args.stride, args.workers, only=only)
    t64 = sweep_float64(args.float64, only=only) if args.float64 else None
    print(format_table(t32, t64))
    total = sum(r["n"] for r in t32.values())
    print(
        f"\n{total / len(t32):.4g} float32 inputs per function (stride {args.stride}); "
        f"float64: {args.float64} sampled inputs vs mpmath; {time.perf_counter() - t0:.0f} s"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"float32": t32, "float64": t64, "stride": args.stride}, fh, indent=1)


if __name__ == "__main__":
    main()
