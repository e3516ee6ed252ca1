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
def _kernels(compute):
    """(softmax, backward, jacobian) kernels computing in `compute` (float32/float64)."""
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

    def softmax(x, out, n, inner, nrows, use_smem):
        sm = cuda.shared.array(0, dtype=T)
        red = cuda.shared.array(MAX_THREADS, dtype=float64)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        for r in range(cuda.blockIdx.x, nrows, cuda.gridDim.x):
            base = (r // inner) * n * inner + r % inner
            m = T(-math.inf)
            for j in range(tid, n, nt):
                v = T(x[base + j * inner])
                if use_smem:
                    sm[j] = v
                if v > m or v != v:
                    m = v
            m = T(block_max(red, float64(m)))
            acc = 0.0
            for j in range(tid, n, nt):
                v = sm[j] if use_smem else T(x[base + j * inner])
                e = exp_shifted(v, m)
                if use_smem:
                    sm[j] = e
                acc += float64(e)
            inv = 1.0 / block_sum(red, acc)
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
            m = T(-math.inf)
            for j in range(tid, n, nt):
                v = T(x[base + j * inner])
                if v > m or v != v:
                    m = v
            m = T(block_max(red, float64(m)))
            acc = 0.0
            for j in range(tid, n, nt):
                e = exp_shifted(T(x[base + j * inner]), m)
                if use_smem:
                    sm[j] = e
                acc += float64(e)
            inv = 1.0 / block_sum(red, acc)
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


def _layout(shape, axis):
    n = shape[axis]
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    nrows = int(np.prod(shape, dtype=np.int64)) // n if n else 0
    return n, inner, nrows


def call(fname, arrays_in, axis, out, out_shape):
    """Run softmax / softmax_backward / softmax_jacobian on GPU arrays."""
    views, dtype, shape, stream = arrays.inputs(fname, arrays_in)
    result, rv = arrays.output(fname, out, arrays_in[0], out_shape, dtype, stream)
    n, inner, nrows = _layout(shape, axis)
    if nrows == 0 or n == 0:
        return result
    compute = np.float64 if dtype == np.float64 else np.float32
    softmax, backward, jacobian = _kernels(compute)
    k = {"softmax": softmax, "softmax_backward": backward, "softmax_jacobian": jacobian}[fname]
    itemsize = np.dtype(compute).itemsize
    use_smem = fname != "softmax_backward" and n * itemsize <= SMEM_BYTES
    smem = n * itemsize if use_smem else 0
    blocks = min(nrows, MAX_BLOCKS)
    flat = [v.reshape(v.size) for v in views]
    # The dynamic shared-memory size is always passed: the simulator keeps
    # the last one otherwise.
    k[blocks, threads_for(n), stream, smem](*flat, rv.reshape(rv.size), n, inner, nrows, use_smem)
    return result
