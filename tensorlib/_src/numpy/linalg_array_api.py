"""The Array API linalg extension's names that NumPy has outside ``linalg``: ``matmul``,
``matrix_transpose``, ``outer``, ``tensordot``, ``vecdot``, ``cross``, ``diagonal`` and ``trace``.
"""

from __future__ import annotations

from tensorlib._src.numpy import indexing as _indexing
from tensorlib._src.numpy import products as _products
from tensorlib._src.numpy.promotion import (
    asarray,
)
from tensorlib._src.numpy.shape_ops import matrix_transpose as _matrix_transpose
from tensorlib.errors import ShapeError

# --------------------------------------------------------------------------------------------
# Array API names


def matmul(x1, x2, /):
    """Array API ``linalg.matmul``: the same as ``tnp.matmul``, positional arguments only.

    Examples
    --------
    >>> tnp.linalg.matmul(tnp.array([[1, 2], [3, 4]]), tnp.array([1, -1]))
    Array([-1, -1], dtype=int32)
    """
    return _products.matmul(x1, x2)


def matrix_transpose(x, /):
    """Array API: transpose of the last two axes.

    Examples
    --------
    >>> tnp.linalg.matrix_transpose(tnp.array([[1, 2, 3]]))
    Array([[1],
           [2],
           [3]], dtype=int32)
    """
    return _matrix_transpose(x)


def outer(x1, x2, /):
    """Array API: outer product of two 1-d arrays.

    Examples
    --------
    >>> tnp.linalg.outer(tnp.array([1, 2]), tnp.array([1, 10, 100]))
    Array([[  1,  10, 100],
           [  2,  20, 200]], dtype=int32)
    """
    x1, x2 = asarray(x1), asarray(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ShapeError(f"outer: needs 1-d arrays, got {x1.aval.str_short()} and "
                         f"{x2.aval.str_short()}")
    return _products.outer(x1, x2)


def tensordot(x1, x2, /, *, axes=2):
    """Array API ``tensordot``: contract the last ``axes`` axes of ``x1`` with the first of
    ``x2`` (``axes`` is keyword-only).

    Examples
    --------
    >>> tnp.linalg.tensordot(tnp.ones((2, 3)), tnp.ones((3, 4)), axes=1)
    Array([[3., 3., 3., 3.],
           [3., 3., 3., 3.]], dtype=float32)
    """
    return _products.tensordot(x1, x2, axes)


def vecdot(x1, x2, /, *, axis=-1):
    """Array API: vector dot product along ``axis`` (conjugating ``x1``).

    Examples
    --------
    >>> tnp.linalg.vecdot(tnp.array([[1, 2], [3, 4]]), tnp.array([1, 10]))
    Array([21, 43], dtype=int32)
    """
    return _products.vecdot(x1, x2, axis=axis)


def cross(x1, x2, /, *, axis=-1):
    """Array API: cross product of 3-vectors along ``axis`` (no 2-vectors, unlike NumPy's).

    Examples
    --------
    >>> tnp.linalg.cross(tnp.array([[1, 0, 0], [0, 1, 0]]), tnp.array([0, 0, 1]))
    Array([[ 0, -1,  0],
           [ 1,  0,  0]], dtype=int32)
    """
    x1, x2 = asarray(x1), asarray(x2)
    if x1.ndim == 0 or x2.ndim == 0 or x1.shape[axis] != 3 or x2.shape[axis] != 3:
        raise ShapeError(f"cross: needs size 3 along axis {axis}, got {x1.aval.str_short()} "
                         f"and {x2.aval.str_short()}")
    return _products.cross(x1, x2, axis=axis)


def diagonal(x, /, *, offset=0):
    """Diagonals of the last two axes (Array API; ``offset`` picks which).

    Examples
    --------
    >>> x = tnp.arange(8).reshape(2, 2, 2)
    >>> tnp.linalg.diagonal(x)
    Array([[0, 3],
           [4, 7]], dtype=int32)
    >>> tnp.linalg.diagonal(x, offset=1)
    Array([[1],
           [5]], dtype=int32)
    """
    x = asarray(x)
    if x.ndim < 2:
        raise ShapeError(f"diagonal: needs at least 2 dimensions, got {x.aval.str_short()}")
    return _indexing.diagonal(x, offset, -2, -1)


def trace(x, /, *, offset=0, dtype=None):
    """Traces of the last two axes (Array API; ``offset`` picks the diagonal).

    Examples
    --------
    >>> x = tnp.arange(8).reshape(2, 2, 2)
    >>> tnp.linalg.trace(x)
    Array([ 3, 11], dtype=int32)
    >>> tnp.linalg.trace(x, offset=-1)
    Array([2, 6], dtype=int32)
    """
    return _indexing.trace(x, offset, -2, -1, dtype)
