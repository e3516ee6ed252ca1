"""Calls on objects that implement the NumPy ufunc protocol (Dask, xarray, ...).

The dispatcher sends a call here when an argument is not a NumPy array but
defines `__array_ufunc__`.  Three cases:

- Dask arrays (`numba_act._dask`, imported only then): a lazy Dask array
  with the same chunks, whose tasks call the public numba_act function on
  each chunk.  The public functions pickle by reference, so the graphs can
  be shipped to the worker processes of a distributed cluster; the compiled
  numba ufuncs themselves do not pickle.  Row functions need each row whole
  in one chunk: a split row axis is a ValueError that says how to rechunk
  (nothing is rechunked implicitly).
- xarray objects (elementwise functions): ``xarray.apply_ufunc`` with the
  public function, exactly as xarray's own ``__array_ufunc__`` does with a
  ufunc (coordinates and attributes kept, same join rules), so that
  Dask-backed xarray objects get the Dask path above.
- anything else: the compiled ufunc (or gufunc, for the row functions) is
  handed to the object's own ``__array_ufunc__``.

Neither Dask nor xarray is imported here: an argument can only be one of
their objects when its library is already imported.
"""

import sys

import numpy as np

from . import cpu


def _dask_array_type():
    mod = sys.modules.get("dask.array")
    return getattr(mod, "Array", None)


def _xarray_types():
    xr = sys.modules.get("xarray")
    if xr is None:
        return ()
    return tuple(t for t in (getattr(xr, n, None) for n in ("DataArray", "Dataset", "Variable")) if t is not None)


def _is_foreign(a):
    """A non-NumPy object that takes part in the ufunc protocol."""
    return not isinstance(a, (np.ndarray, np.generic)) and getattr(type(a), "__array_ufunc__", None) is not None


def _route(objs):
    """'dask' when the protocol objects among `objs` are all Dask arrays,
    'xarray' when one is an xarray object, else 'other'."""
    foreign = [a for a in objs if _is_foreign(a)]
    xr_types = _xarray_types()
    if xr_types and any(isinstance(a, xr_types) for a in foreign):
        return "xarray"
    dask_array = _dask_array_type()
    if foreign and dask_array is not None and all(isinstance(a, dask_array) for a in foreign):
        return "dask"
    return "other"


def _outs(out):
    if out is None:
        return ()
    return tuple(out) if isinstance(out, tuple) else (out,)


def elementwise(func, args, out=None, where=True):
    """Apply the elementwise function `func` (a public numba_act callable)
    to protocol objects; `args` are all of its ufunc inputs (arrays and
    scalars, any number of them)."""
    route = _route([*args, *_outs(out)])
    if route == "dask":
        from . import _dask

        return _dask.elementwise(func, args, out, where)
    if route == "xarray":
        return _xarray_elementwise(func, args, out, where)
    kw = {} if out is None else {"out": out}
    return func.ufunc(*args, where=where, **kw)


def _xarray_elementwise(func, args, out, where):
    import xarray as xr

    if out is not None:
        raise NotImplementedError(
            f"{func.__name__}: xarray objects are not supported as out=; use the returned object "
            "(as with NumPy ufuncs on xarray objects)"
        )
    opts = xr.get_options()
    keep_attrs = opts["keep_attrs"]
    join = opts["arithmetic_join"]
    return xr.apply_ufunc(
        func,
        *args,
        input_core_dims=((),) * len(args),
        output_core_dims=((),),
        join=join,
        dataset_join=join,
        dataset_fill_value=np.nan,
        kwargs={} if where is True else {"where": where},
        dask="allowed",
        keep_attrs=True if keep_attrs == "default" else keep_attrs,
    )


def rows(name, args, axis=None, out=None, axes=None):
    """Apply the row function `name` along `axis` (or gufunc `axes=`).

    With Dask arrays, every row must lie in one chunk (a split row axis is a
    ValueError that names the rechunk to do); the result is lazy."""
    if _route([*args, *_outs(out)]) == "dask":
        from . import _dask

        return _dask.rows(name, args, axis, out, axes)
    gufunc = cpu.row_gufunc(name)
    kw = {} if out is None else {"out": out}
    if axes is not None:
        return gufunc(*args, axes=axes, **kw)
    return gufunc(*args, axis=axis, **kw)
