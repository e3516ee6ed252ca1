"""Calling conventions, dtypes, errors, dispatch and pickling of the public API."""

import pickle

import numpy as np
import pytest
from _helpers import KINDS, act_kind_params, call, public_name

import numba_act as na
from numba_act.registry import ACTIVATIONS

# Generic calling tests call f(x) / f(dy, x): activations whose parameters
# have no default (threshold, as in PyTorch) are tested in test_params.py.
ELEMENTWISE_NAMES = [
    public_name(a.name, k) for a in ACTIVATIONS for k in KINDS if all(p.default is not None for p in a.params)
]
N_PARAMS = {public_name(a.name, k): len(a.params) for a in ACTIVATIONS for k in KINDS}
SOFTMAX_NAMES = ["softmax", "softmax_backward", "softmax_jacobian"]
ALL_NAMES = ELEMENTWISE_NAMES + SOFTMAX_NAMES


def nin(name):
    return 2 if name.endswith("_backward") else 1


def call_by_name(name, *arrays, **kw):
    """Call a public function with its number of positional inputs, reusing
    the given arrays (backward functions get (dy, x))."""
    f = getattr(na, name)
    args = arrays[: nin(name)] if len(arrays) >= nin(name) else arrays * nin(name)
    return f(*args, **kw)


# ----------------------------------------------------------------- registry
@pytest.mark.parametrize("act", [pytest.param(a, id=a.name) for a in ACTIVATIONS])
def test_registry_entry_complete(act):
    import math

    import mpmath

    for field in ("name", "summary", "formula", "grad_formula", "kink", "example"):
        value = getattr(act, field)
        assert isinstance(value, str) and value.strip(), f"{act.name}: empty {field}"
    assert act.name.isidentifier()
    assert ">>>" in act.example and f"na.{act.name}" in act.example, (
        f"{act.name}: example is not a doctest of na.{act.name}"
    )
    for field in ("forward", "grad", "ref", "ref_grad", "ref64", "ref64_grad"):
        assert callable(getattr(act, field)), f"{act.name}: {field} is not callable"
    ps = act.test_params()
    assert all(isinstance(p, float) for p in ps), f"{act.name}: a parameter has neither default nor sample"
    lo, hi = act.core
    assert lo < hi
    # The references evaluate, at a few points, to finite values that agree
    # with each other.
    with mpmath.workdps(30):
        for x in (lo, -1.0, -0.25, 0.5, 2.0, hi):
            for ref, ref64 in ((act.ref, act.ref64), (act.ref_grad, act.ref64_grad)):
                v = ref(mpmath, mpmath.mpf(x), *map(mpmath.mpf, ps))
                assert isinstance(v, mpmath.mpf) and mpmath.isfinite(v), f"{act.name}: reference at {x} is {v!r}"
                w = ref64(x, *ps)
                assert math.isfinite(w) and abs(w - float(v)) <= 1e-14 * max(1.0, abs(float(v))), (act.name, x, v, w)
    # NaN in, NaN out, for the float64 references too (the CUDA suite and the
    # accuracy sweep compare NaN patterns with them)
    for ref64 in (act.ref64, act.ref64_grad):
        assert math.isnan(ref64(math.nan, *ps)), f"{act.name}: float64 reference at NaN is not NaN"


def test_registry_names_unique_and_public():
    names = [a.name for a in ACTIVATIONS]
    assert len(set(names)) == len(names)
    for name in ELEMENTWISE_NAMES + SOFTMAX_NAMES:
        assert name in na.__all__, name
        assert callable(getattr(na, name))


@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_ufunc_attribute(name):
    f = getattr(na, name)
    u = f.ufunc
    assert isinstance(u, np.ufunc)
    n = nin(name) + N_PARAMS[name]
    assert u.nin == n and u.nout == 1
    assert f"{'f' * n}->f" in u.types and f"{'d' * n}->d" in u.types
    assert f.ufunc is u  # built once
    assert f.__name__ == name


# ------------------------------------------------------------------ pickling
@pytest.mark.parametrize("name", ALL_NAMES)
def test_pickle_roundtrip_is_identity(name):
    f = getattr(na, name)
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        assert pickle.loads(pickle.dumps(f, protocol=protocol)) is f


# -------------------------------------------------------- dtypes, promotion
INT_DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]


@pytest.mark.parametrize("dt", INT_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("act,kind", act_kind_params())
def test_integer_and_bool_promotion(act, kind, dt):
    x = np.array([0, 1, 2, 3, 100]).astype(dt)
    expected = np.exp(x[:0]).dtype
    y = call(act.name, kind, x, x)
    assert y.dtype == expected, f"{dt} -> {y.dtype}, np.exp gives {expected}"
    xf = x.astype(expected)
    np.testing.assert_array_equal(y, call(act.name, kind, xf, xf))


@pytest.mark.parametrize(
    "value",
    [
        True,
        3,
        -2,
        2.5,
        np.float16(1.5),
        np.float32(1.5),
        np.float64(1.5),
        np.int8(3),
        np.uint16(3),
        np.int64(-3),
        np.bool_(True),
        np.array(1.5),
        np.array(2, np.int16),
        np.array(0.5, np.float32),
        [1.0, -2.0],
        [[1, 2], [3, 4]],
        [True, False],
        (0.5, np.float32(1.0)),
    ],
    ids=lambda v: f"{type(v).__name__}:{getattr(v, 'dtype', '')}:{v!r}".replace(" ", ""),
)
@pytest.mark.parametrize("name", ["sigmoid", "tanh_grad", "relu"])
def test_scalars_and_sequences_follow_np_exp(name, value):
    """Result type and dtype as np.exp gives for the same argument (Python
    scalars and 0-d arrays give NumPy scalars, sequences give arrays)."""
    y = getattr(na, name)(value)
    e = np.exp(value)
    assert type(y) is type(e)
    assert y.dtype == e.dtype
    assert np.shape(y) == np.shape(e)
    ref = getattr(na, name)(np.asarray(value).astype(e.dtype))
    np.testing.assert_array_equal(y, ref)


@pytest.mark.parametrize(
    "dy,x,expected",
    [
        (2.0, np.ones(3, np.float32), np.float32),
        (np.ones(3, np.float32), 2.0, np.float32),
        (2, np.ones(3, np.float16), np.float16),
        (np.float64(2.0), np.ones(3, np.float32), np.float64),
        (np.ones(3, np.float16), np.ones(3, np.float32), np.float32),
        (np.ones(3, np.float32), np.ones(3, np.float64), np.float64),
        (np.ones(3, np.int8), np.ones(3, np.float32), np.float32),
        (np.ones(3, np.int8), np.ones(3, np.int8), np.float16),
        (np.ones(3, np.int16), np.ones(3, np.uint8), np.float32),
        (np.ones(3, np.int32), np.ones(3, np.float32), np.float64),
        (1.5, np.ones(3, np.int8), np.float64),
    ],
    ids=[
        "pyfloat-f32",
        "f32-pyfloat",
        "pyint-f16",
        "npf64-f32",
        "f16-f32",
        "f32-f64",
        "i8-f32",
        "i8-i8",
        "i16-u8",
        "i32-f32",
        "pyfloat-i8",
    ],
)
@pytest.mark.parametrize("act", [pytest.param(a, id=a.name) for a in ACTIVATIONS])
def test_backward_promotion(act, dy, x, expected):
    """NEP 50: Python scalars are weak, NumPy scalars are not; then float
    promotion as np.exp."""
    b = call(act.name, "backward", x, dy)
    assert b.dtype == expected
    assert b.dtype == np.exp(np.add(dy, x)).dtype


@pytest.mark.parametrize("act", [pytest.param(a, id=a.name) for a in ACTIVATIONS])
def test_backward_broadcasting(act):
    rng = np.random.default_rng(0)
    dy = rng.standard_normal((4, 1, 3))
    x = rng.standard_normal((5, 1)) * 3
    b = call(act.name, "backward", x, dy)
    assert b.shape == (4, 5, 3)
    db, xb = np.broadcast_arrays(dy, x)
    np.testing.assert_array_equal(b, call(act.name, "backward", xb.copy(), db.copy()))
    # a scalar dy
    np.testing.assert_array_equal(
        call(act.name, "backward", x, 0.5), call(act.name, "backward", x, np.full(x.shape, 0.5))
    )


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_out_returns_same_object(name, dtype):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((3, 4)) * 3).astype(dtype)
    expected = call_by_name(name, x)
    out = np.full(x.shape, 77, dtype)
    r = call_by_name(name, x, out=out)
    assert r is out
    np.testing.assert_array_equal(out, expected)
    out1 = np.full(x.shape, 77, dtype)
    assert call_by_name(name, x, out=(out1,)) is out1
    np.testing.assert_array_equal(out1, expected)
    # out may alias the input
    xc = x.copy()
    assert call_by_name(name, xc, out=xc) is xc
    np.testing.assert_array_equal(xc, expected)


def test_out_other_float_dtype():
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    o64 = np.zeros(7)
    assert na.sigmoid(x, out=o64) is o64
    np.testing.assert_array_equal(o64, na.sigmoid(x).astype(np.float64))
    o16 = np.zeros(7, np.float16)
    assert na.sigmoid(x, out=o16) is o16
    np.testing.assert_array_max_ulp(o16, na.sigmoid(x).astype(np.float16), maxulp=1)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_where_mask(name, dtype):
    x = np.linspace(-4, 4, 9).astype(dtype)
    mask = np.array([True, False] * 4 + [True])
    full = call_by_name(name, x)
    out = np.full(x.shape, 77, dtype)
    r = call_by_name(name, x, out=out, where=mask)
    assert r is out
    np.testing.assert_array_equal(out[mask], full[mask])
    assert (out[~mask] == 77).all()


@pytest.mark.filterwarnings("ignore:'where' used without 'out'")
def test_where_numpy_true():
    x = np.linspace(-4, 4, 9)
    np.testing.assert_array_equal(na.sigmoid(x, where=np.True_), na.sigmoid(x))


@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_where_true_is_default(name):
    x = np.linspace(-4, 4, 9)
    np.testing.assert_array_equal(call_by_name(name, x, where=True), call_by_name(name, x))


def _unaligned(a):
    buf = np.zeros(a.nbytes + 1, np.uint8)
    u = buf[1:].view(a.dtype).reshape(a.shape)
    u[...] = a
    return u


# Each makes an array with the same shape and values as `a` in another memory layout.
LAYOUTS = {
    "fortran": np.asfortranarray,
    "transposed-view": lambda a: np.ascontiguousarray(a.T).T,
    "reversed": lambda a: a[::-1, ::-1].copy()[::-1, ::-1],
    "strided": lambda a: np.repeat(a, 3, axis=1)[:, ::3],
    "byteswapped": lambda a: a.byteswap().view(a.dtype.newbyteorder()),
    "byteswapped-strided": lambda a: np.repeat(a.byteswap().view(a.dtype.newbyteorder()), 2, axis=0)[::2],
    "unaligned": _unaligned,
    "broadcast-row": None,  # handled below
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_layouts_give_same_results(name, dtype, layout):
    """Non-contiguous, Fortran-order, negatively strided, byte-swapped and
    unaligned inputs give bitwise the same results as contiguous native ones."""
    rng = np.random.default_rng(2)
    base = (rng.standard_normal((6, 10)) * 5).astype(dtype)
    dy = rng.standard_normal((6, 10)).astype(dtype)
    if layout == "broadcast-row":
        base[:] = base[0]
        dy[:] = dy[0]
        make = lambda a: np.broadcast_to(a[0], a.shape)
    else:
        make = LAYOUTS[layout]
    f = getattr(na, name)
    expected = f(dy, base) if nin(name) == 2 else f(base)
    x = make(base)
    assert np.array_equal(x, base) and x.shape == base.shape
    x0 = x.copy()
    combos = [(dy, x), (make(dy), base), (make(dy), x)] if nin(name) == 2 else [(x,)]
    for args in combos:
        y = f(*args)
        assert y.dtype == dtype and y.dtype.isnative
        np.testing.assert_array_equal(y, expected, err_msg=layout)
    np.testing.assert_array_equal(x, x0, err_msg=f"{layout}: input modified")


@pytest.mark.parametrize("name", ALL_NAMES)
def test_inputs_never_modified(name):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 5))
    dy = rng.standard_normal((4, 5))
    x0, dy0 = x.copy(), dy.copy()
    f = getattr(na, name)
    f(dy, x) if nin(name) == 2 else f(x)
    x32 = x.astype(np.float32)
    x320 = x32.copy()
    f(x32, x32) if nin(name) == 2 else f(x32)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dy, dy0)
    np.testing.assert_array_equal(x32, x320)


# -------------------------------------------------------------------- errors
BAD_INPUTS = [
    pytest.param(np.array([1 + 2j, 0j]), "complex", id="complex"),
    pytest.param(np.array([1.0, 2.0], np.complex64), "complex", id="complex64"),
    pytest.param(np.array([1.0, "a"], object), "object", id="object"),
    pytest.param(np.array(["a", "b"]), "string", id="str"),
    pytest.param(np.array([b"a", b"b"]), "bytes", id="bytes"),
    pytest.param(np.array(["2020-01-01", "2021-01-01"], "datetime64[D]"), "datetime", id="datetime"),
    pytest.param(np.array([1, 2], "timedelta64[s]"), "timedelta", id="timedelta"),
    pytest.param(
        np.array([1.0, 2.0], np.longdouble),
        "extended precision",
        id="longdouble",
        marks=pytest.mark.skipif(np.finfo(np.longdouble).nmant <= 52, reason="longdouble is float64 here"),
    ),
]


@pytest.mark.parametrize("bad,word", BAD_INPUTS)
@pytest.mark.parametrize("name", ALL_NAMES)
def test_bad_input_dtype(name, bad, word):
    good = np.array([0.5, 1.0])
    f = getattr(na, name)
    out = np.full(2 if name != "softmax_jacobian" else (2, 2), 7.0)
    with pytest.raises(TypeError, match=word):
        f(bad, good) if nin(name) == 2 else f(bad)
    if nin(name) == 2:
        with pytest.raises(TypeError, match=word):
            f(good, bad)
    with pytest.raises(TypeError, match=word):
        f(*([bad] * nin(name)), out=out)
    assert (out == 7.0).all(), "out= written before the error"


@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_complex_python_scalar(name):
    with pytest.raises(TypeError, match="complex"):
        getattr(na, name)(*([1 + 1j] * nin(name)))


def _out_cases(shape):
    ro = np.full(shape, 7.0)
    ro.flags.writeable = False
    bad_shape = (shape[0] + 1,) + shape[1:]
    return [
        pytest.param(np.full(bad_shape, 7.0), ValueError, "shape", id="wrong-shape"),
        pytest.param(np.full(shape[:-1] + (1,), 7.0), ValueError, "shape", id="broadcast-smaller"),
        pytest.param(np.full(shape, 7, np.int64), TypeError, "dtype", id="int-dtype"),
        pytest.param(np.full(shape, 7, np.complex128), TypeError, "dtype", id="complex-dtype"),
        pytest.param(np.full(shape, True), TypeError, "dtype", id="bool-dtype"),
        pytest.param(ro, ValueError, "read-only", id="read-only"),
    ]


@pytest.mark.parametrize("out,exc,word", _out_cases((3, 4)))
@pytest.mark.parametrize("name", ALL_NAMES)
def test_bad_out(name, out, exc, word):
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    if name == "softmax_jacobian":  # result shape (3, 4, 4)
        writeable = out.flags.writeable
        out = np.full(out.shape + (4,), 7, out.dtype)
        out.flags.writeable = writeable
    before = out.copy()
    with pytest.raises(exc, match=word):
        call_by_name(name, x, out=out)
    assert np.array_equal(out, before), "out= modified although the call raised"


@pytest.mark.parametrize("name", ALL_NAMES)
def test_out_not_an_array(name):
    x = np.linspace(-2, 2, 4)
    with pytest.raises(TypeError):
        call_by_name(name, x, out=[0.0] * 4)


@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_wrong_number_of_arguments(name):
    f = getattr(na, name)
    x = np.ones(3)
    with pytest.raises(TypeError):
        f()
    with pytest.raises(TypeError):
        f(*([x] * (nin(name) + N_PARAMS[name] + 1)))
    if nin(name) == 2:
        with pytest.raises(TypeError):
            f(x)


@pytest.mark.parametrize("name", SOFTMAX_NAMES)
def test_softmax_wrong_arguments(name):
    f = getattr(na, name)
    x = np.ones((2, 3))
    with pytest.raises(TypeError):
        f()
    if name == "softmax_backward":
        with pytest.raises(TypeError):
            f(x)
    with pytest.raises(TypeError):
        f(x, x, -1, None, "extra")


@pytest.mark.parametrize("name", SOFTMAX_NAMES)
@pytest.mark.parametrize("axis", [2, -3, 10])
def test_bad_axis(name, axis):
    x = np.ones((2, 3))
    with pytest.raises(np.exceptions.AxisError):
        call_by_name(name, x, axis=axis)
    with pytest.raises((ValueError, IndexError)):
        call_by_name(name, x, axis=axis)


@pytest.mark.parametrize("name", SOFTMAX_NAMES)
@pytest.mark.parametrize("axis", [1.0, "0", None, True, (0, 1)], ids=["float", "str", "None", "bool", "tuple"])
def test_axis_wrong_type(name, axis):
    with pytest.raises(TypeError):
        call_by_name(name, np.ones((2, 3)), axis=axis)


@pytest.mark.parametrize("name", SOFTMAX_NAMES)
@pytest.mark.parametrize("x", [np.array(1.0), np.float64(1.0), 1.0], ids=["0d-array", "numpy-scalar", "python-float"])
def test_softmax_0d_input(name, x):
    with pytest.raises(ValueError):
        call_by_name(name, x)


def test_softmax_backward_shape_mismatch():
    with pytest.raises(ValueError):
        na.softmax_backward(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError):
        na.softmax_backward(np.ones(3), np.ones((2, 3)))


# ------------------------------------------------------------- CUDA arrays
class FakeCudaArray:
    """Looks like GPU memory: any attempt to read it as host memory is recorded."""

    def __init__(self, shape=(4,), typestr="<f4"):
        self.__cuda_array_interface__ = {
            "shape": shape,
            "typestr": typestr,
            "data": (0xDEAD0000, False),
            "version": 3,
            "strides": None,
        }
        self.touched = []

    def _touch(self, what):
        self.touched.append(what)
        raise AssertionError(f"device array touched: {what}")

    def __array__(self, *a, **k):
        self._touch("__array__")

    @property
    def __array_interface__(self):
        self._touch("__array_interface__")

    def __len__(self):
        self._touch("__len__")
        return 0

    def __getitem__(self, i):
        self._touch("__getitem__")

    def __iter__(self):
        self._touch("__iter__")

    def __float__(self):
        self._touch("__float__")

    def __buffer__(self, flags):
        self._touch("__buffer__")


@pytest.mark.parametrize("position", ["x", "dy", "out"])
@pytest.mark.parametrize("name", ALL_NAMES)
def test_cuda_arrays_refused_without_copy(name, position):
    if position in ("dy", "x") and nin(name) == 1:
        pytest.skip("one input: no host argument to mix with (see test_cuda_arrays_never_copied_to_host)")
    f = getattr(na, name)
    dev = FakeCudaArray()
    host = np.ones(4, np.float32)
    if position == "out":
        args, kw = [host] * nin(name), {"out": dev}
    elif position == "dy":
        args, kw = [dev, host], {}
    else:
        args, kw = [host] * (nin(name) - 1) + [dev], {}
    # Host and device arguments together: a TypeError naming the mix, and
    # the device object is never read as host memory.
    with pytest.raises(TypeError, match="mix GPU and host"):
        f(*args, **kw)
    assert dev.touched == []


@pytest.mark.parametrize("name", ALL_NAMES)
def test_cuda_arrays_never_copied_to_host(name):
    """All-device arguments go to the CUDA target; on a machine without a GPU
    (and outside the simulator) that fails with an error, never with a
    silent copy through host memory."""
    f = getattr(na, name)
    dev = FakeCudaArray()
    with pytest.raises(Exception) as err:
        f(*[dev] * nin(name))
    assert not isinstance(err.value, AssertionError), err.value
    assert dev.touched == []


# ------------------------------------------------------- __array_ufunc__
class FakeDuck:
    """A minimal non-ndarray implementing __array_ufunc__, with the array
    attributes dask and xarray objects have (shape, ndim, dtype)."""

    def __init__(self, data):
        self.data = np.asarray(data, np.float64)
        self.calls = []
        self.converted = 0

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)

    def __array__(self, dtype=None, copy=None):
        # dask would compute the whole graph here
        self.converted += 1
        return self.data if dtype is None else self.data.astype(dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        self.calls.append((ufunc, method, kwargs))
        args = [i.data if isinstance(i, FakeDuck) else i for i in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(o.data if isinstance(o, FakeDuck) else o for o in kwargs["out"])
        result = getattr(ufunc, method)(*args, **kwargs)
        return FakeDuck(result)


@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_array_ufunc_protocol_elementwise(name):
    x = FakeDuck(np.linspace(-3, 3, 5))
    f = getattr(na, name)
    r = f(x, x) if nin(name) == 2 else f(x)
    assert isinstance(r, FakeDuck), type(r)
    assert len(x.calls) == 1 and x.calls[0][0] is f.ufunc and x.calls[0][1] == "__call__"
    assert x.converted == 0, "the protocol object was converted to an ndarray"
    np.testing.assert_array_equal(r.data, f(x.data, x.data) if nin(name) == 2 else f(x.data))


def test_array_ufunc_protocol_mixed_with_ndarray():
    x = FakeDuck(np.linspace(-3, 3, 5))
    r = na.sigmoid_backward(np.ones(5), x)
    assert isinstance(r, FakeDuck) and x.calls and x.converted == 0
    r = na.sigmoid_backward(x, np.ones(5))
    assert isinstance(r, FakeDuck)


@pytest.mark.parametrize(
    "name",
    [pytest.param(n) for n in SOFTMAX_NAMES],
)
def test_array_ufunc_protocol_softmax(name):
    """Row functions hand __array_ufunc__ objects to the gufunc without
    converting them (for dask that would compute the whole graph)."""
    x = FakeDuck(np.linspace(-3, 3, 6).reshape(2, 3))
    f = getattr(na, name)
    r = f(x, x) if nin(name) == 2 else f(x)
    assert isinstance(r, FakeDuck), type(r)
    assert x.calls and x.calls[-1][1] == "__call__"
    assert x.converted == 0, "the protocol object was converted to an ndarray"
    expected = f(x.data, x.data) if nin(name) == 2 else f(x.data)
    np.testing.assert_allclose(r.data, expected, rtol=1e-15)


class ProtocolOnly:
    """__array_ufunc__ and nothing else: not convertible to an array."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return ("handled", ufunc.__name__)


@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_protocol_only_object_elementwise(name):
    p = ProtocolOnly()
    f = getattr(na, name)
    assert (f(p, p) if nin(name) == 2 else f(p)) == ("handled", f.ufunc.__name__)


# ----------------------------------------------------------------- misc
def test_repr_and_names():
    for name in ELEMENTWISE_NAMES:
        f = getattr(na, name)
        assert name in repr(f)
        assert f.__name__ == name
    for name in SOFTMAX_NAMES:
        assert getattr(na, name).__name__ == name
