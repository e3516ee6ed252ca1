"""Speed benchmark: numba_act next to NumPy, SciPy, numexpr, PyTorch and a memory copy.

    python -m benchmarks --quick                  # small sizes, a minute at most
    python -m benchmarks                          # 1e5, 1e6, 1e7 and the softmax shapes
    python -m benchmarks --sizes 1e7 --dtypes float32 --only 'sigmoid*,softmax'
    python -m benchmarks --json out.json --plot out.png
    python -m benchmarks --threshold              # where splitting over threads pays

Every function of the registry (forward, _grad, _backward) and the softmax
family is timed in one process next to the alternatives a user would reach
for, and next to a plain copy of the same array (the memory floor; with 2+
threads and arrays from PARALLEL_MIN_SIZE up, the copy is split over the
threads exactly as numba_act splits its own work).  Candidates are
interleaved within each round (A, B, C, A, B, C, ...; the order rotates
each round) after a warm-up; the tables show medians, the JSON keeps min and
median.  The thread count is set alike for numba, numexpr and torch (NumPy
and SciPy are single-threaded).  "max err" compares numba_act's result on
the benchmark input with the float64 reference `numba_act.testing.ref64`.
"""

import argparse
import fnmatch
import functools
import gc
import importlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

# Interleaving puts libraries side by side in one process: an OpenMP runtime that busy-waits after
# each parallel region (torch's libgomp by default) steals the cores the next candidate runs on, and
# here it also stalled torch itself for ~8 ms per call at random.  Passive waiting removes that
# cross-talk; set OMP_WAIT_POLICY yourself to override (it must be set before torch is imported).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba
import numpy as np

import numba_act as na
from numba_act import _threads, dispatch
from numba_act.registry import ACTIVATIONS, BY_NAME
from numba_act.testing import ref64


def _optional(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


special = _optional("scipy.special")
ne = _optional("numexpr")
torch = _optional("torch")

PEER_COLUMNS = ("numpy", "scipy", "numexpr", "torch")
KINDS = ("forward", "grad", "backward")
SIZES, QUICK_SIZES = "1e5,1e6,1e7", "1e5,1e6"
SHAPES, QUICK_SHAPES = "65536x128,8192x1024,1024x32768", "8192x128,1024x1024"


# --------------------------------------------------------------------------- inputs and candidates


class Case:
    """Inputs and a shared output array of one (dtype, shape); torch views made on demand."""

    def __init__(self, shape, dtype, seed=0):
        rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        self.x = (rng.standard_normal(shape) * 4).astype(dtype)
        self.dy = rng.standard_normal(shape).astype(dtype)
        self.o = np.zeros(shape, dtype)  # zeros: pages are touched once, before timing
        self._saved, self._tensors = {}, {}

    def y(self, act):
        """The forward output that a training loop keeps for the backward pass."""
        if act not in self._saved:
            ps = params_of(act, self.dtype)
            self._saved[act] = ref64(act)(self.x.astype(np.float64), *ps).astype(self.dtype)
        return self._saved[act]

    @property
    def p(self):
        if "softmax" not in self._saved:
            self._saved["softmax"] = _softmax64(self.x).astype(self.dtype)
        return self._saved["softmax"]

    @property
    def ls(self):
        """log_softmax(x), the saved output log_softmax's backward starts from."""
        if "log_softmax" not in self._saved:
            self._saved["log_softmax"] = _log_softmax64(self.x).astype(self.dtype)
        return self._saved["log_softmax"]

    @property
    def o1(self):
        """An output with one value per row (logsumexp)."""
        if "o1" not in self._saved:
            self._saved["o1"] = np.zeros(self.x.shape[:-1], self.dtype)
        return self._saved["o1"]

    def t(self, a):
        """A torch tensor sharing a's memory (made once per array)."""
        if id(a) not in self._tensors:
            self._tensors[id(a)] = torch.from_numpy(a)
        return self._tensors[id(a)]

    def one(self):
        """A 0-d tensor 1, broadcast as dy to turn torch's fused backward ops into derivatives."""
        if "one" not in self._tensors:
            self._tensors["one"] = torch.ones((), dtype=self.t(self.x).dtype)
        return self._tensors["one"]


def params_of(act, dtype):
    """The activation's benchmark parameters (its defaults, or the registry's
    samples where PyTorch has none), as Python floats rounded to `dtype`, the
    values numba_act computes with."""
    return tuple(float(np.dtype(dtype).type(p)) for p in BY_NAME[act].test_params())


def _softmax64(x, wide=np.float64):
    x = x.astype(wide)
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _log_sum64(x, wide=np.float64):
    """(x - max, log S) in `wide`; log S = log1p of the terms other than one maximal entry's."""
    x = x.astype(wide)
    d = x - x.max(-1, keepdims=True)
    e = np.exp(d)
    np.put_along_axis(e, np.argmax(x, -1)[..., None], 0, -1)
    return d, np.log1p(e.sum(-1, keepdims=True))


def _log_softmax64(x, wide=np.float64):
    d, log_s = _log_sum64(x, wide)
    return d - log_s


# Wider than float64 where the platform has it (x86 long double): the float64 softmax reference.
_WIDE = np.longdouble if np.finfo(np.longdouble).eps < np.finfo(np.float64).eps else np.float64


@functools.cache
def _aten_out(op):
    """The out= overload of an aten op ('grad_input' or 'out'; both take the grad_input= keyword)."""
    packet = getattr(torch.ops.aten, op)
    return getattr(packet, "grad_input", None) or packet.out


def _aten(op, *args, out):
    return _aten_out(op)(*args, grad_input=out)


# {(activation, kind): {column: (expression shown in the legend, make(case) -> zero-argument callable)}}.
# Backward peers start from the saved forward output y, as autograd does; numba_act's backward takes x.
PEERS = {
    ("sigmoid", "forward"): {
        "numpy": ("1/(1+np.exp(-x))", lambda c: lambda: np.divide(1, 1 + np.exp(-c.x), out=c.o)),
        "scipy": ("expit(x, out=o)", lambda c: lambda: special.expit(c.x, out=c.o)),
        "numexpr": ("1/(1+exp(-x))", lambda c: lambda: ne.evaluate("1/(1+exp(-x))", {"x": c.x}, out=c.o)),
        "torch": ("torch.sigmoid(t, out=o)", lambda c: lambda: torch.sigmoid(c.t(c.x), out=c.t(c.o))),
    },
    ("sigmoid", "grad"): {
        "numpy": ("s=1/(1+np.exp(-x)); s*(1-s)", lambda c: lambda: _np_sig_grad(1 / (1 + np.exp(-c.x)), c.o)),
        "scipy": ("s=expit(x); s*(1-s)", lambda c: lambda: _np_sig_grad(special.expit(c.x), c.o)),
        "numexpr": (
            "o=1/(1+exp(-x)); o*(1-o)",
            lambda c: (
                lambda: (ne.evaluate("1/(1+exp(-x))", {"x": c.x}, out=c.o), ne.evaluate("o*(1-o)", {"o": c.o}, out=c.o))
            ),
        ),
        "torch": (
            "sigmoid(t, out=o); aten.sigmoid_backward(1, o)",
            lambda c: (
                lambda: (
                    torch.sigmoid(c.t(c.x), out=c.t(c.o)),
                    _aten("sigmoid_backward", c.one(), c.t(c.o), out=c.t(c.o)),
                )
            ),
        ),
    },
    ("sigmoid", "backward"): {
        "numpy": ("dy*(y*(1-y))", lambda c: lambda: np.multiply(c.dy, c.y("sigmoid") * (1 - c.y("sigmoid")), out=c.o)),
        "numexpr": (
            "dy*y*(1-y)",
            lambda c: lambda: ne.evaluate("dy*y*(1-y)", {"dy": c.dy, "y": c.y("sigmoid")}, out=c.o),
        ),
        "torch": (
            "aten.sigmoid_backward(dy, y)",
            lambda c: lambda: _aten("sigmoid_backward", c.t(c.dy), c.t(c.y("sigmoid")), out=c.t(c.o)),
        ),
    },
    ("tanh", "forward"): {
        "numpy": ("np.tanh(x, out=o)", lambda c: lambda: np.tanh(c.x, out=c.o)),
        "numexpr": ("tanh(x)", lambda c: lambda: ne.evaluate("tanh(x)", {"x": c.x}, out=c.o)),
        "torch": ("torch.tanh(t, out=o)", lambda c: lambda: torch.tanh(c.t(c.x), out=c.t(c.o))),
    },
    ("tanh", "grad"): {
        "numpy": ("1-np.tanh(x)**2", lambda c: lambda: np.subtract(1, np.tanh(c.x) ** 2, out=c.o)),
        "numexpr": ("1-tanh(x)**2", lambda c: lambda: ne.evaluate("1-tanh(x)**2", {"x": c.x}, out=c.o)),
        "torch": (
            "tanh(t, out=o); aten.tanh_backward(1, o)",
            lambda c: (
                lambda: (torch.tanh(c.t(c.x), out=c.t(c.o)), _aten("tanh_backward", c.one(), c.t(c.o), out=c.t(c.o)))
            ),
        ),
    },
    ("tanh", "backward"): {
        "numpy": ("dy*(1-y**2)", lambda c: lambda: np.multiply(c.dy, 1 - c.y("tanh") ** 2, out=c.o)),
        "numexpr": (
            "dy*(1-y**2)",
            lambda c: lambda: ne.evaluate("dy*(1-y**2)", {"dy": c.dy, "y": c.y("tanh")}, out=c.o),
        ),
        "torch": (
            "aten.tanh_backward(dy, y)",
            lambda c: lambda: _aten("tanh_backward", c.t(c.dy), c.t(c.y("tanh")), out=c.t(c.o)),
        ),
    },
    ("relu", "forward"): {
        "numpy": ("np.maximum(x, 0, out=o)", lambda c: lambda: np.maximum(c.x, 0, out=c.o)),
        "numexpr": ("where(x>0, x, 0)", lambda c: lambda: ne.evaluate("where(x>0, x, 0)", {"x": c.x}, out=c.o)),
        "torch": ("relu as torch.clamp_min(t, 0, out=o)", lambda c: lambda: torch.clamp_min(c.t(c.x), 0, out=c.t(c.o))),
    },
    ("relu", "grad"): {
        "numpy": ("(x>0).astype(x.dtype)", lambda c: lambda: (c.x > 0).astype(c.x.dtype)),
        "numexpr": ("where(x>0, 1, 0)", lambda c: lambda: ne.evaluate("where(x>0, 1, 0)", {"x": c.x}, out=c.o)),
        "torch": (
            "aten.threshold_backward(1, t, 0)",
            lambda c: lambda: _aten("threshold_backward", c.one(), c.t(c.x), 0, out=c.t(c.o)),
        ),
    },
    ("relu", "backward"): {
        "numpy": ("dy*(x>0)", lambda c: lambda: np.multiply(c.dy, c.x > 0, out=c.o)),
        "numexpr": (
            "where(x>0, dy, 0)",
            lambda c: lambda: ne.evaluate("where(x>0, dy, 0)", {"x": c.x, "dy": c.dy}, out=c.o),
        ),
        "torch": (
            "aten.threshold_backward(dy, t, 0)",
            lambda c: lambda: _aten("threshold_backward", c.t(c.dy), c.t(c.x), 0, out=c.t(c.o)),
        ),
    },
    ("softmax", "softmax"): {
        "numpy": (
            "e=np.exp(x-x.max(-1,keepdims=True)); e/e.sum(-1,keepdims=True)",
            lambda c: lambda: _np_softmax(c.x, c.o),
        ),
        "scipy": ("scipy.special.softmax(x, axis=-1)", lambda c: lambda: special.softmax(c.x, axis=-1)),
        "torch": ("torch.softmax(t, -1, out=o)", lambda c: lambda: torch.softmax(c.t(c.x), -1, out=c.t(c.o))),
    },
    ("softmax_backward", "softmax_backward"): {
        "numpy": (
            "p*(dy-(dy*p).sum(-1,keepdims=True))",
            lambda c: lambda: np.multiply(c.p, c.dy - (c.dy * c.p).sum(-1, keepdims=True), out=c.o),
        ),
        "torch": (
            "aten._softmax_backward_data(dy, p, -1, dtype)",
            lambda c: lambda: _aten("_softmax_backward_data", c.t(c.dy), c.t(c.p), -1, c.t(c.p).dtype, out=c.t(c.o)),
        ),
    },
}
PEERS.update(
    {
        ("log_softmax", "log_softmax"): {
            "numpy": (
                "d=x-x.max(-1,keepdims=True); d-np.log(np.exp(d).sum(-1,keepdims=True))",
                lambda c: lambda: _np_log_softmax(c.x, c.o),
            ),
            "scipy": ("scipy.special.log_softmax(x, axis=-1)", lambda c: lambda: special.log_softmax(c.x, axis=-1)),
            "torch": (
                "torch.log_softmax(t, -1, out=o)",
                lambda c: lambda: torch.log_softmax(c.t(c.x), -1, out=c.t(c.o)),
            ),
        },
        ("log_softmax_backward", "log_softmax_backward"): {
            "numpy": (
                "dy-np.exp(y)*dy.sum(-1,keepdims=True)",
                lambda c: lambda: np.subtract(c.dy, np.exp(c.ls) * c.dy.sum(-1, keepdims=True), out=c.o),
            ),
            "torch": (
                "aten._log_softmax_backward_data.out(dy, y, -1, dtype, out=o)",
                lambda c: (
                    lambda: torch.ops.aten._log_softmax_backward_data.out(
                        c.t(c.dy), c.t(c.ls), -1, c.t(c.ls).dtype, out=c.t(c.o)
                    )
                ),
            ),
        },
        ("logsumexp", "logsumexp"): {
            "numpy": (
                "m=x.max(-1); m+np.log(np.exp(x-m[:,None]).sum(-1))",
                lambda c: lambda: _np_logsumexp(c.x, c.o1),
            ),
            "scipy": ("scipy.special.logsumexp(x, axis=-1)", lambda c: lambda: special.logsumexp(c.x, axis=-1)),
            "torch": ("torch.logsumexp(t, -1, out=o)", lambda c: lambda: torch.logsumexp(c.t(c.x), -1, out=c.t(c.o1))),
        },
    }
)


# PyTorch's CPU kernels for the rest of the catalogue, one entry per activation:
# (forward(t, out, *params) shown as `fwd`, backward(dy, t, out, *params) shown as `bwd`), with
# the registry's parameters in its order.  The derivative is the backward op with dy = 1
# (a 0-d tensor, broadcast), as for sigmoid and tanh above.  None: torch has no such kernel
# (softsign and tanhshrink are Python compositions in torch.nn.functional; their forward is
# timed as that composition, which allocates).
_A = torch.ops.aten if torch is not None else None
_SELU = (1.6732632423543772848170429916717, 1.0507009873554804934193349852946)
TORCH_OPS = {
    "relu6": (
        "aten.hardtanh.out(t, 0, 6)",
        lambda t, o: _A.hardtanh.out(t, 0.0, 6.0, out=o),
        "aten.hardtanh_backward(dy, t, 0, 6)",
        lambda d, t, o: _A.hardtanh_backward.grad_input(d, t, 0.0, 6.0, grad_input=o),
    ),
    "hardtanh": (
        "aten.hardtanh.out(t, lo, hi)",
        lambda t, o, lo, hi: _A.hardtanh.out(t, lo, hi, out=o),
        "aten.hardtanh_backward(dy, t, lo, hi)",
        lambda d, t, o, lo, hi: _A.hardtanh_backward.grad_input(d, t, lo, hi, grad_input=o),
    ),
    "leaky_relu": (
        "aten.leaky_relu.out(t, a)",
        lambda t, o, a: _A.leaky_relu.out(t, a, out=o),
        "aten.leaky_relu_backward(dy, t, a, False)",
        lambda d, t, o, a: _A.leaky_relu_backward.grad_input(d, t, a, False, grad_input=o),
    ),
    "hardsigmoid": (
        "aten.hardsigmoid.out(t)",
        lambda t, o: _A.hardsigmoid.out(t, out=o),
        "aten.hardsigmoid_backward(dy, t)",
        lambda d, t, o: _A.hardsigmoid_backward.grad_input(d, t, grad_input=o),
    ),
    "hardswish": (
        "aten.hardswish.out(t)",
        lambda t, o: _A.hardswish.out(t, out=o),
        "aten.hardswish_backward(dy, t)",
        lambda d, t, o: _A.hardswish_backward.out(d, t, out=o),
    ),
    "softsign": ("F.softsign(t)", lambda t, o: torch.nn.functional.softsign(t), None, None),
    "softshrink": (
        "aten.softshrink.out(t, l)",
        lambda t, o, lam: _A.softshrink.out(t, lam, out=o),
        "aten.softshrink_backward(dy, t, l)",
        lambda d, t, o, lam: _A.softshrink_backward.grad_input(d, t, lam, grad_input=o),
    ),
    "hardshrink": (
        "aten.hardshrink.out(t, l)",
        lambda t, o, lam: _A.hardshrink.out(t, lam, out=o),
        "aten.hardshrink_backward(dy, t, l)",
        lambda d, t, o, lam: _A.hardshrink_backward.grad_input(d, t, lam, grad_input=o),
    ),
    "threshold": (
        "aten.threshold.out(t, th, v)",
        lambda t, o, th, v: _A.threshold.out(t, th, v, out=o),
        "aten.threshold_backward(dy, t, th)",
        lambda d, t, o, th, v: _A.threshold_backward.grad_input(d, t, th, grad_input=o),
    ),
    "elu": (
        "aten.elu.out(t, a)",
        lambda t, o, a: _A.elu.out(t, a, 1.0, 1.0, out=o),
        "aten.elu_backward(dy, a, 1, 1, False, t)",
        lambda d, t, o, a: _A.elu_backward.grad_input(d, a, 1.0, 1.0, False, t, grad_input=o),
    ),
    "selu": (
        "aten.elu.out(t, alpha, scale) (= F.selu)",
        lambda t, o: _A.elu.out(t, *_SELU, 1.0, out=o),
        "aten.elu_backward(dy, alpha, scale, 1, False, t)",
        lambda d, t, o: _A.elu_backward.grad_input(d, *_SELU, 1.0, False, t, grad_input=o),
    ),
    "celu": (
        "aten.celu.out(t, a)",
        lambda t, o, a: _A.celu.out(t, a, out=o),
        "aten.elu_backward(dy, a, 1, 1/a, False, t)",
        lambda d, t, o, a: _A.elu_backward.grad_input(d, a, 1.0, 1.0 / a, False, t, grad_input=o),
    ),
    "silu": (
        "aten.silu.out(t)",
        lambda t, o: _A.silu.out(t, out=o),
        "aten.silu_backward(dy, t)",
        lambda d, t, o: _A.silu_backward.grad_input(d, t, grad_input=o),
    ),
    "softplus": (
        "aten.softplus.out(t, b, th)",
        lambda t, o, b, th: _A.softplus.out(t, b, th, out=o),
        "aten.softplus_backward(dy, t, b, th)",
        lambda d, t, o, b, th: _A.softplus_backward.grad_input(d, t, b, th, grad_input=o),
    ),
    "log_sigmoid": (
        "aten.log_sigmoid_forward.output(t)",
        lambda t, o: _A.log_sigmoid_forward.output(t, output=o, buffer=torch.empty(0, dtype=t.dtype)),
        "aten.log_sigmoid_backward(dy, t, buffer) (buffer from the forward, kept)",
        lambda d, t, o: _A.log_sigmoid_backward.grad_input(d, t, _log_sigmoid_buffer(t), grad_input=o),
    ),
    "mish": (
        "aten.mish.out(t)",
        lambda t, o: _A.mish.out(t, out=o),
        "aten.mish_backward(dy, t) (allocates)",
        lambda d, t, o: _A.mish_backward(d, t),
    ),
    "gelu_tanh": (
        "aten.gelu.out(t, approximate='tanh')",
        lambda t, o: _A.gelu.out(t, approximate="tanh", out=o),
        "aten.gelu_backward(dy, t, approximate='tanh')",
        lambda d, t, o: _A.gelu_backward.grad_input(d, t, approximate="tanh", grad_input=o),
    ),
    "gelu": (
        "aten.gelu.out(t)",
        lambda t, o: _A.gelu.out(t, out=o),
        "aten.gelu_backward(dy, t)",
        lambda d, t, o: _A.gelu_backward.grad_input(d, t, grad_input=o),
    ),
    "tanhshrink": ("F.tanhshrink(t)", lambda t, o: torch.nn.functional.tanhshrink(t), None, None),
}


_LS_BUFFERS = {}


def _log_sigmoid_buffer(t):
    """The buffer torch's log_sigmoid forward saves for its backward (made once per tensor)."""
    hit = _LS_BUFFERS.get(id(t))
    if hit is None or hit[0] is not t:
        hit = _LS_BUFFERS[id(t)] = (t, _A.log_sigmoid_forward(t)[1])
    return hit[1]


def _torch_peers(name, spec):
    """PEERS entries (forward, grad, backward) of one TORCH_OPS entry."""
    fwd_s, fwd, bwd_s, bwd = spec

    def forward(c):
        ps, t, o = params_of(name, c.dtype), c.t(c.x), c.t(c.o)
        return lambda: fwd(t, o, *ps)

    def backward(dy):
        def make(c):
            ps, d, t, o = params_of(name, c.dtype), dy(c), c.t(c.x), c.t(c.o)
            return lambda: bwd(d, t, o, *ps)

        return make

    def ones(c):
        # dy = 1 as a 0-d tensor where the op broadcasts it; oneDNN's gelu_backward does not, so a
        # full tensor of ones there (an extra read, as a caller of that op would pay)
        try:
            bwd(c.one(), c.t(c.x[:2]), c.t(c.o[:2]), *params_of(name, c.dtype))
            return c.one()
        except RuntimeError:
            return torch.ones_like(c.t(c.x))

    out = {(name, "forward"): {"torch": (fwd_s, forward)}}
    if bwd is not None:
        out[(name, "grad")] = {"torch": (bwd_s.replace("dy", "1", 1), backward(ones))}
        out[(name, "backward")] = {"torch": (bwd_s, backward(lambda c: c.t(c.dy)))}
    return out


for _name, _spec in TORCH_OPS.items():
    PEERS.update(_torch_peers(_name, _spec))
del _name, _spec

ROW_KINDS = ("softmax", "softmax_backward", "log_softmax", "log_softmax_backward", "logsumexp")
_MODULES = {"numpy": np, "scipy": special, "numexpr": ne, "torch": torch}


def _np_sig_grad(s, o):
    return np.multiply(s, 1 - s, out=o)


def _np_softmax(x, o):
    e = np.exp(x - x.max(-1, keepdims=True))
    return np.divide(e, e.sum(-1, keepdims=True), out=o)


def _np_log_softmax(x, o):
    d = x - x.max(-1, keepdims=True)
    return np.subtract(d, np.log(np.exp(d).sum(-1, keepdims=True)), out=o)


def _np_logsumexp(x, o):
    m = x.max(-1)
    return np.add(m, np.log(np.exp(x - m[..., None]).sum(-1)), out=o)


class Row:
    """One benchmarked function: `name` is its numba_act name, `act` the registry or row-family name."""

    def __init__(self, name, act, kind):
        self.name, self.act, self.kind = name, act, kind
        self.rowwise = kind in ROW_KINDS

    def args(self, c):
        return {"backward": (c.dy, c.x), "softmax_backward": (c.dy, c.p), "log_softmax_backward": (c.dy, c.ls)}.get(
            self.kind, (c.x,)
        )

    def params(self, c):
        return () if self.rowwise else params_of(self.act, c.dtype)

    def numba_act(self, c):
        f, args = getattr(na, self.name), (*self.args(c), *self.params(c))
        o = c.o1 if self.kind == "logsumexp" else c.o
        return lambda: f(*args, out=o)

    def peers(self):
        """{column: (expression, make)} of the peers that are importable."""
        found = PEERS.get((self.act, self.kind), {})
        return {k: v for k, v in found.items() if _MODULES[k] is not None}

    def reference(self, c):
        """float64 reference of numba_act's result on the case's inputs."""
        x64 = c.x.astype(np.float64)
        ps = self.params(c)
        if self.kind in ("forward", "grad"):
            return ref64(self.act, self.kind)(x64, *ps)
        if self.kind == "backward":
            return c.dy.astype(np.float64) * ref64(self.act, "grad")(x64, *ps)
        wide = _WIDE if c.dtype == np.float64 else np.float64
        if self.kind == "softmax":
            return _softmax64(c.x, wide)
        if self.kind == "log_softmax":
            return _log_softmax64(c.x, wide)
        if self.kind == "logsumexp":
            _, log_s = _log_sum64(c.x, wide)
            return c.x.astype(wide).max(-1) + log_s[..., 0]
        if self.kind == "log_softmax_backward":
            dy = c.dy.astype(wide)
            return dy - np.exp(c.ls.astype(wide)) * dy.sum(-1, keepdims=True)
        p, dy = c.p.astype(wide), c.dy.astype(wide)
        return p * (dy - (dy * p).sum(-1, keepdims=True))


def all_rows():
    rows = [Row(a.name if k == "forward" else f"{a.name}_{k}", a.name, k) for a in ACTIVATIONS for k in KINDS]
    return rows + [
        Row("softmax", "softmax", "softmax"),
        Row("softmax_backward", "softmax_backward", "softmax_backward"),
        Row("log_softmax", "log_softmax", "log_softmax"),
        Row("log_softmax_backward", "log_softmax_backward", "log_softmax_backward"),
        Row("logsumexp", "logsumexp", "logsumexp"),
    ]


def max_err_ulp(row, got, ref, c):
    """Largest |got - ref| in ulps of the result dtype, floored at the smallest normal number.
    softmax_backward's p_i (dy_i - s) cancels, so its ulps are those of p_i (|dy_i| + sum_j |dy_j| p_j);
    log_softmax_backward's in ulps of |dy_i| + exp(y_i) sum_j |dy_j| (the sum's own condition);
    logsumexp's m + log S in ulps of
    max(|m|, log S)."""
    scale = np.abs(ref)
    gs = None if row.rowwise or row.kind == "forward" else BY_NAME[row.act].grad_scale
    if gs is not None:  # derivatives whose terms cancel at an interior zero: ulps of those terms
        s = gs(c.x.astype(np.float64), *row.params(c))
        if row.kind == "backward":
            s = s * np.abs(c.dy.astype(np.float64))
        scale = np.fmax(scale, np.nan_to_num(s, nan=0.0))
    if row.kind == "softmax_backward":
        p, ady = c.p.astype(np.float64), np.abs(c.dy.astype(np.float64))
        scale = p * (ady + (ady * p).sum(-1, keepdims=True))
    elif row.kind == "log_softmax_backward":
        dy = c.dy.astype(np.float64)
        scale = np.abs(dy) + np.exp(c.ls.astype(np.float64)) * np.abs(dy).sum(-1, keepdims=True)
    elif row.kind == "logsumexp":
        m = c.x.astype(np.float64).max(-1)
        scale = np.maximum(np.abs(m), np.abs(ref.astype(np.float64) - m))
    tiny = np.finfo(got.dtype).tiny
    ulp = np.spacing(np.maximum(scale, tiny).astype(got.dtype)).astype(ref.dtype)
    err = np.abs(got.astype(ref.dtype) - ref) / ulp
    if (np.isnan(got) != np.isnan(ref)).any():
        return float("inf")
    return float(np.nanmax(err)) if err.size else 0.0


def copy_candidate(c, threads):
    """np.copyto(o, x); split over threads as numba_act splits its own loops (same size rule)."""
    if threads < 2 or c.x.size < dispatch.PARALLEL_MIN_SIZE:
        return lambda: np.copyto(c.o, c.x)
    xf, of = c.x.reshape(-1), c.o.reshape(-1)
    chunks = _threads.split(xf.size, threads)

    def work(a, b):
        np.copyto(of[a:b], xf[a:b])

    return lambda: _threads.run_chunks(work, chunks)


# --------------------------------------------------------------------------- timing


def time_interleaved(cands, target_s, min_rep, max_rep):
    """Median and min (ms) of each zero-argument callable, timed in interleaved rounds.

    Each candidate gets about target_s / len(cands) of timed calls (at least min_rep, at most max_rep),
    spread evenly over the rounds, so a slow peer does not starve the fast ones of samples; within a
    round the order rotates.
    """
    clock = time.perf_counter
    for f in cands.values():  # warm-up (the first call may compile)
        f()
        f()
    names, est = list(cands), {}
    for n in names:
        t0 = clock()
        cands[n]()
        est[n] = max(clock() - t0, 1e-7)
    share = target_s / len(names)
    want = {n: int(min(max_rep, max(min_rep, share / est[n]))) for n in names}
    rounds = max(want.values())
    samples = {n: [] for n in names}
    gc.disable()
    try:
        for r in range(rounds):
            active = [n for n in names if (r + 1) * want[n] // rounds > r * want[n] // rounds]
            k = r % len(active)
            for n in active[k:] + active[:k]:
                f = cands[n]
                t0 = clock()
                f()
                samples[n].append(clock() - t0)
    finally:
        gc.enable()
    return {
        n: {"median_ms": 1e3 * statistics.median(s), "min_ms": 1e3 * min(s), "repeats": len(s)}
        for n, s in samples.items()
    }


def set_threads(n):
    numba.set_num_threads(n)
    if ne is not None:
        ne.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)


def size_label(shape):
    if len(shape) > 1:
        return "x".join(map(str, shape))
    n = shape[0]
    k = len(str(n)) - 1
    if n == 10**k:
        return f"1e{k}"
    if n & (n - 1) == 0:
        return f"2^{n.bit_length() - 1}"
    return str(n)


def cpu_steal():
    """(steal, total) jiffies from /proc/stat: time the hypervisor gave our vCPUs to others."""
    try:
        with open("/proc/stat") as fh:
            f = [int(v) for v in fh.readline().split()[1:]]
        return f[7], sum(f[:8])
    except (OSError, ValueError, IndexError):
        return None


def format_steal(before, after):
    if not before or not after or after[1] == before[1]:
        return ""
    return f"CPU steal during the run: {100 * (after[0] - before[0]) / (after[1] - before[1]):.1f}% of CPU time"


def progress(msg):
    print(msg, file=sys.stderr, flush=True)


def run_speed(args, rows):
    elem = [r for r in rows if not r.rowwise]
    rowwise = [r for r in rows if r.rowwise]
    plan = [((n,), elem) for n in args.sizes] + [(s, rowwise) for s in args.shapes]
    total = len(args.dtypes) * len(args.threads) * sum(len(rs) for _, rs in plan)
    target, min_rep, max_rep = (0.03, 5, 200) if args.quick else (0.5, 7, 100000)
    cells, k = [], 0
    for dtype in args.dtypes:
        for shape, rs in plan:
            if not rs:
                continue
            c = Case(shape, dtype)
            for row in rs:
                peers = row.peers()
                ref = row.reference(c)
                for threads in args.threads:
                    k += 1
                    progress(f"[{k}/{total}] {dtype} {size_label(shape)} {row.name} {threads} thread(s)")
                    set_threads(threads)
                    got = getattr(na, row.name)(
                        *row.args(c), *row.params(c)
                    )  # own output array, threaded path included
                    err = max_err_ulp(row, got, ref, c)
                    del got
                    cands = {"numba_act": row.numba_act(c), "copy": copy_candidate(c, threads)}
                    skipped = {}
                    for col, (_, make) in peers.items():
                        try:
                            f = make(c)
                            f()
                            cands[col] = f
                        except Exception as e:  # noqa: BLE001 (a peer's op missing in its version: leave it out)
                            skipped[col] = f"{type(e).__name__}: {e}"
                    times = time_interleaved(cands, target, min_rep, max_rep)
                    cells.append(
                        {
                            "dtype": dtype,
                            "shape": list(shape),
                            "size": size_label(shape),
                            "threads": threads,
                            "function": row.name,
                            "max_err_ulp": err,
                            "times": times,
                            "skipped": skipped,
                        }
                    )
            del c
    return cells


# --------------------------------------------------------------------------- report


def fmt_ms(v):
    if v is None:
        return "-"
    return f"{v:.3f}" if v < 1 else f"{v:.2f}" if v < 100 else f"{v:.1f}"


def _median(cell, col):
    t = cell["times"].get(col)
    return None if t is None else t["median_ms"]


def summarize(cell):
    """Adds numba_act/copy and numba_act/fastest peer (by median) to a cell."""
    na_ms = _median(cell, "numba_act")
    peers = {c: _median(cell, c) for c in PEER_COLUMNS if _median(cell, c) is not None}
    cell["vs_copy"] = na_ms / _median(cell, "copy")
    best = min(peers, key=peers.get) if peers else None
    cell["best_peer"] = best
    cell["vs_best_peer"] = na_ms / peers[best] if best else None
    return cell


def format_tables(cells):
    cols = [c for c in PEER_COLUMNS if _MODULES[c] is not None]
    head = [
        "size",
        "function",
        "numba_act ms",
        "copy ms",
        *(f"{c} ms" for c in cols),
        "/copy",
        "/best peer",
        "max err ulp",
    ]
    out = []
    for dtype in dict.fromkeys(c["dtype"] for c in cells):
        for threads in dict.fromkeys(c["threads"] for c in cells):
            sel = [c for c in cells if c["dtype"] == dtype and c["threads"] == threads]
            if not sel:
                continue
            body = []
            for c in sel:
                best = "-" if c["best_peer"] is None else f"{c['vs_best_peer']:.2f} ({c['best_peer']})"
                body.append(
                    [
                        c["size"],
                        c["function"],
                        fmt_ms(_median(c, "numba_act")),
                        fmt_ms(_median(c, "copy")),
                        *(fmt_ms(_median(c, col)) for col in cols),
                        f"{c['vs_copy']:.2f}",
                        best,
                        f"{c['max_err_ulp']:.2f}",
                    ]
                )
            widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
            lines = [
                "  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths)))
                for r in [head, ["-" * w for w in widths], *body]
            ]
            out += [
                f"{dtype}, {threads} thread{'s' if threads > 1 else ''}  (median of interleaved repeats)",
                *lines,
                "",
            ]
    return "\n".join(out)


def format_compact(cells):
    """One markdown row per (dtype, size, function), the thread counts side by side: numba_act,
    the copy and torch (or the fastest peer when torch has none) in ms, and the ratios."""
    threads = sorted({c["threads"] for c in cells})
    by = {}
    for c in cells:
        by.setdefault((c["dtype"], c["size"], c["function"]), {})[c["threads"]] = c
    thr = " / ".join(str(t) for t in threads)
    lines = [
        f"| dtype | size | function | numba_act ms ({thr} thr) | copy ms | peer ms | peer "
        f"| /copy ({threads[-1]} thr) | /peer ({thr} thr) | max err ulp |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def peer_of(c):
        if _median(c, "torch") is not None:
            return "torch"
        return c["best_peer"]

    for (dtype, size, fn), per in by.items():
        cs = [per.get(t) for t in threads]
        last = cs[-1]
        peer = peer_of(last) if last else None

        def ms(col, cs=cs):
            return " / ".join(fmt_ms(_median(c, col)) if c else "-" for c in cs)

        ratios = " / ".join(
            f"{_median(c, 'numba_act') / _median(c, peer):.2f}" if c and peer and _median(c, peer) else "-" for c in cs
        )
        err = max(c["max_err_ulp"] for c in cs if c)
        lines.append(
            f"| {dtype} | {size} | {fn} | {ms('numba_act')} | {ms('copy')} | {ms(peer) if peer else '-'} "
            f"| {peer or '-'} | {last['vs_copy']:.2f} | {ratios} | {err:.2f} |"
        )
    return "\n".join(lines)


def format_legend(rows):
    out = [
        "Peers (o = preallocated output, y = saved forward output (log_softmax(x) for log_softmax_backward), "
        "p = softmax(x); '-' = no such peer):"
    ]
    for row in rows:
        exprs = [f"{col}: {expr}" for col, (expr, _) in row.peers().items()]
        out.append(f"  {row.name:<17} " + (" | ".join(exprs) or "(no peers known)"))
    out += [
        "/copy: numba_act time / copy time (1 = memory speed; backward rows read two arrays, so ~1.5 is the floor).",
        "/best peer: numba_act time / fastest peer's time (< 1: numba_act is faster).",
        (
            "max err ulp: max |numba_act - reference| in ulps of the result dtype; the elementwise reference is "
            "float64 libm (itself ~1-3 ulp off at float64), softmax's is long double at float64; "
            "softmax_backward in ulps of p_i (|dy_i| + sum_j |dy_j| p_j), as its terms cancel; "
            "log_softmax_backward in ulps of |dy_i| + exp(y_i) sum_j |dy_j|; logsumexp in ulps of max(|m|, log S)."
        ),
    ]
    return "\n".join(out)


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info(threads):
    cpuinfo = {}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, val = line.partition(":")
                cpuinfo.setdefault(key.strip(), val.strip())  # the first processor's entries
    except OSError:
        pass
    model = cpuinfo.get("model name") or platform.processor() or platform.machine()
    flags = set(cpuinfo.get("flags", "").split())
    mem = None
    try:
        import psutil

        mem, phys = psutil.virtual_memory().total, psutil.cpu_count(logical=False)
    except ImportError:
        phys = None
        try:
            with open("/proc/meminfo") as fh:
                mem = int(fh.readline().split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
    return {
        "cpu": model,
        "logical_cores": os.cpu_count(),
        "physical_cores": phys,
        "memory_gib": None if mem is None else round(mem / 2**30, 1),
        "avx2": "avx2" in flags,
        "avx512f": "avx512f" in flags,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            d: _version(d) + ("" if _MODULES.get(d, np) is not None else " (not importable)")
            for d in ("numba_act", "numpy", "numba", "llvmlite", "scipy", "numexpr", "torch")
        },
        "numba_max_threads": numba.config.NUMBA_NUM_THREADS,
        "threads": threads,
        "parallel_min_size": dispatch.PARALLEL_MIN_SIZE,
        "load_average": [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "vector_width": os.environ.get("NUMBA_ACT_VECTOR_WIDTH", "512 (default)"),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }


def format_header(m):
    v = m["versions"]
    isa = ", ".join(f for f, ok in (("AVX2", m["avx2"]), ("AVX-512F", m["avx512f"])) if ok) or "no AVX2/AVX-512"
    return "\n".join(
        [
            (
                f"CPU: {m['cpu']} | {m['logical_cores']} logical / {m['physical_cores'] or '?'} physical cores | "
                f"{m['memory_gib'] or '?'} GiB | {isa} | load average {m['load_average']}"
            ),
            f"Python {m['python']} | " + " | ".join(f"{k} {val}" for k, val in v.items()),
            (
                f"threads: {', '.join(map(str, m['threads']))} (numba max {m['numba_max_threads']}, set alike for numba, "
                f"numexpr, torch) | PARALLEL_MIN_SIZE {m['parallel_min_size']} | NUMBA_ACT_VECTOR_WIDTH {m['vector_width']} | "
                f"OMP_WAIT_POLICY {m['omp_wait_policy']}"
            ),
        ]
    )


_STARTUP = r"""
import json, time
t0 = time.perf_counter()
import numba
t1 = time.perf_counter()
import numba_act as na
t2 = time.perf_counter()
import numpy as np
x = np.linspace(-5, 5, 1000, dtype=np.float32)
t3 = time.perf_counter()
na.sigmoid(x)
t4 = time.perf_counter()
na.sigmoid(x)
t5 = time.perf_counter()
print(json.dumps({"import_numba_s": t1 - t0, "import_numba_act_s": t2 - t1,
                  "first_call_s": t4 - t3, "second_call_s": t5 - t4}))
"""


def startup_times():
    """Import and first-call times in fresh interpreters: cold (empty NUMBA_CACHE_DIR), then warm (same dir)."""
    res = {}
    with tempfile.TemporaryDirectory(prefix="numba_act_bench_cache_") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for kind in ("cold", "warm"):
            progress(f"startup: {kind} cache")
            p = subprocess.run([sys.executable, "-c", _STARTUP], env=env, capture_output=True, text=True, check=False)
            if p.returncode != 0:
                res[kind] = {"error": p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"}
            else:
                res[kind] = json.loads(p.stdout.strip().splitlines()[-1])
    return res


def format_startup(st):
    out = ["Startup (fresh interpreter; na.sigmoid on 1000 float32; cold = empty NUMBA_CACHE_DIR, warm = cached):"]
    for kind, r in st.items():
        if "error" in r:
            out.append(f"  {kind}: failed: {r['error']}")
        else:
            out.append(
                f"  {kind}: import numba {1e3 * r['import_numba_s']:.0f} ms, import numba_act "
                f"{1e3 * r['import_numba_act_s']:.0f} ms, first call {1e3 * r['first_call_s']:.0f} ms, "
                f"second call {1e3 * r['second_call_s']:.3f} ms"
            )
    return "\n".join(out)


# --------------------------------------------------------------------------- threshold mode


def run_threshold(args):
    """Single-thread na.sigmoid.ufunc against the same call split over threads, for 2**10..2**22 elements."""
    threads = max(max(args.threads), 2)
    if threads > numba.config.NUMBA_NUM_THREADS:
        sys.exit(f"--threshold needs {threads} threads; set NUMBA_NUM_THREADS (now {numba.config.NUMBA_NUM_THREADS})")
    ufunc = na.sigmoid.ufunc
    target, min_rep, max_rep = (0.02, 5, 2000) if args.quick else (0.3, 20, 100000)
    out, results = [], []
    for dtype in args.dtypes:
        rng = np.random.default_rng(0)
        lines, wins = [], []
        for k in range(10, 23):
            n = 1 << k
            x = (rng.standard_normal(n) * 4).astype(dtype)
            o = np.zeros_like(x)
            chunks = _threads.split(n, threads)

            def work(a, b, x=x, o=o):
                ufunc(x[a:b], out=o[a:b])

            progress(f"threshold: {dtype} 2^{k}")
            cands = {
                "one": lambda x=x, o=o: ufunc(x, out=o),
                "split": lambda w=work, c=chunks: _threads.run_chunks(w, c),
            }
            t = time_interleaved(cands, target, min_rep, max_rep)
            one, split = t["one"]["median_ms"], t["split"]["median_ms"]
            wins.append(split < one)
            results.append({"dtype": dtype, "size": n, "threads": threads, "times": t})
            lines.append(f"  2^{k:<3} {n:>8}  {1e3 * one:>10.1f}  {1e3 * split:>10.1f}  {one / split:>7.2f}")
        first = next((i for i in range(len(wins)) if all(wins[i:])), None)
        verdict = (
            "threads never win up to 2^22"
            if first is None
            else f"threads win from 2^{first + 10} = {1 << (first + 10)} elements"
        )
        out += [
            f"{dtype}: sigmoid ufunc, 1 thread vs split over {threads} threads (median us)",
            f"  {'size':<13} {'1 thread':>10}  {f'{threads} threads':>10}  {'speedup':>7}",
            *lines,
            f"  {verdict} (PARALLEL_MIN_SIZE is {dispatch.PARALLEL_MIN_SIZE})",
            "",
        ]
    return "\n".join(out), results


# --------------------------------------------------------------------------- plot, main


def plot(cells, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = sorted({(c["dtype"], c["threads"]) for c in cells})
    largest = {}
    for c in cells:  # the largest elementwise size and the largest softmax shape
        key = (c["dtype"], c["threads"], c["function"])
        if key not in largest or np.prod(c["shape"]) >= np.prod(largest[key]["shape"]):
            largest[key] = c
    cands = ["numba_act", *(c for c in PEER_COLUMNS if _MODULES[c] is not None)]
    fig, axes = plt.subplots(len(groups), 1, figsize=(12, 3.6 * len(groups)), squeeze=False)
    for ax, (dtype, threads) in zip(axes[:, 0], groups):
        sel = [c for (d, t, _), c in largest.items() if d == dtype and t == threads]
        xs = np.arange(len(sel))
        w = 0.8 / len(cands)
        for i, cand in enumerate(cands):
            vals = [(_median(c, cand) or np.nan) / _median(c, "copy") for c in sel]
            ax.bar(xs + (i - (len(cands) - 1) / 2) * w, vals, w, label=cand)
        ax.axhline(1.0, color="k", lw=0.8, ls="--")
        ax.set_yscale("log")
        ax.set_xticks(xs, [f"{c['function']}\n{c['size']}" for c in sel], fontsize=8)
        ax.set_ylabel("time / copy time")
        ax.set_title(f"{dtype}, {threads} thread{'s' if threads > 1 else ''} (median; dashed line = memory copy)")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _list(s, conv=str):
    return [conv(v.strip()) for v in s.split(",") if v.strip()]


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}, shapes {QUICK_SHAPES}, few repeats")
    ap.add_argument("--sizes", help=f"elementwise sizes (default {SIZES})")
    ap.add_argument("--shapes", help=f"softmax shapes (default {SHAPES})")
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    ap.add_argument("--only", help="functions to run, comma separated, wildcards allowed: 'sigmoid*,softmax'")
    ap.add_argument("--json", metavar="FILE", help="write all raw results and machine info as JSON")
    ap.add_argument("--plot", metavar="FILE.png", help="bar chart of time/copy per function at the largest size")
    ap.add_argument("--threshold", action="store_true", help="find the size from which splitting over threads pays")
    ap.add_argument("--no-startup", action="store_true", help="skip the import/first-call timing subprocesses")
    args = ap.parse_args(argv)
    args.sizes = _list(args.sizes or (QUICK_SIZES if args.quick else SIZES), lambda v: int(float(v)))
    args.shapes = [
        tuple(int(d) for d in s.split("x")) for s in _list(args.shapes or (QUICK_SHAPES if args.quick else SHAPES))
    ]
    args.dtypes = [str(np.dtype(d)) for d in _list(args.dtypes)]
    args.threads = _list(args.threads, int)
    too_many = [t for t in args.threads if t > numba.config.NUMBA_NUM_THREADS or t < 1]
    if too_many:
        ap.error(f"--threads {too_many}: between 1 and NUMBA_NUM_THREADS = {numba.config.NUMBA_NUM_THREADS}")

    info = machine_info(args.threads)
    print(format_header(info))
    print()
    report = {"machine": info, "args": vars(args)}
    steal0 = cpu_steal()
    if args.threshold:
        with np.errstate(all="ignore"):
            text, report["threshold"] = run_threshold(args)
        print(text)
    else:
        rows = all_rows()
        if args.only:
            pats = _list(args.only)
            rows = [r for r in rows if any(fnmatch.fnmatchcase(r.name, p) for p in pats)]
            if not rows:
                ap.error(f"--only {args.only}: no such function; have {', '.join(r.name for r in all_rows())}")
        if not args.no_startup:
            report["startup"] = startup_times()
            print(format_startup(report["startup"]))
            print()
        t0 = time.perf_counter()
        with np.errstate(all="ignore"):
            cells = [summarize(c) for c in run_speed(args, rows)]
        report["cells"] = cells
        print(format_tables(cells))
        print(format_legend(rows))
        print("\nCompact table (markdown; peer = torch where it has the function, else the fastest peer):\n")
        print(format_compact(cells))
        skipped = {(c["function"], col): why for c in cells for col, why in c["skipped"].items()}
        for (fn, col), why in skipped.items():
            print(f"  skipped {col} for {fn}: {why}")
        print(f"\n{len(cells)} cells in {time.perf_counter() - t0:.0f} s")
        if args.plot:
            plot(cells, args.plot)
            print(f"plot written to {args.plot}")
    print(format_steal(steal0, cpu_steal()))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1, default=str)
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
