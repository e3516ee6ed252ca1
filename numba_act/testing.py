"""Reference ufuncs for tests and benchmarks (imports nothing at package import)."""

import functools

import numba

from .registry import BY_NAME


@functools.cache
def ref64(name, kind="forward"):
    """The registry's float64 reference of `name` (kind: forward or grad) as a
    ufunc of (x, *params)."""
    act = BY_NAME[name]
    fn = act.ref64 if kind == "forward" else act.ref64_grad
    nin = 1 + len(act.params)
    return numba.vectorize([numba.float64(*([numba.float64] * nin))], nopython=True)(fn).ufunc
