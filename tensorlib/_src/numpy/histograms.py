"""Counting and histograms in ``tensorlib.numpy``: ``bincount``, ``digitize``,
``histogram_bin_edges`` and ``histogram`` (scatter-adds). ``bincount`` without ``length`` reads
the values to size its result, which needs concrete input as in JAX.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import concrete_or_none
from tensorlib._src.numpy import (
    comparison,
    creation,
    rearranging,
    reductions,
    shape_ops,
    sorting,
    ufuncs,
)
from tensorlib._src.numpy.differences import diff
from tensorlib._src.numpy.promotion import (
    _inexact,
    asarray,
)
from tensorlib.errors import ShapeError


def bincount(x, weights=None, minlength=0, *, length=None):
    """Occurrences of each value in the non-negative int array ``x``.

    Without ``length`` the output size depends on ``max(x)``, so ``x`` must be concrete;
    ``length=`` makes it usable under ``jit`` (larger values are dropped).

    Examples
    --------
    >>> x = tnp.array([0, 1, 1, 3])
    >>> tnp.bincount(x)
    Array([1, 2, 0, 1], dtype=int32)
    >>> tnp.bincount(x, weights=tnp.array([0.5, 1., 1., 2.]), minlength=6)
    Array([0.5, 2. , 0. , 2. , 0. , 0. ], dtype=float32)
    >>> tl.jit(lambda v: tnp.bincount(v, length=3))(x)
    Array([1, 2, 0], dtype=int32)
    """
    x = asarray(x)
    if not dtypes.is_integer(x.dtype):
        raise TypeError(f"bincount: x must be an integer array, got {x.aval.str_short()}")
    if x.ndim != 1:
        raise ShapeError(f"bincount: x must be 1-d, got {x.aval.str_short()}")
    if length is None:
        c = concrete_or_none(x)
        if c is None:
            from tensorlib._src.errors_util import concretization_error

            raise concretization_error(x, "bincount() (the output size depends on max(x)); "
                                       "pass length=")
        values = np.asarray(c.to_numpy())
        if values.size and values.min() < 0:
            raise ValueError("bincount: x must be non-negative")
        length = builtins.max(int(values.max()) + 1 if values.size else 0, minlength)
    length = operator.index(length)
    if weights is None:
        w = creation.ones(x.shape, dtypes.default_int())
    else:
        w = asarray(weights)
        if w.dtype == dtypes.bool_:
            w = w.astype(dtypes.default_int())
    # negative values would wrap around: move them out of bounds, where updates drop
    idx = ufuncs.where(comparison.less(x, 0), length, x)
    return creation.zeros(length, w.dtype).at[idx].add(w)


def digitize(x, bins, right=False):
    """Index of the bin of each ``x`` (bins increasing or decreasing).

    Examples
    --------
    >>> bins = tnp.array([0., 1., 2.])
    >>> tnp.digitize(tnp.array([-1., 0., 0.5, 2., 3.]), bins)
    Array([0, 1, 1, 3, 3], dtype=int32)
    >>> tnp.digitize(tnp.array([-1., 0., 0.5, 2., 3.]), bins, right=True)
    Array([0, 0, 1, 2, 3], dtype=int32)
    """
    x, bins = asarray(x), asarray(bins)
    if bins.ndim != 1:
        raise ShapeError(f"digitize: bins must be 1-d, got {bins.aval.str_short()}")
    side = "left" if right else "right"
    if bins.shape[0] == 0:
        return creation.zeros(x.shape, dtypes.default_int())
    up = sorting.searchsorted(bins, x, side=side)
    down = ufuncs.subtract(bins.shape[0], sorting.searchsorted(rearranging.flip(bins), x,
                                                               side=side))
    return ufuncs.where(comparison.greater_equal(bins[-1], bins[0]), up, down)


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """The ``bins + 1`` edges ``histogram`` would use: even steps over ``range`` or the
    data's min and max.

    Examples
    --------
    >>> tnp.histogram_bin_edges(tnp.array([1., 2., 5.]), bins=4)
    Array([1., 2., 3., 4., 5.], dtype=float32)
    >>> tnp.histogram_bin_edges(tnp.array([1, 2]), bins=2, range=(0, 4))
    Array([0., 2., 4.], dtype=float32)
    """
    a = shape_ops.ravel(asarray(a))
    if not isinstance(bins, (int, np.integer)):
        return asarray(bins)
    bins = operator.index(bins)
    if bins < 1:
        raise ValueError(f"histogram: bins must be positive, got {bins}")
    dt = a.dtype if dtypes.is_inexact(a.dtype) else dtypes.default_float()
    if range is not None:
        lo, hi = asarray(range[0], dt), asarray(range[1], dt)
    elif a.size == 0:
        lo, hi = asarray(0.0, dt), asarray(1.0, dt)
    else:
        lo, hi = reductions.min(a).astype(dt), reductions.max(a).astype(dt)
    same = comparison.equal(lo, hi)
    lo = ufuncs.where(same, ufuncs.subtract(lo, 0.5), lo)
    hi = ufuncs.where(same, ufuncs.add(hi, 0.5), hi)
    return creation.linspace(lo, hi, bins + 1, dtype=dt)


def histogram(a, bins=10, range=None, weights=None, density=None):
    """Counts (or weight sums) per bin and the bin edges; the last bin includes its right
    edge, values outside the edges are ignored.

    Examples
    --------
    >>> counts, edges = tnp.histogram(tnp.array([1., 2., 2., 3., 9.]), bins=4, range=(0, 4))
    >>> counts
    Array([0, 1, 2, 1], dtype=int32)
    >>> edges
    Array([0., 1., 2., 3., 4.], dtype=float32)
    """
    a = shape_ops.ravel(asarray(a))
    edges = histogram_bin_edges(a, bins, range)
    nb = edges.shape[0] - 1
    idx = ufuncs.subtract(sorting.searchsorted(edges, a, side="right"), 1)
    idx = ufuncs.where(comparison.equal(a, edges[-1]), nb - 1, idx)
    inside = comparison.logical_and(comparison.greater_equal(a, edges[0]),
                                comparison.less_equal(a, edges[-1]))
    idx = ufuncs.where(inside, idx, nb)                             # dropped by the scatter
    if weights is None:
        w = creation.ones(a.shape, dtypes.default_int())
    else:
        w = shape_ops.ravel(asarray(weights))
    counts = creation.zeros(nb, w.dtype).at[idx].add(w)
    if density:
        counts = _inexact(counts)
        counts = counts / (reductions.sum(counts) * diff(edges))
    return counts, edges
