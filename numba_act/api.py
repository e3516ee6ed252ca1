"""The public functions: thin callables over the dispatcher and the builders."""

import numbers

import numpy as np

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


ELEMENTWISE = {}
for _act in ACTIVATIONS:
    for _kind in ("forward", "grad", "backward"):
        _f = Elementwise(_act, _kind)
        ELEMENTWISE[_f.__name__] = _f
del _act, _kind, _f
