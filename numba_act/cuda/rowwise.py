"""The softmax family on the GPU: one block per row, shared-memory reductions.

Layout: the input is C-contiguous and viewed flat; the reduced axis has
length n and stride `inner` (the product of the axes after it), so row r
starts at (r // inner) * n * inner + r % inner.  axis=-1 is inner = 1 and
reads are coalesced; other axes use the same kernels with strided reads.

Softmax, per row (blocks stride over rows, so the grid may be capped):
1. each thread reads its elements once from global memory, keeps them in
   dynamic shared memory when the row fits (44 KiB, with the 4 KiB static
   reduction array: 11264 float32 or 5632 float64 elements), and
   forms a partial maximum; a tree reduction in shared memory gives the
   row maximum (NaN wins, as on the CPU);
2. exp(x - max), with the rounding error of x - max folded in (the CPU's
   `_exp_shifted`, compiled for the GPU), summed per thread in float64 and
   reduced in shared memory;
3. each element is written once: e * (1 / sum).
Rows that do not fit in shared memory re-read global memory in passes 2
and 3 (three reads, one write).  float16 computes in float32.  Threads per
block grow with the row: 32 up to 512, about 4 elements per thread.

The passes are block-level device helpers shared by the kernels
(`_device_helpers`): row_max (pass 1), row_exp_sum (pass 2, softmax and
the Jacobian) and row_exp_others (pass 2 of log_softmax and logsumexp:
S - 1 as the sum of the terms below the maximum plus the count of maximal
entries less one, reduced separately, so log S = log1p(S - 1) keeps its
accuracy when one entry dominates, as on the CPU).  log_softmax then
writes (x - m) - log S per element (x - m carried exactly, in float64);
logsumexp writes m + log S once per row (thread 0), into out[row], the
rows being in the C order of the other axes.  log_softmax_backward is
dy - exp(y) * sum(dy), the sum reduced in float64.
"""

import functools
import math

import numpy as np
from numba import cuda, float32, float64

from .. import rows
from . import arrays
from .device import SIMULATED, device_function

# 512 threads per block at most: the float64 softmax and the Jacobian use
# 72-94 registers per thread (ptxas, sm_90), and 1024-thread blocks of such
# kernels do not launch (65536 registers per block).  The static float64
# reduction array takes 4 KiB of the 48 KiB a block gets by default; the
# rest is for the row.
MAX_THREADS = 512
SMEM_BYTES = 48 * 1024 - 8 * MAX_THREADS
MAX_BLOCKS = 2 if SIMULATED else 65535


def threads_for(n):
    if SIMULATED:
        return 32
    t = 32
    while t < MAX_THREADS and t * 4 < n:
        t *= 2
    return t


@functools.cache
def _device_helpers(compute):
    """Block-level device functions shared by the row kernels, computing in
    `compute` (float32/float64).  Each is called by every thread of the
    block with the same row (base, n, inner) and returns the block-wide
    result to all of them."""
    T = float32 if compute == np.float32 else float64
    exp_shifted = device_function(rows._exp_shifted)

    @cuda.jit(device=True)
    def block_max(red, v):
        tid = cuda.threadIdx.x
        red[tid] = v
        cuda.syncthreads()
        s = cuda.blockDim.x // 2
        while s > 0:
            if tid < s:
                a = red[tid]
                b = red[tid + s]
                red[tid] = a if (a > b or a != a) else b
            cuda.syncthreads()
            s //= 2
        r = red[0]
        cuda.syncthreads()
        return r

    @cuda.jit(device=True)
    def block_sum(red, v):
        tid = cuda.threadIdx.x
        red[tid] = v
        cuda.syncthreads()
        s = cuda.blockDim.x // 2
        while s > 0:
            if tid < s:
                red[tid] = red[tid] + red[tid + s]
            cuda.syncthreads()
            s //= 2
        r = red[0]
        cuda.syncthreads()
        return r

    @cuda.jit(device=True)
    def row_max(x, sm, red, base, n, inner, use_smem):
        """The row maximum (NaN wins); keeps the row in sm when use_smem."""
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        m = T(-math.inf)
        for j in range(tid, n, nt):
            v = T(x[base + j * inner])
            if use_smem:
                sm[j] = v
            if v > m or v != v:
                m = v
        return T(block_max(red, float64(m)))

    @cuda.jit(device=True)
    def row_exp_sum(x, sm, red, base, n, inner, m, use_smem):
        """S = sum_j exp(x_j - m) (float64); sm holds the exponentials after
        it when use_smem (row_max stored the row there)."""
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        acc = 0.0
        for j in range(tid, n, nt):
            v = sm[j] if use_smem else T(x[base + j * inner])
            e = exp_shifted(v, m)
            if use_smem:
                sm[j] = e
            acc += float64(e)
        return block_sum(red, acc)

    @cuda.jit(device=True)
    def row_exp_others(x, sm, red, base, n, inner, m, use_smem):
        """S - 1 (float64) without cancellation, as rows._sum_exp_others: the
        terms of the entries below m, plus (number of entries equal to m) - 1.
        sm (the row, from row_max) is left as it is."""
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        acc = 0.0
        cnt = 0.0
        for j in range(tid, n, nt):
            v = sm[j] if use_smem else T(x[base + j * inner])
            if v == m:
                cnt += 1.0
            else:
                acc += float64(exp_shifted(v, m))
        top = block_sum(red, cnt)
        return block_sum(red, acc) + (top - 1.0)

    return block_sum, row_max, row_exp_sum, row_exp_others


@functools.cache
def _kernels(compute):
    """(softmax, backward, jacobian) kernels computing in `compute` (float32/float64)."""
    T = float32 if compute == np.float32 else float64
    exp_shifted = device_function(rows._exp_shifted)
    block_sum, row_max, row_exp_sum, _ = _device_helpers(compute)

    def softmax(x, out, n, inner, nrows, use_smem):
        sm = cuda.shared.array(0, dtype=T)
        red = cuda.shared.array(MAX_THREADS, dtype=float64)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        for r in range(cuda.blockIdx.x, nrows, cuda.gridDim.x):
            base = (r // inner) * n * inner + r % inner
            m = row_max(x, sm, red, base, n, inner, use_smem)
            inv = 1.0 / row_exp_sum(x, sm, red, base, n, inner, m, use_smem)
            for j in range(tid, n, nt):
                e = sm[j] if use_smem else exp_shifted(T(x[base + j * inner]), m)
                out[base + j * inner] = float64(e) * inv
            cuda.syncthreads()  # shared memory is reused by the next row

    def backward(dy, p, out, n, inner, nrows, use_smem):
        red = cuda.shared.array(MAX_THREADS, dtype=float64)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        for r in range(cuda.blockIdx.x, nrows, cuda.gridDim.x):
            base = (r // inner) * n * inner + r % inner
            acc = 0.0
            for j in range(tid, n, nt):
                k = base + j * inner
                acc += float64(dy[k]) * float64(p[k])
            s = block_sum(red, acc)
            for j in range(tid, n, nt):
                k = base + j * inner
                out[k] = float64(p[k]) * (float64(dy[k]) - s)

    def jacobian(x, out, n, inner, nrows, use_smem):
        # out is (rows, n, n) flat.  Exponentials are kept in shared memory
        # when they fit, else recomputed.  The diagonal s_i (1 - s_i) uses the
        # sum of the other exponentials, so it does not cancel near s_i = 1.
        sm = cuda.shared.array(0, dtype=T)
        red = cuda.shared.array(MAX_THREADS, dtype=float64)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        for r in range(cuda.blockIdx.x, nrows, cuda.gridDim.x):
            base = (r // inner) * n * inner + r % inner
            m = row_max(x, sm, red, base, n, inner, use_smem)
            inv = 1.0 / row_exp_sum(x, sm, red, base, n, inner, m, use_smem)
            ob = r * n * n
            for q in range(tid, n * n, nt):
                i = q // n
                j = q % n
                ei = float64(sm[i] if use_smem else exp_shifted(T(x[base + i * inner]), m))
                if i == j:
                    others = 0.0
                    for k in range(n):
                        if k != i:
                            others += float64(sm[k] if use_smem else exp_shifted(T(x[base + k * inner]), m))
                    out[ob + q] = ei * inv * (others * inv)
                else:
                    ej = float64(sm[j] if use_smem else exp_shifted(T(x[base + j * inner]), m))
                    out[ob + q] = -(ei * inv) * (ej * inv)
            cuda.syncthreads()

    return cuda.jit(softmax), cuda.jit(backward), cuda.jit(jacobian)


@functools.cache
def _log_kernels(compute):
    """(log_softmax, log_softmax_backward, logsumexp) kernels computing in
    `compute`; the same launch layout as `_kernels` (logsumexp writes
    out[r] for row r: the rows are in the C order of the other axes)."""
    T = float32 if compute == np.float32 else float64
    log_shifted = device_function(rows._log_shifted)
    exp = device_function(rows.exp_of)
    block_sum, row_max, _, row_exp_others = _device_helpers(compute)

    def log_softmax(x, out, n, inner, nrows, use_smem):
        sm = cuda.shared.array(0, dtype=T)
        red = cuda.shared.array(MAX_THREADS, dtype=float64)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        for r in range(cuda.blockIdx.x, nrows, cuda.gridDim.x):
            base = (r // inner) * n * inner + r % inner
            m = row_max(x, sm, red, base, n, inner, use_smem)
            # NaN, +inf or all -inf: the row is NaN (as on the CPU)
            finite = abs(m) < math.inf
            log_s = math.log1p(row_exp_others(x, sm, red, base, n, inner, m, use_smem)) if finite else 0.0
            m64 = float64(m)
            for j in range(tid, n, nt):
                k = base + j * inner
                if finite:
                    v = sm[j] if use_smem else T(x[k])
                    out[k] = log_shifted(float64(v), m64, log_s)
                else:
                    out[k] = math.nan
            cuda.syncthreads()

    def backward(dy, y, out, n, inner, nrows, use_smem):
        red = cuda.shared.array(MAX_THREADS, dtype=float64)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        for r in range(cuda.blockIdx.x, nrows, cuda.gridDim.x):
            base = (r // inner) * n * inner + r % inner
            acc = 0.0
            for j in range(tid, n, nt):
                acc += float64(dy[base + j * inner])
            s = block_sum(red, acc)
            for j in range(tid, n, nt):
                k = base + j * inner
                out[k] = float64(dy[k]) - float64(exp(T(y[k]))) * s

    def logsumexp(x, out, n, inner, nrows, use_smem):
        sm = cuda.shared.array(0, dtype=T)
        red = cuda.shared.array(MAX_THREADS, dtype=float64)
        for r in range(cuda.blockIdx.x, nrows, cuda.gridDim.x):
            base = (r // inner) * n * inner + r % inner
            m = row_max(x, sm, red, base, n, inner, use_smem)
            # +inf (no NaN: a NaN maximum wins here) -> +inf; all -inf or an
            # empty row -> -inf; NaN -> NaN through the sum.
            if abs(m) < math.inf or m != m:
                t = row_exp_others(x, sm, red, base, n, inner, m, use_smem)
                v = float64(m) + math.log1p(t)
            else:
                v = float64(m)
            if cuda.threadIdx.x == 0:
                out[r] = v
            cuda.syncthreads()

    return cuda.jit(log_softmax), cuda.jit(backward), cuda.jit(logsumexp)


def _layout(shape, axis):
    n = shape[axis]
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    nrows = int(np.prod(shape, dtype=np.int64)) // n if n else 0
    return n, inner, nrows


# function: (kernel family, index); the family is looked up by name at each
# call (tests wrap the cached families to record launches).
_KERNEL_OF = {
    "softmax": ("_kernels", 0),
    "softmax_backward": ("_kernels", 1),
    "softmax_jacobian": ("_kernels", 2),
    "log_softmax": ("_log_kernels", 0),
    "log_softmax_backward": ("_log_kernels", 1),
    "logsumexp": ("_log_kernels", 2),
}
# Kernels that keep the row (or its exponentials) in dynamic shared memory.
_SMEM = ("softmax", "softmax_jacobian", "log_softmax", "logsumexp")


def call(fname, arrays_in, axis, out, out_shape):
    """Run a row function (softmax, softmax_backward, softmax_jacobian,
    log_softmax, log_softmax_backward, logsumexp) on GPU arrays.  axis=None
    (logsumexp): one row of all elements."""
    views, dtype, shape, stream = arrays.inputs(fname, arrays_in)
    result, rv = arrays.output(fname, out, arrays_in[0], out_shape, dtype, stream)
    if axis is None:
        shape, axis = (int(np.prod(shape, dtype=np.int64)),), 0
    n, inner, nrows = _layout(shape, axis)
    if fname == "logsumexp":
        # one value per row, even for empty rows (-inf)
        nrows = int(np.prod(shape[:axis] + shape[axis + 1 :], dtype=np.int64))
        if nrows == 0:
            return result
    elif nrows == 0 or n == 0:
        return result
    compute = np.float64 if dtype == np.float64 else np.float32
    family, index = _KERNEL_OF[fname]
    k = globals()[family](compute)[index]
    itemsize = np.dtype(compute).itemsize
    use_smem = fname in _SMEM and n * itemsize <= SMEM_BYTES
    smem = n * itemsize if use_smem else 0
    blocks = min(nrows, MAX_BLOCKS)
    flat = [v.reshape(v.size) for v in views]
    # The dynamic shared-memory size is always passed: the simulator keeps
    # the last one otherwise.
    k[blocks, threads_for(n), stream, smem](*flat, rv.reshape(rv.size), n, inner, nrows, use_smem)
    return result
