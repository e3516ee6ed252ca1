"""CUDA device functions built from the CPU kernels (one source of truth).

A kernel in `scalar.py` or `rows.py` is a numba CPU dispatcher whose Python
function calls the primitives of `_math` (`exp`, `expm1`, `fma`, `recip`,
`recip12`) and other kernels by global name.  `device_function` makes a copy
of that Python function whose globals map those names to CUDA versions:

- exp, expm1: `math.exp`/`math.expm1`, which numba-cuda lowers to libdevice
  in the argument's precision (vectorization is not a concern on a GPU);
- fma: `cuda.fma` (plain a * b + c under the simulator, which lacks it);
- recip, recip12: a division (cheap on a GPU, and exact to 0.5 ulp);
- other numba_act kernels: their own device-function copies, recursively.

The copy is compiled with `cuda.jit(device=True)`.  Under the simulator the
same copy simply runs as Python on NumPy scalars.
"""

import functools
import math
import types

from numba import config, cuda
from numba.core.registry import CPUDispatcher

# NUMBA_ENABLE_CUDASIM=1 (read by numba at import): kernels run as Python.
SIMULATED = bool(config.ENABLE_CUDASIM)


def _exp(x):
    return math.exp(x)


def _expm1(x):
    return math.expm1(x)


def _exp_split(x):
    return math.exp(x), type(x)(1.0)


def _recip(d):
    return type(d)(1.0) / d


if SIMULATED:

    def _fma(a, b, c):
        return a * b + c

else:

    def _fma(a, b, c):
        return cuda.fma(a, b, c)


_PRIMITIVES = {
    "exp": _exp,
    "exp_split": _exp_split,
    "expm1": _expm1,
    "fma": _fma,
    "recip": _recip,
    "recip12": _recip,
}


@functools.cache
def _primitive(name):
    return cuda.jit(device=True)(_PRIMITIVES[name])


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
    return cuda.jit(device=True)(clone)


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
    return cuda.jit(device=True)(ns["backward"])
