"""Shared fixtures and settings; the helpers themselves are in _helpers.py."""

import os
from pathlib import Path

import numba
import pytest
from hypothesis import HealthCheck, settings

# Property tests: few examples, no deadline (the first call of a function in
# a process compiles it), and no complaints about fixtures reused across
# examples.
settings.register_profile(
    "numba_act",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("numba_act")


@pytest.fixture
def restore_threads():
    """Restore numba's thread count after a test that changes it."""
    n = numba.get_num_threads()
    yield n
    numba.set_num_threads(n)


# ------------------------------------------------------------ tests/cuda
# The CUDA suite (tests/cuda) runs in its own process, under the CUDA
# simulator (NUMBA_ENABLE_CUDASIM=1, which numba reads when it is imported)
# or on a GPU.  The ordinary CPU run neither collects nor imports it (it
# would import numba.cuda): the directory is collected only when the
# simulator is on or when it is named on the command line
# (`python -m pytest tests/cuda` on a GPU machine).
_CUDA_TESTS = Path(__file__).resolve().parent / "cuda"


def _cuda_tests_requested(config):
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0").strip() not in ("", "0"):
        return True
    base = config.invocation_params.dir
    for arg in config.args:
        p = (base / str(arg).split("::")[0]).resolve()
        if p == _CUDA_TESTS or _CUDA_TESTS in p.parents:
            return True
    return False


def pytest_ignore_collect(collection_path, config):
    if Path(collection_path).resolve() == _CUDA_TESTS and not _cuda_tests_requested(config):
        return True
    return None
