"""Set operations of ``tensorlib.numpy`` on flattened arrays: ``setdiff1d``, ``union1d``,
``intersect1d`` and ``setxor1d``.

One scheme serves all four, as a composition of sorting, comparison and gathers: sort the
candidates, mark the values to keep, and compact the kept ones to the front. With ``size=``
the result has that fixed length (padded with ``fill_value``, with JAX's defaults), which makes
them usable under ``jit`` and ``vmap``; without it the inputs must be concrete and the result
is cut to the number of values found. Membership compares every pair (``O(n * m)`` memory), as
JAX's default method does.
"""

from __future__ import annotations

import operator

from tensorlib._src import dtypes
from tensorlib._src.core import concrete_or_none
from tensorlib._src.numpy import (
    comparison,
    creation,
    floating,
    reductions,
    shape_ops,
    sorting,
    ufuncs,
)
from tensorlib._src.numpy.nonzero_indices import nonzero
from tensorlib._src.numpy.promotion import asarray, check_arraylike, promote_dtypes
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh


def _flat_args(op, ar1, ar2, promote=True):
    check_arraylike(op, ar1, ar2)
    a1, a2 = asarray(ar1), asarray(ar2)
    if promote:
        a1, a2 = promote_dtypes(a1, a2)
    return shape_ops.ravel(a1), shape_ops.ravel(a2)


def _static_size(op, size, *arrays):
    """``size`` as a concrete non-negative int; without it every array must be concrete."""
    if size is None:
        for a in arrays:
            if concrete_or_none(a) is None:
                from tensorlib._src.errors_util import concretization_error

                raise concretization_error(
                    a, f"{op}() without size= (the result's length depends on the values; "
                       f"pass size= and fill_value= to use it under jit or vmap)")
        return None
    size = operator.index(creation._static(size, op, "size"))
    if size < 0:
        raise ValueError(f"{op}: size must be non-negative, got {size}")
    return size


def _runs(srt, unique_input=False):
    """For sorted ``srt``: True at the first element of each run of equal values (NaNs count
    as equal, as ``unique`` treats them)."""
    n = srt.shape[0]
    if unique_input or n == 0:
        return ew.full((n,), True, dtypes.bool_)
    differs = ew.ne(srt[1:], srt[:-1])
    if dtypes.is_inexact(srt.dtype):
        both_nan = comparison.logical_and(floating.isnan(srt[1:]), floating.isnan(srt[:-1]))
        differs = comparison.logical_and(differs, comparison.logical_not(both_nan))
    return shape_ops.concatenate([ew.full((1,), True, dtypes.bool_), differs])


def _member(x, y):
    """Whether each element of the 1-d ``x`` equals some element of the 1-d ``y``."""
    if y.shape[0] == 0 or x.shape[0] == 0:
        return ew.full(x.shape, False, dtypes.bool_)
    return reductions.any(comparison.equal(x[:, None], y[None, :]), axis=1)


def _count(keep):
    return reductions.sum(ew.convert_element_type(keep, dtypes.default_int()))


def _compact(vals, keep, size, fill):
    """``vals[keep]`` in order: cut to its length when ``size`` is None (concrete ``keep``),
    else exactly ``size`` long with ``fill`` (a 0-d array of ``vals``' dtype) after the kept
    values."""
    if size is None:
        (idx,) = nonzero(keep)
        return vals[idx]
    if vals.shape[0] == 0 or size == 0:
        return sh.broadcast_in_dim(fill, (size,), ())
    (idx,) = nonzero(keep, size=size, fill_value=0)
    return ufuncs.where(_valid(_count(keep), size), vals[idx], fill)


def _valid(count, n):
    return ew.lt(sh.iota(dtypes.default_int(), n), sh.broadcast_in_dim(count, (n,), ()))


def _fill_array(fill, like, weak=False):
    """``fill`` as a 0-d array of ``like``'s dtype (JAX casts the fill value to the result's
    dtype; only ``setdiff1d`` keeps the input's weak type)."""
    return ew.convert_element_type(asarray(fill), like.dtype, weak and like.weak_type)


def _strong(x):
    return ew.convert_element_type(x, x.dtype, False) if x.weak_type else x


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted unique values of ``ar1`` that are not in ``ar2`` (both flattened), in
    ``ar1``'s dtype; with ``assume_unique=True``, in ``ar1``'s order.

    ``size=`` fixes the length (padded with ``fill_value``, default 0) for use under ``jit``.

    Examples
    --------
    >>> a = tnp.array([5, 1, 3, 3, 7, 1])
    >>> tnp.setdiff1d(a, tnp.array([3, 4, 5]))
    Array([1, 7], dtype=int32)
    >>> tnp.setdiff1d(a, tnp.array([3, 4, 5]), size=4, fill_value=-1)
    Array([ 1,  7, -1, -1], dtype=int32)
    """
    a1, a2 = _flat_args("setdiff1d", ar1, ar2, promote=False)
    size = _static_size("setdiff1d", size, a1)
    fill = _fill_array(0 if fill_value is None else fill_value, a1, weak=True)
    vals = a1 if assume_unique else sorting.sort(a1)
    keep = comparison.logical_and(_runs(vals, assume_unique),
                                  comparison.logical_not(_member(vals, a2)))
    return _compact(vals, keep, size, fill)


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """The sorted unique values found in either of ``ar1`` and ``ar2`` (both flattened).

    ``size=`` fixes the length for use under ``jit``, padded with ``fill_value`` (by default
    the smallest value).

    Examples
    --------
    >>> tnp.union1d(tnp.array([5, 1, 3, 1]), tnp.array([3, 4]))
    Array([1, 3, 4, 5], dtype=int32)
    >>> tnp.union1d(tnp.array([5, 1, 3, 1]), tnp.array([3, 4]), size=6, fill_value=0)
    Array([1, 3, 4, 5, 0, 0], dtype=int32)
    """
    check_arraylike("union1d", ar1, ar2)
    a1, a2 = asarray(ar1), asarray(ar2)
    size = _static_size("union1d", size, a1, a2)
    x = shape_ops.concatenate([shape_ops.ravel(a1), shape_ops.ravel(a2)])
    if x.shape[0] == 0 and size and fill_value is None:
        raise ValueError("union1d: both inputs are empty, so a result of size > 0 needs a "
                         "fill_value")
    srt = sorting.sort(x)
    if fill_value is None:
        fill = srt[0] if srt.shape[0] else ew.full((), 0, srt.dtype, srt.weak_type)
    else:
        fill = _fill_array(fill_value, srt)
    return _compact(srt, _runs(srt), size, fill)


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):
    """The sorted unique values found in both ``ar1`` and ``ar2`` (both flattened); with
    ``return_indices``, also the index of each one's first occurrence in each input.

    ``size=`` fixes the length for use under ``jit``: values are padded with ``fill_value``
    (by default the smallest result), indices with the inputs' lengths.

    Examples
    --------
    >>> a, b = tnp.array([5, 1, 3, 3, 7]), tnp.array([3, 4, 5])
    >>> tnp.intersect1d(a, b)
    Array([3, 5], dtype=int32)
    >>> tnp.intersect1d(a, b, return_indices=True, size=3, fill_value=-1)
    (Array([ 3,  5, -1], dtype=int32), Array([2, 0, 5], dtype=int32), Array([0, 2, 3], dtype=int32))
    """
    a1, a2 = _flat_args("intersect1d", ar1, ar2)
    size = _static_size("intersect1d", size, a1, a2)
    perm = sorting.argsort(a1)
    srt = a1[perm]
    keep = comparison.logical_and(_runs(srt, assume_unique), _member(srt, a2))
    count = _count(keep)
    n = size if size is not None else int(count)
    vals = _pad_results(srt, keep, count, size, fill_value)
    if not return_indices:
        return vals
    # JAX's one quirk: int32 positions from the sort of unique inputs (unsized), else int_
    ity = dtypes.int32 if assume_unique and size is None else dtypes.default_int()
    i1 = _compact(ew.convert_element_type(perm, ity), keep, size, ew.full((), a1.shape[0], ity))
    if a2.shape[0] == 0 or n == 0:
        return vals, i1, ew.full((n,), a2.shape[0], ity)
    first2 = reductions.argmax(comparison.equal(vals[:, None], a2[None, :]), axis=1)
    i2 = ufuncs.where(_valid(count, n), ew.convert_element_type(first2, ity), a2.shape[0])
    return vals, i1, i2


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted unique values found in exactly one of ``ar1`` and ``ar2`` (both flattened).

    ``size=`` fixes the length for use under ``jit``, padded with ``fill_value`` (by default
    the smallest result).

    Examples
    --------
    >>> tnp.setxor1d(tnp.array([5, 1, 3, 3]), tnp.array([3, 4, 5]))
    Array([1, 4], dtype=int32)
    >>> tnp.setxor1d(tnp.array([5, 1, 3, 3]), tnp.array([3, 4, 5]), size=3, fill_value=0)
    Array([1, 4, 0], dtype=int32)
    """
    a1, a2 = _flat_args("setxor1d", ar1, ar2)
    size = _static_size("setxor1d", size, a1, a2)
    s1 = a1 if assume_unique else sorting.sort(a1)
    s2 = a2 if assume_unique else sorting.sort(a2)
    keep1 = comparison.logical_and(_runs(s1, assume_unique),
                                   comparison.logical_not(_member(s1, a2)))
    keep2 = comparison.logical_and(_runs(s2, assume_unique),
                                   comparison.logical_not(_member(s2, a1)))
    both = shape_ops.concatenate([s1, s2])
    perm = sorting.argsort(both)
    keep = shape_ops.concatenate([keep1, keep2])[perm]
    return _pad_results(both[perm], keep, _count(keep), size, fill_value)


def _pad_results(vals, keep, count, size, fill_value):
    """``_compact`` with the padding of ``intersect1d`` and ``setxor1d``: ``fill_value``, or by
    default JAX's (the smallest result, 0 when there is none, NaN when a result is NaN); the
    fixed-size result is strongly typed, as JAX's is."""
    zero = ew.full((), 0, vals.dtype, vals.weak_type)
    out = _compact(vals, keep, size, zero)
    if size is None or size == 0:
        return out if size is None else _strong(out)
    valid = _valid(count, size)
    if fill_value is None:
        step = ufuncs.where(valid, out, reductions.max(ufuncs.where(valid, out, zero)))
        fill = reductions.min(step)
    else:
        fill = _fill_array(fill_value, out)
    return _strong(ufuncs.where(valid, out, fill))
