"""The public functions: thin callables over the dispatcher and the builders."""

import numbers

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from . import _threads, cpu, dispatch, protocol
from .registry import ACTIVATIONS

# The compiled loops compare NaN with ordered (signalling) instructions and
# build powers of two that may underflow in intermediate steps: those raise
# FP flags that say nothing about the result, so NumPy's warnings about them
# are silenced.  NaN in still gives NaN out.
_QUIET = dict(invalid="ignore", over="ignore", under="ignore", divide="ignore")


_NATIVE = (np.dtype(np.float32), np.dtype(np.float64))


def _weak(a):
    """Keep Python scalars as they are (NEP 50 weak scalars) for promotion."""
    return a if isinstance(a, (bool, numbers.Number)) and not isinstance(a, np.generic) else None


class Elementwise:
    """An elementwise activation (or its derivative or backward) as a callable.

    Calls dispatch on the argument types (see `numba_act.dispatch`); the
    compiled `numpy.ufunc` itself is `.ufunc`, built on first use.
    """

    def __init__(self, act, kind):
        self.activation = act
        self.kind = kind
        self.nin = 2 if kind == "backward" else 1
        self.__name__ = self.__qualname__ = act.name if kind == "forward" else f"{act.name}_{kind}"
        self.__doc__ = _elementwise_doc(act, kind, self.__name__)
        self.__module__ = "numba_act"
        self._ufunc = None

    @property
    def ufunc(self):
        u = self._ufunc
        if u is None:
            u = self._ufunc = cpu.elementwise_ufunc(self.activation.name, self.kind)
        return u

    def __repr__(self):
        return f"<numba_act elementwise function {self.__name__}>"

    def __reduce__(self):
        return self.__name__  # pickles by reference: numba_act.<name>

    def __call__(self, *args, out=None, where=True, target=None):
        # Fast path for the common small call: float32/float64 arrays of one
        # dtype and shape (out= too, if given), no where=, below the
        # threading threshold.
        a0 = args[0] if args else None
        if (
            where is True
            and target is None
            and len(args) == self.nin
            and type(a0) is np.ndarray
            and a0.dtype in _NATIVE
            and a0.size < dispatch.PARALLEL_MIN_SIZE
            and all(type(a) is np.ndarray and a.dtype == a0.dtype and a.shape == a0.shape for a in args[1:])
        ):
            if out is None:
                with np.errstate(**_QUIET):
                    return self.ufunc(*args)
            if type(out) is np.ndarray and out.dtype == a0.dtype and out.shape == a0.shape and out.flags.writeable:
                with np.errstate(**_QUIET):
                    return self.ufunc(*args, out=out)
        return self._call(args, out, where, target)

    def _call(self, args, out, where, forced=None):
        name = self.__name__
        if len(args) != self.nin:
            raise TypeError(f"{name}() takes {self.nin} positional argument(s), got {len(args)}")
        target = dispatch.target_of((*args, out), name, forced)
        if target == "cuda":
            if where is not True:
                raise TypeError(f"{name}: where= is not supported for GPU arrays")
            from .cuda import elementwise

            return _on_device(
                name, args, out, lambda a, o: elementwise.call(name, self.activation.name, self.kind, a, o)
            )
        if forced == "cpu":
            args, out = _to_host(args, out)
        if target == "protocol":
            return protocol.elementwise(self, args, out, where)

        arrays = [dispatch.as_input(name, a) for a in args]
        promote = [w if w is not None else a for w, a in zip(map(_weak, args), arrays)]
        result_dtype, loop_dtype = dispatch.compute_dtype(name, promote)
        shape = dispatch.broadcast_shape([a.shape for a in arrays])
        given_out = out is not None
        if given_out:
            out = out[0] if isinstance(out, tuple) and len(out) == 1 else out
            if isinstance(out, np.ndarray):
                shape = dispatch.broadcast_shape([shape, out.shape])
            out = dispatch.check_out(name, out, shape)
            if out is None:
                given_out = False
        ufunc = self.ufunc
        call_args = [w if w is not None else a for w, a in zip(map(_weak, args), arrays)]

        with np.errstate(**_QUIET):
            if where is True and dispatch.parallel_ok(arrays, out, loop_dtype):
                res = out if given_out else np.empty(shape, loop_dtype)
                flat_in = [a.reshape(-1) for a in arrays]
                flat_out = res.reshape(-1)

                def work(a, b):
                    with np.errstate(**_QUIET):  # errstate is per thread
                        ufunc(*[f[a:b] for f in flat_in], out=flat_out[a:b])

                _threads.run_chunks(work, _threads.split(flat_out.size, _threads.num_threads()))
                return res
            if where is not True:
                # The ufuncs numba builds have no masked loops (NumPy rejects
                # where= arrays for them), so compute everything and copy the
                # selected elements, leaving the others as NumPy would.
                full = ufunc(*call_args, dtype=loop_dtype)
                res = out if given_out else np.empty(shape, result_dtype)
                np.copyto(res, full, where=where, casting="same_kind")
                return res
            if result_dtype == loop_dtype:
                kw = {"out": out} if given_out else {}
                if any(a.dtype != loop_dtype for a in arrays):
                    kw["dtype"] = loop_dtype
                return ufunc(*call_args, **kw)
            # float16: compute in float32, round once into a float16 result.
            res = out if given_out else np.empty(shape, result_dtype)
            ufunc(*call_args, out=res, dtype=loop_dtype)
            return res if (given_out or res.ndim) else res[()]


def _to_host(args, out):
    """target='cpu': explicit copies of device arguments to the host."""
    from .cuda import arrays

    if out is not None and dispatch.is_device(out):
        raise TypeError("out= is GPU memory but target='cpu'; pass a host array")
    return [arrays.to_host(a) if dispatch.is_device(a) else a for a in args], out


def _on_device(name, args, out, run):
    """Run `run(device args, out)`; with target='cuda' and host arguments,
    copy them to the device and the result back (explicitly requested)."""
    from .cuda import arrays

    host = [not dispatch.is_device(a) for a in args]
    if not any(host):
        return run(args, out)
    if out is not None and dispatch.is_device(out):
        raise TypeError(f"{name}: out= is GPU memory but the inputs are on the host")
    res = run([arrays.to_device(name, a) if h else a for a, h in zip(args, host)], None)
    res = res.copy_to_host()
    if out is None:
        return res
    np.copyto(out, res, casting="same_kind")
    return out


def _elementwise_doc(act, kind, name):
    a = act.name
    if kind == "forward":
        head = f"{name}(x, /, out=None, *, where=True)\n\n{act.summary}\n\n    {act.formula}"
        example = act.example
    elif kind == "grad":
        head = (
            f"{name}(x, /, out=None, *, where=True)\n\n"
            f"Derivative of {a} at x, computed from x (not from the output).\n\n    {act.grad_formula}"
        )
        example = (
            ">>> x = np.linspace(-2.5, 2.5, 6); h = 1e-6  # central differences, away from kinks\n"
            f">>> fd = (na.{a}(x + h) - na.{a}(x - h)) / (2 * h)\n"
            f">>> bool(np.allclose(na.{name}(x), fd, rtol=1e-6, atol=1e-9))\n"
            "True\n"
        )
    else:
        head = (
            f"{name}(dy, x, /, out=None, *, where=True)\n\n"
            f"Backward pass of {a}: dy * {a}'(x) in one pass over memory.\n\n    {act.grad_formula}"
        )
        example = (
            ">>> x = np.linspace(-3.0, 3.0, 7); dy = np.full(7, 0.5)\n"
            f">>> bool(np.allclose(na.{name}(dy, x), dy * na.{a}_grad(x), rtol=1e-14, atol=0))\n"
            "True\n"
        )
    return f"""{head}

Convention: {act.kink}.

A NumPy ufunc underneath (``numba_act.{name}.ufunc``): accepts arrays, scalars
and sequences, broadcasting, ``out=`` and ``where=``.  float32 and float64 are
computed in their own precision with error-compensated formulas (within 2
ulp for forward functions and 4 ulp for derivatives; the README has the
measured table), float16 is computed in float32 and rounded once, and
bool/integer inputs promote as in ``np.exp``.  Large contiguous arrays are
split over ``numba.get_num_threads()`` threads.  GPU arrays (objects with
``__cuda_array_interface__``) are refused with NotImplementedError until the
CUDA target exists; they are never copied to the host.

Examples
--------
>>> import numpy as np, numba_act as na
{example}"""


def _device_shape(a):
    """Shape of a GPU array without touching its memory."""
    if hasattr(a, "shape"):
        return tuple(a.shape)
    return tuple(a.__cuda_array_interface__["shape"])


def _rows_on_device(name, args, axis, out, out_shape):
    from .cuda import rowwise

    return _on_device(name, args, out, lambda a, o: rowwise.call(name, a, axis, o, out_shape))


def _row_input(name, x, axis, out=None, forced=None):
    """(array or protocol object, normalized axis, target) for a row function."""
    target = dispatch.target_of((x, out), name, forced)
    if forced == "cpu" and dispatch.is_device(x):
        (x,), out = _to_host((x,), out)
    on_device = dispatch.is_device(x)
    arr = x if target == "protocol" or on_device else dispatch.as_input(name, x)
    ndim = len(_device_shape(arr)) if on_device else arr.ndim
    return arr, _check_axis(name, axis, ndim), target


def _check_axis(name, axis, ndim):
    if ndim == 0:
        raise ValueError(f"{name}: input must have at least one dimension, got a 0-d array")
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{name}: axis must be an integer, got {axis!r}")
    return normalize_axis_index(int(axis), ndim)


def _run_rows(name, arrays, axis, out, result_dtype, loop_dtype):
    """Run row kernel `name` over `axis` of the inputs; returns the result.

    C-contiguous rows along the last axis go to the 2-D row driver, split
    over threads by blocks of rows when the call is large enough; every
    other layout (any axis, strides, broadcasting, float16) goes to the
    gufunc."""
    shape = arrays[0].shape
    res = out if out is not None else np.empty(shape, result_dtype)
    with np.errstate(**_QUIET):
        if (
            axis == len(shape) - 1
            and all(a.shape == shape and a.dtype == loop_dtype and a.flags.c_contiguous for a in arrays)
            and res.dtype == loop_dtype
            and res.flags.c_contiguous
        ):
            n = shape[-1]
            n_rows = res.size // n if n else 0
            flat_in = [a.reshape(n_rows, n) for a in arrays]
            flat_out = res.reshape(n_rows, n)
            drive = cpu.row_driver(name)
            if n_rows > 1 and dispatch.parallel_ok(arrays, None, loop_dtype):

                def work(a, b):
                    with np.errstate(**_QUIET):  # errstate is per thread
                        drive(*[f[a:b] for f in flat_in], flat_out[a:b])

                _threads.run_chunks(work, _threads.split(n_rows, _threads.num_threads(), align=1))
            elif n_rows:
                drive(*flat_in, flat_out)
        else:
            cpu.row_gufunc(name)(*arrays, out=res, axis=axis, dtype=loop_dtype)
    return res


def softmax(x, axis=-1, out=None, *, target=None):
    """softmax(x, axis=-1, out=None, *, target=None)

    Softmax along `axis`:

        softmax(x)_i = exp(x_i - max(x)) / sum_j exp(x_j - max(x))

    Its Jacobian is d softmax_i / d x_j = s_i (delta_ij - s_j)
    (see `softmax_jacobian`, and `softmax_backward` for the vector-Jacobian
    product).  The row maximum is subtracted first, so rows with entries like
    1e4 or -1e4 do not overflow; sums accumulate in float64.

    Special rows follow ``scipy.special.softmax``: a row containing NaN or
    +inf is all NaN, an all -inf row is all NaN, -inf entries of an otherwise
    finite row give 0, and an empty axis gives an empty result.  float16 is
    computed in float32; bool/integer inputs promote as in ``np.exp``.

    Examples
    --------
    >>> import numpy as np, numba_act as na
    >>> na.softmax(np.array([1.0, 2.0, 3.0]))
    array([0.09003057, 0.24472847, 0.66524096])
    >>> na.softmax(np.array([[1000.0, 1000.0], [-1e4, 0.0]]), axis=-1)
    array([[0.5, 0.5],
           [0. , 1. ]])
    """
    name = "softmax"
    arr, axis, target = _row_input(name, x, axis, out, target)
    if target == "cuda":
        return _rows_on_device(name, [arr], axis, out, _device_shape(arr))
    if target == "protocol":
        return protocol.rows(name, [x], axis, out)
    result_dtype, loop_dtype = dispatch.compute_dtype(name, [arr])
    out = dispatch.check_out(name, out, arr.shape)
    return _run_rows(name, [arr], axis, out, result_dtype, loop_dtype)


def softmax_backward(dy, p, axis=-1, out=None, *, target=None):
    """softmax_backward(dy, p, axis=-1, out=None, *, target=None)

    Vector-Jacobian product of softmax, from its output ``p = softmax(x)``:

        dx_i = p_i (dy_i - sum_j dy_j p_j)

    which equals ``softmax_jacobian(x).T @ dy`` row by row (the Jacobian is
    symmetric).  The sum accumulates in float64.

    Examples
    --------
    >>> import numpy as np, numba_act as na
    >>> p = na.softmax(np.array([1.0, 2.0, 3.0]))
    >>> na.softmax_backward(np.array([1.0, 0.0, 0.0]), p)
    array([ 0.08192507, -0.02203304, -0.05989202])
    """
    name = "softmax_backward"
    forced = target
    target = dispatch.target_of((dy, p, out), name, forced)
    if target == "cuda":
        dy, p = (a if dispatch.is_device(a) else dispatch.as_input(name, a) for a in (dy, p))
        shape = _device_shape(p)
        axis = _check_axis(name, axis, len(shape))
        return _rows_on_device(name, [dy, p], axis, out, shape)
    if forced == "cpu":
        (dy, p), out = _to_host((dy, p), out)
    if target == "protocol":
        axis = normalize_axis_index(int(axis), np.ndim(p))
        return protocol.rows(name, [dy, p], axis, out)
    dy_arr = dispatch.as_input(name, dy)
    p_arr, axis, target = _row_input(name, p, axis)
    if dy_arr.shape != p_arr.shape:
        raise ValueError(f"{name}: dy has shape {dy_arr.shape} but p has shape {p_arr.shape}")
    result_dtype, loop_dtype = dispatch.compute_dtype(name, [dy_arr, p_arr])
    out = dispatch.check_out(name, out, p_arr.shape)
    return _run_rows(name, [dy_arr, p_arr], axis, out, result_dtype, loop_dtype)


def softmax_jacobian(x, axis=-1, out=None, *, target=None):
    """softmax_jacobian(x, axis=-1, out=None, *, target=None)

    Jacobian of softmax along `axis`, shape ``(..., C, C)`` where ``...`` are
    the other axes of x in order and C is the length of `axis`:

        J_ij = d softmax_i / d x_j = s_i (delta_ij - s_j)

    The diagonal s_i (1 - s_i) is computed without cancellation, from the
    sum of the other exponentials, so it stays accurate when s_i is near 1.

    Examples
    --------
    >>> import numpy as np, numba_act as na
    >>> na.softmax_jacobian(np.array([0.0, 0.0]))
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    name = "softmax_jacobian"
    arr, axis, target = _row_input(name, x, axis, out, target)
    if target == "cuda":
        shape = _device_shape(arr)
        moved = shape[:axis] + shape[axis + 1 :] + (shape[axis],)
        return _rows_on_device(name, [arr], axis, out, moved + (shape[axis],))
    if target == "protocol":
        return protocol.rows(name, [x], out=out, axes=[(axis,), (-2, -1)])
    gufunc = cpu.row_gufunc(name)
    moved = np.moveaxis(arr, axis, -1)
    result_dtype, loop_dtype = dispatch.compute_dtype(name, [arr])
    out_shape = moved.shape + moved.shape[-1:]
    out = dispatch.check_out(name, out, out_shape)
    res = out if out is not None else np.empty(out_shape, result_dtype)
    with np.errstate(**_QUIET):
        gufunc(moved, out=res, dtype=loop_dtype)
    return res


ELEMENTWISE = {}
for _act in ACTIVATIONS:
    for _kind in ("forward", "grad", "backward"):
        _f = Elementwise(_act, _kind)
        ELEMENTWISE[_f.__name__] = _f
del _act, _kind, _f
