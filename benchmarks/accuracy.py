"""Accuracy sweep: every finite float32 input, and sampled float64 inputs.

    python -m benchmarks.accuracy            # all 2**32 float32 bit patterns
    python -m benchmarks.accuracy --stride 64  # every 64th chunk (quick look)
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
    for act in ACTIVATIONS:
        grad = ref64(act.name, "grad")
        yield act.name, na.__dict__[act.name].ufunc, ref64(act.name), False
        yield act.name + "_grad", na.__dict__[act.name + "_grad"].ufunc, grad, False
        yield act.name + "_backward", na.__dict__[act.name + "_backward"].ufunc, grad, True


@numba.njit(nogil=True, cache=True)
def _errors(x, y, r):
    """(NaN/inf mismatches, max ulp where exact is normal, its index, max subnormal error / 2**-149)."""
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
            e = abs(yi - ri) / math.ldexp(1.0, math.frexp(a)[1] - 24)
            if e > worst:
                worst = e
                at = i
        else:
            e = abs(yi - ri) / 2.0**-149
            if e > sub:
                sub = e
    return bad, worst, at, sub


def _chunk_errors(ufunc, ref, backward, start):
    x = np.arange(start, start + CHUNK, dtype=np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        if backward:
            dy = np.random.default_rng(start).standard_normal(x.size, dtype=np.float32)
            y = ufunc(dy, x)
            r = dy * ref(x.astype(np.float64))
        else:
            y = ufunc(x)
            r = ref(x)
    finite = np.isfinite(x)
    if not finite.all():
        x, y, r = x[finite], y[finite], r[finite]
    bad, worst, at, sub = _errors(x, y, r)
    return {
        "nan_bad": bad,
        "inf_bad": 0,
        "max": worst,
        "at": float(x[at]) if at >= 0 else None,
        "sub_max": sub,
        "n": int(x.size),
    }


def sweep_float32(stride=1, workers=None, progress=True):
    starts = list(range(0, 1 << 32, CHUNK * stride))
    workers = workers or os.cpu_count() or 1
    table = {}
    for name, ufunc, ref, backward in _cases():
        t0 = time.perf_counter()
        agg = {"nan_bad": 0, "inf_bad": 0, "max": 0.0, "at": None, "sub_max": 0.0, "n": 0}
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            work = functools.partial(_chunk_errors, ufunc, ref, backward)
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


def sweep_float64(n=20000, dps=40):
    import mpmath

    mpmath.mp.dps = dps
    table = {}
    for act in ACTIVATIONS:
        x = float64_inputs(n, act.core)
        dy = np.random.default_rng(1).standard_normal(x.size)
        for name, ref, backward in (
            (act.name, act.ref, False),
            (act.name + "_grad", act.ref_grad, False),
            (act.name + "_backward", act.ref_grad, True),
        ):
            f = na.__dict__[name].ufunc
            y = f(dy, x) if backward else f(x)
            r = np.array(
                [float((mpmath.mpf(d) if backward else 1) * ref(mpmath, mpmath.mpf(v))) for v, d in zip(x, dy)]
            )
            ok = np.isfinite(r) & (np.abs(r) >= np.finfo(np.float64).tiny)
            err = np.abs(y[ok] - r[ok]) / np.spacing(np.abs(r[ok]))
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
    ap.add_argument("--stride", type=int, default=1, help="sweep every STRIDE-th chunk of 2**22 inputs (1 = all)")
    ap.add_argument("--float64", type=int, default=20000, metavar="N", help="float64 sample size (0 to skip)")
    ap.add_argument("--json", help="write the results as JSON to this file")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    t32 = sweep_float32(args.stride, args.workers)
    t64 = sweep_float64(args.float64) if args.float64 else None
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
