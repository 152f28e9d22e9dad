"""Helpers of the eager kernels written against an array module ``xp`` (``numpy`` or ``cupy``).

Shared by ``numpy_backend`` and the kernel modules it registers (``numpy_control``,
``numpy_conv``, ``numpy_linalg``) and by ``numpy_compiler``; this module imports none of them,
so the dependency runs one way: ``numpy_backend`` -> those modules -> here.
"""

from __future__ import annotations

import contextlib

import numpy as np


def make_arr(xp, ndarray):
    def arr(x):
        # type() is: NumPy's ufuncs return scalars for 0-d inputs; CuPy's always return arrays
        return x if type(x) is ndarray else xp.asarray(x)

    return arr


def bind_xp(xp, fn):
    """``fn(xp, *args, **params)`` as a kernel of ``(*args, **params)``: the array module is
    bound at registration, so a call costs nothing extra (numpy_linalg, numpy_conv)."""
    def kernel(*args, **params):
        return fn(xp, *args, **params)

    kernel.__name__ = fn.__name__
    return kernel


def errstate(xp):
    # NumPy warns on floating-point errors; CuPy has no such warnings (nor np.errstate)
    if xp is np:
        return np.errstate(divide="ignore", invalid="ignore")
    return contextlib.nullcontext()


MATMUL_2D = {  # (lhs contracting, rhs contracting) of 2-D operands -> which sides transpose
    ((1,), (0,)): (False, False), ((0,), (0,)): (True, False),
    ((1,), (1,)): (False, True), ((0,), (1,)): (True, True),
}


def stable_logistic(xp, x):
    """``1 / (1 + exp(-x))`` accurate in both tails: ``exp(-|x|)`` never overflows, and for
    negative x the result is ``e / (1 + e)`` rather than ``1 - (something near 1)``, which
    would lose every digit below ~1e-8 (float32) or ~1e-16 (float64). Complex x takes the
    plain formula."""
    if x.dtype.kind == "c":
        return 1 / (1 + xp.exp(-x))
    e = xp.exp(-xp.abs(x))
    r = 1 / (1 + e)
    return xp.where(x >= 0, r, e * r).astype(x.dtype, copy=False)

