"""Sorting and searching: sort, argsort, searchsorted, unique, partition, lexsort."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import concrete_or_none
from tensorlib._src.numpy.promotion import asarray, canonicalize_axis, promote_dtypes
from tensorlib._src.ops import index as ix
from tensorlib._src.ops import shape as sh
from tensorlib._src.ops import reduce as rd
from tensorlib._src.ops import elementwise as ew


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """Sorted copy along ``axis`` (``axis=None`` flattens); NaNs go last."""
    a = asarray(a)
    if axis is None:
        a = sh.reshape(a, (a.size,))
        axis = 0
    if a.ndim == 0:
        return a
    ax = canonicalize_axis(axis, a.ndim, "sort")
    if descending:
        return sh.rev(sort(a, ax), (ax,))
    out = ix.sort([a], ax)[0]
    return ew.convert_element_type(out, out.dtype, True) if a.weak_type else out


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
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
        perm = ix.sort([r, pos], ax, num_keys=1)[1]
        perm = ew.sub(ew.full(perm.shape, n - 1, perm.dtype), perm)
        return sh.rev(perm, (ax,))
    return ix.sort([a, pos], ax, num_keys=1)[1]


def lexsort(keys, axis=-1):
    ks = [asarray(k) for k in keys]
    ax = canonicalize_axis(axis, ks[0].ndim)
    pos = sh.broadcasted_iota(dtypes.default_int(), ks[0].shape, ax)
    ks = promote_dtypes(*ks) if len({k.dtype for k in ks}) > 1 else ks
    return ix.sort(list(reversed(ks)) + [pos], ax, num_keys=len(ks))[-1]


def searchsorted(a, v, side="left", sorter=None, *, method=None):
    """Insertion points of ``v`` in the sorted 1-d ``a`` (a comparison count, differentiable-safe)."""
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
    # int32 unless the length needs more (as JAX), whatever the x64 mode
    idx_dt = dtypes.int32 if a.shape[0] < 2**31 - 1 else dtypes.default_int()
    return rd.reduce_sum(ew.convert_element_type(cmp, idx_dt), (v.ndim,))


def partition(a, kth, axis=-1):
    return sort(a, axis)


def argpartition(a, kth, axis=-1):
    return argsort(a, axis)


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, size=None, fill_value=None):
    """Unique values (needs concrete input unless ``size`` is given, as in JAX)."""
    a = asarray(ar)
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
    return unique(x, equal_nan=False)


def unique_counts(x, /):
    return UniqueCountsResult(*unique(x, return_counts=True, equal_nan=False))


def unique_inverse(x, /):
    v, inv = unique(x, return_inverse=True, equal_nan=False)
    return UniqueInverseResult(v, sh.reshape(inv, asarray(x).shape))


def unique_all(x, /):
    v, idx, inv, cnt = unique(x, return_index=True, return_inverse=True, return_counts=True,
                              equal_nan=False)
    return UniqueAllResult(v, idx, sh.reshape(inv, asarray(x).shape), cnt)
