"""CPU target: compile registry kernels into NumPy ufuncs and gufuncs.

Nothing is compiled at import.  Each builder runs on the first call of its
function and is memoised; the compiled loops are real `numpy.ufunc` objects
with float32 and float64 loops (float16 is handled by the caller, which
computes in float32).
"""

import contextlib
import functools
import os
import re

import numba
from numba.core import cgutils, compiler_lock

from . import rows
from .registry import BY_NAME

_F32 = numba.float32
_F64 = numba.float64


def _kernel_source(name, head, body, env):
    """Compile a small generated function (fixed arity, as numba needs)."""
    ns = dict(env)
    exec(f"def {name}({head}):\n    {body}\n", ns)  # noqa: S102 - fixed templates
    return ns[name]


def arg_names(act, kind):
    """Argument names of a kernel: (dy,) x, then the parameters."""
    base = ["dy", "x"] if kind == "backward" else ["x"]
    return base + [p.name for p in act.params]


def _elementwise_loop(kind, act):
    """The Python function that `numba.vectorize` compiles for one ufunc."""
    if kind == "forward":
        return act.forward.py_func
    if kind == "grad":
        return act.grad.py_func
    if act.backward is not None:
        return act.backward.py_func
    args = arg_names(act, kind)
    return _kernel_source(
        f"{act.name}_backward", ", ".join(args), f"return dy * grad({', '.join(args[1:])})", {"grad": act.grad}
    )


def kernel_of(act, kind):
    """The jitted scalar kernel of one function (forward, grad or backward)."""
    if kind == "forward":
        return act.forward
    if kind == "grad":
        return act.grad
    if act.backward is not None:
        return act.backward
    return numba.njit(cache=False)(_elementwise_loop(kind, act))


# Two LLVM function attributes are added while our loops compile, under
# numba's global compiler lock (no other compilation can run meanwhile), by
# a text pass over the IR (numba's `cgutils.normalize_ir_text`, tested
# against numba 0.60-0.68):
#
# - "alwaysinline" on every function that is not marked noinline.  A
#   numba.vectorize ufunc calls its kernel once per element when the kernel
#   is too large for LLVM's inlining heuristics, and a loop with a call in it
#   does not vectorize.  Measured here (float32, in cache, ns/element, before
#   and after): silu_backward 8.3 -> 0.58, mish 9.0 -> 0.69, tanhshrink
#   12.2 -> 1.05, gelu_tanh 10.8 -> 2.3, softplus (flat driver) 12.7 -> 1.2;
#   small kernels (sigmoid) were inlined already and are unchanged.
# - "prefer-vector-width"="512": LLVM's x86 backend prefers 256-bit vectors
#   even on AVX-512 machines (the "prefer-256-bit" tuning of Skylake-SP and
#   later), and numba offers no per-function way to change it.  The sigmoid
#   loop runs in about 0.57 ns/element with 512-bit vectors and 0.9-1.4 ns
#   with 256-bit ones.  On machines without AVX-512 it changes nothing; set
#   NUMBA_ACT_VECTOR_WIDTH=256 to compile without it.
_DEFINE_RE = re.compile(r"^(define [^\n]*?)\s*\{$", re.MULTILINE)


def _attributes(define):
    width = os.environ.get("NUMBA_ACT_VECTOR_WIDTH", "512")
    attrs = "" if width == "256" else f' "prefer-vector-width"="{int(width)}"'
    if "noinline" not in define:  # (numba's runtime helpers are noinline)
        attrs += " alwaysinline"
    return attrs


@contextlib.contextmanager
def _llvm_attributes():
    """Compile inside this to get the attributes above on every function."""
    with compiler_lock.global_compiler_lock:
        original = cgutils.normalize_ir_text

        def normalize(text):
            return _DEFINE_RE.sub(lambda m: m.group(1) + _attributes(m.group(1)) + " {", original(text))

        cgutils.normalize_ir_text = normalize
        try:
            yield
        finally:
            cgutils.normalize_ir_text = original


def _sigs(nin):
    return [t(*([t] * nin)) for t in (_F32, _F64)]


@functools.cache
def elementwise_ufunc(name, kind):
    """The `numpy.ufunc` for activation `name`; kind: forward, grad, backward.
    Its inputs are (dy,) x and then the activation's parameters."""
    act = BY_NAME[name]
    loop = _elementwise_loop(kind, act)
    nin = len(arg_names(act, kind))
    with _llvm_attributes():
        return numba.vectorize(_sigs(nin), nopython=True, cache=True)(loop).ufunc


@functools.cache
def flat_driver(name, kind):
    """A jitted loop over 1-D contiguous arrays with scalar parameters:
    drive(x, out, *params) or drive(dy, x, out, *params).

    NumPy ufunc loops that numba builds are vectorized only when every
    operand is contiguous, and a scalar parameter has stride 0; here the
    parameters are loop invariants, so the loop vectorizes as the ufunc of a
    parameterless activation does."""
    act = BY_NAME[name]
    args = arg_names(act, kind)
    arrays = args[: len(args) - len(act.params)]
    params = args[len(arrays) :]
    call = ", ".join([f"{a}[i]" for a in arrays] + params)
    body = f"for i in range(out.shape[0]):\n        out[i] = kern({call})"
    drive = _kernel_source(
        f"{name}_{kind}_flat", ", ".join([*arrays, "out", *params]), body, {"kern": kernel_of(act, kind)}
    )
    return _CompileWide(numba.njit(nogil=True)(drive))


_ROW_KERNELS = {
    # name: (kernel, number of inputs, gufunc layout)
    "softmax": (rows.softmax_row, 1, "(n)->(n)"),
    "softmax_backward": (rows.softmax_backward_row, 2, "(n),(n)->(n)"),
    "softmax_jacobian": (rows.softmax_jacobian_row, 1, "(n)->(n,n)"),
    "log_softmax": (rows.log_softmax_row, 1, "(n)->(n)"),
    "log_softmax_backward": (rows.log_softmax_backward_row, 2, "(n),(n)->(n)"),
    # a reduction: one value per row (the kernel writes out[0])
    "logsumexp": (rows.logsumexp_row, 1, "(n)->()"),
}


@functools.cache
def row_driver(name):
    """A jitted loop applying the row kernel to each row of C-contiguous 2-D
    arrays (inputs..., out); releases the GIL so threads can share rows.
    Cheaper per row than the gufunc machinery, which serves the general
    layouts."""
    kern, nin, layout = _ROW_KERNELS[name]
    if layout.endswith("->()"):
        # a reduction: out is 1-D, one value per row; the kernel's variant
        # in rows.SCRATCH_KERNELS gets one scratch row for all rows

        scratch = rows.scratch_row
        kern_s = rows.SCRATCH_KERNELS[name]

        def drive(x, out):
            buf = scratch(x)
            for r in range(x.shape[0]):
                kern_s(x[r], out[r : r + 1], buf)

    elif nin == 1:

        def drive(x, out):
            for r in range(x.shape[0]):
                kern(x[r], out[r])

    else:

        def drive(a, b, out):
            for r in range(a.shape[0]):
                kern(a[r], b[r], out[r])

    drive.__name__ = drive.__qualname__ = f"{name}_rows"
    jitted = numba.njit(nogil=True)(drive)
    return _CompileWide(jitted)


class _CompileWide:
    """Call a dispatcher; compile each new argument signature inside
    _llvm_attributes() (the call itself runs outside numba's compiler lock)."""

    def __init__(self, dispatcher):
        self.dispatcher = dispatcher
        self._seen = set()

    def __call__(self, *args):
        key = tuple((a.dtype, getattr(a, "ndim", 0), a.flags.writeable) for a in args)
        if key not in self._seen:
            with _llvm_attributes():
                self.dispatcher.compile(tuple(numba.typeof(a) for a in args))
            self._seen.add(key)
        return self.dispatcher(*args)


@functools.cache
def row_gufunc(name):
    kern, nin, layout = _ROW_KERNELS[name]
    core = layout.split("->")[1]
    # a scalar core output "()" is a one-element 1-D array for guvectorize
    out_ndim = max(1, core.count("n"))
    sigs = [numba.void(*([t[:]] * nin), t[(slice(None),) * out_ndim]) for t in (_F32, _F64)]
    with _llvm_attributes():
        return numba.guvectorize(sigs, layout, nopython=True, cache=True)(kern.py_func).ufunc
