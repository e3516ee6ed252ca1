"""Benchmarks of numba_act: `python -m benchmarks` (speed), `python -m benchmarks.accuracy` (ulp sweep)."""
