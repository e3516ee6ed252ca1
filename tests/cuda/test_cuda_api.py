"""Dispatch to the GPU: errors, target=, no silent copies, inputs untouched."""

import numpy as np
import pytest
from _cuda_helpers import VS_CPU_ULP, assert_close, on_device, same_bits, to_dev
from _helpers import bound
from numba import cuda

import numba_act as na
from numba_act.registry import ACTIVATIONS

ELEMENTWISE = [n for a in ACTIVATIONS for n in (a.name, f"{a.name}_grad", f"{a.name}_backward")]
ROWS = ["softmax", "softmax_backward", "softmax_jacobian"]
ALL = ELEMENTWISE + ROWS


def nin(name):
    return 2 if name.endswith("backward") else 1


def out_shape(name, shape):
    return shape + shape[-1:] if name == "softmax_jacobian" else shape


def sample(shape=(2, 40), dtype=np.float32, seed=0):
    x = np.random.default_rng(seed).uniform(-3, 3, shape).astype(dtype)
    return x


def inputs(name, shape=(2, 40), dtype=np.float32):
    """Host inputs of `name` (dy, p) for softmax_backward, (dy, x) or (x,)."""
    x = sample(shape, dtype)
    if name == "softmax_backward":
        return [sample(shape, dtype, 1), na.softmax(x)]
    return [sample(shape, dtype, 1), x] if nin(name) == 2 else [x]


@pytest.mark.parametrize("name", ALL)
def test_mixing_host_and_device_is_a_type_error(name):
    """Host and device arguments together, without target=: TypeError, and
    nothing is written anywhere."""
    f = bound(name)
    host = inputs(name)
    dev = [to_dev(a) for a in host]
    shape = out_shape(name, host[0].shape)
    combos = []
    if nin(name) == 2:
        combos += [([dev[0], host[1]], None), ([host[0], dev[1]], None)]
    combos += [(dev, np.full(shape, 7.0, np.float32)), (host, to_dev(np.full(shape, 7.0, np.float32)))]
    for args, out in combos:
        with pytest.raises(TypeError, match="mix GPU and host"):
            f(*args, out=out)
        if out is not None:
            after = out.copy_to_host() if hasattr(out, "copy_to_host") else out
            assert (after == 7).all(), f"{name}: out= written"
    for h, d in zip(host, dev):
        assert same_bits(d.copy_to_host(), h)


@pytest.mark.parametrize("name", ALL)
def test_non_float_device_dtypes_are_type_errors(name):
    f = bound(name)
    for dtype in (np.int32, np.int64, np.uint8, np.bool_, np.complex64):
        args = [to_dev(np.ones((2, 3), dtype)) for _ in range(nin(name))]
        with pytest.raises(TypeError, match="not supported"):
            f(*args)


@pytest.mark.parametrize("name", [n for n in ALL if nin(n) == 2])
def test_mixed_device_dtypes_are_type_errors(name):
    f = bound(name)
    for a, b in ((np.float32, np.float64), (np.float16, np.float32), (np.float64, np.float16)):
        with pytest.raises(TypeError, match="one dtype"):
            f(to_dev(np.ones((2, 3), a)), to_dev(np.ones((2, 3), b)))


@pytest.mark.parametrize("name", [n for n in ALL if nin(n) == 2])
def test_shape_mismatch_is_a_value_error(name):
    """GPU calls do not broadcast."""
    f = bound(name)
    for s1, s2 in (((3,), (4,)), ((3, 4), (4, 3)), ((1, 4), (3, 4)), ((3, 4), (4,)), ((12,), (3, 4))):
        with pytest.raises(ValueError):
            f(to_dev(np.ones(s1, np.float32)), to_dev(np.ones(s2, np.float32)))


def _strided_device_arrays():
    base = to_dev(np.arange(48, dtype=np.float32).reshape(6, 8) / 10)
    views = {"every other row": base[::2], "every other column": base[:, ::2]}
    fortran = cuda.to_device(np.asfortranarray(np.ones((3, 8), np.float32)))
    views["F-ordered"] = fortran
    for label, v in views.items():
        if v.is_c_contiguous():  # pragma: no cover - depends on the simulator
            pytest.skip(f"this CUDA simulator does not make non-contiguous device views ({label})")
    return views


@pytest.mark.parametrize("name", ALL)
def test_non_contiguous_device_arrays_are_value_errors(name):
    f = bound(name)
    for label, v in _strided_device_arrays().items():
        before = v.copy_to_host()
        ok = to_dev(np.ascontiguousarray(before))
        args = [v] * nin(name)
        with pytest.raises(ValueError, match="contiguous"):
            f(*args)
        if nin(name) == 2:
            with pytest.raises(ValueError, match="contiguous"):
                f(ok, v)
            with pytest.raises(ValueError, match="contiguous"):
                f(v, ok)
        assert same_bits(v.copy_to_host(), before), label
        # a contiguous copy on the device works
        f(*[ok] * nin(name))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=["float16", "float32", "float64"])
@pytest.mark.parametrize("name", ALL)
def test_target_cuda_copies_host_inputs(name, dtype):
    """target='cuda' with NumPy inputs: explicit copies, a NumPy result equal
    to the device result, inputs untouched; a host out= is filled and
    returned; a device out= with host inputs is a TypeError."""
    f = bound(name)
    host = inputs(name, (2, 40), dtype)
    kept = [a.copy() for a in host]
    r = f(*host, target="cuda")
    assert type(r) is np.ndarray and r.dtype == dtype and r.shape == out_shape(name, host[0].shape)
    assert same_bits(r, on_device(f, *host))
    for a, k in zip(host, kept):
        assert same_bits(a, k)
    out = np.full(r.shape, 7.0, dtype)
    assert f(*host, out=out, target="cuda") is out
    assert same_bits(out, r)
    with pytest.raises(TypeError):
        f(*host, out=to_dev(np.empty(r.shape, dtype)), target="cuda")
    # target='cuda' with device inputs: a device result, as without target=
    d = f(*[to_dev(a) for a in host], target="cuda")
    assert not isinstance(d, np.ndarray) and same_bits(d.copy_to_host(), r)
    # one host and one device input: the host one is copied over
    if nin(name) == 2:
        mixed = f(to_dev(host[0]), host[1], target="cuda")
        mixed = mixed if isinstance(mixed, np.ndarray) else mixed.copy_to_host()
        assert same_bits(mixed, r)


@pytest.mark.parametrize("name", ALL)
def test_target_cpu_copies_device_inputs(name):
    """target='cpu' with device inputs: copied to the host and computed by
    the CPU (the same bits as the CPU on the host data); device memory is
    untouched; a device out= is a TypeError."""
    f = bound(name)
    for dtype in (np.float16, np.float32, np.float64):
        host = inputs(name, (2, 40), dtype)
        dev = [to_dev(a) for a in host]
        r = f(*dev, target="cpu")
        assert type(r) is np.ndarray
        assert same_bits(r, f(*host))
        for h, d in zip(host, dev):
            assert same_bits(d.copy_to_host(), h)
        out = np.empty_like(r)
        assert f(*dev, out=out, target="cpu") is out and same_bits(out, r)
        if nin(name) == 2:
            assert same_bits(f(dev[0], host[1], target="cpu"), r)
        dout = to_dev(np.full(r.shape, 7.0, dtype))
        with pytest.raises(TypeError):
            f(*dev, out=dout, target="cpu")
        assert (dout.copy_to_host() == 7).all()


@pytest.mark.parametrize("name", ALL)
def test_bad_target_is_a_value_error(name):
    args = [to_dev(a) for a in inputs(name)]
    with pytest.raises(ValueError, match="target"):
        bound(name)(*args, target="gpu")


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_where_is_refused_on_the_device(name):
    args = [to_dev(a) for a in inputs(name)]
    with pytest.raises(TypeError, match="where"):
        bound(name)(*args, where=np.ones((2, 40), bool))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_zero_d_device_arrays(name):
    """0-d device arrays give 0-d device results (the CPU's, within the
    GPU-vs-CPU ulp limit of the function's kind, as the other tests)."""
    f = bound(name)
    kind = "backward" if name.endswith("_backward") else ("grad" if name.endswith("_grad") else "forward")
    for v in (-1.5, 0.0, 2.0):
        x = np.array(v, np.float64)
        r = f(*[cuda.to_device(x)] * nin(name))
        assert r.shape == ()
        assert_close(r.copy_to_host(), f(*[x] * nin(name)), VS_CPU_ULP[kind], f"{name}({v})")


@pytest.mark.parametrize("name", ROWS)
def test_zero_d_device_arrays_rows(name):
    """Row functions need at least one dimension, as on the CPU."""
    d = cuda.to_device(np.array(1.0))
    with pytest.raises(ValueError):
        bound(name)(*[d] * nin(name))


@pytest.mark.parametrize("name", ROWS)
def test_axis_out_of_range(name):
    d = to_dev(np.ones((2, 3), np.float32))
    for axis in (2, -3):
        with pytest.raises(ValueError):  # numpy's AxisError is a ValueError
            bound(name)(*[d] * nin(name), axis=axis)


# ------------------------------------------------------- known bugs
@pytest.mark.parametrize("name", ["sigmoid", "relu_grad", "tanh_backward"])
def test_target_cuda_zero_d_host_input(name):
    f = bound(name)
    for x in (np.array(0.5), 0.5):
        r = f(*[x] * nin(name), target="cuda")
        assert np.shape(r) == np.shape(f(*[x] * nin(name)))


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8], ids=["bool", "int8", "uint8"])
@pytest.mark.parametrize("name", ["sigmoid", "softmax"])
def test_target_cuda_small_integer_inputs(name, dtype):
    f = bound(name)
    x = np.array([1, 0, 1], dtype)
    assert f(x, target="cuda").dtype == f(x).dtype


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.int32, np.int64], ids=["int16", "uint16", "int32", "int64"])
@pytest.mark.parametrize("name", ["sigmoid", "softmax"])
def test_target_cuda_integer_inputs(name, dtype):
    f = bound(name)
    x = np.array([1, 0, 3], dtype)
    r = f(x, target="cuda")
    want = f(x)
    assert r.dtype == want.dtype
    np.testing.assert_allclose(r, want, rtol=4 * float(np.finfo(want.dtype).eps))


def test_target_cuda_softmax_backward_sequences():
    r = na.softmax_backward([1.0, 0.0, 0.0], [0.2, 0.3, 0.5], target="cuda")
    assert same_bits(r, na.softmax_backward(np.array([1.0, 0.0, 0.0]), np.array([0.2, 0.3, 0.5])))


def test_target_cuda_sequences():
    for name in ("sigmoid", "softmax", "softmax_jacobian"):
        f = bound(name)
        r = f([1.0, -2.0, 0.5], target="cuda")
        assert type(r) is np.ndarray
        np.testing.assert_allclose(r, f(np.array([1.0, -2.0, 0.5])), rtol=1e-15)
    r = na.relu_backward([1.0, 2.0], [3.0, -1.0], target="cuda")
    assert same_bits(r, np.array([1.0, 0.0]))


@pytest.mark.parametrize("axis", [0.5, True], ids=["float", "bool"])
def test_softmax_backward_axis_type_on_device(axis):
    def type_error(fn):
        try:
            fn()
        except TypeError as e:
            return "axis" in str(e)
        return False

    d = to_dev(np.full((2, 3), 0.5, np.float32))
    assert type_error(lambda: na.softmax(d, axis=axis))  # the reference behaviour: GPU softmax
    assert type_error(lambda: na.softmax_backward(np.ones((2, 3)), np.ones((2, 3)), axis=axis))  # and the CPU
    with pytest.raises(TypeError, match="axis"):
        na.softmax_backward(d, d, axis=axis)
