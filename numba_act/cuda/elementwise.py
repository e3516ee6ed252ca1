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
    return derived_backward(act.grad)


@functools.cache
def kernel(name, kind, widen):
    """The grid-stride kernel of one function; widen: float16 computed in float32."""
    dev = _device(name, kind)
    if kind != "backward":
        if widen:

            def k(x, out):
                for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
                    out[i] = dev(np.float32(x[i]))

        else:

            def k(x, out):
                for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
                    out[i] = dev(x[i])

    elif widen:

        def k(dy, x, out):
            for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
                out[i] = dev(np.float32(dy[i]), np.float32(x[i]))

    else:

        def k(dy, x, out):
            for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
                out[i] = dev(dy[i], x[i])

    k.__name__ = k.__qualname__ = f"{name}_{kind}_kernel"
    return cuda.jit(k)


def launch_shape(n):
    return max(1, min(MAX_BLOCKS, -(-n // THREADS))), THREADS


def call(fname, name, kind, args, out):
    """Run elementwise function `fname` (activation `name`, kind) on GPU arrays."""
    views, dtype, shape, stream = arrays.inputs(fname, args)
    result, rv = arrays.output(fname, out, args[0], shape, dtype, stream)
    n = rv.size
    if n:
        flat = [v.reshape(n) for v in views]
        blocks, threads = launch_shape(n)
        kernel(name, kind, dtype == np.float16)[blocks, threads, stream](*flat, rv.reshape(n))
    return result
