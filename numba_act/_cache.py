"""Keep Numba's on-disk cache in step with all of numba_act's sources.

Numba keys a cached function on its own source file (mtime and size). A
ufunc compiled from `scalar.py` holds the machine code of the `_math` and
`_special` functions it inlined, so after an edit to `_special.py` alone it
kept giving the old results (seen: gelu after a fix to the normal tail).
At import, numba_act compares a stamp of every source file of the package
with the one stored beside its in-tree caches and, when they differ,
deletes those cache files; numba recompiles on first use.

An installed (not editable) copy is rewritten file by file on upgrade, so
every source's own stamp changes and numba's check suffices there; where
the package directory is read-only numba caches elsewhere, and nothing here
runs (errors are ignored).
"""

import os
import zlib

_PKG = os.path.dirname(os.path.abspath(__file__))
_STAMP_NAME = "numba_act-sources.stamp"
_CACHE_SUFFIXES = (".nbi", ".nbc")


def source_stamp(pkg=_PKG):
    """A checksum of the names, mtimes and sizes of pkg's .py files."""
    parts = []
    for root, dirs, files in os.walk(pkg):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(root, f)
                st = os.stat(path)
                parts.append(f"{os.path.relpath(path, pkg)}:{st.st_mtime_ns}:{st.st_size}")
    return f"{zlib.crc32(chr(10).join(parts).encode()):08x}"


def purge_stale(pkg=_PKG):
    """Delete the numba cache files under pkg's __pycache__ directories if
    pkg's sources changed since the stamp was last written; return how many
    were deleted (0 when the stamp matches or the directory is read-only)."""
    if not os.path.isdir(pkg):
        return 0
    try:
        stamp = source_stamp(pkg)
        top = os.path.join(pkg, "__pycache__")
        path = os.path.join(top, _STAMP_NAME)
        try:
            with open(path) as f:
                if f.read().strip() == stamp:
                    return 0
        except FileNotFoundError:
            pass
        n = 0
        for root, _dirs, files in os.walk(pkg):
            if os.path.basename(root) != "__pycache__":
                continue
            for f in files:
                if f.endswith(_CACHE_SUFFIXES):
                    try:
                        os.remove(os.path.join(root, f))
                        n += 1
                    except FileNotFoundError:  # another process purged it
                        pass
        os.makedirs(top, exist_ok=True)
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(stamp + "\n")
        os.replace(tmp, path)
        return n
    except OSError:
        return 0
