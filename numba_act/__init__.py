"""numba_act: neural-network activations and their derivatives as Numba ufuncs.

>>> import numpy as np, numba_act as na
>>> na.sigmoid(np.float64(0.0))
np.float64(0.5)
"""

from ._cache import purge_stale as _purge_stale

# Before anything is compiled or loaded from Numba's cache: drop in-tree
# cache files older than an edit to any numba_act source (see _cache).
_purge_stale()

from .api import ELEMENTWISE as _ELEMENTWISE
from .softmax import log_softmax as log_softmax
from .softmax import log_softmax_backward as log_softmax_backward
from .softmax import logsumexp as logsumexp
from .softmax import softmax as softmax
from .softmax import softmax_backward as softmax_backward
from .softmax import softmax_jacobian as softmax_jacobian

# The elementwise functions (sigmoid, sigmoid_grad, sigmoid_backward, ...)
# are generated from the registry.
globals().update(_ELEMENTWISE)

__version__ = "0.1.0"
__all__ = [
    *sorted(_ELEMENTWISE),
    "softmax",
    "softmax_backward",
    "softmax_jacobian",
    "log_softmax",
    "log_softmax_backward",
    "logsumexp",
]
