"""Index tricks and array editing that ``jax.numpy`` has beyond the core set: the index
objects ``r_``, ``c_``, ``mgrid``, ``ogrid``, ``s_`` and ``index_exp``; ``delete``, ``insert``,
``place`` and ``put`` (functional, as in JAX); ``rollaxis``, ``block``, ``apply_over_axes``,
``fromfunction``, ``diag_indices_from`` and ``mask_indices``.

Where a result's shape depends only on static arguments (an insertion's positions may be
traced, their number may not), the functions work under ``jit`` and ``vmap`` as JAX's do.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array, concrete_or_none
from tensorlib._src.numpy import (
    comparison,
    creation,
    division,
    index_tricks,
    rearranging,
    reductions,
    shape_ops,
    sorting,
    ufuncs,
)
from tensorlib._src.numpy.nonzero_indices import nonzero
from tensorlib._src.numpy.promotion import (
    array,
    asarray,
    broadcast_shapes,
    broadcast_to,
    canonicalize_axis,
    check_arraylike,
    promote_dtypes,
)
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.transforms.batching import vmap
from tensorlib.errors import DTypeError, ShapeError

s_ = np.s_
index_exp = np.index_exp


def _grid_1d(s: slice, op):
    """The points of one ``start:stop:step`` slice: ``arange``, or ``linspace`` with
    ``abs(step)`` points when the step is imaginary (``0:1:5j``)."""
    start = creation._static(s.start, op, "slice start")
    stop = creation._static(s.stop, op, "slice stop")
    step = creation._static(s.step, op, "slice step")
    if stop is None:
        raise ValueError(f"{op}: slices need a stop value, got {s}")
    start = 0 if start is None else start
    if isinstance(step, complex) or np.iscomplexobj(step):
        return creation.linspace(start, stop, int(builtins.abs(step)))
    return creation.arange(start, stop, 1 if step is None else step)


class _Grid:
    sparse = False
    op = "mgrid"

    def __getitem__(self, key):
        if isinstance(key, slice):
            return _grid_1d(key, self.op)
        if not all(isinstance(k, slice) for k in key):
            raise TypeError(f"{self.op}: expects slices such as [0:3, 0:1:5j], got {key!r}")
        axes = promote_dtypes(*(_grid_1d(k, self.op) for k in key)) if key else []
        grids = creation.meshgrid(*axes, indexing="ij", sparse=self.sparse)
        if self.sparse:
            return grids
        return shape_ops.stack(grids, 0) if grids else creation.arange(0)


class _MGrid(_Grid):
    """``mgrid[a:b:step, ...]``: dense coordinate grids stacked along a new first axis (a
    complex step ``nj`` means ``n`` points from ``a`` to ``b`` inclusive).

    Examples
    --------
    >>> tnp.mgrid[0:2, 0:3]
    Array([[[0, 0, 0],
            [1, 1, 1]],
    <BLANKLINE>
           [[0, 1, 2],
            [0, 1, 2]]], dtype=int32)
    >>> tnp.mgrid[0:1:3j]
    Array([0. , 0.5, 1. ], dtype=float32)
    """


class _OGrid(_Grid):
    """``ogrid[a:b:step, ...]``: open (broadcastable) coordinate grids, a list of arrays with
    one non-unit axis each.

    Examples
    --------
    >>> tnp.ogrid[0:2, 0:3]
    [Array([[0],
           [1]], dtype=int32), Array([[0, 1, 2]], dtype=int32)]
    """

    sparse = True
    op = "ogrid"


mgrid = _MGrid()
ogrid = _OGrid()


class _AxisConcat:
    axis = 0
    ndmin = 1
    trans1d = -1
    op = "r_"

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d, matrix = self.axis, self.ndmin, self.trans1d, -1
        if items and isinstance(items[0], str):
            axis, ndmin, trans1d, matrix = self._directive(items[0])
            items = items[1:]
        if not items:
            raise ValueError(f"{self.op}: nothing to concatenate")
        out = [self._item(it, ndmin, trans1d) for it in items]
        res = shape_ops.concatenate(out, axis=axis)
        return shape_ops.expand_dims(res, matrix) if matrix != -1 and res.ndim == 1 else res

    def _directive(self, d):
        """``'r'``/``'c'`` (a row or column matrix) or ``'axis[,ndmin[,trans1d]]'``."""
        if d in ("r", "c"):
            return self.axis, self.ndmin, self.trans1d, 0 if d == "r" else 1
        try:
            vals = [int(v) for v in d.split(",")[:3]]
        except ValueError:
            raise ValueError(f"{self.op}: could not understand the directive {d!r}; use "
                             f"'r', 'c' or 'axis[,ndmin[,trans1d]]'") from None
        vals += [self.axis, self.ndmin, self.trans1d][len(vals):]
        return (*vals, -1)

    def _item(self, item, ndmin, trans1d):
        if isinstance(item, str):
            raise ValueError(f"{self.op}: a string directive must come first, got {item!r} "
                             "later")
        if isinstance(item, slice):
            x, item_ndim = _grid_1d(item, self.op), 0
        else:
            x = array(item)
            item_ndim = x.ndim
        x = array(x, ndmin=ndmin)
        if trans1d != -1 and ndmin - item_ndim > 0:
            # the item's own axes go where trans1d says, as NumPy's r_ places them
            k = ndmin - builtins.abs(ndmin + trans1d + 1) % ndmin
            order = tuple(range(ndmin))
            x = shape_ops.transpose(x, order[k:] + order[:k])
        return x

    def __len__(self):
        return 0


class _RClass(_AxisConcat):
    """``r_[...]``: items (arrays, scalars, slices as ranges) concatenated along the first
    axis; a leading string ``'axis,ndmin,trans1d'``, ``'r'`` or ``'c'`` changes how.

    Examples
    --------
    >>> tnp.r_[1:4, 0, tnp.array([7, 8])]
    Array([1, 2, 3, 0, 7, 8], dtype=int32)
    >>> tnp.r_['0,2', [1, 2], [3, 4]]
    Array([[1, 2],
           [3, 4]], dtype=int32)
    """


class _CClass(_AxisConcat):
    """``c_[...]``: items concatenated along the last axis, 1-d items as columns.

    Examples
    --------
    >>> tnp.c_[tnp.array([1, 2, 3]), tnp.array([4, 5, 6])]
    Array([[1, 4],
           [2, 5],
           [3, 6]], dtype=int32)
    """

    axis = -1
    ndmin = 2
    trans1d = 0
    op = "c_"


r_ = _RClass()
c_ = _CClass()


def rollaxis(a, axis, start=0):
    """``a`` with ``axis`` moved to just before position ``start`` (NumPy's older form of
    ``moveaxis``).

    Examples
    --------
    >>> tnp.rollaxis(tnp.ones((2, 3, 4)), 2).shape
    (4, 2, 3)
    >>> tnp.rollaxis(tnp.ones((2, 3, 4)), 0, 2).shape
    (3, 2, 4)
    """
    check_arraylike("rollaxis", a)
    a = asarray(a)
    ax = canonicalize_axis(axis, a.ndim, "rollaxis")
    start = operator.index(creation._static(start, "rollaxis", "start"))
    if not -a.ndim <= start <= a.ndim:
        raise ShapeError(f"rollaxis: start={start} must lie in [{-a.ndim}, {a.ndim}] for an "
                         f"array of dimension {a.ndim}")
    start = start + a.ndim if start < 0 else start
    return shape_ops.moveaxis(a, ax, start - 1 if start > ax else start)


def _block(xs):
    if isinstance(xs, tuple):
        raise ValueError("block: nested lists only, got a tuple; use lists for the nesting")
    if not isinstance(xs, list):
        return asarray(xs), 1
    if not xs:
        raise ValueError("block: empty lists are not allowed")
    parts = [_block(x) for x in xs]
    depth = parts[0][1]
    if any(d != depth for _, d in parts):
        raise ValueError(f"block: list depths differ ({sorted({d for _, d in parts})}); every "
                         "entry of a list must be nested equally deep")
    arrs = [p for p, _ in parts]
    rank = builtins.max(depth, *(x.ndim for x in arrs))
    arrs = [shape_ops.reshape(x, (1,) * (rank - x.ndim) + x.shape) for x in arrs]
    return shape_ops.concatenate(arrs, axis=-depth), depth + 1


def block(arrays):
    """An array assembled from nested lists of blocks: the innermost lists are joined along
    the last axis, the next level along the one before, and so on.

    Examples
    --------
    >>> a, b = tnp.ones((2, 2), dtype=tnp.int32), tnp.zeros((2, 1), dtype=tnp.int32)
    >>> tnp.block([[a, b], [tnp.zeros((1, 3), dtype=tnp.int32)]])
    Array([[1, 1, 0],
           [1, 1, 0],
           [0, 0, 0]], dtype=int32)
    >>> tnp.block([tnp.array([1, 2]), 3])
    Array([1, 2, 3], dtype=int32)
    """
    return _block(arrays)[0]


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """``function`` evaluated at every index of an array of ``shape``; it is called once, with
    one (``vmap``-batched) coordinate per axis, so it must be traceable. Extra keywords are
    passed to ``function`` as they are.

    Examples
    --------
    >>> tnp.fromfunction(lambda i, j: i + 2 * j, (2, 3), dtype=int)
    Array([[0, 2, 4],
           [1, 3, 5]], dtype=int32)
    >>> tnp.fromfunction(lambda i, j: i == j, (2, 2))
    Array([[ True, False],
           [False,  True]], dtype=bool)
    """
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    shape = tuple(operator.index(creation._static(s, "fromfunction", "shape")) for s in shape)
    if builtins.any(s < 0 for s in shape):
        raise ShapeError(f"fromfunction: shape must be non-negative, got {shape}")

    def fn(*coords):
        return function(*coords, **kwargs)

    n = len(shape)
    for i in range(n):
        # innermost first: the vmap over axis i maps only the i-th coordinate
        fn = vmap(fn, in_axes=tuple(0 if j == n - 1 - i else None for j in range(n)))
    return fn(*(creation.arange(s, dtype=dtype) for s in shape))


def apply_over_axes(func, a, axes):
    """``func(a, axis)`` applied for each axis in turn, keeping the number of dimensions
    (a result with one axis fewer gets it back with size 1).

    Examples
    --------
    >>> x = tnp.arange(6).reshape(2, 3)
    >>> tnp.apply_over_axes(tnp.sum, x, [0, 1])
    Array([[15]], dtype=int32)
    >>> tnp.apply_over_axes(tnp.sum, x, 1)
    Array([[ 3],
           [12]], dtype=int32)
    """
    check_arraylike("apply_over_axes", a)
    out = asarray(a)
    for axis in (axes,) if isinstance(axes, int) else axes:
        res = asarray(func(out, axis))
        if res.ndim == out.ndim - 1:
            res = shape_ops.expand_dims(res, axis)
        elif res.ndim != out.ndim:
            raise ShapeError(f"apply_over_axes: func returned {res.aval.str_short()} for axis "
                             f"{axis} of {out.aval.str_short()}; it must keep the number of "
                             "dimensions or drop that axis")
        out = res
    return out


def diag_indices_from(arr):
    """``diag_indices`` for ``arr``, an array with at least two axes, all of one length.

    Examples
    --------
    >>> x = tnp.arange(9).reshape(3, 3)
    >>> x[tnp.diag_indices_from(x)]
    Array([0, 4, 8], dtype=int32)
    """
    check_arraylike("diag_indices_from", arr)
    a = asarray(arr)
    if a.ndim < 2:
        raise ShapeError(f"diag_indices_from: needs an array with at least 2 axes, got "
                         f"{a.aval.str_short()}")
    if len(set(a.shape)) != 1:
        raise ShapeError(f"diag_indices_from: all axes must have one length, got "
                         f"{a.aval.str_short()}")
    return index_tricks.diag_indices(a.shape[0], a.ndim)


def mask_indices(n, mask_func, k=0, *, size=None):
    """Row and column indices where ``mask_func(ones((n, n)), k)`` is nonzero (for example
    ``mask_func=tnp.triu``); ``size=`` fixes the count, as for ``nonzero``.

    Examples
    --------
    >>> tnp.mask_indices(3, tnp.triu, 1)
    (Array([0, 0, 1], dtype=int32), Array([1, 2, 2], dtype=int32))
    """
    n = operator.index(creation._static(n, "mask_indices", "n"))
    return nonzero(mask_func(creation.ones((n, n)), k), size=size)


def _static_indices(op, obj, n):
    """A concrete ``obj`` (integer indices or a boolean mask of length ``n``) as a NumPy
    boolean mask of the positions it selects."""
    c = concrete_or_none(obj) if isinstance(obj, Array) else obj
    if c is None:
        from tensorlib._src.errors_util import concretization_error

        raise concretization_error(obj, f"{op}() with traced indices (unless "
                                        "assume_unique_indices=True)")
    c = np.asarray(c.to_numpy() if isinstance(c, Array) else c)
    if c.dtype == np.bool_:
        if c.shape != (n,):
            raise ShapeError(f"{op}: a boolean obj must be 1-d with the axis' length {n}, got "
                             f"shape {c.shape}")
        return c
    if not np.issubdtype(c.dtype, np.integer):
        raise DTypeError(f"{op}: obj must hold integers or booleans, got {c.dtype}")
    if c.size and (c.min() < -n or c.max() >= n):
        raise IndexError(f"{op}: index {int(c.min() if c.min() < -n else c.max())} is out of "
                         f"bounds for an axis of size {n}")
    mask = np.zeros(n, bool)
    mask[c] = True
    return mask


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """A copy of ``arr`` without the entries ``obj`` (an int, a slice, integer indices or a
    boolean mask) along ``axis`` (``None`` flattens first).

    The result's length depends on ``obj``, so an index array must be concrete, unless
    ``assume_unique_indices=True`` promises it holds no repeats (then it may be traced).

    Examples
    --------
    >>> x = tnp.arange(6).reshape(2, 3)
    >>> tnp.delete(x, 1, axis=1)
    Array([[0, 2],
           [3, 5]], dtype=int32)
    >>> tnp.delete(x, tnp.array([0, 4]))
    Array([1, 2, 3, 5], dtype=int32)
    """
    check_arraylike("delete", arr, obj)
    a = asarray(arr)
    if axis is None:
        a, axis = shape_ops.ravel(a), 0
    ax = canonicalize_axis(axis, a.ndim, "delete")
    n = a.shape[ax]
    lead = (slice(None),) * ax
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, (bool, np.bool_)):
        i = int(obj)
        if not -n <= i < n:
            raise IndexError(f"delete: index {i} is out of bounds for axis {ax} with size {n}")
        i %= n
        return shape_ops.concatenate([a[lead + (slice(0, i),)], a[lead + (slice(i + 1, None),)]],
                                     axis=ax)
    if isinstance(obj, slice):
        keep = np.ones(n, bool)
        keep[obj] = False
        return a[lead + (asarray(np.flatnonzero(keep).astype(np.int32)),)]
    idx = asarray(obj)
    if assume_unique_indices and dtypes.is_integer(idx.dtype):
        return _delete_unique(a, shape_ops.ravel(idx), ax)
    keep = ~_static_indices("delete", obj, n)
    return a[lead + (asarray(np.flatnonzero(keep).astype(np.int32)),)]


def _delete_unique(a, idx, ax):
    """Deletion at distinct (possibly traced) indices: the ``j``-th kept position is ``j``
    plus the number of deleted positions at or before it."""
    n = a.shape[ax]
    idx = ufuncs.where(comparison.less(idx, 0), ufuncs.add(idx, n), idx)
    gone = ufuncs.subtract(sorting.sort(ufuncs.clip(idx, 0, n)),
                           creation.arange(idx.shape[0], dtype=idx.dtype))
    pos = creation.arange(n - idx.shape[0], dtype=idx.dtype)
    shift = comparison.greater_equal(pos[None, :], gone[:, None])
    pos = ufuncs.add(pos, reductions.sum(shift, axis=0, dtype=pos.dtype))
    return a[(slice(None),) * ax + (pos,)]


def _insert_positions(op, obj, n):
    if isinstance(obj, slice):
        return creation.arange(*obj.indices(n))
    idx = asarray(obj)
    if idx.ndim > 1:
        raise ShapeError(f"{op}: obj must be a slice, a scalar or a 1-d array, got "
                         f"{idx.aval.str_short()}")
    if not dtypes.is_integer(idx.dtype):
        if idx.size == 0 and not isinstance(obj, Array):
            return ew.convert_element_type(idx, dtypes.default_int())
        raise DTypeError(f"{op}: indices must be integers, got {idx.aval.str_short()}")
    return idx


def insert(arr, obj, values, axis=None):
    """A copy of ``arr`` with ``values`` inserted before the positions ``obj`` (an int, a
    slice or integer indices, which may be traced) along ``axis`` (``None`` flattens first).

    Examples
    --------
    >>> x = tnp.arange(6).reshape(2, 3)
    >>> tnp.insert(x, 1, 9, axis=1)
    Array([[0, 9, 1, 2],
           [3, 9, 4, 5]], dtype=int32)
    >>> tnp.insert(tnp.arange(3), tnp.array([2, 0]), tnp.array([7, 8]))
    Array([8, 0, 1, 7, 2], dtype=int32)
    """
    check_arraylike("insert", arr, 0 if isinstance(obj, slice) else obj, values)
    a = asarray(arr)
    if axis is None:
        a, axis = shape_ops.ravel(a), 0
    ax = canonicalize_axis(axis, a.ndim, "insert")
    n = a.shape[ax]
    idx = _insert_positions("insert", obj, n)
    vals = array(asarray(values, a.dtype), ndmin=a.ndim)
    if idx.size == 1:
        if idx.ndim == 0:
            vals = shape_ops.moveaxis(vals, 0, ax)
        idx = broadcast_to(shape_ops.ravel(idx), (vals.shape[ax],))
    k = broadcast_shapes(idx.shape, (vals.shape[ax],), op="insert")[0]
    idx = ufuncs.clip(ufuncs.where(comparison.less(idx, 0), ufuncs.add(idx, n), idx), 0, n)
    # where each inserted value lands: its position plus the number inserted before it
    # (a stable sort keeps repeated positions in the order given)
    dest = idx.at[sorting.argsort(idx)].add(creation.arange(k, dtype=idx.dtype))
    block_shape = a.shape[:ax] + (k,) + a.shape[ax + 1:]
    lead = (slice(None),) * ax
    out = ew.full(a.shape[:ax] + (n + k,) + a.shape[ax + 1:], 0, a.dtype, a.weak_type)
    out = out.at[lead + (dest,)].set(broadcast_to(vals, block_shape, op="insert"))
    if n == 0:
        return out
    free = ew.full((n + k,), True, dtypes.bool_).at[dest].set(False)
    (src,) = nonzero(free, size=n)
    return out.at[lead + (src,)].set(a)


def _tile_to(v, n):
    reps = -(-n // v.shape[0])
    return rearranging.tile(v, reps)[:n]


def place(arr, mask, vals, *, inplace=True):
    """A copy of ``arr`` with the positions where ``mask`` is true set from ``vals`` in
    order (repeated as needed). Arrays are immutable, so ``inplace=False`` is required, as in
    JAX.

    Examples
    --------
    >>> x = tnp.arange(6).reshape(2, 3)
    >>> tnp.place(x, x > 2, tnp.array([10, 20]), inplace=False)
    Array([[ 0,  1,  2],
           [10, 20, 10]], dtype=int32)
    """
    check_arraylike("place", arr, mask, vals)
    if inplace:
        raise ValueError("place: tensorlib arrays are immutable, so place cannot work in "
                         "place; pass inplace=False to get an updated copy")
    a, m, v = asarray(arr), asarray(mask), shape_ops.ravel(asarray(vals))
    if a.size != m.size:
        raise ShapeError(f"place: arr and mask must have the same size, got "
                         f"{a.aval.str_short()} and {m.aval.str_short()}")
    if v.size == 0:
        raise ValueError("place: vals is empty, so there is nothing to place")
    if a.size == 0:
        return a
    (pos,) = nonzero(shape_ops.ravel(m), size=m.size, fill_value=m.size)
    v = ew.convert_element_type(v, a.dtype, a.weak_type)
    flat = shape_ops.ravel(a).at[pos].set(_tile_to(v, pos.shape[0]), mode="drop")
    return shape_ops.reshape(flat, a.shape)


def put(a, ind, v, mode=None, *, inplace=True):
    """A copy of ``a`` with the flat positions ``ind`` set to ``v`` (repeated as needed).
    ``mode`` handles out-of-range indices: ``None`` wraps negative ones once and clamps the
    rest, ``'clip'`` clamps, ``'wrap'`` wraps. ``inplace=False`` is required, as in JAX.

    Examples
    --------
    >>> x = tnp.zeros((2, 3), dtype=tnp.int32)
    >>> tnp.put(x, tnp.array([0, 4]), tnp.array([7, 9]), inplace=False)
    Array([[7, 0, 0],
           [0, 9, 0]], dtype=int32)
    >>> tnp.put(x, tnp.array([-1, 7]), 5, mode="wrap", inplace=False)
    Array([[0, 5, 0],
           [0, 0, 5]], dtype=int32)
    """
    if inplace:
        raise ValueError("put: tensorlib arrays are immutable, so put cannot work in place; "
                         "pass inplace=False to get an updated copy")
    check_arraylike("put", a, ind, v)
    arr, idx, vals = asarray(a), shape_ops.ravel(asarray(ind)), shape_ops.ravel(asarray(v))
    if mode not in (None, "clip", "wrap"):
        if mode == "raise":
            raise NotImplementedError("put: mode='raise' is not supported (it would need a "
                                      "value-dependent error); use 'clip' or 'wrap'")
        raise ValueError(f"put: mode must be None, 'clip' or 'wrap', got {mode!r}")
    if not dtypes.is_integer(idx.dtype):
        raise DTypeError(f"put: indices must be integers, got {idx.aval.str_short()}")
    if arr.size == 0 or idx.size == 0 or vals.size == 0:
        return arr
    n = arr.size
    if mode == "wrap":
        idx = division.remainder(idx, n)
    else:
        if mode is None:
            idx = ufuncs.where(comparison.less(idx, 0), ufuncs.add(idx, n), idx)
        idx = ufuncs.clip(idx, 0, n - 1)
    vals = ew.convert_element_type(vals, arr.dtype, arr.weak_type)
    flat = shape_ops.ravel(arr).at[idx].set(_tile_to(vals, idx.shape[0]))
    return shape_ops.reshape(flat, arr.shape)
