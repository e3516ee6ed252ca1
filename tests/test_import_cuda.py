"""The CUDA target costs nothing until GPU memory is passed, and the CPU run
of the test suite leaves the CUDA suite (tests/cuda) alone."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _env():
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    return env


def _run(args, timeout=120):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout
    )


def test_import_does_not_import_numba_cuda():
    code = """
import sys
import numpy as np
import numba_act as na
assert "numba.cuda" not in sys.modules, "import numba_act imported numba.cuda"
assert "numba_act.cuda" not in sys.modules
# CPU calls do not import it either
x = np.linspace(-3, 3, 12).reshape(3, 4)
from numba_act.registry import ACTIVATIONS
required = {a.name: {p.name: p.sample for p in a.params if p.default is None} for a in ACTIVATIONS}
for name in na.__all__:
    f = getattr(na, name)
    kw = required.get(name.removesuffix("_grad").removesuffix("_backward"), {})
    f(x, x, **kw) if name.endswith("backward") else f(x, **kw)
na.sigmoid(x.astype(np.float16)); na.softmax(x.astype(np.float32), axis=0)
bad = sorted(m for m in sys.modules if m == "numba.cuda" or m.startswith(("numba.cuda.", "numba_act.cuda", "numba_cuda")))
assert not bad, bad
print("ok")
"""
    r = _run(["-c", code])
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr


def test_cpu_run_does_not_collect_the_cuda_suite():
    r = _run(["-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"])
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    ids = r.stdout.splitlines()
    assert not [i for i in ids if i.startswith("tests/cuda")], "the CPU run collected tests/cuda"
    assert any(i.startswith("tests/test_import_cuda.py") for i in ids)  # the collection did run


@pytest.mark.parametrize(
    "target", ["tests/cuda", "tests/cuda/test_cuda_elementwise.py::test_named_special_values"], ids=["dir", "node"]
)
def test_cuda_suite_runs_or_skips_when_named(target):
    """Named on the command line without the simulator: it runs on a GPU
    machine, and is skipped with the reason elsewhere (never an error)."""
    args = ["-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", target]
    if target == "tests/cuda":
        args += ["-k", "test_named_special_values"]
    r = _run(args, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "3 passed" in r.stdout or ("3 skipped" in r.stdout and "NUMBA_ENABLE_CUDASIM=1" in r.stdout), r.stdout[
        -2000:
    ]
