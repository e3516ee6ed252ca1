"""Multi-threaded execution: large calls split over threads, and calls from
many Python threads at once."""

import concurrent.futures

import numba
import numpy as np
import pytest
from _helpers import KINDS, call, public, public_name, ufunc_args

import numba_act as na
from numba_act import _threads, dispatch
from numba_act.registry import ACTIVATIONS

N = dispatch.PARALLEL_MIN_SIZE
MULTI = numba.config.NUMBA_NUM_THREADS >= 2
needs_threads = pytest.mark.skipif(not MULTI, reason="numba has a single thread here")
# Threaded calls warn about NaN inputs (see test_no_spurious_fp_warnings); the
# other tests here are about results, so those warnings are not shown.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


@pytest.fixture
def spy_chunks(monkeypatch):
    """Record the number of chunks of every threaded run."""
    seen = []
    original = _threads.run_chunks

    def run_chunks(fn, chunks):
        seen.append(len(chunks))
        return original(fn, chunks)

    monkeypatch.setattr(_threads, "run_chunks", run_chunks)
    return seen


def raw(ufunc, *args):
    """The plain single-threaded ufunc, without NumPy's FP warnings."""
    with np.errstate(all="ignore"):
        return ufunc(*args)


def _big(dtype, n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n) * 8
    x[::1001] = np.nan
    x[1::997] = np.inf
    x[2::991] = -np.inf
    return x.astype(dtype)


@pytest.mark.parametrize("n", [N - 1, N, 2 * N + 13, 3 * N + 1], ids=["below", "at", "2N+13", "3N+1"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(
    "act,kind", [pytest.param(a, k, id=public_name(a.name, k)) for a in ACTIVATIONS for k in KINDS]
)
def test_large_arrays_match_single_threaded_ufunc(act, kind, dtype, n, restore_threads):
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    x = _big(dtype, n)
    f = public(act.name, kind)
    if kind == "backward":
        dy = _big(dtype, n, seed=1)
        y, ref = call(act.name, kind, x, dy), raw(f.ufunc, *ufunc_args(act.name, dy, x))
    else:
        y, ref = call(act.name, kind, x), raw(f.ufunc, *ufunc_args(act.name, x))
    assert y.dtype == dtype and y.shape == x.shape
    assert np.array_equal(y.view(np.uint8), ref.view(np.uint8)), "threaded result differs from the ufunc"


@needs_threads
def test_threaded_path_is_taken(spy_chunks, restore_threads):
    numba.set_num_threads(2)
    x = _big(np.float32, 2 * N + 13)
    na.sigmoid(x)
    assert spy_chunks and spy_chunks[-1] == 2
    spy_chunks.clear()
    na.sigmoid(x[: N - 1])
    assert not spy_chunks or spy_chunks[-1] == 1
    spy_chunks.clear()
    na.softmax(x[: 4096 * 64].reshape(4096, 64))
    assert spy_chunks and spy_chunks[-1] == 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_out_and_shapes_in_threaded_path(dtype):
    x = _big(dtype, 2 * N + 13).reshape(-1, 1)
    out = np.full(x.shape, 7, dtype)
    assert na.tanh(x, out=out) is out
    assert np.array_equal(out, raw(na.tanh.ufunc, x), equal_nan=True)
    x3 = _big(dtype, 4 * N).reshape(8, -1, 4)
    assert np.array_equal(na.sigmoid_grad(x3), raw(na.sigmoid_grad.ufunc, x3), equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_thread_count_does_not_change_results(dtype, restore_threads):
    x = _big(dtype, 2 * N + 13)
    rows = np.nan_to_num(_big(dtype, 4 * N), posinf=3.0, neginf=-3.0).reshape(-1, 256)
    dy = _big(dtype, 4 * N, seed=3).reshape(rows.shape)
    dy[~np.isfinite(dy)] = 0
    results = {}
    for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
        numba.set_num_threads(threads)
        p = na.softmax(rows)
        results[threads] = (na.sigmoid(x), na.tanh_backward(x, x), p, na.softmax_backward(dy, p))
    one = results[1]
    for threads, res in results.items():
        for a, b in zip(one, res):
            assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), f"{threads} threads differ from 1"


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_softmax_many_rows_threaded(dtype, restore_threads):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((2 * N // 100 + 7, 100)) * 5).astype(dtype)
    x[3, 5] = np.nan
    numba.set_num_threads(1)
    expected = na.softmax(x)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    p = na.softmax(x)
    assert np.array_equal(p.view(np.uint8), expected.view(np.uint8))
    assert np.isnan(p[3]).all() and np.isfinite(p[[2, 4]]).all()
    np.testing.assert_allclose(
        p.astype(np.float64).sum(-1)[np.arange(len(p)) != 3], 1.0, rtol=0, atol=8 * np.finfo(dtype).eps
    )


def test_concurrent_calls_from_python_threads():
    """8 Python threads calling large (threaded) functions at once."""
    rng = np.random.default_rng(5)
    xs = [(rng.standard_normal(N + 1000 * k) * 6).astype(np.float32) for k in range(4)]
    mats = [
        (rng.standard_normal((N // 64 + 100 * k, 64)) * 4).astype(dtype)
        for k, dtype in enumerate([np.float32, np.float64] * 2)
    ]
    exp_sig = [raw(na.sigmoid.ufunc, x) for x in xs]
    exp_bwd = [raw(na.tanh_backward.ufunc, x, x) for x in xs]
    exp_soft = [na.softmax(m) for m in mats]

    def task(i):
        k = i % 4
        out = np.empty_like(xs[k])
        y = na.sigmoid(xs[k])
        b = na.tanh_backward(xs[k], xs[k], out=out)
        p = na.softmax(mats[k])
        return (
            np.array_equal(y, exp_sig[k])
            and np.array_equal(b, exp_bwd[k])
            and b is out
            and np.array_equal(p, exp_soft[k])
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(task, range(48)))
    assert all(results), f"{results.count(False)} of {len(results)} concurrent calls gave wrong results"


@pytest.mark.parametrize("n", [1, 15, 16, 17, 1000, N, 2 * N + 13])
@pytest.mark.parametrize("parts", [1, 2, 3, 8])
def test_split_covers_range(n, parts):
    chunks = _threads.split(n, parts)
    assert len(chunks) <= parts
    pos = 0
    for a, b in chunks:
        assert a == pos and a < b and a % 16 == 0
        pos = b
    assert pos == n


@pytest.mark.parametrize(
    "size",
    [
        pytest.param(1000, id="small"),
        pytest.param(2 * N + 13, id="threaded"),
    ],
)
def test_no_spurious_fp_warnings(size):
    """NaN, inf, subnormal and huge inputs raise no NumPy floating-point
    warnings (the compiled loops set FP flags that mean nothing)."""
    import warnings

    x = _big(np.float64, size)
    x[3::17] = 5e-324
    x[4::19] = -1.7e308
    with np.errstate(over="ignore"):
        x32 = x.astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for act in ACTIVATIONS:
            for kind in KINDS:
                for a in (x, x32):
                    call(act.name, kind, a, a)
        for a in (x, x32):
            p = na.softmax(a[: size - size % 10].reshape(-1, 10))
            na.softmax_backward(p, p)
            na.softmax_jacobian(a[:100].reshape(-1, 10))
    fp = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not fp, f"{len(fp)} warnings, e.g. {fp[:3]}"
