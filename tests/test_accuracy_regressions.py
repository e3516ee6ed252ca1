"""Points where a kernel once missed its error target, found by the
benchmarks' accuracy sweeps (which sample more inputs than the suite).

Each case: the function, dtype, x (and dy), the error before its fix and
the bound it must now meet, in ulp of the exact value's binade against the
mpmath reference.  The bounds sit near what the fixed kernels measure, below
the old errors: each case fails on the old kernel (checked against commit
eed7627, whose gelu was libm's; the gelu cases are from the first version
of the vectorized one).
"""

import numpy as np
import pytest
from _helpers import call, ref_mpmath, ulp_errors

# (name, kind, dtype, x, dy, old error, bound)
CASES = [
    # mish' with the bracket (e + 2) + 4x(1 + e)/(n + 2) rounded: it cancels
    ("mish", "grad", np.float32, -5.198483, None, 3.83, 1.0),
    ("mish", "backward", np.float32, -5.884485, 0.9516362, 4.16, 1.0),
    # exp's own error in the left tails (single-word exp)
    ("mish", "forward", np.float32, -5.984741, None, 2.55, 1.0),
    ("gelu_tanh", "forward", np.float32, -2.749872, None, 2.25, 1.0),
    ("gelu_tanh", "backward", np.float32, -5.003993, 1.0, 3.44, 1.5),
    # tanh rounded before squaring
    ("tanhshrink", "grad", np.float32, 0.06699347, None, 2.33, 1.6),
    ("tanhshrink", "backward", np.float32, 0.06699347, 1.0, 2.33, 2.0),
    # the first vectorized gelu dropped r_lo * m_lo in the normal tail's
    # product (1e-11 relative); libm's erfc before it was within 3 ulp here
    ("gelu", "forward", np.float64, -1.44, None, 4.5e4, 1.0),
    ("gelu", "forward", np.float64, -9.0, None, 3951.0, 1.0),
]


@pytest.mark.parametrize(
    "name,kind,dtype,x,dy,old,bound",
    [pytest.param(*c, id=f"{c[0]}-{c[1]}-{np.dtype(c[2]).name}-{c[3]}") for c in CASES],
)
def test_former_worst_case(name, kind, dtype, x, dy, old, bound):
    xs = np.array([x], dtype)
    dys = None if dy is None else np.array([dy], dtype)
    got = call(name, kind, xs, dys)
    exact = ref_mpmath(name, kind, xs, dys)
    err, mask = ulp_errors(got, exact, dtype)
    assert mask.all()
    assert err[0] <= bound, f"{name} {kind} {np.dtype(dtype).name} at x={x}: {err[0]:.3f} ulp (was {old})"
