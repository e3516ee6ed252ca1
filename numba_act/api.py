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
        self.nin = 2 if kind == "backward" else 1  # array arguments, before the parameters
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

    def _params(self, args, kw):
        """(array arguments, parameter values) of a call: parameters come
        positionally after the arrays or by keyword, else their defaults."""
        act, nin = self.activation, self.nin
        name = self.__name__
        params = act.params
        if len(args) < nin:
            raise TypeError(f"{name}() takes {nin} positional argument(s), got {len(args)}")
        if len(args) > nin + len(params):
            raise TypeError(f"{name}() takes at most {nin + len(params)} positional arguments, got {len(args)}")
        given = list(args[nin:])
        values = []
        for i, p in enumerate(params):
            if i < len(given):
                if p.name in kw:
                    raise TypeError(f"{name}() got multiple values for argument {p.name!r}")
                values.append(given[i])
            elif p.name in kw:
                values.append(kw.pop(p.name))
            elif p.default is None:
                raise TypeError(f"{name}() missing required argument {p.name!r}")
            else:
                values.append(p.default)
        if kw:
            raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(kw))!r}")
        if act.check is not None and all(np.ndim(v) == 0 for v in values):
            act.check(name, *values)
        return args[:nin], values

    def __call__(self, *args, out=None, where=True, target=None, **kw):
        if self.activation.variants and kw:
            other = self._variant(kw)
            if other is not self:
                return other(*args, out=out, where=where, target=target, **kw)
        if self.activation.params or len(args) != self.nin:
            arrays, params = self._params(args, kw)
        elif kw:
            raise TypeError(f"{self.__name__}() got an unexpected keyword argument {next(iter(kw))!r}")
        else:
            arrays, params = args, ()
        # Fast path for the common small call: float32/float64 arrays of one
        # dtype and shape (out= too, if given), scalar parameters, no
        # where=, below the threading threshold.
        a0 = arrays[0]
        if (
            where is True
            and target is None
            and type(a0) is np.ndarray
            and a0.dtype in _NATIVE
            and a0.size < dispatch.PARALLEL_MIN_SIZE
            and all(type(a) is np.ndarray and a.dtype == a0.dtype and a.shape == a0.shape for a in arrays[1:])
            and (out is None or (type(out) is np.ndarray and out.dtype == a0.dtype and out.shape == a0.shape))
        ):
            if not params:
                if out is None:
                    with np.errstate(**_QUIET):
                        return self.ufunc(*arrays)
                if out.flags.writeable:
                    with np.errstate(**_QUIET):
                        return self.ufunc(*arrays, out=out)
            elif (
                a0.ndim
                and all(_scalar(p) for p in params)
                and all(a.flags.c_contiguous for a in arrays)
                and (out is None or (out.flags.c_contiguous and out.flags.writeable))
            ):
                res = np.empty_like(a0) if out is None else out
                ps = [a0.dtype.type(p) for p in params]
                with np.errstate(**_QUIET):
                    self._driver()(*[a.reshape(-1) for a in arrays], res.reshape(-1), *ps)
                return res
        return self._call(arrays, params, out, where, target)

    def _variant(self, kw):
        """The function a variant keyword (gelu's approximate=) selects."""
        for key, value, other in self.activation.variants:
            if key in kw and kw[key] == value:
                kw.pop(key)
                return globals()["ELEMENTWISE"][other if self.kind == "forward" else f"{other}_{self.kind}"]
        for key, _, _ in self.activation.variants:
            if key in kw:
                allowed = [v for k, v, _ in self.activation.variants if k == key]
                raise ValueError(f"{self.__name__}: {key} must be one of {allowed}, got {kw[key]!r}")
        return self

    def _driver(self):
        return cpu.flat_driver(self.activation.name, self.kind)

    def _call(self, args, params, out, where, forced=None):
        name = self.__name__
        target = dispatch.target_of((*args, *[p for p in params if not _scalar(p)], out), name, forced)
        if target == "cuda":
            if where is not True:
                raise TypeError(f"{name}: where= is not supported for GPU arrays")
            if not all(_scalar(p) for p in params):
                raise TypeError(f"{name}: on the GPU, parameters must be scalars (numbers)")
            from .cuda import elementwise

            return _on_device(
                name,
                args,
                out,
                lambda a, o: elementwise.call(name, self.activation.name, self.kind, a, o, params),
            )
        if forced == "cpu":
            args, out = _to_host(args, out)
        if target == "protocol":
            return protocol.elementwise(self, [*args, *params], out, where)

        arrays = [dispatch.as_input(name, a) for a in args]
        promote = [w if w is not None else a for w, a in zip(map(_weak, args), arrays)]
        # Parameters are cast to the dtype the inputs compute in (they do not
        # promote it: leaky_relu(float32 x, np.float64(0.1)) is float32, as
        # in PyTorch), and broadcast against the inputs when they are arrays.
        result_dtype, loop_dtype = dispatch.compute_dtype(name, promote)
        scalar_params = all(_scalar(p) for p in params)
        if scalar_params:
            pvals = [loop_dtype.type(p) for p in params]
        else:
            pvals = [dispatch.as_input(name, p).astype(loop_dtype, copy=False) for p in params]
        shape = dispatch.broadcast_shape([a.shape for a in arrays] + [np.shape(p) for p in pvals])
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
        if params and not scalar_params:
            call_args = [np.asarray(a, loop_dtype) for a in call_args]
        call_args += pvals

        with np.errstate(**_QUIET):
            # Flat loops over contiguous memory, split over threads when the
            # array is large; with parameters also on one thread, as the
            # ufunc's own loop sees a scalar parameter as a stride-0 array
            # and does not vectorize (elu at 1e6 float32: 4.2 ns/element,
            # against 0.21 in the flat driver).
            if (
                where is True
                and scalar_params
                and (
                    dispatch.parallel_ok(arrays, out, loop_dtype)
                    or (params and arrays[0].ndim and dispatch.flat_ok(arrays, out, loop_dtype))
                )
            ):
                res = out if given_out else np.empty(shape, loop_dtype)
                flat_in = [a.reshape(-1) for a in arrays]
                flat_out = res.reshape(-1)
                if params:
                    drive = self._driver()

                    def run(a, b):
                        drive(*[f[a:b] for f in flat_in], flat_out[a:b], *pvals)

                else:

                    def run(a, b):
                        ufunc(*[f[a:b] for f in flat_in], out=flat_out[a:b])

                def work(a, b):
                    with np.errstate(**_QUIET):  # errstate is per thread
                        run(a, b)

                n_threads = _threads.num_threads() if flat_out.size >= dispatch.PARALLEL_MIN_SIZE else 1
                _threads.run_chunks(work, _threads.split(flat_out.size, n_threads))
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


def _scalar(p):
    """A parameter given as one number (Python or NumPy scalar, or 0-d)."""
    if isinstance(p, np.generic) or (isinstance(p, np.ndarray) and p.ndim == 0):
        return p.dtype.kind in "biuf"
    return isinstance(p, numbers.Real)


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
    sig = "".join(f", {p.name}" if p.default is None else f", {p.name}={p.default!r}" for p in act.params)
    tail = "/, " if not act.params else ""
    sig = f"{sig[2:]}, " if sig else ""
    extra = "".join(f", {p.sample!r}" for p in act.params if p.default is None)  # required, in examples
    rest = f"{tail}{sig}*, out=None, where=True, target=None"
    if act.params:
        rest = f"/, {sig}*, out=None, where=True, target=None"
    variants = "".join(f", {k}={v!r}" for k, v, other in act.variants if other != a)
    params_doc = "".join(
        f"\n    {p.name}: {p.doc}" + ("" if p.default is None else f" (default {p.default!r})") for p in act.params
    )
    if params_doc:
        params_doc = (
            "\n\nParameters (scalars, or arrays that broadcast against x; cast to the"
            " dtype x computes in, as PyTorch does):" + params_doc
        )
    if variants:
        params_doc += "".join(
            f"\n\n``{k}={v!r}`` selects ``numba_act.{other}``." for k, v, other in act.variants if other != a
        )
    if kind == "forward":
        head = f"{name}(x, {rest}{variants})\n\n{act.summary}\n\n    {act.formula}{params_doc}"
        example = act.example
    elif kind == "grad":
        head = (
            f"{name}(x, {rest})\n\n"
            f"Derivative of {a} at x, computed from x (not from the output).\n\n    {act.grad_formula}{params_doc}"
        )
        example = (
            ">>> x = np.linspace(-2.7, 2.7, 6); h = 1e-6  # central differences, away from kinks\n"
            f">>> fd = (na.{a}(x + h{extra}) - na.{a}(x - h{extra})) / (2 * h)\n"
            f">>> bool(np.allclose(na.{name}(x{extra}), fd, rtol=1e-6, atol=1e-9))\n"
            "True\n"
        )
    else:
        head = (
            f"{name}(dy, x, {rest})\n\n"
            f"Backward pass of {a}: dy * {a}'(x) in one pass over memory.\n\n    {act.grad_formula}{params_doc}"
        )
        example = (
            ">>> x = np.linspace(-3.1, 3.1, 7); dy = np.full(7, 0.5)\n"
            f">>> bool(np.allclose(na.{name}(dy, x{extra}), dy * na.{a}_grad(x{extra}), rtol=1e-14, atol=0))\n"
            "True\n"
        )
    return f"""{head}

Convention: {act.kink}.

A NumPy ufunc underneath (``numba_act.{name}.ufunc``, whose inputs are the
arrays and then the parameters): accepts arrays, scalars and sequences,
broadcasting, ``out=`` and ``where=``.  float32 and float64 are computed in
their own precision with error-compensated formulas (the README has the
measured accuracy table), float16 is computed in float32 and rounded once,
and bool/integer inputs promote as in ``np.exp``.  Large contiguous arrays
are split over ``numba.get_num_threads()`` threads.  GPU arrays (objects with
``__cuda_array_interface__``: Numba device arrays, CuPy, PyTorch CUDA
tensors) run on the GPU and are never copied to the host; ``target='cpu'``
or ``'cuda'`` asks for explicit copies.

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
