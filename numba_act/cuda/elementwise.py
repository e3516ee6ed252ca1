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
    views = [arrays.view(fname, a) for a in args]
    dtypes = {arrays.check_dtype(fname, v) for v in views}
    if len(dtypes) != 1:
        raise TypeError(f"{fname}: GPU inputs must share one dtype, got {sorted(map(str, dtypes))}")
    (dtype,) = dtypes
    shape = views[0].shape
    for v in views[1:]:
        if v.shape != shape:
            raise ValueError(
                f"{fname}: GPU inputs must have the same shape (no broadcasting), got {v.shape} and {shape}"
            )
    for v in views:
        arrays.check_contiguous(fname, v)
    stream = arrays.stream_of(args[0])
    if out is None:
        result = arrays.empty_like(args[0], shape, dtype, stream)
    else:
        result = out
    rv = arrays.view(fname, result)
    if rv.shape != shape:
        raise ValueError(f"{fname}: out= has shape {rv.shape}, but the result has shape {shape}")
    if np.dtype(rv.dtype) not in arrays.FLOATS:
        raise TypeError(f"{fname}: out= must have a float16/32/64 dtype, got {rv.dtype}")
    if np.dtype(rv.dtype) != dtype:
        raise TypeError(f"{fname}: out= has dtype {rv.dtype}, the inputs {dtype}; GPU calls do not cast")
    arrays.check_contiguous(fname, rv)
    n = rv.size
    if n:
        flat = [v.reshape(n) for v in views]
        blocks, threads = launch_shape(n)
        kernel(name, kind, dtype == np.float16)[blocks, threads, stream](*flat, rv.reshape(n))
    return result
