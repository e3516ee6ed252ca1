"""Dask arrays: numba_act functions as lazy, chunk-by-chunk Dask operations.

Imported only when a call receives a Dask array (`numba_act.protocol`), so
`import numba_act` never imports Dask.

Every task in the graphs built here calls a *public* numba_act function on
one chunk:

- elementwise functions go through `dask.array.core.elemwise` (what Dask
  itself does for a NumPy ufunc) with the public callable (`na.sigmoid`, ...)
  in place of the compiled ufunc.  The callable pickles by reference
  (`numba_act.sigmoid`), while the numba-built `numpy.ufunc` underneath does
  not pickle at all, so a distributed scheduler can ship these graphs to
  worker processes, which import numba_act and compile on first use (from
  Numba's on-disk cache when it is warm).
- row functions go through `dask.array.apply_gufunc` with `RowChunk(name)`,
  a small picklable callable that applies `numba_act.<name>` to a chunk along
  its last axis (apply_gufunc moves the row axis there).

Because the chunk-level call is the public function, chunks that are CuPy
arrays reach numba_act's CUDA target, and NumPy chunks its CPU loops.

A row whose axis is split across chunks is an error (ValueError) that says
how to rechunk; nothing is rechunked behind the user's back, since for an
array larger than memory a rechunk is an all-to-all shuffle whose chunk
shape the user should choose.
"""

import numpy as np

import numba_act

# Dask itself is imported inside the functions, so that this module imports
# (e.g. for doctest collection) where Dask is not installed.


def _sample(a):
    """A one-element NumPy stand-in for an argument (scalars stay as they
    are, so that Python scalars keep their weak-scalar promotion)."""
    if isinstance(a, np.ndarray) or (hasattr(a, "dtype") and hasattr(a, "ndim") and not isinstance(a, np.generic)):
        return np.zeros((1,) * a.ndim, dtype=a.dtype)
    return a


def elementwise(func, args, out=None, where=True):
    """`func(*args)` as a lazy Dask array (elementwise, broadcasting, scalar
    inputs passed through as they are to every chunk call)."""
    from dask.array.core import elemwise

    args = [np.asarray(a) if isinstance(a, (list, tuple)) else a for a in args]
    # The result dtype from the public function itself, on one-element
    # stand-ins: numba_act's own promotion rules and its own errors (e.g.
    # for complex inputs), raised here rather than when computing.
    dtype = np.result_type(func(*map(_sample, args)))
    return elemwise(func, *args, out=out, where=where, dtype=dtype)


class RowChunk:
    """Picklable chunk-level call of the public row function `name` along the
    last axis: ``RowChunk("softmax")(block)`` is ``na.softmax(block, axis=-1)``."""

    def __init__(self, name):
        self.name = name
        self.__name__ = name  # Dask's task names

    def __call__(self, *blocks):
        return getattr(numba_act, self.name)(*blocks, axis=-1)

    def __repr__(self):
        return f"RowChunk({self.name!r})"

    def __dask_tokenize__(self):
        return ("numba_act.RowChunk", self.name)


def _split_axis_error(name, a, axis, which):
    n = len(a.chunks[axis])
    others = ", ".join(f"{i}: 'auto'" for i in range(a.ndim) if i != axis)
    hint = f"{{{axis}: -1" + (f", {others}" if others else "") + "}"
    return ValueError(
        f"{name}: axis {axis} of {which} (a Dask array of shape {a.shape}) is split into {n} chunks, "
        f"but each row along it must lie in one chunk. numba_act does not rechunk for you; "
        f"rechunk first, e.g. {which}.rechunk({hint}) (one chunk along axis {axis}; "
        f"'auto' keeps the other chunks near Dask's default size)."
    )


def rows(name, args, axis=None, out=None, axes=None):
    """Row function `name` along `axis` (or gufunc `axes=`) of Dask arrays."""
    if out is not None:
        raise TypeError(f"{name}: out= is not supported with Dask arrays; use the returned (lazy) Dask array")
    from dask.array import apply_gufunc, asarray

    arrays = [asarray(a) for a in args]
    ndim = arrays[0].ndim
    if any(a.shape != arrays[0].shape for a in arrays[1:]):
        shapes = " and ".join(str(a.shape) for a in arrays)
        raise ValueError(f"{name}: the inputs must have the same shape, got {shapes}")
    row_axis = axes[0][0] if axes is not None else axis
    row_axis = int(row_axis) % ndim
    names = {1: ("x",), 2: ("dy", "p")}.get(len(arrays)) or [f"input{i}" for i in range(len(arrays))]
    for a, which in zip(arrays, names):
        if len(a.chunks[row_axis]) > 1:
            raise _split_axis_error(name, a, row_axis, which)

    # Result dtype and gufunc layout from the public function on one short
    # row per input: its output has 0 (a reduction such as logsumexp), 1
    # (softmax, ...) or 2 (the Jacobian) core dimensions of the row length.
    n = 3
    sample = getattr(numba_act, name)(*(np.zeros(n, a.dtype) for a in arrays), axis=-1)
    sample = np.asarray(sample)
    if any(d != n for d in sample.shape):
        raise TypeError(f"{name}: unexpected output shape {sample.shape} for rows of length {n}")
    signature = ",".join(["(n)"] * len(arrays)) + "->(" + ",".join(["n"] * sample.ndim) + ")"
    k = sample.ndim
    if axes is not None:
        axes = [tuple(int(i) for i in ax) for ax in axes]
    else:
        axes = [(row_axis,)] * len(arrays) + [(row_axis,) if k == 1 else tuple(range(-k, 0))]
    return apply_gufunc(RowChunk(name), signature, *arrays, output_dtypes=sample.dtype, allow_rechunk=False, axes=axes)
