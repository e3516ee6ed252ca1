"""Calls on objects that implement the NumPy ufunc protocol (Dask, xarray, ...).

The dispatcher sends a call here when an argument is not a NumPy array but
defines `__array_ufunc__`: the compiled ufunc (or gufunc, for the row
functions) is handed to the object's own protocol, which decides how to run
it (chunk by chunk for Dask, keeping coordinates for xarray).
"""

from . import cpu


def elementwise(func, args, out=None, where=True):
    """Apply the elementwise function `func` (a public numba_act callable)
    to protocol objects; `args` are all of its ufunc inputs."""
    kw = {} if out is None else {"out": out}
    return func.ufunc(*args, where=where, **kw)


def rows(name, args, axis=None, out=None, axes=None):
    """Apply the row gufunc `name` along `axis` (or gufunc `axes=`)."""
    gufunc = cpu.row_gufunc(name)
    kw = {} if out is None else {"out": out}
    if axes is not None:
        return gufunc(*args, axes=axes, **kw)
    return gufunc(*args, axis=axis, **kw)
