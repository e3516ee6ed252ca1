"""The CUDA test suite: under Numba's CUDA simulator, or on a GPU.

    NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/cuda    # simulator (CI)
    python -m pytest tests/cuda                           # a machine with a GPU

The simulator must be switched on before numba is imported, so it takes
its own process; the CPU run (`python -m pytest`) does not collect this
directory (see tests/conftest.py).  Without the simulator and without a
GPU every test here is skipped, with the reason.

The simulator runs every CUDA thread as a Python thread: shapes are kept
small (numba_act launches at most 2 blocks of 32 threads there, and each
row of the softmax kernels costs about 0.1 s of barriers).  There is no
`__init__.py` here on purpose: a package named `cuda` would shadow NVIDIA's
`cuda` namespace package (cuda-bindings), which numba-cuda imports.
"""

import os
import sys
from pathlib import Path

import numba
import pytest

_HERE = Path(__file__).resolve().parent
_ENV_SIM = os.environ.get("NUMBA_ENABLE_CUDASIM", "0").strip() not in ("", "0")

if _ENV_SIM and not numba.config.ENABLE_CUDASIM:
    raise pytest.UsageError(
        "NUMBA_ENABLE_CUDASIM is set but numba was imported before it was: "
        "set it in the environment of the pytest process"
    )

from numba import cuda  # noqa: E402 - after the check above

SIMULATED = bool(numba.config.ENABLE_CUDASIM)


def _skip_reason():
    if SIMULATED:
        return None
    try:
        if cuda.is_available():
            return None
    except Exception as e:  # pragma: no cover - broken driver installs
        return f"numba.cuda.is_available() failed ({type(e).__name__}: {e})"
    return (
        "no CUDA GPU (numba.cuda.is_available() is False) and the CUDA simulator is off: "
        "run NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/cuda"
    )


SKIP_REASON = _skip_reason()


def pytest_report_header(config):
    mode = "simulator (NUMBA_ENABLE_CUDASIM=1)" if SIMULATED else ("GPU" if SKIP_REASON is None else "unavailable")
    return f"numba_act CUDA tests: {mode}"


def pytest_collection_modifyitems(config, items):
    mine = [item for item in items if _HERE in Path(item.path).resolve().parents]
    if SKIP_REASON is not None:
        for item in mine:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))
    elif SIMULATED and config.pluginmanager.has_plugin("warnings"):
        # The simulator runs the kernels as Python on NumPy scalars, which
        # warn about overflow and invalid operations (inf - inf on the way to
        # a NaN result, ...) where a GPU silently gives the same values.
        for item in mine:
            item.add_marker(pytest.mark.filterwarnings("ignore:.* encountered in scalar:RuntimeWarning"))


@pytest.fixture(scope="session", autouse=True)
def _fast_barriers():
    """Under the simulator, a block is one Python thread per CUDA thread
    and a manager thread that polls them at every syncthreads(): with the
    default 5 ms GIL switch interval the softmax kernels (about 14
    barriers per row) spend most of their time waiting for a switch.  A
    0.1 ms interval makes them about 5 times faster; results are the same."""
    if not SIMULATED:
        yield
        return
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    yield
    sys.setswitchinterval(old)


@pytest.fixture
def launches(monkeypatch):
    """Record the launch configurations of numba_act's CUDA kernels.

    Yields a list that receives (function kind, launch config tuple) for
    every kernel launch: the kernels themselves are cached, so this wraps
    the cached kernel objects in recorders at call time.
    """
    from numba_act.cuda import elementwise, rowwise

    log = []

    class Recorder:
        def __init__(self, kind, kernel):
            self.kind = kind
            self.kernel = kernel

        def __getitem__(self, config):
            log.append((self.kind, tuple(config)))
            return self.kernel[config]

    real_elementwise = elementwise.kernel
    real_rows = rowwise._kernels
    monkeypatch.setattr(elementwise, "kernel", lambda *a: Recorder("elementwise", real_elementwise(*a)))
    monkeypatch.setattr(
        rowwise,
        "_kernels",
        lambda compute: tuple(Recorder(n, k) for n, k in zip(("softmax", "backward", "jacobian"), real_rows(compute))),
    )
    return log
