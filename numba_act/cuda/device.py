"""CUDA device functions built from the CPU kernels (one source of truth).

A kernel in `scalar.py` or `rows.py` is a numba CPU dispatcher whose Python
function calls the primitives of `_math` (`exp`, `expm1`, `fma`, `recip`,
`recip12`) and other kernels by global name.  `device_function` makes a copy
of that Python function whose globals map those names to CUDA versions:

- exp, expm1: `math.exp`/`math.expm1`, which numba-cuda lowers to libdevice
  in the argument's precision (vectorization is not a concern on a GPU);
- exp_split: the CPU's split (a, b), b a power of two applied last by the
  callers, from a Cody-Waite reduction, libdevice exp and `math.ldexp`, so
  that dy * f'(x) stays accurate where f'(x) itself underflows;
- fma: `cuda.fma` (under the simulator, which lacks it, an exactly rounded
  fma in Python: the kernels' error-free transformations need the fused
  product);
- recip, recip12: a division (cheap on a GPU, and exact to 0.5 ulp);
- other numba_act kernels: their own device-function copies, recursively.

The copy is compiled with `cuda.jit(device=True)`.  Under the simulator the
same copy simply runs as Python on NumPy scalars (a plain function: see
_device); the primitives cast their results to the argument's type there
(`math.exp` of a NumPy float32 is a Python float), so float32 kernels
compute in float32 as on a GPU.
"""

import functools
import math
import types

import numpy as np
from numba import config, cuda
from numba.core.registry import CPUDispatcher

# NUMBA_ENABLE_CUDASIM=1 (read by numba at import): kernels run as Python.
SIMULATED = bool(config.ENABLE_CUDASIM)


def _exp(x):
    return type(x)(math.exp(x))


def _expm1(x):
    return type(x)(math.expm1(x))


# The reduction constants of numba_act._math (x = n ln2 + r, n ln2_hi exact).
_LOG2E64 = 1.4426950408889634
_LN2_HI64 = 6.93147180369123816490e-01
_LN2_LO64 = 1.90821492927058770002e-10
_LOG2E32 = 1.4426950408889634
_LN2_HI32 = 0.693145751953125
_LN2_LO32 = 1.4286067653302226e-06


# math.ldexp takes an int32 exponent in CUDA, a Python int in Python.
_int32 = int if SIMULATED else np.int32


def _exp_split(x):
    """(a, b) with a * b = e**x and b a power of two, as _math._exp64_split
    and _exp32_split: x = n ln2 + r (Cody-Waite), a = exp(r) 2**(n >> 1),
    b = 2**(n - (n >> 1)), both normal for the whole clamped range, so that
    a product such as (dy * a) * b is rounded once, at the end, even where
    e**x alone would be subnormal or 0.  (Before, this was (exp(x), 1.0).)"""
    T = type(x)
    f32 = T(1.0) + T(1e-10) == T(1.0)  # a constant after compilation
    hi = T(89.0) if f32 else T(710.0)  # e**x overflows above
    lo = T(-174.0) if f32 else T(-1416.0)  # n >= -252 (float32), -2044 (float64)
    xc = hi if x > hi else x
    xc = lo if xc < lo else xc  # NaN passes
    log2e = T(_LOG2E32) if f32 else T(_LOG2E64)
    ln2_hi = T(_LN2_HI32) if f32 else T(_LN2_HI64)  # n * ln2_hi is exact
    ln2_lo = T(_LN2_LO32) if f32 else T(_LN2_LO64)
    n = T(math.floor(xc * log2e + T(0.5))) if xc == xc else T(0.0)
    r = fma(-n, ln2_lo, fma(-n, ln2_hi, xc))  # exact, then rounded once
    ni = int(n)
    n1 = ni >> 1
    a = T(math.ldexp(T(math.exp(r)), _int32(n1)))
    return a, T(math.ldexp(T(1.0), _int32(ni - n1)))


def _recip(d):
    return type(d)(1.0) / d


if SIMULATED:

    def _fma(a, b, c):
        return _exact_fma(a, b, c)

else:

    def _fma(a, b, c):
        return cuda.fma(a, b, c)


# exp_split's name for it (rebound to the device function by _primitive)
fma = _fma


def _exact_fma(a, b, c):
    """a * b + c rounded once, in the type NumPy gives a * b + c (float16,
    float32 or float64), for the simulator.  Its plain a * b + c rounded the
    product first, so the error terms the kernels take with fma(a, b, -a * b)
    came out as 0 there (e.g. gaussian's exact x**2, gelu_tanh's z_lo: 40 to
    100 ulp in the tails, not seen on a GPU).

    Every float is an integer times a power of two, so a * b + c is one:
    N * 2**-k exactly, in Python integers, rounded to the type's precision
    (ties to even, gradual underflow) by integer shifts.  (Fractions took
    10 us a call, most of a simulated kernel's time.)"""
    t = type(a)
    if t is type(b) and t is type(c) and t in _FMA_FORMATS:
        T = t
    else:
        with np.errstate(all="ignore"):
            approx = a * b + c
        T = type(approx) if isinstance(approx, np.floating) else np.float64
        if T not in _FMA_FORMATS:
            return approx
    fa, fb, fc = float(a), float(b), float(c)
    if not (math.isfinite(fa) and math.isfinite(fb) and math.isfinite(fc)):
        if math.isinf(fc) and math.isfinite(fa) and math.isfinite(fb):
            return T(fc)  # the exact product is finite, even where a * b overflows
        return T(fa * fb + fc)  # inf and NaN follow IEEE in Python floats
    na, da = fa.as_integer_ratio()
    nb, db = fb.as_integer_ratio()
    nc, dc = fc.as_integer_ratio()
    kab = da.bit_length() + db.bit_length() - 2  # denominators are powers of two
    kc = dc.bit_length() - 1
    k = kab if kab > kc else kc
    n = ((na * nb) << (k - kab)) + (nc << (k - kc))
    if n == 0:
        # an exact zero product keeps IEEE's signed-zero sum; a cancellation
        # to zero is +0 (round to nearest)
        return T(fa * fb + fc) if (fa == 0.0 or fb == 0.0) else T(0.0)
    neg = n < 0
    n = -n if neg else n
    prec, emin, top = _FMA_FORMATS[T]
    shift = n.bit_length() - prec
    if shift < emin + k:  # the last bit's exponent, shift - k, is at least emin
        shift = emin + k
    if shift > 0:
        q = n >> shift
        r = n - (q << shift)
        half = 1 << (shift - 1)
        if r > half or (r == half and q & 1):
            q += 1
    else:
        q = n << -shift
    try:
        v = math.ldexp(float(q), shift - k)  # q has at most prec + 1 bits: exact
    except OverflowError:
        v = math.inf
    if v > top:
        v = math.inf
    return T(-v if neg else v)


# precision, exponent of the smallest subnormal, largest finite value
_FMA_FORMATS = {
    np.float16: (11, -24, 65504.0),
    np.float32: (24, -149, float(np.finfo(np.float32).max)),
    np.float64: (53, -1074, float(np.finfo(np.float64).max)),
}


_PRIMITIVES = {
    "exp": _exp,
    "exp_split": _exp_split,
    "expm1": _expm1,
    "fma": _fma,
    "recip": _recip,
    "recip12": _recip,
}


def _device(fn):
    """cuda.jit(device=True)(fn); under the simulator fn itself.  (The
    simulator's device-function wrapper only swaps the `cuda` module in the
    function's globals for its thread's, some 14 us a call; these functions
    do not use `cuda`, and a kernel of the catalogue makes 20 to 60 such
    calls per element.)"""
    return fn if SIMULATED else cuda.jit(device=True)(fn)


@functools.cache
def _primitive(name):
    """The device function of a primitive; the other primitives it names
    (exp_split calls fma) bound to theirs."""
    py = _PRIMITIVES[name]
    glb = dict(py.__globals__)
    for other in py.__code__.co_names:
        if other in _PRIMITIVES and other != name:
            glb[other] = _primitive(other)
    return _device(types.FunctionType(py.__code__, glb, py.__name__))


@functools.cache
def _special_equivalents():
    """{stub: plain-Python CUDA version} of the vectorizable special
    functions of `_special`, whose CPU versions use bit manipulation."""
    from .. import _special

    return {getattr(_special, name): fn for name, fn in _special.CUDA_EQUIVALENTS.items()}


def _clone(py, special=True):
    """A copy of Python function `py` whose globals name CUDA versions
    (special=False for the CUDA equivalents themselves: their attribute
    names, such as math.log1p, would match the stubs' names)."""
    glb = dict(py.__globals__)
    special = _special_equivalents() if special else {}
    for name in py.__code__.co_names:
        value = glb.get(name)
        if name in _PRIMITIVES:
            glb[name] = _primitive(name)
        elif isinstance(value, CPUDispatcher):
            glb[name] = device_function(value)
        elif callable(value) and _hashable(value) and value in special:
            glb[name] = _special_device(value)
    clone = types.FunctionType(py.__code__, glb, py.__name__, py.__defaults__, py.__closure__)
    clone.__qualname__ = py.__qualname__
    clone.__doc__ = py.__doc__
    return _device(clone)


def _hashable(v):
    try:
        hash(v)
    except TypeError:
        return False
    return True


@functools.cache
def _special_device(stub):
    return _clone(_special_equivalents()[stub], special=False)


@functools.cache
def device_function(kernel):
    """The CUDA device function for a numba_act CPU kernel (a CPUDispatcher)."""
    return _clone(kernel.py_func)


@functools.cache
def derived_backward(grad, n_params=0):
    """dy * grad(x, *params) as a device function, for activations without a
    fused backward kernel (mirrors cpu._elementwise_loop)."""
    g = device_function(grad)
    ps = "".join(f", p{i}" for i in range(n_params))
    ns = {"g": g}
    exec(f"def backward(dy, x{ps}):\n    return dy * g(x{ps})\n", ns)  # noqa: S102 - fixed template
    return _device(ns["backward"])
