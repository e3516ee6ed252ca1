"""Dask arrays and a real distributed cluster (worker processes), xarray.

One LocalCluster with two worker processes serves the module; results are
compared with the in-memory numba_act call and with float64 formulas.
"""

import concurrent.futures
import pickle
import sys
import warnings

import numpy as np
import pytest

import numba_act as na

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

EPS32 = float(np.finfo(np.float32).eps)


@pytest.fixture(scope="module")
def client():
    # The scheduler's HTTP server (on even without the dashboard) says so
    # when another cluster holds its default port; it then takes another.
    warnings.filterwarnings("ignore", "Port 8787 is already in use", UserWarning)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as c,
    ):
        yield c


def data(shape=(3000, 40), chunks=(500, 40), seed=0, scale=3.0):
    """A float32 Dask array of several chunks and the same values in memory."""
    x = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
    return da.from_array(x, chunks=chunks), x


def assert_ulp(got, ref, ulp):
    """|got - ref| within `ulp` units in the last place of got's dtype at ref."""
    got = np.asarray(got)
    ref = np.asarray(ref, np.float64)
    spacing = np.spacing(np.abs(ref).astype(got.dtype)).astype(np.float64)
    err = np.abs(got.astype(np.float64) - ref) / spacing
    assert err.max() <= ulp, f"max error {err.max():.2f} ulp > {ulp}"


def sigmoid64(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))


def softmax64(x, axis):
    x = np.asarray(x, np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ------------------------------------------------------------------ pickling
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_backward", "relu", "softmax", "softmax_backward"])
def test_functions_pickle_by_reference(name):
    f = getattr(na, name)
    blob = pickle.dumps(f)
    assert pickle.loads(blob) is f
    assert len(blob) < 100 and b"numba_act" in blob


def test_graphs_pickle_with_plain_pickle():
    # The compiled numba ufuncs do not pickle at all; a graph that carried
    # one could not be shipped to worker processes.
    x, _ = data()
    for y in (na.sigmoid(x), na.sigmoid_backward(x, x), na.softmax(x), na.softmax_jacobian(x[:40])):
        blob = pickle.dumps(dict(y.__dask_graph__()))
        graph = pickle.loads(blob)
        assert len(graph) == len(y.__dask_graph__())


# ---------------------------------------------------------- on the cluster
def test_elementwise_on_cluster(client):
    x, xn = data()
    dy, dyn = data(chunks=(700, 20), seed=1, scale=1.0)  # other chunks: Dask aligns them
    ys = {
        "sigmoid": na.sigmoid(x),
        "sigmoid_backward": na.sigmoid_backward(dy, x),
        "relu": na.relu(x),
        "sigmoid_backward(0.5, x)": na.sigmoid_backward(0.5, x),  # a Python scalar among the inputs
    }
    for y in ys.values():
        assert isinstance(y, da.Array) and y.dtype == np.float32
    assert ys["sigmoid"].chunks == x.chunks and ys["relu"].chunks == x.chunks
    got = dict(zip(ys, client.compute(list(ys.values()), sync=True)))

    s = sigmoid64(xn)
    assert_ulp(got["sigmoid"], s, 2)
    np.testing.assert_array_equal(got["sigmoid"], na.sigmoid(xn))
    assert_ulp(got["sigmoid_backward"], dyn.astype(np.float64) * s * (1 - s), 4)
    np.testing.assert_array_equal(got["sigmoid_backward"], na.sigmoid_backward(dyn, xn))
    np.testing.assert_array_equal(got["relu"], np.maximum(xn, np.float32(0)))
    assert_ulp(got["sigmoid_backward(0.5, x)"], 0.5 * s * (1 - s), 4)
    for v in got.values():
        assert v.dtype == np.float32

    # The workers unpickled the functions by reference: they imported
    # numba_act themselves (and compiled or loaded it from Numba's cache).
    assert any(client.run(lambda: "numba_act" in sys.modules).values())


@pytest.mark.parametrize("slope", [(), (0.2,)], ids=["default", "slope"])
def test_parameter_inputs_on_cluster(client, slope):
    """Elementwise functions with parameter inputs, called with and without them."""
    if not hasattr(na, "leaky_relu"):
        pytest.skip("no parameterised elementwise function (leaky_relu) in this version")
    x, xn = data()
    y = na.leaky_relu(x, *slope)
    assert y.chunks == x.chunks
    got = client.compute(y, sync=True)
    np.testing.assert_array_equal(got, na.leaky_relu(xn, *slope))
    a = slope[0] if slope else 0.01
    assert_ulp(got, np.where(xn > 0, xn, a * xn.astype(np.float64)), 1)


@pytest.mark.parametrize("axis", [-1, 0])
def test_rows_on_cluster(client, axis):
    x, xn = data(chunks=(500, 40) if axis == -1 else (3000, 10))
    dy, dyn = data(chunks=x.chunks, seed=1, scale=1.0)
    xj, xjn = data(shape=(120, 12), chunks=(30, 12) if axis == -1 else (120, 4))
    p = na.softmax(x, axis=axis)
    b = na.softmax_backward(dy, p, axis=axis)
    j = na.softmax_jacobian(xj, axis=axis)
    assert p.chunks == x.chunks and b.chunks == x.chunks
    assert j.shape == ((12, 120, 120) if axis == 0 else (120, 12, 12))
    got_p, got_b, got_j = client.compute([p, b, j], sync=True)

    ref = softmax64(xn, axis)
    # float32 softmax: a few ulp, plus the rounding of x - max (|x - max| < 25).
    assert_ulp(got_p, ref, 4 + 25)
    np.testing.assert_allclose(got_p, na.softmax(xn, axis=axis), rtol=2 * EPS32, atol=0)
    dot = (dyn * ref).sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(got_b, ref * (dyn - dot), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_b, na.softmax_backward(dyn, na.softmax(xn, axis=axis), axis=axis), rtol=4 * EPS32)
    sj = np.moveaxis(softmax64(xjn, axis), axis, -1)
    ref_j = sj[..., :, None] * (np.eye(sj.shape[-1]) - sj[..., None, :])
    np.testing.assert_allclose(got_j, ref_j, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(got_j, na.softmax_jacobian(xjn, axis=axis))
    assert got_p.dtype == got_b.dtype == got_j.dtype == np.float32


def test_submit_to_worker_threads(client):
    """The public functions themselves, shipped to and called in worker threads."""
    _, xn = data(shape=(64, 50))
    np.testing.assert_array_equal(client.submit(na.sigmoid, xn).result(), na.sigmoid(xn))
    np.testing.assert_array_equal(client.submit(na.softmax, xn, axis=0).result(), na.softmax(xn, axis=0))


def test_xarray_dask_on_cluster(client):
    xr = pytest.importorskip("xarray")
    x, xn = data()
    coords = {"row": np.arange(3000), "col": np.linspace(0, 1, 40)}
    xa = xr.DataArray(x, dims=("row", "col"), coords=coords, attrs={"units": "logit"})
    ya = na.sigmoid(xa)
    assert isinstance(ya, xr.DataArray) and isinstance(ya.data, da.Array)
    got = client.compute(ya, sync=True)
    assert got.dims == ("row", "col") and got.attrs == {"units": "logit"}
    xr.testing.assert_identical(got.coords.to_dataset(), xa.coords.to_dataset())
    np.testing.assert_array_equal(got.values, na.sigmoid(xn))


# ------------------------------------------------------------ without it
def test_split_row_axis_is_an_error_that_says_how_to_rechunk():
    x, xn = data(chunks=(500, 20))
    for call, axis, which in [
        (lambda: na.softmax(x, axis=0), 0, "x"),
        (lambda: na.softmax(x, axis=-1), 1, "x"),
        (lambda: na.softmax_jacobian(x, axis=1), 1, "x"),
        (lambda: na.softmax_backward(x, x.rechunk({0: -1, 1: 40}), axis=0), 0, "dy"),
    ]:
        with pytest.raises(ValueError, match=r"rechunk") as info:
            call()
        msg = str(info.value)
        assert f"axis {axis} of {which} " in msg and f"{which}.rechunk({{{axis}: -1" in msg
    # Following the advice works.
    p = na.softmax(x.rechunk({0: -1, 1: "auto"}), axis=0)
    np.testing.assert_allclose(p.compute(scheduler="sync"), na.softmax(xn, axis=0), rtol=2 * EPS32, atol=0)


def test_lazy_dtypes_and_keywords():
    x, xn = data(shape=(300, 8), chunks=(100, 8))
    with dask.config.set(scheduler="sync"):
        for dt, want in [(np.float64, np.float64), (np.float16, np.float16), (np.int32, np.float64)]:
            for y in (na.sigmoid(x.astype(dt)), na.softmax(x.astype(dt))):
                assert y.dtype == want and y.compute().dtype == want
        with pytest.raises(TypeError, match="complex"):
            na.sigmoid(x.astype(np.complex64))
        out = da.zeros_like(x)
        assert na.sigmoid(x, out=out) is out
        np.testing.assert_array_equal(out.compute(), na.sigmoid(xn))
        r = na.sigmoid(x, where=x > 0, out=da.full_like(x, -1.0))
        np.testing.assert_array_equal(r.compute(), np.where(xn > 0, na.sigmoid(xn), np.float32(-1)))
        with pytest.raises(TypeError, match="out="):
            na.softmax(x, out=da.zeros_like(x))


def test_threaded_scheduler_many_chunks():
    """Dask's threaded scheduler: 4 threads over 24 chunks, each big enough
    (2^18 elements and more) for numba_act's own thread split, plus the same
    calls from several Python threads at once."""
    x, xn = data(shape=(24 * 4200, 64), chunks=(4200, 64))
    xc = x.rechunk({0: -1, 1: 4})
    want = [na.sigmoid(xn), na.tanh_backward(xn, xn), na.softmax(xn), na.softmax(xn, axis=0)]

    def run():
        ys = [na.sigmoid(x), na.tanh_backward(x, x), na.softmax(x), na.softmax(xc, axis=0)]
        return dask.compute(*ys, scheduler="threads", num_workers=4)

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        results = [f.result() for f in [pool.submit(run) for _ in range(3)]]
    for got in results:
        for g, w in zip(got[:3], want):
            np.testing.assert_array_equal(g, w)
        np.testing.assert_allclose(got[3], want[3], rtol=2 * EPS32, atol=0)


def test_xarray_in_memory_keeps_coordinates():
    xr = pytest.importorskip("xarray")
    _, xn = data(shape=(5, 4))
    xa = xr.DataArray(xn, dims=("b", "c"), coords={"b": list("vwxyz"), "c": [1, 2, 4, 8]}, name="z", attrs={"a": 1})
    for y, ref in [
        (na.sigmoid(xa), na.sigmoid(xn)),
        (na.relu(xa), na.relu(xn)),
        (na.sigmoid_backward(xa, xa), na.sigmoid_backward(xn, xn)),
    ]:
        assert isinstance(y, xr.DataArray)
        xr.testing.assert_identical(y.coords.to_dataset(), xa.coords.to_dataset())
        assert y.dims == ("b", "c") and y.attrs == {"a": 1}
        np.testing.assert_array_equal(y.values, ref)
