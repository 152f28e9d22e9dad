"""Sorting and searching: sort, argsort, searchsorted, unique, partition, lexsort."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import concrete_or_none
from tensorlib._src.numpy.promotion import asarray, canonicalize_axis, promote_dtypes
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import index as ix
from tensorlib._src.ops import reduce as rd
from tensorlib._src.ops import shape as sh


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """Sorted copy along ``axis`` (``axis=None`` flattens); NaNs go last.

    ``descending=True`` sorts from largest to smallest (stable either way).

    Examples
    --------
    >>> x = tnp.array([[3, 1, 2], [0, 5, 4]])
    >>> tnp.sort(x)
    Array([[1, 2, 3],
           [0, 4, 5]], dtype=int32)
    >>> tnp.sort(x, axis=0)
    Array([[0, 1, 2],
           [3, 5, 4]], dtype=int32)
    >>> tnp.sort(tnp.array([2., tnp.nan, 1.]), descending=True)
    Array([nan,  2.,  1.], dtype=float32)
    """
    a = asarray(a)
    if axis is None:
        a = sh.reshape(a, (a.size,))
        axis = 0
    if a.ndim == 0:
        return a
    ax = canonicalize_axis(axis, a.ndim, "sort")
    if descending:
        return sh.rev(sort(a, ax), (ax,))
    out = ix._sort([a], ax)[0]
    return ew.convert_element_type(out, out.dtype, True) if a.weak_type else out


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """Indices that sort ``a`` along ``axis``; stable, so equal elements keep their order.

    Examples
    --------
    >>> x = tnp.array([3, 1, 2, 1])
    >>> tnp.argsort(x)
    Array([1, 3, 2, 0], dtype=int32)
    >>> tnp.argsort(x, descending=True)
    Array([0, 2, 1, 3], dtype=int32)
    >>> tnp.argsort(tnp.array([[3, 1], [0, 5]]), axis=0)
    Array([[1, 0],
           [0, 1]], dtype=int32)
    """
    a = asarray(a)
    if axis is None:
        a = sh.reshape(a, (a.size,))
        axis = 0
    ax = canonicalize_axis(axis, a.ndim, "argsort")
    pos = sh.broadcasted_iota(dtypes.default_int(), a.shape, ax)
    if descending:
        # stable descending: sort the reversed array, then map the indices back
        n = a.shape[ax]
        r = sh.rev(a, (ax,))
        perm = ix._sort([r, pos], ax, num_keys=1)[1]
        perm = ew.sub(ew.full(perm.shape, n - 1, perm.dtype), perm)
        return sh.rev(perm, (ax,))
    return ix._sort([a, pos], ax, num_keys=1)[1]


def lexsort(keys, axis=-1):
    """Indices that sort by several keys; the *last* key is the primary one.

    Examples
    --------
    >>> first = tnp.array([1, 2, 1, 2])
    >>> second = tnp.array([4, 3, 2, 1])
    >>> tnp.lexsort((second, first))
    Array([2, 0, 3, 1], dtype=int32)
    """
    ks = [asarray(k) for k in keys]
    ax = canonicalize_axis(axis, ks[0].ndim)
    pos = sh.broadcasted_iota(dtypes.default_int(), ks[0].shape, ax)
    ks = promote_dtypes(*ks) if len({k.dtype for k in ks}) > 1 else ks
    return ix._sort(list(reversed(ks)) + [pos], ax, num_keys=len(ks))[-1]


def searchsorted(a, v, side="left", sorter=None, *, method=None):
    """Insertion points of ``v`` in the sorted 1-d ``a`` that keep it sorted.

    ``side="left"`` gives the first such position, ``side="right"`` the last.

    Examples
    --------
    >>> a = tnp.array([1, 2, 2, 3])
    >>> tnp.searchsorted(a, tnp.array([0, 2, 5]))
    Array([0, 1, 4], dtype=int32)
    >>> tnp.searchsorted(a, 2, side="right")
    Array(3, dtype=int32)
    """
    a = asarray(a)
    v = asarray(v)
    if sorter is not None:
        a = a[asarray(sorter)]
    a, v = promote_dtypes(a, v)
    vv = sh.reshape(v, v.shape + (1,))
    aa = sh.reshape(a, (1,) * v.ndim + (a.shape[0],))
    from tensorlib._src.numpy.promotion import broadcast_to

    shp = v.shape + (a.shape[0],)
    cmp = ew.lt(broadcast_to(aa, shp), broadcast_to(vv, shp)) if side == "left" else \
        ew.le(broadcast_to(aa, shp), broadcast_to(vv, shp))
    # int32 unless the length needs more (as JAX), whatever the x64 mode; the Array API
    # would have the default index dtype (docs/array-api-conformance.md)
    idx_dt = dtypes.int32 if a.shape[0] < 2**31 - 1 else dtypes.default_int()
    return rd.reduce_sum(ew.convert_element_type(cmp, idx_dt), (v.ndim,))


def partition(a, kth, axis=-1):
    """``a`` rearranged so the element at ``kth`` is in its sorted place, with no larger one
    before it and no smaller one after (the order within each side is unspecified).

    Examples
    --------
    >>> x = tnp.array([5, 1, 4, 2, 3])
    >>> p = tnp.partition(x, 2)
    >>> p[2]
    Array(3, dtype=int32)
    >>> tnp.sort(p[:2]), tnp.sort(p[3:])
    (Array([1, 2], dtype=int32), Array([4, 5], dtype=int32))
    """
    return sort(a, axis)


def argpartition(a, kth, axis=-1):
    """Indices that ``partition`` ``a`` around ``kth`` (see ``partition``).

    Examples
    --------
    >>> x = tnp.array([5, 1, 4, 2, 3])
    >>> i = tnp.argpartition(x, 2)
    >>> x[i[2]]
    Array(3, dtype=int32)
    >>> tnp.sort(x[i[:2]])
    Array([1, 2], dtype=int32)
    """
    return argsort(a, axis)


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, size=None, fill_value=None):
    """Sorted unique values, and optionally first indices, inverse indices and counts.

    ``size=`` gives the results a fixed length (values padded with ``fill_value``, by
    default the smallest value; counts with 0), which makes it usable under ``jit``, as in
    JAX; without ``size`` the input must be concrete.

    Examples
    --------
    >>> x = tnp.array([3, 1, 3, 2, 1, 3])
    >>> tnp.unique(x)
    Array([1, 2, 3], dtype=int32)
    >>> tnp.unique(x, return_counts=True)
    (Array([1, 2, 3], dtype=int32), Array([2, 1, 3], dtype=int32))
    >>> tnp.unique(x, size=5, fill_value=-1)
    Array([ 1,  2,  3, -1, -1], dtype=int32)
    >>> tl.jit(lambda v: tnp.unique(v, return_counts=True, size=4))(x)
    (Array([1, 2, 3, 1], dtype=int32), Array([2, 1, 3, 0], dtype=int32))
    """
    a = asarray(ar)
    if size is not None and axis is None:
        return _unique_sized(a, int(size), fill_value, return_index, return_inverse,
                             return_counts, equal_nan)
    c = concrete_or_none(a)
    if c is None:
        from tensorlib._src.errors_util import concretization_error

        raise concretization_error(a, "unique() (the result shape depends on the values)")
    res = np.unique(c.to_numpy(), return_index=return_index, return_inverse=return_inverse,
                    return_counts=return_counts, axis=axis, equal_nan=equal_nan)
    if not isinstance(res, tuple):
        res = (res,)
    out = []
    for i, r in enumerate(res):
        r = np.asarray(r)
        if i > 0:
            r = r.astype(dtypes.default_int())
        if size is not None and i == 0:
            fv = r.min() if fill_value is None and r.size else (fill_value or 0)
            r = np.concatenate([r[:size], np.full(max(size - r.shape[0], 0), fv, r.dtype)])
        out.append(asarray(r))
    return out[0] if len(out) == 1 else tuple(out)


def _unique_sized(a, size, fill_value, return_index, return_inverse, return_counts,
                  equal_nan):
    """``unique`` with a static result length, from sorting (stageable, differentiable in
    the values): the sorted input's first element of each run is a unique value."""
    from tensorlib._src.numpy import indexing, reductions, shape_ops

    x = shape_ops.ravel(a)
    n = x.shape[0]
    ity = dtypes.default_int()
    if n == 0:
        z = ew.full((size,), 0 if fill_value is None else fill_value, a.dtype)
        out = [z] + [ew.full((size,), 0, ity)] * bool(return_index)
        out += [ew.full(a.shape, 0, ity)] * bool(return_inverse)
        out += [ew.full((size,), 0, ity)] * bool(return_counts)
        return out[0] if len(out) == 1 else tuple(out)
    perm = argsort(x, stable=True)
    srt = x[perm]
    differs = ew.ne(srt[1:], srt[:-1])
    if equal_nan and np.dtype(a.dtype).kind in "fc":
        both_nan = ew.and_p.bind(ew.ne(srt[1:], srt[1:]), ew.ne(srt[:-1], srt[:-1]))
        differs = ew.and_p.bind(differs, ew.not_p.bind(both_nan))
    is_new = sh.concatenate([ew.full((1,), True, np.bool_), differs], 0)
    group = ew.sub(reductions.cumsum(ew.convert_element_type(is_new, ity)),
                   ew.full((n,), 1, ity))
    (first,) = indexing.nonzero(is_new, size=size, fill_value=0)
    values = srt[first]
    if fill_value is not None:
        count = reductions.sum(ew.convert_element_type(is_new, ity))
        valid = ew.lt(sh.iota(ity, size), sh.broadcast_in_dim(count, (size,), ()))
        values = ew.select_n(valid, ew.full((size,), fill_value, a.dtype), values)
    out = [values]
    if return_index:
        out.append(ew.convert_element_type(perm[first], ity))
    if return_inverse:
        inv = ew.full((n,), 0, ity).at[perm].set(group)
        out.append(sh.reshape(inv, a.shape))
    if return_counts:
        out.append(ew.full((size,), 0, ity).at[group].add(ew.full((n,), 1, ity), mode="drop"))
    return out[0] if len(out) == 1 else tuple(out)


class UniqueAllResult(NamedTuple):
    values: Any
    indices: Any
    inverse_indices: Any
    counts: Any


class UniqueCountsResult(NamedTuple):
    values: Any
    counts: Any


class UniqueInverseResult(NamedTuple):
    values: Any
    inverse_indices: Any


# The Array API functions treat NaNs as distinct, as JAX's do.


def unique_values(x, /):
    """Array API: the sorted unique values (NaNs count as distinct).

    Examples
    --------
    >>> tnp.unique_values(tnp.array([2, 1, 2, 3]))
    Array([1, 2, 3], dtype=int32)
    """
    return unique(x, equal_nan=False)


def unique_counts(x, /):
    """Array API: the unique values and how often each occurs, as ``(values, counts)``.

    Examples
    --------
    >>> values, counts = tnp.unique_counts(tnp.array([2, 1, 2, 3, 2]))
    >>> values, counts
    (Array([1, 2, 3], dtype=int32), Array([1, 3, 1], dtype=int32))
    """
    return UniqueCountsResult(*unique(x, return_counts=True, equal_nan=False))


def unique_inverse(x, /):
    """Array API: the unique values and, for each input element, its index into them.

    Examples
    --------
    >>> values, inverse = tnp.unique_inverse(tnp.array([[2, 1], [2, 3]]))
    >>> values
    Array([1, 2, 3], dtype=int32)
    >>> inverse
    Array([[1, 0],
           [1, 2]], dtype=int32)
    """
    v, inv = unique(x, return_inverse=True, equal_nan=False)
    return UniqueInverseResult(v, sh.reshape(inv, asarray(x).shape))


def unique_all(x, /):
    """Array API: unique values, first indices, inverse indices (input's shape) and counts.

    Examples
    --------
    >>> r = tnp.unique_all(tnp.array([2, 1, 2, 3]))
    >>> r.values, r.indices
    (Array([1, 2, 3], dtype=int32), Array([1, 0, 3], dtype=int32))
    >>> r.inverse_indices, r.counts
    (Array([1, 0, 1, 2], dtype=int32), Array([1, 2, 1], dtype=int32))
    """
    v, idx, inv, cnt = unique(x, return_index=True, return_inverse=True, return_counts=True,
                              equal_nan=False)
    return UniqueAllResult(v, idx, sh.reshape(inv, asarray(x).shape), cnt)
