"""Arithmetic that comes out the same on every CPU, for the synthetic county.

numpy evaluates ``exp``, ``log``, ``arctan2``, ``hypot``, ``power`` … on arrays with SIMD kernels
chosen by the CPU it runs on; on AVX-512 machines their last bits differ from the C library's
(seen: 5 % of ``arctan2`` and ``exp`` values, 0.6 % of ``hypot``). The synthetic county must be
the same everywhere — the sample files are committed byte for byte and the tests count on its
households — so its generators take these functions from here: the C library's, value by value
(``log``, ``arctan2``, ``power``; small arrays), or plain IEEE arithmetic (``hypot`` as the
square root of a sum of squares, for the large distance matrices).
"""

from __future__ import annotations

import math

import numpy as np

_LOG = np.frompyfunc(math.log, 1, 1)
_ATAN2 = np.frompyfunc(math.atan2, 2, 1)
_POW = np.frompyfunc(math.pow, 2, 1)


def _floats(values) -> np.ndarray | float:
    out = np.asarray(values, dtype=float)
    return float(out) if out.ndim == 0 else out


def log(x):
    """Natural logarithm; −inf at 0 (as numpy), NaN below."""
    x = np.asarray(x, dtype=float)
    positive = x > 0
    out = np.where(x == 0, -np.inf, np.nan)
    if positive.any():
        out[positive] = _LOG(x[positive]).astype(float) if x.ndim else math.log(float(x))
    return _floats(out)


def arctan2(y, x):
    """The angle of (x, y), as C's ``atan2``."""
    return _floats(_ATAN2(np.asarray(y, dtype=float), np.asarray(x, dtype=float)))


def power(x, y):
    """``x ** y`` as C's ``pow``."""
    return _floats(_POW(np.asarray(x, dtype=float), np.asarray(y, dtype=float)))


def hypot(x, y):
    """√(x² + y²) in IEEE arithmetic (numpy's own ``hypot`` is CPU-dependent)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return _floats(np.sqrt(x * x + y * y))
