#!/usr/bin/env python
"""GPU check and timing of numba_act's CUDA target, in one script.

    python benchmarks/gpu_check.py                  # a machine with a CUDA GPU: CHECK + TIME (~2 min on an H200)
    python benchmarks/gpu_check.py --json out.json  # also write every number as JSON
    python benchmarks/gpu_check.py --simulate       # no GPU: Numba's CUDA simulator, tiny sizes (~30 s)
    python benchmarks/gpu_check.py --ptx            # no GPU: compile every kernel to PTX for sm_90 and scan it

CHECK  every elementwise function (forward, _grad, _backward) in float16/32/64 on random data plus special
       values, and softmax / softmax_backward / softmax_jacobian over row lengths up to 20000 (including the
       longest row kept in shared memory and rows that do not fit), log_softmax / log_softmax_backward /
       logsumexp over the same rows (short ones only under --simulate), run on the GPU and compared with the CPU
       result of the same numba_act function on the same host data: max ulp distance and max abs error,
       FAIL above TOL.  Also out= on the device and zero-copy interop: PyTorch CUDA tensors and CuPy arrays
       in give a tensor / array of the same kind on the same device, with the same values.
TIME   CUDA-event medians after warm-up: every elementwise function at 2**28 elements (the same element
       count for float16/32/64, so the bytes differ) next to PyTorch, CuPy and a device-to-device copy of the
       same bytes (the bandwidth floor); softmax and softmax_backward on 2**28 float32 elements in rows of
       128 ... 65536; the per-call overhead on 1024 elements (wall clock, synchronized).
--ptx  compile only (no GPU, not under the simulator): PTX of every kernel for compute capability 9.0,
       float64 instructions in the float16/float32 elementwise kernels (FAIL: there should be none), and,
       if nvJitLink is installed, registers and shared memory per kernel against the launch shapes that
       numba_act.cuda uses (FAIL where a launch would be refused).

Exit status 1 if anything FAILs.  The last thing printed is one markdown table for benchmarks/RESULTS.md.
"""

import os
import sys

# Decided before numba is imported anywhere: numba reads the variable once, at import.
if "--simulate" in sys.argv:
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    # The simulator runs each CUDA thread as a Python thread and meets at
    # every syncthreads(); a short GIL switch interval makes the barrier-heavy
    # row kernels several times faster (as in tests/cuda/conftest.py).
    sys.setswitchinterval(1e-4)
elif "--ptx" in sys.argv:
    os.environ.pop("NUMBA_ENABLE_CUDASIM", None)  # PTX needs the real numba.cuda compiler

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import cuda  # noqa: E402

import numba_act as na  # noqa: E402
from numba_act.registry import ACTIVATIONS  # noqa: E402

SIM = bool(numba.config.ENABLE_CUDASIM)
KINDS = ("forward", "grad", "backward")
DTYPES = (np.float16, np.float32, np.float64)
ROW_FUNCS = ("softmax", "softmax_backward", "softmax_jacobian")
LOG_FUNCS = ("log_softmax", "log_softmax_backward", "logsumexp")  # rowwise._log_kernels, in this order

# Tolerances, GPU vs CPU, in ulp; softmax_backward in units of eps * |p| * (|dy| + sum|dy * p|), the
# condition of p * (dy - sum(dy * p)): a plain ulp bound fails wherever dy - s cancels.  softmax_jacobian is
# looser: its diagonal s_i * (others / S) is ~8 ulp from exact in float64 on either side (checked against
# mpmath under the simulator), and for float32 the CPU forms the exponentials in float64, the GPU in float32.
TOL = {
    "elementwise": {np.float16: 1, np.float32: 4, np.float64: 4},
    "softmax": {np.float16: 1, np.float32: 4, np.float64: 8},
    "softmax_backward": {np.float16: 1, np.float32: 2, np.float64: 16},
    "softmax_jacobian": {np.float16: 1, np.float32: 8, np.float64: 16},
    # log_softmax: plain ulps (no cancellation, both sides within 3 ulp of exact); log_softmax_backward in
    # units of eps (|dy| + exp(y) sum|dy|) and logsumexp in units of eps max(|m|, log S), their conditions.
    "log_softmax": {np.float16: 1, np.float32: 4, np.float64: 8},
    "log_softmax_backward": {np.float16: 2, np.float32: 4, np.float64: 8},
    "logsumexp": {np.float16: 2, np.float32: 8, np.float64: 8},
}

FULL = dict(
    check_n=1 << 22,
    jac_max=1 << 26,
    time_n=1 << 28,
    time_dtypes=DTYPES,
    softmax_lengths=(128, 1024, 4096, 16384, 65536),
    samples=20,
    warmup=3,
    overhead_calls=300,
)
SIMULATED = dict(
    check_n=64,
    jac_max=10_000,
    time_n=64,
    time_dtypes=(np.float32,),
    softmax_lengths=(32,),
    samples=1,
    warmup=1,
    overhead_calls=3,
)

torch = cupy = None  # set in main() when they can use the GPU


def log(*a):
    print(*a, flush=True)


def _dt(d):
    return np.dtype(d).name


def _size(n):
    return f"2^{n.bit_length() - 1}" if n > 1 and n & (n - 1) == 0 else str(n)


def _err(e):
    return f"{type(e).__name__}: {e}"[:300]


# --------------------------------------------------------------------------------------------- comparisons


def ulp_distance(a, b):
    """|a - b| in units in the last place: the distance in the total order of the floats (-0.0 and +0.0
    are 1 apart); NaN vs NaN is 0, NaN vs a number inf."""
    it = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]

    def key(v):
        i = np.ascontiguousarray(v).view(it).astype(np.int64)
        mag = i & np.int64(np.iinfo(it).max)
        return np.where(i < 0, -1 - mag, mag)

    ka, kb = key(a), key(b)
    same_side = (ka >= 0) == (kb >= 0)  # otherwise ka - kb may overflow int64
    d = np.where(same_side, np.abs(ka - kb).astype(float), np.abs(ka.astype(float)) + np.abs(kb.astype(float)))
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    d[nan_a & nan_b] = 0
    d[nan_a ^ nan_b] = np.inf
    return d


def abs_error(a, b):
    fa, fb = a.astype(np.float64), b.astype(np.float64)
    e = np.abs(fa - fb)
    e[fa == fb] = 0  # equal infinities
    e[np.isnan(fa) & np.isnan(fb)] = 0
    e[np.isnan(fa) ^ np.isnan(fb)] = np.inf
    return e


def _max(v):
    return float(v.max()) if v.size else 0.0


def backward_scaled_error(gpu, cpu, dy, p):
    """max |gpu - cpu| / (eps |p| (|dy| + sum_j |dy_j p_j|)), rows along the last axis."""
    d64, p64 = dy.astype(np.float64), p.astype(np.float64)
    cond = np.abs(p64) * (np.abs(d64) + np.abs(d64 * p64).sum(axis=-1, keepdims=True))
    fi = np.finfo(gpu.dtype)
    err = abs_error(gpu, cpu)
    return _max(np.where(err == 0, 0, err / (float(fi.eps) * cond + float(fi.smallest_subnormal))))


# --------------------------------------------------------------------------------------------- results


class Report:
    def __init__(self):
        self.rows, self.info = [], {}

    def add(self, **row):
        self.rows.append(row)
        return row

    @property
    def failed(self):
        return [r for r in self.rows if r.get("status") == "FAIL"]


def record_check(rep, fname, dtype, case, gpu, cpu, tol, metric=None, err=None, inputs=None, exact=None):
    """One CHECK row; on FAIL, prints the worst elements (with their inputs and, when `exact` can tell, the
    exact value, to see which side is wrong)."""
    row = dict(section="check", function=fname, dtype=_dt(dtype), case=case, tol=tol, scaled=metric is not None)
    head = f"  {fname:22s} {_dt(dtype):8s} {case:28s}"
    if err is not None:
        log(f"{head} FAIL  {_err(err)}")
        return rep.add(**row, status="FAIL", error=_err(err))
    u = ulp_distance(gpu, cpu)
    row.update(max_ulp=_max(u), max_abs=_max(abs_error(gpu, cpu)))
    row["score"] = metric(gpu, cpu) if metric else row["max_ulp"]
    row["status"] = "ok" if row["score"] <= tol else "FAIL"
    scaled = f" scaled {row['score']:.3g}" if metric else ""
    log(f"{head} {row['status']:4s}  max ulp {row['max_ulp']:<8.6g} max abs {row['max_abs']:.3g}{scaled} (tol {tol})")
    if row["status"] == "FAIL":
        flat, worst = u.reshape(-1), []
        for cand in (np.nonzero(np.isinf(flat))[0], np.nonzero(np.isfinite(flat) & (flat > tol))[0]):
            seen = set()
            for i in cand[np.argsort(-flat[cand], kind="stable")]:
                ins = tuple(a.flat[i].item() for a in inputs) if inputs else np.unravel_index(i, u.shape)
                if ins not in seen and len(seen) < 3:
                    seen.add(ins)
                    worst.append(
                        dict(
                            input=str(ins),
                            cpu=cpu.flat[i].item(),
                            gpu=gpu.flat[i].item(),
                            ulp=float(flat[i]),
                            exact=exact(ins) if exact else None,
                        )
                    )
        label = "index" if not inputs else "x" if len(inputs) == 1 else "(dy, x)"
        for w in worst:
            log(
                f"      {label} = {w['input']}: cpu {w['cpu']!r}, gpu {w['gpu']!r} ({w['ulp']:.4g} ulp)"
                + (f", exact {w['exact']}" if w["exact"] else "")
            )
        row["worst"] = worst
    return rep.add(**row)


# --------------------------------------------------------------------------------------------- CHECK


def exact_value(act, kind, ins, params=()):
    """The registry's high-precision reference (if mpmath is installed), as text; params: the
    activation's scalar parameters."""
    try:
        import mpmath as mp

        mp.mp.dps = 50
        *dy, x = (mp.mpf(v) for v in ins)
        ps = [mp.mpf(p) for p in params]
        return mp.nstr(act.ref(mp, x, *ps) if kind == "forward" else act.ref_grad(mp, x, *ps) * (dy[0] if dy else 1), 8)
    except Exception:
        return None


def specials(dt):
    # Besides the IEEE specials: the tails where f'(x) is subnormal or 0 but dy * f'(x) is not (|x| 95..175
    # in float32, 740..1440 in float64, with dy up to 1e30 / 1e300 / max), and where exp overflows.
    fi = np.finfo(dt)
    v = [
        np.nan,
        np.inf,
        -np.inf,
        0.0,
        -0.0,
        1.0,
        -1.0,
        20.0,
        -20.0,
        40.0,
        -40.0,
        88.7,
        -88.7,
        95.0,
        -95.0,
        175.0,
        -175.0,
        710.0,
        -745.0,
        740.0,
        1440.0,
        1e30,
        -1e30,
        1e300,
        fi.max,
        -fi.max,
        fi.tiny,
        -fi.tiny,
        fi.smallest_subnormal,
        -fi.smallest_subnormal,
    ]
    return np.array([float(a) for a in v]).astype(dt)


def random_floats(rng, n, dt):
    """Half N(0, 5**2), a quarter U(-50, 50), a quarter random finite bit patterns (every exponent)."""
    a = rng.standard_normal(n // 2) * 5
    b = rng.uniform(-50, 50, n // 4)
    bits = {2: np.uint16, 4: np.uint32, 8: np.uint64}[np.dtype(dt).itemsize]
    c = rng.integers(0, np.iinfo(bits).max, n - a.size - b.size, dtype=bits, endpoint=True).view(dt)
    x = np.concatenate([a.astype(dt), b.astype(dt), np.where(np.isfinite(c), c, 0).astype(dt)])
    rng.shuffle(x)
    return x


def _same_bits_but_nan(a, b):
    """Bit for bit, except that any NaN equals any NaN (its sign and payload are not specified: under the
    simulator one float16 path propagates the input's NaN, the other makes x86's negative default NaN)."""
    na_, nb = np.isnan(a), np.isnan(b)
    return bool((na_ == nb).all()) and np.array_equal(a[~na_].view(np.uint8), b[~nb].view(np.uint8))


def _grad_scaled(act, kind, x, dy, ps):
    """A check metric for derivatives whose terms cancel at an interior zero (silu', gelu', ...): max
    |gpu - cpu| in ulps of max(|cpu|, the size of those terms), as the test suite measures them."""
    s = act.grad_scale(x.astype(np.float64), *ps)
    if kind == "backward":
        s = s * np.abs(dy.astype(np.float64))

    def metric(gpu, cpu):
        fin = np.isfinite(cpu) & np.isfinite(gpu)
        nan = np.isnan(cpu)
        if (nan != np.isnan(gpu)).any() or (~fin & ~nan & (gpu != cpu)).any():
            return np.inf  # NaN or infinity in one and not the other
        scale = np.fmax(np.abs(cpu[fin].astype(np.float64)), np.nan_to_num(s[fin], nan=0.0))
        ulp = np.spacing(np.maximum(scale, np.finfo(cpu.dtype).tiny).astype(cpu.dtype)).astype(np.float64)
        return float((np.abs(gpu[fin].astype(np.float64) - cpu[fin]) / ulp).max(initial=0.0))

    return metric


def check_elementwise(rep, cfg, rng):
    log("\n== CHECK elementwise: GPU vs CPU (same host data; backward: all pairs of special values too) ==")
    for act in ACTIVATIONS:
        ps = act.test_params()  # the defaults (samples where a parameter has none, e.g. threshold's)
        for kind in KINDS:
            fname = act.name if kind == "forward" else f"{act.name}_{kind}"
            f = functools.partial(getattr(na, fname), **{p.name: v for p, v in zip(act.params, ps)})
            for dt in DTYPES:
                sp = specials(dt)
                x = np.concatenate([random_floats(rng, cfg["check_n"], dt), sp, np.repeat(sp, sp.size)])
                dy = np.concatenate([random_floats(rng, cfg["check_n"], dt), np.ones_like(sp), np.tile(sp, sp.size)])
                if kind == "backward":
                    # Documented limit (README, Known limits), on the CPU as on the GPU: beyond the clamp
                    # of the exponential (argument -174 float32, -1416 float64) a backward stays at dy
                    # times the clamped exp instead of underflowing further, which shows only for |dy|
                    # within a few binades of the largest float (gelu_tanh_backward(1e30, -745) float32
                    # is -6.0e-38 where it is -0.0); there the GPU's and the CPU's roundings of the
                    # clamped value differ.  Pairs with finite |dy| >= 1e30 are left out and counted.
                    with np.errstate(invalid="ignore"):
                        known = np.isfinite(dy) & (np.abs(dy) >= 1e30)
                    if known.any():
                        log(
                            f"  {fname} {np.dtype(dt).name}: {int(known.sum())} (dy, x) pairs with |dy| >= 1e30 left out"
                        )
                        x, dy = x[~known], dy[~known]
                args = (dy, x) if kind == "backward" else (x,)
                case, tol = f"n={_size(cfg['check_n'])}+specials", TOL["elementwise"][dt]
                cpu = f(*args)
                try:  # the allocating call and out= (garbage-filled) must agree bit for bit
                    dargs = [cuda.to_device(a) for a in args]
                    gpu = f(*dargs).copy_to_host()
                    out = cuda.to_device(np.full(x.shape, np.nan, dt))
                    if f(*dargs, out=out) is not out:
                        raise AssertionError("out= was not returned")
                    if not _same_bits_but_nan(out.copy_to_host(), gpu):
                        raise AssertionError("the out= result differs from the allocated one")
                except Exception as e:  # a failed launch is a FAIL row, not the end of the run
                    record_check(rep, fname, dt, case, None, None, tol, err=e)
                    continue
                exact = functools.partial(exact_value, act, kind, params=ps)
                metric = None
                if kind != "forward" and act.grad_scale is not None:
                    metric = _grad_scaled(act, kind, x, dy, ps)
                    case += ", ulps of the terms"
                record_check(rep, fname, dt, case, gpu, cpu, tol, metric=metric, inputs=args, exact=exact)


def row_cases(dt):
    """(row length, rows): from 1 to 20000, with the longest row kept in shared memory."""
    if SIM:
        return [(1, 2), (33, 2), (70, 2)] + ([(13000, 1)] if dt == np.float32 else [])
    from numba_act.cuda import rowwise

    fit = rowwise.SMEM_BYTES // (8 if dt == np.float64 else 4)
    return [(1, 3), (100, 3), (1000, 3), (5000, 3), (fit, 2), (20000, 2)]


def special_rows(rng, dt):
    x = rng.standard_normal((6, 33)) * 3
    x[1, 5] = np.nan
    x[2, 7] = np.inf
    x[3, :] = -np.inf
    x[4, ::3] = -np.inf
    x[5] *= 3000  # entries of about +-1e4: the row maximum must be subtracted first
    return x.astype(dt)


def _log_backward_scaled(gpu, cpu, dy, y):
    """max |gpu - cpu| / (eps (|dy| + exp(y) sum_j |dy_j|)), rows along the last axis."""
    d64 = np.abs(dy.astype(np.float64))
    cond = d64 + np.exp(y.astype(np.float64)) * d64.sum(axis=-1, keepdims=True)
    fi = np.finfo(gpu.dtype)
    err = abs_error(gpu, cpu)
    return _max(np.where(err == 0, 0, err / (float(fi.eps) * cond + float(fi.smallest_subnormal))))


def _logsumexp_scaled(gpu, cpu, x):
    """max |gpu - cpu| / (eps max(|m|, log S)) per row (x: rows along the last axis)."""
    x64 = x.astype(np.float64)
    m = x64.max(axis=-1)
    m = np.where(np.isfinite(m), m, 0.0)
    c = cpu.astype(np.float64)
    cond = np.maximum(np.abs(m), np.abs(np.where(np.isfinite(c), c, 0.0) - m))
    fi = np.finfo(gpu.dtype)
    err = abs_error(gpu, cpu)
    return _max(np.where(err == 0, 0, err / (float(fi.eps) * cond + float(fi.tiny))))


def _check_log_rows(rep, dt, x, dy, case, axis=-1):
    """log_softmax (into out=), log_softmax_backward (from the CPU's y) and logsumexp of x, GPU vs CPU."""
    y = na.log_softmax(x, axis=axis)
    try:
        out = cuda.to_device(np.full(x.shape, np.nan, dt))
        if na.log_softmax(cuda.to_device(x), axis=axis, out=out) is not out:
            raise AssertionError("log_softmax(out=) did not return out")
        record_check(rep, "log_softmax", dt, case, out.copy_to_host(), y, TOL["log_softmax"][dt])
    except Exception as e:
        record_check(rep, "log_softmax", dt, case, None, None, TOL["log_softmax"][dt], err=e)

    tol = TOL["log_softmax_backward"][dt]
    dym, ym = np.moveaxis(dy, axis, -1), np.moveaxis(y, axis, -1)
    try:
        gpu = na.log_softmax_backward(cuda.to_device(dy), cuda.to_device(y), axis=axis).copy_to_host()
        cpu = na.log_softmax_backward(dy, y, axis=axis)

        def scaled(g, c):
            return _log_backward_scaled(np.moveaxis(g, axis, -1), np.moveaxis(c, axis, -1), dym, ym)

        record_check(rep, "log_softmax_backward", dt, case, gpu, cpu, tol, metric=scaled)
    except Exception as e:
        record_check(rep, "log_softmax_backward", dt, case, None, None, tol, err=e)

    tol = TOL["logsumexp"][dt]
    try:
        gpu = na.logsumexp(cuda.to_device(x), axis=axis).copy_to_host()
        cpu = na.logsumexp(x, axis=axis)
        xm = np.moveaxis(x, axis, -1)
        record_check(rep, "logsumexp", dt, case, gpu, cpu, tol, metric=lambda g, c: _logsumexp_scaled(g, c, xm))
    except Exception as e:
        record_check(rep, "logsumexp", dt, case, None, None, tol, err=e)


def _check_rows(rep, dt, x, dy, case, jac_rows, axis=-1):
    """softmax (into out=), softmax_backward (from the CPU's p) and softmax_jacobian of x, GPU vs CPU."""
    p = na.softmax(x, axis=axis)
    try:
        out = cuda.to_device(np.full(x.shape, np.nan, dt))
        if na.softmax(cuda.to_device(x), axis=axis, out=out) is not out:
            raise AssertionError("softmax(out=) did not return out")
        record_check(rep, "softmax", dt, case, out.copy_to_host(), p, TOL["softmax"][dt])
    except Exception as e:
        record_check(rep, "softmax", dt, case, None, None, TOL["softmax"][dt], err=e)

    tol = TOL["softmax_backward"][dt]
    cpu = na.softmax_backward(dy, p, axis=axis)
    dym, pm = np.moveaxis(dy, axis, -1), np.moveaxis(p, axis, -1)

    def scaled(g, c):
        return backward_scaled_error(np.moveaxis(g, axis, -1), np.moveaxis(c, axis, -1), dym, pm)

    try:
        gpu = na.softmax_backward(cuda.to_device(dy), cuda.to_device(p), axis=axis).copy_to_host()
        record_check(rep, "softmax_backward", dt, case, gpu, cpu, tol, metric=scaled)
    except Exception as e:
        record_check(rep, "softmax_backward", dt, case, None, None, tol, err=e)

    if jac_rows:
        tol = TOL["softmax_jacobian"][dt]
        xj = x if axis != -1 else x[:jac_rows]
        case = case if xj.shape == x.shape else f"{xj.shape[0]}x{xj.shape[1]}"
        try:
            gpu = na.softmax_jacobian(cuda.to_device(xj), axis=axis).copy_to_host()
            record_check(rep, "softmax_jacobian", dt, case, gpu, na.softmax_jacobian(xj, axis=axis), tol)
        except Exception as e:
            record_check(rep, "softmax_jacobian", dt, case, None, None, tol, err=e)


def check_rows(rep, cfg, rng):
    log("\n== CHECK softmax family: GPU vs CPU (same host data) ==")
    for dt in DTYPES:
        for n, rows in row_cases(dt):
            x = (rng.standard_normal((rows, n)) * 3).astype(dt)
            dy = rng.standard_normal((rows, n)).astype(dt)
            _check_rows(rep, dt, x, dy, f"{rows}x{n}", min(rows, cfg["jac_max"] // (n * n)))
            if not (SIM and n > 100):  # the simulator: short rows only for the log family (time)
                _check_log_rows(rep, dt, x, dy, f"{rows}x{n}")
        x = special_rows(rng, dt)
        dy = rng.standard_normal(x.shape).astype(dt)
        _check_rows(rep, dt, x, dy, "6x33 NaN/inf/-inf/1e4 rows", 6)
        _check_log_rows(rep, dt, x, dy, "6x33 NaN/inf/-inf/1e4 rows")
        x = (rng.standard_normal((37, 5)) * 3).astype(dt)
        dy = rng.standard_normal(x.shape).astype(dt)
        _check_rows(rep, dt, x, dy, "37x5 axis=0", 1, axis=0)
        _check_log_rows(rep, dt, x, dy, "37x5 axis=0", axis=0)


def _interop_calls(put, out, x, dy, p):
    tx = put(x)
    return {
        "sigmoid": (na.sigmoid, (tx,), {}),
        "sigmoid f16": (na.sigmoid, (put(x.astype(np.float16)),), {}),
        "tanh_backward": (na.tanh_backward, (put(dy), tx), {}),
        "relu out=": (na.relu, (tx,), {"out": out}),
        "softmax": (na.softmax, (tx,), {}),
        "softmax_backward": (na.softmax_backward, (put(dy), put(p)), {}),
        "softmax_jacobian": (na.softmax_jacobian, (tx,), {}),
    }


def check_interop(rep):
    """Numba device arrays, PyTorch tensors and CuPy arrays in: a result of the same kind on the same device
    with the same values as for Numba arrays (the same kernels run, so bit for bit)."""
    log("\n== CHECK zero-copy interop ==")
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((4, 40)) * 3).astype(np.float32)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    p = na.softmax(x)
    calls = _interop_calls(cuda.to_device, cuda.device_array(x.shape, np.float32), x, dy, p)
    want = {name: f(*a, **kw).copy_to_host() for name, (f, a, kw) in calls.items()}
    libs = [
        (
            "numba",
            type(cuda.device_array(1)),
            cuda.to_device,
            lambda a: a.copy_to_host(),
            lambda a: "device",
            cuda.device_array,
        )
    ]
    if torch is not None:
        libs.append(
            (
                "torch",
                torch.Tensor,
                lambda a: torch.from_numpy(a).cuda(),
                lambda t: t.cpu().numpy(),
                lambda t: t.device,
                lambda s, d: torch.empty(s, dtype=getattr(torch, _dt(d)), device="cuda"),
            )
        )
    if cupy is not None:
        libs.append(("cupy", cupy.ndarray, cupy.asarray, cupy.asnumpy, lambda a: a.device, cupy.empty))
    for lib, cls, put, get, device_of, empty in libs:
        out, bad = empty(x.shape, np.float32), []
        for name, (f, args, kw) in _interop_calls(put, out, x, dy, p).items():
            try:
                r = f(*args, **kw)
                if not isinstance(r, cls):
                    bad.append(f"{name}: returned {type(r).__name__}")
                elif str(device_of(r)) != str(device_of(args[0])):
                    bad.append(f"{name}: result on {device_of(r)}, input on {device_of(args[0])}")
                elif "out" in kw and r is not out:
                    bad.append(f"{name}: out= not returned")
                elif not np.array_equal(get(r).view(np.uint8), want[name].view(np.uint8)):
                    bad.append(f"{name}: values differ from the Numba-array result")
            except Exception as e:
                bad.append(f"{name}: {_err(e)}")
        if lib == "cupy":  # input produced on a busy non-blocking stream: numba_act must run after it
            try:
                s = cupy.cuda.Stream(non_blocking=True)
                with s:
                    big = cupy.ones(1 << 24, np.float32)
                    for _ in range(20):
                        big = big * 1.0001
                    y = na.sigmoid(cupy.asarray(x) * 2 + big[0] * 0)
                s.synchronize()
                if not np.array_equal(cupy.asnumpy(y), na.sigmoid(cuda.to_device(x * 2)).copy_to_host()):
                    bad.append("non-default CuPy stream: values differ")
            except Exception as e:
                bad.append(f"non-default CuPy stream: {_err(e)}")
        status = "FAIL" if bad else "ok"
        log(f"  {lib:6s} {status}: {', '.join(want)}" + "".join(f"\n      {b}" for b in bad))
        rep.add(
            section="interop",
            function=f"{lib} inputs",
            dtype="float32",
            case=f"{len(want)} calls",
            status=status,
            problems=bad,
        )


# --------------------------------------------------------------------------------------------- TIME


def _events(lib):
    if lib == "torch":
        return functools.partial(torch.cuda.Event, enable_timing=True), lambda a, b: a.elapsed_time(b)
    if lib == "cupy":
        return cupy.cuda.Event, cupy.cuda.get_elapsed_time
    return cuda.event, cuda.event_elapsed_time if not SIM else None


def gpu_ms(fn, lib, cfg):
    """Median GPU time of fn() in ms, CUDA events around one call.  Each timed call follows an untimed one,
    so the GPU is still busy while the host enqueues it: Python's launch overhead is hidden and the events
    time the kernel (time_overhead measures the host side).  Wall clock under the simulator."""
    for _ in range(cfg["warmup"]):
        fn()
    make, elapsed = _events(lib)
    times = []
    for _ in range(cfg["samples"]):
        e0, e1 = make(), make()
        fn()
        t0 = time.perf_counter()
        e0.record()
        fn()
        e1.record()
        e1.synchronize()
        times.append((time.perf_counter() - t0) * 1e3 if SIM else elapsed(e0, e1))
    return statistics.median(times)


def timed(row, key, lib, cfg, fn, *args, **kw):
    try:
        row[f"{key}_ms"] = gpu_ms(functools.partial(fn, *args, **kw), lib, cfg)
    except Exception as e:
        row[f"{key}_error"] = _err(e)


def _alloc(n, dt, count, seed):
    """`count` device arrays of n random values: one host block, doubled on the device (no big host array)."""
    rng, bufs = np.random.default_rng(seed), []
    for _ in range(count):
        d = cuda.device_array(n, dt)
        b = min(n, 1 << 20)
        d[:b].copy_to_device((rng.standard_normal(b) * 4).astype(dt))
        while b < n:
            c = min(b, n - b)
            d[b : b + c].copy_to_device(d[:c])
            b += c
        bufs.append(d)
    return bufs


def _free():
    gc.collect()
    try:
        cuda.current_context().deallocations.clear()
    except Exception:
        pass


def _cupy_kernels(dt):
    """One cupy.ElementwiseKernel per function: the plain formulas in one pass, in float32 (float64)."""
    fwd = {"sigmoid": "r = 1 / (1 + exp(-v));", "tanh": "r = tanh(v);", "relu": "r = v > 0 ? v : (acc_t)0;"}
    grad = {
        "sigmoid": "acc_t s = 1 / (1 + exp(-v)); r = s * (1 - s);",
        "tanh": "acc_t t = tanh(v); r = 1 - t * t;",
        "relu": "r = v > 0 ? (acc_t)1 : (acc_t)0;",
    }
    c = "double" if dt == np.float64 else "float"
    ks = {}
    for name in fwd:
        for kind in KINDS:
            body = f"acc_t v = (acc_t)x; acc_t r; {fwd[name] if kind == 'forward' else grad[name]} "
            body += "y = (T)((acc_t)dy * r);" if kind == "backward" else "y = (T)r;"
            ks[name, kind] = cupy.ElementwiseKernel(
                "T dy, T x" if kind == "backward" else "T x",
                "T y",
                body,
                f"ref_{name}_{kind}_{c}",
                preamble=f"typedef {c} acc_t;",
            )
    return ks


def _torch_op(name, kind):
    """(label, op(x, dy, y, out, one)), PyTorch's counterpart of a function, or None.  y is the forward output
    (torch's backward ops take y, not x); `one` is a stride-0 tensor of ones, so that a _grad row reads one
    array, as numba_act's does."""
    if name not in ("sigmoid", "tanh", "relu"):
        return None
    aten = torch.ops.aten
    if kind == "forward":
        if name == "relu":
            return "aten.relu.out", lambda x, dy, y, o, one: aten.relu.out(x, out=o)
        return f"torch.{name}(out=)", lambda x, dy, y, o, one: getattr(torch, name)(x, out=o)
    g = "1" if kind == "grad" else "dy"
    if name == "relu":
        op = aten.threshold_backward.grad_input
        return f"aten.threshold_backward({g}, x, 0)", lambda x, dy, y, o, one: op(
            one if g == "1" else dy, x, 0, grad_input=o
        )
    op = getattr(aten, f"{name}_backward").grad_input
    return f"aten.{name}_backward({g}, y)", lambda x, dy, y, o, one: op(one if g == "1" else dy, y, grad_input=o)


def _log_time(row):
    parts = [f"  {row['function']:18s} {row['dtype']:8s} {row['case']:12s}"]
    for lib in ("na", "torch", "cupy", "copy"):
        if row.get(f"{lib}_ms") is not None:
            nbytes = row["copy_bytes"] if lib == "copy" else row["bytes"]
            parts.append(f"{lib} {row[f'{lib}_ms']:7.3f} ms {nbytes / row[f'{lib}_ms'] / 1e6:5.0f} GB/s")
        elif row.get(f"{lib}_error"):
            parts.append(f"{lib} ERROR {row[f'{lib}_error']}")
    log(" | ".join(parts))


def _time_elementwise_dtype(rep, cfg, dt):
    n, isz = cfg["time_n"], np.dtype(dt).itemsize
    x, dy, y, out = _alloc(n, dt, 4, 1)
    base = dict(section="time", dtype=_dt(dt), case=f"{_size(n)} el.", copy_bytes=2 * n * isz)
    timed(base, "copy", "numba", cfg, out.copy_to_device, x)
    if torch is not None:
        tx, tdy, ty, tout = (torch.as_tensor(a, device="cuda") for a in (x, dy, y, out))
        one = torch.ones((), dtype=tx.dtype, device="cuda").expand(n)
    if cupy is not None:
        cx, cdy, cout = (cupy.asarray(a) for a in (x, dy, out))
        try:
            cks, cerr = _cupy_kernels(dt), None
        except Exception as e:
            cks, cerr = {}, _err(e)
    for act in ACTIVATIONS:
        if torch is not None and act.name in ("sigmoid", "tanh"):  # torch's backward ops take the output
            getattr(torch, act.name)(tx, out=ty)
        ps = act.test_params()
        for kind in KINDS:
            fname = act.name if kind == "forward" else f"{act.name}_{kind}"
            args = (dy, x) if kind == "backward" else (x,)
            row = rep.add(**base, function=fname, bytes=(len(args) + 1) * n * isz)
            timed(row, "na", "numba", cfg, getattr(na, fname), *args, *ps, out=out)
            top = _torch_op(act.name, kind) if torch is not None else None
            if top is not None:
                row["torch_op"] = top[0]
                timed(row, "torch", "torch", cfg, top[1], tx, tdy, ty, tout, one)
            if cupy is not None and (act.name, kind) in cks:
                timed(
                    row, "cupy", "cupy", cfg, cks[act.name, kind], *((cdy, cx, cout) if len(args) == 2 else (cx, cout))
                )
            elif cupy is not None:
                row["cupy_error"] = cerr or "no CuPy formula"
            _log_time(row)


def time_elementwise(rep, cfg):
    log(f"\n== TIME elementwise: {_size(cfg['time_n'])} elements per array, the same count for every dtype ==")
    for dt in cfg["time_dtypes"]:
        _time_elementwise_dtype(rep, cfg, dt)
        _free()


def time_softmax(rep, cfg):
    n, aten = cfg["time_n"], torch.ops.aten if torch is not None else None
    log(f"\n== TIME softmax: {_size(n)} float32 elements in rows of {cfg['softmax_lengths']} ==")
    bufs = _alloc(n, np.float32, 4, 2)
    base = dict(section="time", dtype="float32", copy_bytes=2 * n * 4)
    timed(base, "copy", "numba", cfg, bufs[3].copy_to_device, bufs[0])
    tbufs = [torch.as_tensor(a, device="cuda") for a in bufs] if torch is not None else None
    for length in cfg["softmax_lengths"]:
        shape = (n // length, length)
        x, dy, p, out = (a.reshape(shape) for a in bufs)
        try:
            na.softmax(x, out=p)
        except Exception as e:
            log(f"  softmax {shape}: {_err(e)}")
        for fname, args in (("softmax", (x,)), ("softmax_backward", (dy, p))):
            row = rep.add(**base, function=fname, case=f"{shape[0]}x{length}", bytes=(len(args) + 1) * n * 4)
            timed(row, "na", "numba", cfg, getattr(na, fname), *args, out=out)
            if tbufs is not None:
                tx, tdy, tp, tout = (t.view(shape) for t in tbufs)
                if fname == "softmax":
                    row["torch_op"] = "aten._softmax.out"
                    timed(row, "torch", "torch", cfg, aten._softmax.out, tx, -1, False, out=tout)
                else:
                    row["torch_op"] = "aten._softmax_backward_data.out"
                    timed(
                        row,
                        "torch",
                        "torch",
                        cfg,
                        aten._softmax_backward_data.out,
                        tdy,
                        tp,
                        -1,
                        torch.float32,
                        grad_input=tout,
                    )
            _log_time(row)
    del bufs, tbufs
    _free()


def wall_us(fn, sync, calls):
    for _ in range(max(3, calls // 10)):
        fn()
        sync()
    ts = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e6


def time_overhead(rep, cfg):
    n, calls = 1024, cfg["overhead_calls"]
    log(f"\n== TIME per-call overhead: sigmoid of {n} float32 elements, call + synchronize, wall clock ==")
    x = np.random.default_rng(3).standard_normal(n).astype(np.float32)
    d, o = cuda.to_device(x), cuda.device_array(n, np.float32)
    cases = {
        "synchronize alone": (lambda: None, cuda.synchronize),
        "na.sigmoid(numba array)": (functools.partial(na.sigmoid, d), cuda.synchronize),
        "na.sigmoid(numba array, out=)": (functools.partial(na.sigmoid, d, out=o), cuda.synchronize),
    }
    if torch is not None:
        t = torch.from_numpy(x).cuda()
        cases["na.sigmoid(torch tensor)"] = (functools.partial(na.sigmoid, t), torch.cuda.synchronize)
        cases["torch.sigmoid(tensor)"] = (functools.partial(torch.sigmoid, t), torch.cuda.synchronize)
    if cupy is not None:
        c, sync = cupy.asarray(x), cupy.cuda.Device().synchronize
        cases["na.sigmoid(cupy array)"] = (functools.partial(na.sigmoid, c), sync)
        try:
            cases["cupy ElementwiseKernel"] = (
                functools.partial(_cupy_kernels(np.float32)["sigmoid", "forward"], c),
                sync,
            )
        except Exception as e:
            log(f"  cupy: {_err(e)}")
    for name, (fn, sync) in cases.items():
        try:
            us = wall_us(fn, sync, calls)
        except Exception as e:
            log(f"  {name:32s} ERROR {_err(e)}")
            continue
        log(f"  {name:32s} {us:8.1f} us")
        rep.add(section="overhead", function=name, dtype="float32", case=f"{n} el.", us=us)


# --------------------------------------------------------------------------------------------- --ptx

CC = (9, 0)
_OPCODE = re.compile(r"^\s*(?:@!?%\w+\s+)?([a-z][\w.]*)")


def f64_ops(ptx):
    """{opcode: count} of the PTX instructions with a .f64 type."""
    ops = {}
    for line in ptx.splitlines():
        m = _OPCODE.match(line)
        if m and "f64" in m.group(1).split("."):
            ops[m.group(1)] = ops.get(m.group(1), 0) + 1
    return ops


def static_smem(ptx):
    decl = r"^\s*(?:\.visible\s+)?\.shared\s+(?:\.align\s+\d+\s+)?\.b8\s+\w+\[(\d+)\]"
    return sum(int(s) for s in re.findall(decl, ptx, re.M))


def link_regs(ptx):
    """(registers per thread, None) of the PTX linked for sm_90 by nvJitLink, or (None, why not)."""
    try:
        from cuda.bindings import nvjitlink

        h = nvjitlink.create(3, [f"-arch=sm_{CC[0]}{CC[1]}", "-verbose", "-O3"])
        try:
            b = ptx.encode()
            nvjitlink.add_data(h, nvjitlink.InputType.PTX, b, len(b), "kernel.ptx")
            nvjitlink.complete(h)
            buf = bytearray(nvjitlink.get_info_log_size(h))
            nvjitlink.get_info_log(h, buf)
        finally:
            nvjitlink.destroy(h)
        m = re.search(r"[Uu]sed (\d+) registers", buf.decode(errors="replace"))
        return (int(m.group(1)), None) if m else (None, "no register count in the nvJitLink log")
    except Exception as e:
        return None, _err(e)


def launch_problems(fname, compute, static, regs=None, max_threads=None):
    """Row lengths whose launch numba_act.cuda.rowwise would get refused: dynamic shared memory past the
    48 KiB a block gets without an opt-in, or more registers than a block of its thread count may hold."""
    from numba_act.cuda import rowwise

    problems, isz = [], np.dtype(compute).itemsize
    if not fname.endswith("_backward") and static + rowwise.SMEM_BYTES > 48 * 1024:
        problems.append(
            f"static {static} B + dynamic up to {rowwise.SMEM_BYTES} B > 48 KiB: rows of "
            f"{(48 * 1024 - static) // isz + 1}..{rowwise.SMEM_BYTES // isz} fail to launch (no "
            "cudaFuncAttributeMaxDynamicSharedMemorySize opt-in)"
        )
    counts = [t for t in (32, 64, 128, 256, 512, 1024) if t <= rowwise.MAX_THREADS]
    if max_threads is None and regs is not None:  # registers per block: per warp, in units of 256 (sm_90)
        too_many = [t for t in counts if -(-regs * 32 // 256) * 256 * (t // 32) > 65536]
        max_threads = too_many[0] // 2 if too_many else None
        why = f"{regs} regs/thread"
    else:
        why = f"max {max_threads} threads/block"
    bad = [t for t in counts if max_threads is not None and t > max_threads]
    if bad:
        problems.append(f"{why}: the {bad[0]}-thread blocks of rows longer than {2 * bad[0]} fail to launch")
    return problems


def ptx_mode(rep):
    # Without a GPU, compiling a device function (every kernel here calls some) asks the current device for
    # its compute capability (numba.cuda.dispatcher: CUDADispatcher.compile_device -> get_current_device()),
    # which needs a driver.  Known workaround, used ONLY in this --ptx mode: make the dispatcher module's
    # get_current_device return a stand-in for a compute capability 9.0 device.
    import numba.cuda.dispatcher as cuda_dispatcher
    from numba.core import types as nt

    cuda_dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=CC)
    from numba_act.cuda import elementwise, rowwise

    try:
        from numba.cuda.cudadrv import nvvm

        rep.info["nvvm"] = ".".join(map(str, nvvm.NVVM().get_version()))
    except Exception:
        pass
    nt_of = {np.float16: nt.float16, np.float32: nt.float32, np.float64: nt.float64}
    ptx = cuda.compile_ptx(elementwise.kernel("relu", "forward", False).py_func, (nt.float32[::1],) * 2, cc=CC)[0]
    rep.info["ptx_isa"] = re.search(r"^\.version\s+(\S+)", ptx, re.M).group(1)
    log(f"NVVM {rep.info.get('nvvm', '?')}, PTX ISA {rep.info['ptx_isa']} (the GPU's driver must accept this ISA)")

    log(f"\n== PTX: elementwise kernels for sm_{CC[0]}{CC[1]} ({elementwise.THREADS}-thread blocks) ==")
    for act in ACTIVATIONS:
        for kind in KINDS:
            fname = act.name if kind == "forward" else f"{act.name}_{kind}"
            for dt in DTYPES:
                k = elementwise.kernel(act.name, kind, dt == np.float16)
                # arrays, out, then the scalar parameters in the compute dtype (float32 for float16)
                scalar = nt.float32 if dt == np.float16 else nt_of[dt]
                sig = (nt_of[dt][::1],) * (3 if kind == "backward" else 2) + (scalar,) * len(act.params)
                ptx = cuda.compile_ptx(k.py_func, sig, cc=CC)[0]
                ops, (regs, why) = f64_ops(ptx), link_regs(ptx)
                status = "FAIL" if ops and dt != np.float64 else "ok"
                note = (
                    f"f64 instructions in a {_dt(dt)} kernel: {ops}"
                    if status == "FAIL"
                    else f"{sum(ops.values())} f64 instructions"
                    if ops
                    else "no f64 instructions"
                )
                log(
                    f"  {fname:18s} {_dt(dt):8s} {status:4s} {len(ptx.splitlines()):4d} PTX lines, "
                    f"{regs or '?'} regs, {note}"
                )
                rep.add(
                    section="ptx",
                    function=fname,
                    dtype=_dt(dt),
                    case="elementwise",
                    status=status,
                    f64_ops=ops,
                    regs=regs,
                    link_error=why,
                    note=note,
                )

    log(
        f"\n== PTX: row kernels (float64 sums are intended), blocks of up to {rowwise.MAX_THREADS} threads and "
        f"{rowwise.SMEM_BYTES} B dynamic shared memory =="
    )
    for compute, dts in ((np.float32, (np.float16, np.float32)), (np.float64, (np.float64,))):
        kernels = [*rowwise._kernels(compute), *rowwise._log_kernels(compute)]
        for kern, fname, nin in zip(kernels, ROW_FUNCS + LOG_FUNCS, (1, 2, 1, 1, 2, 1)):
            for dt in dts:
                sig = (nt_of[dt][::1],) * (nin + 1) + (nt.int64, nt.int64, nt.int64, nt.boolean)
                ptx = cuda.compile_ptx(kern.py_func, sig, cc=CC)[0]
                ops, smem, (regs, why) = f64_ops(ptx), static_smem(ptx), link_regs(ptx)
                problems = launch_problems(fname, compute, smem, regs=regs)
                status = "FAIL" if problems else "ok"
                log(
                    f"  {fname:18s} {_dt(dt):8s} {status:4s} {regs or '?'} regs, static smem {smem} B, "
                    f"{sum(ops.values())} f64 instructions ({', '.join(sorted(ops))})"
                )
                for p in problems:
                    log(f"      {p}")
                rep.add(
                    section="ptx",
                    function=fname,
                    dtype=_dt(dt),
                    case=f"rows, compute {_dt(compute)}",
                    status=status,
                    f64_ops=ops,
                    regs=regs,
                    static_smem=smem,
                    link_error=why,
                    note="; ".join(problems) or f"{regs or '?'} regs, {smem} B static smem: launches fit",
                )


# --------------------------------------------------------------------------------------------- info, summary


def versions():
    v = {"python": sys.version.split()[0], "numpy": np.__version__, "numba": numba.__version__}
    for dist in ("numba-cuda", "numba_act"):
        try:
            v[dist] = importlib.metadata.version(dist)
        except Exception:
            pass
    if torch is not None:
        v["torch"] = f"{torch.__version__} (CUDA {torch.version.cuda})"
    if cupy is not None:
        v["cupy"] = cupy.__version__
    if not SIM:
        try:
            from numba.cuda.cudadrv import driver, runtime

            v["CUDA driver"] = ".".join(map(str, driver.driver.get_version()))
            v["CUDA runtime"] = ".".join(map(str, runtime.runtime.get_version()))
        except Exception:
            pass
    return v


def device_info():
    info = {"simulator": SIM}
    try:
        dev = cuda.get_current_device()
        name = getattr(dev, "name", "CUDA simulator")
        info["name"] = name.decode() if isinstance(name, bytes) else str(name)
        info["compute capability"] = ".".join(map(str, dev.compute_capability))
        info["SMs"] = getattr(dev, "MULTIPROCESSOR_COUNT", None)
        free, total = cuda.current_context().get_memory_info()
        info["memory GiB free/total"] = f"{free / 2**30:.1f}/{total / 2**30:.1f}"
    except Exception as e:
        info["error"] = _err(e)
    return info


def gpu_libraries():
    """torch and cupy, where they can use the GPU (never under the simulator)."""
    if SIM:
        return None, None
    found = []
    for name, usable in (
        ("torch", lambda m: m.cuda.is_available()),
        ("cupy", lambda m: m.cuda.runtime.getDeviceCount() > 0),
    ):
        try:
            mod = __import__(name)
            found.append(mod if usable(mod) else None)
        except Exception:
            found.append(None)
    return found


def kernel_resources(rep):
    """The row kernels as the driver compiled them during CHECK: registers, shared memory, thread limit."""
    from numba_act.cuda import rowwise

    log("\n== Row kernels as compiled for this GPU ==")
    for compute in (np.float32, np.float64):
        kernels = [*rowwise._kernels(compute), *rowwise._log_kernels(compute)]
        for kern, fname in zip(kernels, ROW_FUNCS + LOG_FUNCS):
            try:
                regs, smem = kern.get_regs_per_thread(), kern.get_shared_mem_per_block()
                maxt = kern.get_max_threads_per_block()
            except Exception as e:
                log(f"  {fname} ({_dt(compute)}): {_err(e)}")
                continue
            for sig in regs:
                problems = launch_problems(fname, compute, smem[sig], max_threads=maxt[sig])
                status = "FAIL" if problems else "ok"
                note = f"{regs[sig]} regs, {smem[sig]} B static smem, max {maxt[sig]} threads/block"
                log(
                    f"  {fname:18s} {str(sig[0].dtype):8s} {status:4s} {note}"
                    + "".join(f"\n      {p}" for p in problems)
                )
                rep.add(
                    section="resources",
                    function=fname,
                    dtype=str(sig[0].dtype),
                    case=f"compute {_dt(compute)}",
                    status=status,
                    regs=regs[sig],
                    static_smem=smem[sig],
                    max_threads=maxt[sig],
                    note="; ".join([note, *problems]),
                )


def summary(rep):
    lines = ["| section | function | dtype | case | numba_act | torch | CuPy | copy | status |", "|---" * 9 + "|"]
    checks = {}
    for r in rep.rows:  # CHECK: one line per (function, dtype), the worst over its cases
        if r["section"] == "check":
            checks.setdefault((r["function"], r["dtype"]), []).append(r)
    for (fname, dt), rs in checks.items():
        done = [r for r in rs if "score" in r]
        fails = [r["case"] for r in rs if r["status"] == "FAIL"]
        worst = "-"
        if done:
            worst = f"max {max(r['max_ulp'] for r in done):.4g} ulp"
            worst += f" (scaled {max(r['score'] for r in done):.3g})" if rs[0]["scaled"] else ""
            worst += f", abs {max(r['max_abs'] for r in done):.2g}"
        status = f"FAIL: {'; '.join(fails)}" if fails else f"ok (tol {rs[0]['tol']}, {len(rs)} cases)"
        lines.append(f"| check | {fname} | {dt} | GPU vs CPU | {worst} | | | | {status} |")
    for r in rep.rows:
        s = r["section"]
        if s == "interop":
            lines.append(
                f"| check | {r['function']} | {r['dtype']} | zero-copy, {r['case']} | | | | | "
                f"{r['status']} {'; '.join(r['problems'])}".rstrip()
                + " |"
            )
        elif s in ("ptx", "resources"):
            lines.append(f"| {s} | {r['function']} | {r['dtype']} | {r['case']} | {r['note']} | | | | {r['status']} |")
        elif s == "time":
            b, na_ms = r["bytes"], r.get("na_ms")
            cell = {"na": f"ERROR {r.get('na_error')}"}
            if na_ms:
                ratio = f", {b / na_ms / (r['copy_bytes'] / r['copy_ms']):.2f}x copy" if r.get("copy_ms") else ""
                cell["na"] = f"{na_ms:.3f} ms, {b / na_ms / 1e6:.0f} GB/s{ratio}"
            for lib in ("torch", "cupy"):
                ms = r.get(f"{lib}_ms")
                cell[lib] = (
                    f"{ms:.3f} ms, {b / ms / 1e6:.0f} GB/s" + (f" ({ms / na_ms:.2f}x)" if na_ms else "")
                    if ms
                    else "error"
                    if r.get(f"{lib}_error")
                    else ""
                )
            if r.get("torch_op") and r.get("torch_ms"):
                cell["torch"] += f" `{r['torch_op']}`"
            copy = f"{r['copy_ms']:.3f} ms, {r['copy_bytes'] / r['copy_ms'] / 1e6:.0f} GB/s" if r.get("copy_ms") else ""
            lines.append(
                f"| time | {r['function']} | {r['dtype']} | {r['case']} | {cell['na']} | {cell['torch']} | "
                f"{cell['cupy']} | {copy} | |"
            )
        elif s == "overhead":
            lines.append(f"| overhead | {r['function']} | {r['dtype']} | {r['case']} | {r['us']:.1f} us/call | | | | |")
    lines.append(
        "\nTime: median of CUDA-event timings; GB/s = bytes read + written once (softmax 1 + 1, backward "
        "2 + 1) / time; `x copy` = that rate / the device-to-device copy's; `(Nx)` = torch's or CuPy's time / "
        "numba_act's (> 1: numba_act faster).  Check: ulp = distance in the total order of the floats; "
        "softmax_backward scaled = error / (eps |p| (|dy| + sum|dy p|))."
    )
    return "\n".join(lines)


def main():
    global torch, cupy
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--simulate", action="store_true", help="Numba's CUDA simulator, tiny sizes (no GPU)")
    mode.add_argument("--ptx", action="store_true", help="compile to PTX for sm_90 and scan it (no GPU)")
    ap.add_argument("--no-time", action="store_true", help="CHECK only")
    ap.add_argument("--json", metavar="FILE", help="write every result as JSON")
    args = ap.parse_args()
    t_start, rep = time.perf_counter(), Report()
    cfg = SIMULATED if SIM else FULL
    if not args.ptx:
        torch, cupy = gpu_libraries()
    rep.info["versions"] = versions()
    log("versions: " + ", ".join(f"{k} {v}" for k, v in rep.info["versions"].items()))
    if args.ptx:
        ptx_mode(rep)
        return finish(rep, args, t_start)
    rep.info["device"] = device_info()
    log("device: " + ", ".join(f"{k} {v}" for k, v in rep.info["device"].items()))
    log(f"interop: torch {'yes' if torch else 'no'}, cupy {'yes' if cupy else 'no'}")
    # NaN/inf inputs are intended: no floating-point warnings.  The simulator runs the kernels on NumPy
    # scalars in threads of its own, which np.errstate does not reach.
    if SIM:
        warnings.simplefilter("ignore", RuntimeWarning)
    with np.errstate(all="ignore"):
        rng = np.random.default_rng(2024)
        check_elementwise(rep, cfg, rng)
        check_rows(rep, cfg, rng)
        check_interop(rep)
        if not SIM:
            kernel_resources(rep)
        if not args.no_time:
            time_elementwise(rep, cfg)
            time_softmax(rep, cfg)
            time_overhead(rep, cfg)
    return finish(rep, args, t_start)


def finish(rep, args, t_start):
    elapsed = time.perf_counter() - t_start
    n_checked = sum("status" in r for r in rep.rows)
    log(f"\n{len(rep.failed)} FAIL of {n_checked} checks, {elapsed:.0f} s\n")
    log(summary(rep))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"info": rep.info, "elapsed_s": elapsed, "rows": rep.rows}, fh, indent=1, default=str)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
