"""Elementwise functions on the GPU: one grid-stride kernel per function.

The kernels wrap the device functions built from the very same scalar
kernels as the CPU ufuncs (`device.py`).  A hand-written grid-stride kernel
is used instead of `cuda.vectorize`: the CUDA simulator cannot build CUDA
ufuncs (it fails at decoration), and an explicit kernel lets us pick the
launch configuration and the producer's stream.  float16 arrays are
computed in float32 and stored back as float16.
"""

import functools

import numpy as np
from numba import cuda

from ..cpu import arg_names
from ..registry import BY_NAME
from . import arrays
from .device import SIMULATED, derived_backward, device_function

# Threads per block and a cap on blocks (grid-stride loops cover the rest).
# The simulator runs every thread as a Python thread: keep it tiny there;
# results do not depend on the launch shape.
THREADS = 32 if SIMULATED else 256
MAX_BLOCKS = 2 if SIMULATED else 65535


def _device(name, kind):
    act = BY_NAME[name]
    if kind == "forward":
        return device_function(act.forward)
    if kind == "grad":
        return device_function(act.grad)
    if act.backward is not None:
        return device_function(act.backward)
    return derived_backward(act.grad, len(act.params))


@functools.cache
def kernel(name, kind, widen):
    """The grid-stride kernel of one function; widen: float16 computed in
    float32.  Arguments: the input arrays, out, then the scalar parameters."""
    act = BY_NAME[name]
    args = arg_names(act, kind)
    arrays = args[: len(args) - len(act.params)]
    params = args[len(arrays) :]
    load = "float32({})" if widen else "{}"
    call = ", ".join([load.format(f"{a}[i]") for a in arrays] + params)
    src = (
        f"def k({', '.join([*arrays, 'out', *params])}):\n"
        "    for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):\n"
        f"        out[i] = dev({call})\n"
    )
    ns = {"cuda": cuda, "dev": _device(name, kind), "float32": np.float32}
    exec(src, ns)  # noqa: S102 - a fixed template: numba needs a fixed arity
    k = ns["k"]
    k.__name__ = k.__qualname__ = f"{name}_{kind}_kernel"
    return cuda.jit(k)


def launch_shape(n):
    return max(1, min(MAX_BLOCKS, -(-n // THREADS))), THREADS


def call(fname, name, kind, args, out, params=()):
    """Run elementwise function `fname` (activation `name`, kind) on GPU
    arrays; `params` are scalars, cast to the dtype the kernel computes in."""
    views, dtype, shape, stream = arrays.inputs(fname, args)
    result, rv = arrays.output(fname, out, args[0], shape, dtype, stream)
    n = rv.size
    if n:
        flat = [v.reshape(n) for v in views]
        compute = np.float32 if dtype == np.float16 else dtype.type
        blocks, threads = launch_shape(n)
        kernel(name, kind, dtype == np.float16)[blocks, threads, stream](
            *flat, rv.reshape(n), *[compute(p) for p in params]
        )
    return result
