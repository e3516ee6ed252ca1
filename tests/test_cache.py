"""numba_act._cache: in-tree Numba caches go when any source changes."""

import os

from numba_act import _cache


def _layout(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "__pycache__").mkdir(parents=True)
    (pkg / "sub" / "__pycache__").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    return pkg


def _caches(pkg):
    for d in (pkg / "__pycache__", pkg / "sub" / "__pycache__"):
        (d / "a.f-1.py311.nbi").write_bytes(b"i")
        (d / "a.f-1.py311.0.nbc").write_bytes(b"c")
    (pkg / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"p")


def _count(pkg):
    return sum(f.endswith((".nbi", ".nbc")) for _r, _d, fs in os.walk(pkg) for f in fs)


def test_purges_when_any_source_changes(tmp_path):
    pkg = _layout(tmp_path)
    _caches(pkg)
    assert _cache.purge_stale(str(pkg)) == 4  # no stamp yet: unknown age
    assert _count(pkg) == 0 and (pkg / "__pycache__" / "a.cpython-311.pyc").exists()
    _caches(pkg)
    assert _cache.purge_stale(str(pkg)) == 0  # sources unchanged: caches stay
    assert _count(pkg) == 4
    st = os.stat(pkg / "sub" / "b.py")
    os.utime(pkg / "sub" / "b.py", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # edit a dependency
    assert _cache.purge_stale(str(pkg)) == 4
    assert _count(pkg) == 0
    _caches(pkg)
    (pkg / "c.py").write_text("z = 3\n")  # a new module
    assert _cache.purge_stale(str(pkg)) == 4


def test_stamp_sees_size_and_mtime(tmp_path):
    pkg = _layout(tmp_path)
    s0 = _cache.source_stamp(str(pkg))
    assert _cache.source_stamp(str(pkg)) == s0
    st = os.stat(pkg / "a.py")
    (pkg / "a.py").write_text("x = 10\n")
    os.utime(pkg / "a.py", ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime, other size
    assert _cache.source_stamp(str(pkg)) != s0


def test_missing_directory_is_left_alone(tmp_path):
    assert _cache.purge_stale(str(tmp_path / "missing")) == 0
    assert not (tmp_path / "missing").exists()


def test_package_stamp_is_current():
    """Importing numba_act wrote the stamp of its sources as they are."""
    path = os.path.join(_cache._PKG, "__pycache__", _cache._STAMP_NAME)
    if os.access(_cache._PKG, os.W_OK):
        with open(path) as f:
            assert f.read().strip() == _cache.source_stamp()
