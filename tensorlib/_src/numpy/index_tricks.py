"""Index helpers of ``tensorlib.numpy``: triangle and diagonal indices (``tril_indices``,
``triu_indices``, their ``_from`` forms, ``diag_indices``), ``unravel_index``,
``ravel_multi_index`` and ``fill_diagonal``. Index tables that depend only on shapes are built
with NumPy at trace time.
"""

from __future__ import annotations

import builtins

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.numpy import (
    division,
    rearranging,
    shape_ops,
    ufuncs,
)
from tensorlib._src.numpy.promotion import (
    asarray,
)
from tensorlib.errors import ShapeError


def _tri_indices(n, k, m, lower):
    m = n if m is None else m
    mask = np.tri(n, m, k, dtype=bool) if lower else ~np.tri(n, m, k - 1, dtype=bool)
    r, c = np.nonzero(mask)                       # depends only on the static sizes
    it = dtypes.default_int()
    return asarray(r.astype(it)), asarray(c.astype(it))


def tril_indices(n, k=0, m=None):
    """Row and column indices of the lower triangle (at and below diagonal ``k``) of an
    ``n`` by ``m`` array.

    Examples
    --------
    >>> tnp.tril_indices(3)
    (Array([0, 1, 1, 2, 2, 2], dtype=int32), Array([0, 0, 1, 0, 1, 2], dtype=int32))
    >>> tnp.tril_indices(3, k=-1, m=4)
    (Array([1, 2, 2], dtype=int32), Array([0, 0, 1], dtype=int32))
    """
    return _tri_indices(n, k, m, True)


def triu_indices(n, k=0, m=None):
    """Row and column indices of the upper triangle (at and above diagonal ``k``) of an
    ``n`` by ``m`` array.

    Examples
    --------
    >>> rows, cols = tnp.triu_indices(3, k=1)
    >>> rows, cols
    (Array([0, 0, 1], dtype=int32), Array([1, 2, 2], dtype=int32))
    >>> tnp.arange(9).reshape(3, 3)[rows, cols]
    Array([1, 2, 5], dtype=int32)
    """
    return _tri_indices(n, k, m, False)


def tril_indices_from(arr, k=0):
    """``tril_indices`` for the shape of the (last two axes of) ``arr``.

    Examples
    --------
    >>> x = tnp.arange(6).reshape(2, 3)
    >>> x[tnp.tril_indices_from(x)]
    Array([0, 3, 4], dtype=int32)
    """
    a = asarray(arr)
    return tril_indices(a.shape[-2], k, a.shape[-1])


def triu_indices_from(arr, k=0):
    """``triu_indices`` for the shape of the (last two axes of) ``arr``.

    Examples
    --------
    >>> x = tnp.arange(6).reshape(2, 3)
    >>> x[tnp.triu_indices_from(x, k=1)]
    Array([1, 2, 5], dtype=int32)
    """
    a = asarray(arr)
    return triu_indices(a.shape[-2], k, a.shape[-1])


def diag_indices(n, ndim=2):
    """Indices of the main diagonal of an ``n`` by ... by ``n`` array with ``ndim`` axes.

    Examples
    --------
    >>> tnp.diag_indices(3)
    (Array([0, 1, 2], dtype=int32), Array([0, 1, 2], dtype=int32))
    >>> tnp.arange(9).reshape(3, 3)[tnp.diag_indices(3)]
    Array([0, 4, 8], dtype=int32)
    """
    i = asarray(np.arange(n).astype(dtypes.default_int()))
    return (i,) * ndim


def unravel_index(indices, shape):
    """Coordinates of flat ``indices`` in an array of ``shape`` (C order).

    Examples
    --------
    >>> tnp.unravel_index(tnp.array([1, 5, 7]), (2, 4))
    (Array([0, 1, 1], dtype=int32), Array([1, 1, 3], dtype=int32))
    """
    idx = asarray(indices)
    out = []
    for n in reversed(tuple(shape)):
        out.append(division.remainder(idx, n))
        idx = division.floor_divide(idx, n)
    return tuple(reversed(out))


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Flat (C order) indices of the coordinates ``multi_index`` in an array of shape ``dims``.

    Examples
    --------
    >>> tnp.ravel_multi_index((tnp.array([0, 1, 1]), tnp.array([1, 1, 3])), (2, 4))
    Array([1, 5, 7], dtype=int32)
    """
    if order != "C":
        raise ValueError(f"ravel_multi_index: only order='C' is supported, got {order!r}")
    out = None
    for i, n in zip(multi_index, dims, strict=True):
        i = asarray(i)
        if mode == "wrap":
            i = division.remainder(i, n)
        elif mode == "clip":
            i = ufuncs.clip(i, 0, n - 1)
        out = i if out is None else ufuncs.add(ufuncs.multiply(out, n), i)
    return out


def fill_diagonal(a, val, wrap=False, *, inplace=False):
    """A copy of ``a`` with its main diagonal set to ``val`` (functional, as in JAX).

    ``val`` is repeated along the diagonal; ``inplace=True`` is rejected.

    Examples
    --------
    >>> tnp.fill_diagonal(tnp.zeros((3, 3), dtype=tnp.int32), 5, inplace=False)
    Array([[5, 0, 0],
           [0, 5, 0],
           [0, 0, 5]], dtype=int32)
    >>> tnp.fill_diagonal(tnp.zeros((2, 3)), tnp.array([1., 2.]), inplace=False)
    Array([[1., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """
    if inplace:
        raise ValueError("fill_diagonal: tensorlib arrays are immutable; pass inplace=False")
    a = asarray(a)
    if a.ndim < 2 or (a.ndim > 2 and len(set(a.shape)) != 1):
        raise ShapeError(f"fill_diagonal: needs a 2-d array or all dims equal, got "
                         f"{a.aval.str_short()}")
    n = builtins.min(a.shape)
    rows = np.arange(n)
    if a.ndim == 2 and wrap:
        # NumPy's wrap: the diagonal restarts every ``cols + 1`` rows of a tall matrix
        flat = np.arange(0, a.shape[0] * a.shape[1], a.shape[1] + 1)
        rows, cols = flat // a.shape[1], flat % a.shape[1]
        idx = (asarray(rows.astype(np.int32)), asarray(cols.astype(np.int32)))
        v = rearranging.resize(shape_ops.ravel(asarray(val, a.dtype)), (len(rows),))
        return a.at[idx].set(v)
    idx = (asarray(rows.astype(np.int32)),) * a.ndim
    v = rearranging.resize(shape_ops.ravel(asarray(val, a.dtype)), (n,))
    return a.at[idx].set(v)
