"""Choose where a call runs, and check its arguments before anything is written.

Targets:
- "cuda": any argument exposes `__cuda_array_interface__` (Numba device
  arrays, CuPy arrays, PyTorch CUDA tensors).  Never copied to the host.
- "protocol": any argument is a non-NumPy object that implements
  `__array_ufunc__` (Dask, xarray, ...); the call goes to the plain NumPy
  ufunc so that the object's own protocol takes over.
- "cpu": NumPy arrays, NumPy scalars, Python scalars and nested sequences.

On the CPU the compiled loops run single-threaded below `PARALLEL_MIN_SIZE`
elements and split across `numba.get_num_threads()` threads above it (see
`_threads.py`; the threshold is from `python -m benchmarks --threshold`).
"""

import numpy as np

from . import _threads

# Elements (per call) from which splitting over threads pays; measured with
# `python -m benchmarks --threshold` (see benchmarks/RESULTS.md).
PARALLEL_MIN_SIZE = 1 << 18

_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_KIND_NAMES = {
    "c": "complex",
    "O": "object",
    "U": "string",
    "S": "bytes",
    "M": "datetime",
    "m": "timedelta",
    "V": "structured/void",
}


def is_device(a):
    """True for GPU memory: __cuda_array_interface__ or a Numba device array
    (including the CUDA simulator's, which lacks the interface)."""
    return hasattr(a, "__cuda_array_interface__") or type(a).__module__.startswith(("numba.cuda", "numba_cuda"))


TARGETS = (None, "cpu", "cuda")


def target_of(args, name="numba_act", forced=None):
    """'cuda', 'protocol' or 'cpu' for a call with these arguments (None
    entries, e.g. an absent out=, are ignored).

    forced='cpu' or 'cuda' (the `target=` keyword) picks the target
    explicitly; the caller then moves arguments across, which is never done
    otherwise.  Mixing host and device arguments without it is a TypeError.
    """
    if forced not in TARGETS:
        raise ValueError(f"{name}: target must be 'cpu', 'cuda' or None, got {forced!r}")
    args = [a for a in args if a is not None]
    on_device = [is_device(a) for a in args]
    if forced is not None:
        return forced
    if any(on_device):
        if not all(on_device):
            raise TypeError(
                f"{name}: arguments mix GPU and host memory; numba_act moves nothing between them "
                "silently. Move them yourself, or pass target='cpu' or target='cuda' to ask for the copies."
            )
        return "cuda"
    for a in args:
        if not isinstance(a, (np.ndarray, np.generic)) and getattr(type(a), "__array_ufunc__", None) is not None:
            return "protocol"
    return "cpu"


def as_input(name, a):
    """np.asarray(a), refusing dtypes an activation has no meaning for."""
    arr = np.asarray(a)
    kind = arr.dtype.kind
    if kind not in "biuf":
        what = _KIND_NAMES.get(kind, str(arr.dtype))
        raise TypeError(
            f"{name}: {what} input (dtype {arr.dtype}) is not supported; "
            "numba_act functions take real (bool, integer or floating) inputs"
        )
    return arr


def broadcast_shape(shapes):
    """np.broadcast_shapes, short-cut for the usual case of equal shapes."""
    first = shapes[0]
    if all(sh == first for sh in shapes[1:]):
        return first
    return np.broadcast_shapes(*shapes)


def compute_dtype(name, args):
    """The float dtype a call computes in, following np.exp's promotion.

    Returns (result dtype, loop dtype): float16 results are computed by the
    float32 loop and rounded once.
    """
    rt = np.result_type(*args)
    if rt.kind != "f":
        rt = next(f for f in _FLOATS if np.can_cast(rt, f, "safe"))
    elif rt.itemsize > 8:
        raise TypeError(f"{name}: dtype {rt} (extended precision) is not supported; use float64")
    loop = np.dtype(np.float32) if rt == np.float16 else rt
    return rt, loop


def check_out(name, out, shape):
    """Validate out= before anything is written; returns the array or None."""
    if out is None:
        return None
    if isinstance(out, tuple):
        if len(out) != 1:
            raise TypeError(f"{name}: out= takes one array, got a tuple of {len(out)}")
        out = out[0]
        if out is None:
            return None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name}: out= must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype.kind != "f" or out.dtype.itemsize > 8:
        raise TypeError(f"{name}: out= must have a float16/32/64 dtype, got {out.dtype}")
    if not out.flags.writeable:
        raise ValueError(f"{name}: out= array is read-only")
    if tuple(out.shape) != tuple(shape):
        raise ValueError(f"{name}: out= has shape {out.shape}, but the result has shape {tuple(shape)}")
    return out


def parallel_ok(arrays, out, loop_dtype):
    """True when a call can be split into contiguous chunks over threads."""
    if arrays[0].size < PARALLEL_MIN_SIZE or _threads.num_threads() < 2:
        return False
    return flat_ok(arrays, out, loop_dtype)


def flat_ok(arrays, out, loop_dtype):
    """True when the arrays (and out) are C-contiguous, of one shape and of
    the loop dtype: the call can run as flat 1-D loops."""
    shape = arrays[0].shape
    for a in arrays:
        if a.shape != shape or a.dtype != loop_dtype or not a.flags.c_contiguous:
            return False
    return out is None or (out.dtype == loop_dtype and out.flags.c_contiguous and out.shape == shape)
