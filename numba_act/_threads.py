"""Multi-threaded execution of compiled loops over contiguous chunks.

Numba's own parallel targets were measured against this and lost: a
`vectorize(target="parallel")` ufunc under the OpenMP layer cost about
7.5 ns per element, and the `workqueue` layer aborts the process on
concurrent calls.  The compiled NumPy loops release the GIL, so splitting a
contiguous array into one chunk per thread and running the single-thread
loop on each chunk from a small thread pool is both fast and safe to call
from many Python threads at once.

The thread count is `numba.get_num_threads()`, so `numba.set_num_threads()`
and `NUMBA_NUM_THREADS` control it.
"""

import concurrent.futures
import threading

import numba

_pool = None
_pool_lock = threading.Lock()


def num_threads():
    return numba.get_num_threads()


def _get_pool():
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=max(1, numba.config.NUMBA_NUM_THREADS - 1),
                    thread_name_prefix="numba_act",
                )
    return _pool


def split(n, parts, align=16):
    """Split range(n) into `parts` (start, stop) pairs, starts aligned."""
    if n <= 0:
        return [(0, 0)]
    step = -(-n // parts)
    step = -(-step // align) * align
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def run_chunks(fn, chunks):
    """Run fn(start, stop) for every chunk; the calling thread takes the first."""
    if len(chunks) == 1:
        fn(*chunks[0])
        return
    pool = _get_pool()
    futures = [pool.submit(fn, a, b) for a, b in chunks[1:]]
    try:
        fn(*chunks[0])
    finally:
        for f in futures:
            f.result()
