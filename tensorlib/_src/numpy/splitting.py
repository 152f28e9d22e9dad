"""Splitting arrays in ``tensorlib.numpy``: ``split``, ``array_split``, ``hsplit``, ``vsplit``,
``dsplit`` and ``unstack``.
"""

from __future__ import annotations

import builtins

import numpy as np

from tensorlib._src.numpy.promotion import (
    asarray,
    canonicalize_axis,
)
from tensorlib._src.ops import shape as sh
from tensorlib.errors import ShapeError


def split(ary, indices_or_sections, axis=0):
    """Split into equal sections (an int, which must divide the axis) or at the given indices.

    Examples
    --------
    >>> x = tnp.arange(6)
    >>> tnp.split(x, 3)
    [Array([0, 1], dtype=int32), Array([2, 3], dtype=int32), Array([4, 5], dtype=int32)]
    >>> tnp.split(x, [1, 4])
    [Array([0], dtype=int32), Array([1, 2, 3], dtype=int32), Array([4, 5], dtype=int32)]
    """
    a = asarray(ary)
    ax = canonicalize_axis(axis, a.ndim, "split")
    n = a.shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ShapeError(f"split: array split does not result in an equal division "
                             f"({n} into {k} sections); use array_split")
        bounds = [i * (n // k) for i in range(k + 1)]
    else:
        bounds = [0] + [builtins.min(builtins.max(int(i), 0), n)
                        for i in indices_or_sections] + [n]
    return [sh.slice_in_dim(a, bounds[i], builtins.max(bounds[i], bounds[i + 1]), axis=ax)
            for i in range(len(bounds) - 1)]


def array_split(ary, indices_or_sections, axis=0):
    """Like ``split``, but an int number of sections need not divide the axis evenly.

    Examples
    --------
    >>> tnp.array_split(tnp.arange(5), 3)
    [Array([0, 1], dtype=int32), Array([2, 3], dtype=int32), Array([4], dtype=int32)]
    """
    a = asarray(ary)
    ax = canonicalize_axis(axis, a.ndim)
    if isinstance(indices_or_sections, (int, np.integer)):
        n, k = a.shape[ax], int(indices_or_sections)
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        idx = np.cumsum(sizes)[:-1].tolist()
        return split(a, idx, ax)
    return split(a, indices_or_sections, ax)


def hsplit(ary, indices_or_sections):
    """``split`` along axis 1 (axis 0 for 1-d arrays).

    Examples
    --------
    >>> tnp.hsplit(tnp.arange(8).reshape(2, 4), 2)
    [Array([[0, 1],
           [4, 5]], dtype=int32), Array([[2, 3],
           [6, 7]], dtype=int32)]
    """
    a = asarray(ary)
    return split(a, indices_or_sections, axis=1 if a.ndim > 1 else 0)


def vsplit(ary, indices_or_sections):
    """``split`` along axis 0.

    Examples
    --------
    >>> tnp.vsplit(tnp.arange(4).reshape(2, 2), 2)
    [Array([[0, 1]], dtype=int32), Array([[2, 3]], dtype=int32)]
    """
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    """``split`` along axis 2.

    Examples
    --------
    >>> [a.shape for a in tnp.dsplit(tnp.zeros((1, 2, 4)), [1])]
    [(1, 2, 1), (1, 2, 3)]
    """
    return split(ary, indices_or_sections, axis=2)


def unstack(x, /, *, axis=0):
    """The slices along ``axis``, as a tuple of arrays (the inverse of ``stack``).

    Examples
    --------
    >>> tnp.unstack(tnp.array([[1, 2], [3, 4]]), axis=1)
    (Array([1, 3], dtype=int32), Array([2, 4], dtype=int32))
    """
    x = asarray(x)
    ax = canonicalize_axis(axis, x.ndim)
    return tuple(sh.squeeze(p, (ax,)) for p in split(x, x.shape[ax], ax)) if x.shape[ax] else ()


