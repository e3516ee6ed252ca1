"""CPU target: compile registry kernels into NumPy ufuncs and gufuncs.

Nothing is compiled at import.  Each builder runs on the first call of its
function and is memoised; the compiled loops are real `numpy.ufunc` objects
with float32 and float64 loops (float16 is handled by the caller, which
computes in float32).
"""

import functools

import numba
import numpy as np

from . import rows
from .registry import BY_NAME

_F32 = numba.float32
_F64 = numba.float64


def _elementwise_loop(kind, act):
    """The Python function that `numba.vectorize` compiles for one ufunc.

    Arguments are widened to float64 before the kernel runs; the ufunc
    signature rounds the result back to the loop's dtype once.
    """
    if kind == "forward":
        kern = act.forward

        def loop(x):
            return kern(_F64(x))

    elif kind == "grad":
        kern = act.grad

        def loop(x):
            return kern(_F64(x))

    elif act.backward is not None:
        kern = act.backward

        def loop(dy, x):
            return kern(_F64(dy), _F64(x))

    else:
        kern = act.grad

        def loop(dy, x):
            return _F64(dy) * kern(_F64(x))

    return loop


def _sigs(nin):
    return [t(*([t] * nin)) for t in (_F32, _F64)]


@functools.cache
def elementwise_ufunc(name, kind):
    """The `numpy.ufunc` for activation `name`; kind: forward, grad, backward."""
    act = BY_NAME[name]
    loop = _elementwise_loop(kind, act)
    nin = 2 if kind == "backward" else 1
    loop.__name__ = loop.__qualname__ = name if kind == "forward" else f"{name}_{kind}"
    return numba.vectorize(_sigs(nin), nopython=True)(loop).ufunc


_ROW_KERNELS = {
    # name: (kernel, number of inputs, gufunc layout)
    "softmax": (rows.softmax_row, 1, "(n)->(n)"),
    "softmax_backward": (rows.softmax_backward_row, 2, "(n),(n)->(n)"),
    "softmax_jacobian": (rows.softmax_jacobian_row, 1, "(n)->(n,n)"),
}


@functools.cache
def row_gufunc(name):
    kern, nin, layout = _ROW_KERNELS[name]
    out_ndim = layout.split("->")[1].count(",") + 1
    sigs = [
        numba.void(*([t[:]] * nin), t[(slice(None),) * out_ndim])
        for t in (_F32, _F64)
    ]
    return numba.guvectorize(sigs, layout, nopython=True)(kern.py_func).ufunc
