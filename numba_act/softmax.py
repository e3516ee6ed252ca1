"""The row-wise public functions: softmax along an axis, its backward and
Jacobian; log_softmax and its backward; logsumexp (a reduction).

They share the argument handling of the elementwise functions (`api`), and
run the row kernels of `rows.py` (CPU) or `cuda/rowwise.py` (GPU).
"""

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from . import _threads, cpu, dispatch, protocol
from .api import _QUIET, _on_device, _to_host


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


def _reduced_shape(shape, axis, keepdims):
    if keepdims:
        return shape[:axis] + (1,) + shape[axis + 1 :]
    return shape[:axis] + shape[axis + 1 :]


def _run_rows(name, arrays, axis, out, result_dtype, loop_dtype, reduce=False, keepdims=False):
    """Run row kernel `name` over `axis` of the inputs; returns the result.

    C-contiguous rows along the last axis go to the 2-D row driver, split
    over threads by blocks of rows when the call is large enough; every
    other layout (any axis, strides, broadcasting, float16) goes to the
    gufunc.  reduce=True: the kernel gives one value per row (logsumexp),
    and the result drops `axis` (or keeps it with length 1: keepdims)."""
    shape = arrays[0].shape
    res_shape = _reduced_shape(shape, axis, keepdims) if reduce else shape
    res = out if out is not None else np.empty(res_shape, result_dtype)
    with np.errstate(**_QUIET):
        if (
            axis == len(shape) - 1
            and all(a.shape == shape and a.dtype == loop_dtype and a.flags.c_contiguous for a in arrays)
            and res.dtype == loop_dtype
            and res.flags.c_contiguous
        ):
            n = shape[-1]
            # (a reduction has a row, and a result, even where n = 0)
            n_rows = res.size if reduce else res.size // n if n else 0
            flat_in = [a.reshape(n_rows, n) for a in arrays]
            flat_out = res.reshape(n_rows) if reduce else res.reshape(n_rows, n)
            drive = cpu.row_driver(name)
            if n_rows > 1 and dispatch.parallel_ok(arrays, None, loop_dtype):

                def work(a, b):
                    with np.errstate(**_QUIET):  # errstate is per thread
                        drive(*[f[a:b] for f in flat_in], flat_out[a:b])

                _threads.run_chunks(work, _threads.split(n_rows, _threads.num_threads(), align=1))
            elif n_rows:
                drive(*flat_in, flat_out)
        elif reduce:
            cpu.row_gufunc(name)(*arrays, out=res, axis=axis, keepdims=keepdims, dtype=loop_dtype)
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


def log_softmax(x, axis=-1, out=None, *, target=None):
    """log_softmax(x, axis=-1, out=None, *, target=None)

    Logarithm of softmax along `axis`, computed without forming softmax:

        log_softmax(x)_i = (x_i - m) - log(sum_j exp(x_j - m)),  m = max(x)

    so it stays finite where softmax underflows (``log_softmax([1000, 1])``
    is ``[0, -999]``, not ``[0, -inf]``).  Its Jacobian is
    d log_softmax_i / d x_j = delta_ij - softmax_j (see
    `log_softmax_backward`).  x_i - m is carried with its rounding error,
    the sum accumulates in float64, and log(S) is ``log1p`` of the sum of
    the terms other than the maximum's; both parts of the result have the
    same sign, so each entry is within a few ulp of the exact value.

    Special rows: a row containing NaN or +inf is all NaN, an all -inf row
    is all NaN, -inf entries of an otherwise finite row give -inf, and an
    empty axis gives an empty result.  (``scipy.special.log_softmax`` gives
    NaN only at the +inf entries of a row, and -inf elsewhere; PyTorch and
    ``softmax`` make the whole row NaN, as here.)  float16 is computed in
    float32; bool/integer inputs promote as in ``np.exp``.

    Examples
    --------
    >>> import numpy as np, numba_act as na
    >>> na.log_softmax(np.array([1000.0, 1.0]))
    array([   0., -999.])
    >>> na.log_softmax(np.array([[0.0, 0.0], [1.0, -np.inf]]))
    array([[-0.69314718, -0.69314718],
           [ 0.        ,        -inf]])
    """
    name = "log_softmax"
    arr, axis, target = _row_input(name, x, axis, out, target)
    if target == "cuda":
        return _rows_on_device(name, [arr], axis, out, _device_shape(arr))
    if target == "protocol":
        return protocol.rows(name, [x], axis, out)
    result_dtype, loop_dtype = dispatch.compute_dtype(name, [arr])
    out = dispatch.check_out(name, out, arr.shape)
    return _run_rows(name, [arr], axis, out, result_dtype, loop_dtype)


def log_softmax_backward(dy, y, axis=-1, out=None, *, target=None):
    """log_softmax_backward(dy, y, axis=-1, out=None, *, target=None)

    Vector-Jacobian product of log_softmax, from its output
    ``y = log_softmax(x)`` (PyTorch's ``_log_softmax_backward_data``):

        dx_i = dy_i - exp(y_i) * sum_j dy_j

    which equals ``dy @ J`` row by row for J_ij = delta_ij - softmax_j.  The
    sum accumulates in float64.

    Examples
    --------
    >>> import numpy as np, numba_act as na
    >>> y = na.log_softmax(np.array([0.0, 0.0]))
    >>> na.log_softmax_backward(np.array([1.0, 0.0]), y)
    array([ 0.5, -0.5])
    """
    name = "log_softmax_backward"
    forced = target
    target = dispatch.target_of((dy, y, out), name, forced)
    if target == "cuda":
        dy, y = (a if dispatch.is_device(a) else dispatch.as_input(name, a) for a in (dy, y))
        shape = _device_shape(y)
        axis = _check_axis(name, axis, len(shape))
        return _rows_on_device(name, [dy, y], axis, out, shape)
    if forced == "cpu":
        (dy, y), out = _to_host((dy, y), out)
    if target == "protocol":
        axis = normalize_axis_index(int(axis), np.ndim(y))
        return protocol.rows(name, [dy, y], axis, out)
    dy_arr = dispatch.as_input(name, dy)
    y_arr, axis, target = _row_input(name, y, axis)
    if dy_arr.shape != y_arr.shape:
        raise ValueError(f"{name}: dy has shape {dy_arr.shape} but y has shape {y_arr.shape}")
    result_dtype, loop_dtype = dispatch.compute_dtype(name, [dy_arr, y_arr])
    out = dispatch.check_out(name, out, y_arr.shape)
    return _run_rows(name, [dy_arr, y_arr], axis, out, result_dtype, loop_dtype)


def logsumexp(x, axis=-1, out=None, *, keepdims=False, target=None):
    """logsumexp(x, axis=-1, out=None, *, keepdims=False, target=None)

    log(sum(exp(x))) along `axis`, without overflow:

        logsumexp(x) = m + log(sum_j exp(x_j - m)),  m = max(x)

    `axis` is an integer, or None for all elements (as in
    ``scipy.special.logsumexp``; note the default here is the last axis, as
    for the other row functions, where SciPy's is None).  The result drops
    `axis` (keepdims=True keeps it with length 1); a 1-D input gives a
    scalar.  Its gradient is softmax(x).  It shares softmax's reduction
    (integer-key maximum, exponentials with x_j - m carried exactly, float64
    compensated sums), and log(S) is ``log1p`` of the sum of the terms other
    than the maximum's, so a row dominated by one entry keeps full accuracy.
    The error is a few ulp of max(|m|, log S): m + log S can cancel, and the
    result is that sensitive to the inputs' own rounding.

    Special rows, as ``scipy.special.logsumexp``: a NaN gives NaN, a +inf
    (and no NaN) gives +inf, an all -inf row gives -inf, and an empty axis
    gives -inf.  float16 is computed in float32; bool/integer inputs
    promote as in ``np.exp``.

    Examples
    --------
    >>> import numpy as np, numba_act as na
    >>> float(na.logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    >>> na.logsumexp(np.array([[0.0, 0.0], [1.0, -np.inf]]), axis=-1)
    array([0.69314718, 1.        ])
    >>> na.logsumexp(np.array([[0.0, 0.0], [0.0, 0.0]]), axis=None, keepdims=True)
    array([[1.38629436]])
    """
    name = "logsumexp"
    forced = target
    target = dispatch.target_of((x, out), name, forced)
    if forced == "cpu" and dispatch.is_device(x):
        (x,), out = _to_host((x,), out)
    if target == "cuda":
        arr = x if dispatch.is_device(x) else dispatch.as_input(name, x)
        shape = _device_shape(arr)
        if axis is None:
            out_shape = (1,) * len(shape) if keepdims else ()
            res = _on_device(name, [arr], out, lambda a, o: _cuda_rowwise().call(name, a, None, o, out_shape))
        else:
            axis = _check_axis(name, axis, len(shape))
            res = _on_device(
                name,
                [arr],
                out,
                lambda a, o: _cuda_rowwise().call(name, a, axis, o, _reduced_shape(shape, axis, keepdims)),
            )
        return res[()] if (out is None and isinstance(res, np.ndarray) and res.ndim == 0) else res
    if target == "protocol":
        if axis is None:
            raise TypeError(f"{name}: axis=None is not supported for {type(x).__name__} objects; pass an axis")
        axis = normalize_axis_index(int(axis), np.ndim(x))
        if keepdims:
            raise TypeError(f"{name}: keepdims=True is not supported for {type(x).__name__} objects")
        return protocol.rows(name, [x], axis, out)
    arr = dispatch.as_input(name, x)
    result_dtype, loop_dtype = dispatch.compute_dtype(name, [arr])
    if axis is None:
        shape = (1,) * arr.ndim if keepdims else ()
        out = dispatch.check_out(name, out, shape)
        flat = arr.reshape(-1)
        res = out.reshape(()) if out is not None else None
        res = _run_rows(name, [flat], 0, res, result_dtype, loop_dtype, reduce=True)
        res = out if out is not None else res.reshape(shape)
    else:
        axis = _check_axis(name, axis, arr.ndim)
        out = dispatch.check_out(name, out, _reduced_shape(arr.shape, axis, keepdims))
        res = _run_rows(name, [arr], axis, out, result_dtype, loop_dtype, reduce=True, keepdims=keepdims)
    return res if (out is not None or res.ndim) else res[()]


def _cuda_rowwise():
    from .cuda import rowwise

    return rowwise
