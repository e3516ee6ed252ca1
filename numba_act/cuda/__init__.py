"""The CUDA target: the same scalar kernels as the CPU, compiled for the GPU.

Nothing here is imported by `import numba_act`; the first call with GPU
memory imports it (and numba.cuda).  Modules:

- `device.py`: turns the CPU kernels of `scalar.py` and `rows.py` into CUDA
  device functions, with the math primitives bound to CUDA's own (libdevice
  exp/expm1, hardware fma and division).
- `elementwise.py`: one grid-stride kernel per elementwise function.
- `rowwise.py`: the softmax family, one block per row with shared-memory
  reductions.
- `arrays.py`: zero-copy views of Numba, CuPy and PyTorch device arrays,
  outputs of the same kind, and the producer's stream.
"""
