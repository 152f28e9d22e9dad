"""``tensorlib.numpy.linalg`` norms: ``norm``, ``vector_norm`` and ``matrix_norm`` (spectral
norms through the SVD).
"""

from __future__ import annotations

import numpy as np

from tensorlib._src.numpy.exp_log import sqrt
from tensorlib._src.numpy.linalg import _abs, _abs2, _inexact, _matrix, svdvals
from tensorlib._src.numpy.promotion import (
    canonicalize_axis,
)
from tensorlib._src.numpy.reductions import max as _max
from tensorlib._src.numpy.reductions import min as _min
from tensorlib._src.numpy.reductions import sum as _sum
from tensorlib._src.numpy.shape_ops import expand_dims, moveaxis, reshape
from tensorlib._src.numpy.ufuncs import power
from tensorlib._src.ops import linalg as la
from tensorlib.errors import ShapeError

# --------------------------------------------------------------------------------------------
# norms


def _vector_norm(x, axes, ord, keepdims):
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    if ord is None or ord == 2:
        return sqrt(_sum(_abs2(x), axis=axes, keepdims=keepdims))
    if ord == np.inf:
        return _max(_abs(x), axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return _min(_abs(x), axis=axes, keepdims=keepdims)
    if ord == 0:
        return _sum(x != 0, axis=axes, keepdims=keepdims).astype(la.real_dtype(x.dtype))
    if ord == 1:
        return _sum(_abs(x), axis=axes, keepdims=keepdims)
    p = float(ord)
    return power(_sum(power(_abs(x), p), axis=axes, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x, axes, ord, keepdims):
    r, c = axes
    if r == c:
        raise ValueError(f"norm: duplicate axes {axes} for a matrix norm")
    if ord is None or ord == "fro":
        return sqrt(_sum(_abs2(x), axis=axes, keepdims=keepdims))
    if ord in ("nuc", 2, -2):
        s = svdvals(moveaxis(x, (r, c), (-2, -1)))
        out = _sum(s, axis=-1) if ord == "nuc" else (s[..., 0] if ord == 2 else s[..., -1])
        return expand_dims(out, sorted((r, c))) if keepdims else out
    red = {1: (_max, r), -1: (_min, r), np.inf: (_max, c), -np.inf: (_min, c)}
    if isinstance(ord, str) or ord not in red:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    pick, summed = red[ord]
    other = c if summed == r else r
    out = pick(_sum(_abs(x), axis=summed, keepdims=True), axis=other, keepdims=True)
    return out if keepdims else reshape(out, [n for d, n in enumerate(out.shape)
                                              if d not in (r, c)])


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, with NumPy's ``ord`` and ``axis`` rules.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> import tensorlib.numpy.linalg
    >>> tnp.linalg.norm(tnp.asarray([3.0, 4.0]))
    Array(5., dtype=float32)
    """
    x = _inexact(x)
    if axis is None:
        if ord is None:
            out = sqrt(_sum(_abs2(x)))
            return reshape(out, (1,) * x.ndim) if keepdims else out
        if x.ndim not in (1, 2):
            raise ShapeError(f"norm: ord={ord!r} without axis needs a 1-d or 2-d array, got "
                             f"{x.aval.str_short()}")
        axis = tuple(range(x.ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(canonicalize_axis(a, x.ndim, "norm") for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, axes, ord, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, axes, ord, keepdims)
    raise ShapeError(f"norm: axis must name 1 or 2 axes, got {axis!r}")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Vector norm over ``axis`` (all axes, flattened, by default; a tuple of axes is treated
    as one flattened axis). Array API.

    Examples
    --------
    >>> x = tnp.array([[3., 4.], [-6., 8.]])
    >>> tnp.linalg.vector_norm(x, axis=1)
    Array([ 5., 10.], dtype=float32)
    >>> tnp.linalg.vector_norm(x, ord=1)
    Array(21., dtype=float32)
    >>> tnp.linalg.vector_norm(x, ord=tnp.inf, axis=0, keepdims=True)
    Array([[6., 8.]], dtype=float32)
    """
    x = _inexact(x)
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        axes = axis if isinstance(axis, (tuple, list)) else (axis,)
        axes = tuple(canonicalize_axis(a, x.ndim, "vector_norm") for a in axes)
    return _vector_norm(x, axes, ord, keepdims)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Matrix norm over the last two axes (Frobenius by default). Array API.

    Examples
    --------
    >>> x = tnp.array([[1., -2.], [3., 4.]])
    >>> tnp.round(tnp.linalg.matrix_norm(x), 4)
    Array(5.4772, dtype=float32)
    >>> tnp.linalg.matrix_norm(x, ord=1), tnp.linalg.matrix_norm(x, ord=tnp.inf)
    (Array(6., dtype=float32), Array(7., dtype=float32))
    """
    x = _matrix("matrix_norm", x)
    return _matrix_norm(x, (x.ndim - 2, x.ndim - 1), ord, keepdims)


