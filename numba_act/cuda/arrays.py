"""GPU arrays in and out: zero-copy views, outputs of the caller's kind, streams.

Inputs may be Numba device arrays or any object exposing
`__cuda_array_interface__` (CuPy arrays, PyTorch CUDA tensors, ...).  They
are viewed in place (`cuda.as_cuda_array`), never copied; results are
allocated by the caller's library on the caller's device, so a CuPy array
gives a CuPy array and a tensor a tensor.  Kernels run on the stream the
producer declares in its interface (v3 `stream` key), so no host
synchronization is added.
"""

import numpy as np
from numba import cuda

from .device import SIMULATED

FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def is_device(a):
    return hasattr(a, "__cuda_array_interface__") or type(a).__module__.startswith(("numba.cuda", "numba_cuda"))


def _is_numba(a):
    return type(a).__module__.startswith(("numba.cuda", "numba_cuda"))


def view(name, a):
    """A Numba device-array view of GPU array `a` (no copy)."""
    if _is_numba(a):
        return a
    if SIMULATED:  # pragma: no cover - the simulator has no as_cuda_array
        raise TypeError(f"{name}: only Numba device arrays can be used under the CUDA simulator")
    # sync=False: the kernels run on the producer's stream (stream_of), which
    # orders them after the producer's work without a host synchronization.
    return cuda.as_cuda_array(a, sync=False)


def stream_of(a):
    """The stream `a`'s producer declared, as a Numba stream (default: 0)."""
    if _is_numba(a):
        return getattr(a, "stream", 0) or 0
    if type(a).__module__.split(".")[0] == "torch":
        # PyTorch's interface declares no stream; its work is ordered on the
        # current stream of the tensor's device.
        import torch

        return cuda.external_stream(torch.cuda.current_stream(a.device).cuda_stream)
    iface = getattr(a, "__cuda_array_interface__", {})
    ptr = iface.get("stream")
    if not ptr:
        return 0
    if ptr == 1:
        return cuda.legacy_default_stream()
    if ptr == 2:
        return cuda.per_thread_default_stream()
    return cuda.external_stream(ptr)


def empty_like(a, shape, dtype, stream):
    """An uninitialized GPU array of the same kind and device as `a`."""
    mod = type(a).__module__.split(".")[0]
    if mod == "cupy":
        import cupy

        with a.device:
            return cupy.empty(shape, dtype)
    if mod == "torch":
        import torch

        return torch.empty(shape, dtype=getattr(torch, np.dtype(dtype).name), device=a.device)
    return cuda.device_array(shape, dtype, stream=stream)


def check_dtype(name, d):
    dt = np.dtype(d.dtype)
    if dt not in FLOATS:
        raise TypeError(f"{name}: GPU input of dtype {dt} is not supported; use float16, float32 or float64")
    return dt


def check_contiguous(name, d):
    if d.size and not d.is_c_contiguous():
        raise ValueError(
            f"{name}: GPU arrays must be C-contiguous (got strides {d.strides}); "
            "make a contiguous copy on the device first (e.g. .contiguous(), cupy.ascontiguousarray)"
        )


def inputs(fname, args):
    """(views, dtype, shape, stream) of the GPU arguments of one call, which
    must share one float dtype and one shape, and be C-contiguous."""
    views = [view(fname, a) for a in args]
    dtypes = {check_dtype(fname, v) for v in views}
    if len(dtypes) != 1:
        raise TypeError(f"{fname}: GPU inputs must share one dtype, got {sorted(map(str, dtypes))}")
    (dtype,) = dtypes
    shape = tuple(views[0].shape)
    for v in views:
        if tuple(v.shape) != shape:
            raise ValueError(
                f"{fname}: GPU inputs must have the same shape (no broadcasting), got {v.shape} and {shape}"
            )
        check_contiguous(fname, v)
    return views, dtype, shape, stream_of(args[0])


def output(fname, out, like, shape, dtype, stream):
    """(result, view): out= checked against the call, or a new array of
    `like`'s kind."""
    result = out if out is not None else empty_like(like, shape, dtype, stream)
    rv = view(fname, result)
    if tuple(rv.shape) != tuple(shape):
        raise ValueError(f"{fname}: out= has shape {rv.shape}, but the result has shape {tuple(shape)}")
    if np.dtype(rv.dtype) not in FLOATS:
        raise TypeError(f"{fname}: out= must have a float16/32/64 dtype, got {rv.dtype}")
    if np.dtype(rv.dtype) != dtype:
        raise TypeError(f"{fname}: out= has dtype {rv.dtype}, the inputs {dtype}; GPU calls do not cast")
    check_contiguous(fname, rv)
    return result, rv


def to_device(name, a):
    """Explicit copy of a host argument to the device (target='cuda')."""
    from ..dispatch import as_input, compute_dtype

    arr = as_input(name, a)
    result_dtype, _ = compute_dtype(name, [arr])  # np.exp's promotion, as on the CPU
    arr = arr.astype(result_dtype, copy=False)
    if not arr.flags.c_contiguous:  # (np.ascontiguousarray would make 0-d arrays 1-d)
        arr = arr.copy(order="C")
    return cuda.to_device(arr)


def to_host(a):
    """Explicit copy of a GPU argument to the host (target='cpu')."""
    mod = type(a).__module__.split(".")[0]
    if mod == "cupy":
        return a.get()
    if mod == "torch":
        return a.detach().cpu().numpy()
    return view("to_host", a).copy_to_host()
