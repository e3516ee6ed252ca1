"""Shared fixtures and settings; the helpers themselves are in _helpers.py."""

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
