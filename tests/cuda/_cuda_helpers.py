"""Helpers of the CUDA suite: device round trips and ulp comparisons."""

import numpy as np
import pytest
from _helpers import ULP_TARGET
from numba import cuda

# GPU and CPU are each within ULP_TARGET of the exact value (the simulator
# computes exp in double and rounds it, a real GPU uses libdevice): they
# agree to twice that.
VS_CPU_ULP = {k: 2 * v for k, v in ULP_TARGET.items()}

ALL_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}
_INT = {2: np.int16, 4: np.int32, 8: np.int64}


def all_dtype_params():
    return [pytest.param(d, id=d.name) for d in ALL_FLOATS]


def to_dev(a):
    return cuda.to_device(np.ascontiguousarray(a))


def same_bits(a, b):
    """Bitwise equality (NaN payloads and signed zeros included)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    u = _UINT[a.dtype.itemsize]
    return bool(np.array_equal(a.view(u), b.view(u)))


def on_device(f, *host_args, **kw):
    """f on device copies of host_args.

    Checks that the result is a device array of the same kind as the
    inputs and that the inputs were not modified (copied back and compared
    bitwise); returns the result copied to the host.
    """
    devs = [to_dev(a) for a in host_args]
    r = f(*devs, **kw)
    assert type(r) is type(devs[0]), f"{f.__name__}: device inputs gave a {type(r).__name__}"
    for i, (h, d) in enumerate(zip(host_args, devs)):
        assert same_bits(d.copy_to_host(), np.ascontiguousarray(h)), f"{f.__name__}: input {i} was modified"
    return r.copy_to_host()


def _ordered(a):
    """Integers in the order of the floats (+0 and -0 both map to 0), so
    that the difference of two keys is the distance in ulps."""
    a = np.ascontiguousarray(a)
    i = a.view(_INT[a.dtype.itemsize]).astype(np.int64)
    mag = i & np.int64((1 << (8 * a.dtype.itemsize - 1)) - 1)
    return np.where(i < 0, -mag, mag)


def ulp_distance(a, b):
    """Distance in ulps of a's dtype (subnormal spacings count as ulps);
    NaN and inf entries must be handled by the caller."""
    a = np.asarray(a)
    b = np.asarray(b).astype(a.dtype)
    return np.abs(_ordered(a) - _ordered(b))


def assert_close(got, want, max_ulp, label, where=None):
    """Same dtype and shape, same NaN positions, equal infinities, and
    within max_ulp ulps everywhere else.  `where` (optional) names the
    inputs, for the message."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{label}: dtype {got.dtype}, expected {want.dtype}"
    assert got.shape == want.shape, f"{label}: shape {got.shape}, expected {want.shape}"
    if got.size == 0:
        return
    where = np.broadcast_to(np.arange(got.size).reshape(got.shape) if where is None else where, got.shape)
    nan_bad = np.isnan(got) != np.isnan(want)
    assert not nan_bad.any(), (
        f"{label}: NaN mismatch at {where[nan_bad][:5]}: got {got[nan_bad][:5]}, expected {want[nan_bad][:5]}"
    )
    inf_bad = (np.isinf(got) | np.isinf(want)) & (got != want)
    assert not inf_bad.any(), (
        f"{label}: inf mismatch at {where[inf_bad][:5]}: got {got[inf_bad][:5]}, expected {want[inf_bad][:5]}"
    )
    fin = np.isfinite(want)
    d = ulp_distance(got[fin], want[fin])
    if d.size:
        i = int(np.argmax(d))
        assert d[i] <= max_ulp, (
            f"{label}: {int(d[i])} ulp (limit {max_ulp}) at {where[fin][i]!r}: got {got[fin][i]!r}, "
            f"expected {want[fin][i]!r}"
        )
