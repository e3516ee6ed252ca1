"""Docstrings (with their examples) and import-time behaviour.

`--doctest-modules` collects the doctests of module-level functions, but
the elementwise functions are instances of `api.Elementwise`, whose
docstrings it does not find: they are run here.
"""

import doctest
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from _helpers import KINDS, public, public_name

import numba_act as na
from numba_act.registry import ACTIVATIONS

ALL_PUBLIC = sorted(na.__all__)


def _run_doctest(obj, name):
    parser = doctest.DocTestParser()
    test = parser.get_doctest(obj.__doc__, {"np": np, "na": na}, name, None, 0)
    assert test.examples, f"{name}: docstring has no examples"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    report = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
    return len(test.examples)


@pytest.mark.parametrize(
    "act,kind", [pytest.param(a, k, id=public_name(a.name, k)) for a in ACTIVATIONS for k in KINDS]
)
def test_elementwise_docstring_examples_run(act, kind):
    f = public(act.name, kind)
    _run_doctest(f, public_name(act.name, kind))


@pytest.mark.parametrize(
    "act,kind", [pytest.param(a, k, id=public_name(a.name, k)) for a in ACTIVATIONS for k in KINDS]
)
def test_elementwise_docstring_content(act, kind):
    doc = public(act.name, kind).__doc__
    assert doc and public_name(act.name, kind) in doc
    assert act.kink in doc, "kink convention missing"
    assert (act.formula if kind == "forward" else act.grad_formula) in doc
    if kind == "forward":
        assert act.example.strip() in doc, "registry example missing from the docstring"


@pytest.mark.parametrize("name", ALL_PUBLIC)
def test_every_public_function_has_a_doctest(name):
    f = getattr(na, name)
    assert f.__doc__ and ">>>" in f.__doc__, f"{name} has no doctest example"


def test_softmax_doctests_run():
    # also collected by --doctest-modules; run here so that the test files
    # alone check every docstring
    names = ("softmax", "softmax_backward", "softmax_jacobian", "log_softmax", "log_softmax_backward", "logsumexp")
    for name in names:
        _run_doctest(getattr(na, name), name)


def _run_python(code):
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_import_compiles_nothing():
    out = _run_python(
        """
        import sys
        import numba_act
        from numba_act import cpu, registry
        print(cpu.elementwise_ufunc.cache_info().currsize, cpu.row_gufunc.cache_info().currsize)
        compiled = [a.name for a in registry.ACTIVATIONS
                    for f in (a.forward, a.grad) if getattr(f, "signatures", [])]
        print(compiled)
        # (numba itself imports scipy when it is installed)
        print(sorted(m for m in ("mpmath", "hypothesis", "torch", "pytest") if m in sys.modules))
        """
    )
    sizes, compiled, test_deps = out.strip().splitlines()
    assert sizes == "0 0", f"ufuncs built at import: {sizes}"
    assert compiled == "[]", f"kernels compiled at import: {compiled}"
    assert test_deps == "[]", f"test/optional dependencies imported at import: {test_deps}"


def test_first_call_builds_only_what_it_needs():
    out = _run_python(
        """
        import numpy as np
        import numba_act as na
        from numba_act import cpu
        na.sigmoid(np.ones(3))
        print(cpu.elementwise_ufunc.cache_info().currsize, cpu.row_gufunc.cache_info().currsize)
        """
    )
    assert out.split() == ["1", "0"]


def test_readme_catalogue_table_is_generated_from_the_registry():
    """README.md holds tools/catalogue_table.py's output verbatim: every
    activation, formula, default and convention of the registry, no more."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("catalogue_table", root / "tools" / "catalogue_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    readme = (root / "README.md").read_text()
    assert mod.table() in readme, "README's catalogue table is stale: paste `python tools/catalogue_table.py`"
    for act in ACTIVATIONS:
        assert f"`{act.name}`" in readme
