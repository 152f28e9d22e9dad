"""NumPy indexing on top of ``slice``, ``rev``, ``gather`` and ``scatter``; ``.at[]`` updates.

Basic indices (ints, slices, None, Ellipsis) become static slices; integer arrays (and ints,
when arrays are present) become one ``gather`` whose batch dimensions land where NumPy puts
them. Boolean masks are turned into integer indices, which needs concrete values. Out-of-bounds
gather indices clamp, as in JAX; ``.at[]`` updates drop them.
"""

from __future__ import annotations

import builtins

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array, concrete_or_none
from tensorlib._src.numpy.nonzero_indices import nonzero
from tensorlib._src.numpy.promotion import (
    asarray,
    broadcast_shapes,
    broadcast_to,
    canonicalize_axis,
)
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import index as ix
from tensorlib._src.ops import shape as sh
from tensorlib.errors import ShapeError


def _is_int_scalar(i):
    return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))


def _is_array_index(i):
    return isinstance(i, (Array, np.ndarray, list)) or (
        isinstance(i, (bool, np.bool_)))


def _expand(x, idx):
    """Normalize ``idx`` to one entry per axis of ``x`` after inserting the None axes.

    Also returns whether an Ellipsis that stands for no axis separates advanced indices:
    NumPy then still counts them as non-adjacent.
    """
    if not isinstance(idx, tuple):
        idx = (idx,)
    idx = [asarray(i) if isinstance(i, list) else i for i in idx]
    _check_mask_shapes(x, idx)
    # boolean arrays: one entry per masked axis, turned into integer arrays (concrete only)
    out = []
    for i in idx:
        if isinstance(i, (Array, np.ndarray)) and i.dtype == dtypes.bool_:
            out.extend(_mask_to_ints(i))
        elif isinstance(i, (bool, np.bool_)):
            out.append(("bool_scalar", bool(i)))
        else:
            out.append(i)
    n_ell = builtins.sum(1 for i in out if i is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = builtins.sum(1 for i in out if i is not None and i is not Ellipsis
                        and not (isinstance(i, tuple) and i[0] == "bool_scalar"))
    if used > x.ndim:
        raise IndexError(f"too many indices for array: array is {x.ndim}-dimensional, but "
                         f"{used} were indexed")
    split = False
    if n_ell:
        # by identity: list.index would compare Arrays with == (elementwise)
        k = next(j for j, i in enumerate(out) if i is Ellipsis)
        adv = [not (i is None or i is Ellipsis or isinstance(i, slice)) for i in out]
        split = x.ndim == used and builtins.any(adv[:k]) and builtins.any(adv[k + 1:])
        out[k:k + 1] = [slice(None)] * (x.ndim - used)
    else:
        out += [slice(None)] * (x.ndim - used)
    # None and scalar booleans add a new axis of size 1
    new_shape, entries, src = [], [], 0
    for i in out:
        if i is None:
            new_shape.append(1)
            entries.append(slice(None))
        elif isinstance(i, tuple):
            new_shape.append(1)
            entries.append(asarray(np.zeros(1 if i[1] else 0, np.int32)))
        else:
            new_shape.append(x.shape[src])
            entries.append(i)
            src += 1
    if len(new_shape) != x.ndim:
        x = sh.reshape(x, new_shape)
    return x, entries, split


def _is_mask(i):
    return isinstance(i, (Array, np.ndarray)) and i.dtype == dtypes.bool_ and i.ndim > 0


def _check_mask_shapes(x, idx):
    """Boolean-array indices must match the shape of the axes they mask (size 0 selects
    nothing and is accepted, as the Array API test suite expects)."""
    if not builtins.any(_is_mask(i) for i in idx):
        return
    width = [i.ndim if _is_mask(i) else 0 if (i is None or i is Ellipsis or
                                              isinstance(i, (bool, np.bool_))) else 1
             for i in idx]
    ell = next((k for k, i in enumerate(idx) if i is Ellipsis), None)
    for k, i in enumerate(idx):
        if not _is_mask(i):
            continue
        start = builtins.sum(width[:k]) if ell is None or k < ell else \
            x.ndim - builtins.sum(width[k:])
        axes = x.shape[start:start + i.ndim]
        if start < 0 or len(axes) != i.ndim or builtins.any(
                m not in (n, 0) for m, n in zip(i.shape, axes)):
            raise IndexError(f"boolean index of shape {tuple(i.shape)} does not match the "
                             f"indexed axes {tuple(axes)} of an array of shape {x.shape}")


def _mask_to_ints(mask):
    c = concrete_or_none(mask) if isinstance(mask, Array) else mask
    if c is None:
        from tensorlib._src.errors_util import concretization_error

        raise concretization_error(mask, "boolean-mask indexing (the result shape depends on "
                                   "the values); use tensorlib.numpy.where(mask, x, 0) instead")
    m = np.asarray(c.to_numpy() if isinstance(c, Array) else c)
    if m.ndim == 0:
        return [("bool_scalar", bool(m))]
    return [asarray(n.astype(np.int32)) for n in np.nonzero(m)]


def _apply_slices(x, entries):
    """Apply the slice entries statically; return the array and the remaining entries."""
    starts, limits, strides, flips = [], [], [], []
    for d, e in enumerate(entries):
        n = x.shape[d]
        if isinstance(e, slice):
            start, stop, step = e.indices(n)
            if step < 0:
                # x[a:b:-s] == rev(x)[n-1-a : n-1-b : s]
                flips.append(d)
                start, stop, step = n - 1 - start, n - 1 - stop, -step
            length = builtins.max(0, -(-(stop - start) // step))
            starts.append(start if length else 0)
            limits.append(start + (length - 1) * step + 1 if length else 0)
            strides.append(step)
        else:
            starts.append(0)
            limits.append(n)
            strides.append(1)
    if flips:
        x = sh.rev(x, flips)
    if starts != [0] * x.ndim or limits != list(x.shape) or builtins.any(s != 1 for s in strides):
        x = sh.slice(x, starts, limits, strides)
    return x


def _normalize_index_array(i, n, axis):
    i = asarray(i)
    if not dtypes.is_integer(i.dtype):
        raise IndexError(f"indices must be integers or booleans, got {i.aval.str_short()} for "
                         f"axis {axis}")
    if i.dtype != dtypes.int32 and i.dtype != dtypes.int64:
        i = ew.convert_element_type(i, dtypes.int32)
    if dtypes.is_unsigned(i.dtype):
        return i
    neg = ew.lt(i, ew.full(i.shape, 0, i.dtype))
    return ew.select_n(neg, i, ew.add(i, ew.full(i.shape, n, i.dtype)))


def getitem(x, idx, mode="clip"):
    """``x[idx]`` with NumPy semantics."""
    x = asarray(x)
    x, entries, split = _expand(x, idx)
    adv = [d for d, e in enumerate(entries) if not isinstance(e, slice)]
    if not adv:
        return _apply_slices(x, entries)
    oob = [d for d in adv if _is_int_scalar(entries[d])
           and not -x.shape[d] <= int(entries[d]) < x.shape[d]]
    if oob:
        # Out of bounds, as in JAX: the gather's mode decides (clamped by default, filled
        # for mode="fill", dropped by a scatter), not an IndexError. The index is brought
        # into int32 range first; beyond the axis by one or more, it stays out of bounds.
        entries = list(entries)
        for d in oob:
            e, n = int(entries[d]), x.shape[d]
            if not -2**31 <= e < 2**31:
                raise OverflowError(f"indexing: Python int {e} too large to convert to int32 "
                                    f"(axis {d} has size {n})")
            entries[d] = asarray(np.int32(builtins.max(-n - 1, builtins.min(e, n))))
    if builtins.all(_is_int_scalar(entries[d]) for d in adv):
        # only static ints: a static slice and a reshape
        ents = [slice(int(e) % x.shape[d], int(e) % x.shape[d] + 1) if _is_int_scalar(e) else e
                for d, e in enumerate(entries)]
        y = _apply_slices(x, ents)
        return sh.reshape(y, [n for d, n in enumerate(y.shape) if d not in adv])
    y = _apply_slices(x, entries)
    arrs = [_normalize_index_array(entries[d], y.shape[d], d) for d in adv]
    arrs = [a if a.dtype == arrs[0].dtype else ew.convert_element_type(a, dtypes.int32)
            for a in arrs]
    if builtins.len({a.dtype for a in arrs}) > 1:
        arrs = [ew.convert_element_type(a, dtypes.int32) for a in arrs]
    bshape = broadcast_shapes(*[a.shape for a in arrs], op="indexing")
    cols = [sh.reshape(broadcast_to(a, bshape), bshape + (1,)) for a in arrs]
    indices = sh.concatenate(cols, len(bshape)) if len(cols) > 1 else cols[0]
    out = ix.gather(y, indices, dims=tuple(adv), mode=mode)
    contiguous = adv == list(range(adv[0], adv[0] + len(adv))) and not split
    if contiguous and adv[0] > 0:
        nb = len(bshape)
        rest = out.ndim - nb
        before = adv[0]
        perm = list(range(nb, nb + before)) + list(range(nb)) + list(range(nb + before,
                                                                          nb + rest))
        out = sh.transpose(out, perm)
    return out


def _flat_positions(x, idx, index_mode=None):
    """Flat positions of the elements ``x[idx]`` selects. Out-of-bounds indices are clamped
    with ``index_mode="clip"``; otherwise their positions are -1 (the update is dropped, JAX's
    default for scatters)."""
    n = x.size
    ids = sh.reshape(sh.iota(dtypes.int32, n), x.shape)
    if index_mode == "clip":
        return getitem(ids, idx, mode="clip")
    ids = ew.add(ids, ew.full(ids.shape, 1, dtypes.int32))
    sel = getitem(ids, idx, mode="fill")
    return ew.sub(sel, ew.full(sel.shape, 1, dtypes.int32))


def scatter_update(x, idx, values, mode, op_name, index_mode=None):
    """``x.at[idx].<mode>(values)``; ``index_mode`` is the ``.at`` method's ``mode=``."""
    x = asarray(x)
    pos = _flat_positions(x, idx, index_mode)
    v = asarray(values)
    if v.dtype != x.dtype:
        v = ew.convert_element_type(v, x.dtype, x.weak_type)
    try:
        v = broadcast_to(v, pos.shape, f"at[].{op_name}")
    except ShapeError as e:
        raise ShapeError(f"at[].{op_name}: values {v.aval.str_short()} cannot be broadcast to "
                         f"the indexed shape {tuple(pos.shape)} of {x.aval.str_short()}") from e
    flat = sh.reshape(x, (x.size,))
    m = pos.size
    out = ix.scatter(flat, sh.reshape(pos, (m, 1)), sh.reshape(v, (m,)), dims=(0,), mode=mode)
    return sh.reshape(out, x.shape)


class _IndexUpdateHelper:
    """``x.at[idx]``: functional updates, as in JAX."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, idx):
        return _IndexUpdateRef(self.array, idx)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"


_MODES = (None, "clip", "fill", "drop", "promise_in_bounds")


def _check_mode(op, mode):
    if mode not in _MODES:
        raise ValueError(f"x.at[...].{op}: unknown mode {mode!r}; the modes are "
                         "'promise_in_bounds', 'clip', 'drop' and 'fill' (or None)")


class _IndexUpdateRef:
    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def get(self, *, mode=None, fill_value=None):
        _check_mode("get", mode)
        if mode == "fill":
            return _getitem_fill(self.array, self.index, fill_value)
        return getitem(self.array, self.index, "clip")

    def set(self, values, *, mode=None):
        _check_mode("set", mode)
        return scatter_update(self.array, self.index, values, "set", "set", mode)

    def add(self, values, *, mode=None):
        _check_mode("add", mode)
        return scatter_update(self.array, self.index, values, "add", "add", mode)

    def subtract(self, values, *, mode=None):
        _check_mode("subtract", mode)
        return scatter_update(self.array, self.index, -asarray(values), "add", "subtract",
                              mode)

    def multiply(self, values, *, mode=None):
        _check_mode("multiply", mode)
        return scatter_update(self.array, self.index, values, "mul", "multiply", mode)

    mul = multiply

    def divide(self, values, *, mode=None):
        _check_mode("divide", mode)
        from tensorlib._src.numpy.ufuncs import reciprocal

        return scatter_update(self.array, self.index, reciprocal(values), "mul", "divide",
                              mode)

    def power(self, values, *, mode=None):
        _check_mode("power", mode)
        from tensorlib._src.numpy.ufuncs import power

        return self.set(power(self.get(mode=mode), values), mode=mode)

    def min(self, values, *, mode=None):
        _check_mode("min", mode)
        return scatter_update(self.array, self.index, values, "min", "min", mode)

    def max(self, values, *, mode=None):
        _check_mode("max", mode)
        return scatter_update(self.array, self.index, values, "max", "max", mode)


# --------------------------------------------------------------------------------------------


def _fill_value(dtype, fill_value):
    """JAX's fill for out-of-bounds gathers: NaN, the lowest signed or highest unsigned
    integer, or True (unless ``fill_value`` is given)."""
    if fill_value is not None:
        return fill_value
    if dtypes.is_inexact(dtype):
        return np.nan
    if dtype == dtypes.bool_:
        return True
    info = np.iinfo(dtype)
    return info.max if dtypes.is_unsigned(dtype) else info.min


def _fill_oob(out, oob, fill_value):
    """``out`` with the fill value where the boolean ``oob`` holds."""
    fv = ew.full(out.shape, _fill_value(out.dtype, fill_value), out.dtype, out.weak_type)
    return ew.select_n(oob, out, fv)


def _getitem_fill(x, idx, fill_value):
    """``x[idx]`` with out-of-bounds positions set to the fill value (``mode="fill"``)."""
    x = asarray(x)
    out = getitem(x, idx, "fill")
    pos = _flat_positions(x, idx)
    return _fill_oob(out, ew.lt(pos, ew.full(pos.shape, 0, pos.dtype)), fill_value)


def take(a, indices, axis=None, mode=None, fill_value=None):
    """Elements of ``a`` at ``indices`` along ``axis`` (flattened when ``axis`` is None).

    As in JAX, ``mode="fill"`` (the default) gives ``fill_value`` (NaN for floats) at
    out-of-bounds indices, ``"clip"`` clamps them (negative ones to 0) and ``"wrap"`` wraps.

    Examples
    --------
    >>> x = tnp.array([[1., 2., 3.], [4., 5., 6.]])
    >>> tnp.take(x, tnp.array([0, 5]))
    Array([1., 6.], dtype=float32)
    >>> tnp.take(x, tnp.array([2, 0]), axis=1)
    Array([[3., 1.],
           [6., 4.]], dtype=float32)
    >>> tnp.take(x, tnp.array([1, 3]), axis=1)
    Array([[ 2., nan],
           [ 5., nan]], dtype=float32)
    >>> tnp.take(x, tnp.array([1, 3]), axis=1, mode="clip")
    Array([[2., 3.],
           [5., 6.]], dtype=float32)
    """
    a = asarray(a)
    if axis is None:
        a = sh.reshape(a, (a.size,))
        axis = 0
    ax = canonicalize_axis(axis, a.ndim, "take")
    i = asarray(indices)
    mode = "fill" if mode is None else mode
    if mode == "wrap":
        i = i % a.shape[ax]
    elif mode == "clip":
        i = ix.clamp_indices(a.shape, sh.reshape(i, i.shape + (1,)), (ax,))
        i = sh.reshape(i, i.shape[:-1])
    elif mode != "fill":
        raise ValueError(f"take: mode must be 'fill', 'clip' or 'wrap', got {mode!r}")
    idx = (slice(None),) * ax + (i,)
    if mode == "fill":
        return _getitem_fill(a, idx, fill_value)
    return getitem(a, idx, "clip")


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    """Elements of ``arr`` at ``indices`` matched along ``axis`` (as from ``argsort``).

    Examples
    --------
    >>> x = tnp.array([[10, 30, 20], [60, 40, 50]])
    >>> i = tnp.argsort(x, axis=1)
    >>> tnp.take_along_axis(x, i, axis=1)
    Array([[10, 20, 30],
           [40, 50, 60]], dtype=int32)
    >>> tnp.take_along_axis(x, tnp.array([[2], [0]]), axis=1)
    Array([[20],
           [60]], dtype=int32)
    """
    a = asarray(arr)
    i = asarray(indices)
    if axis is None:
        a = sh.reshape(a, (a.size,))
        axis = 0
    ax = canonicalize_axis(axis, a.ndim, "take_along_axis")
    if i.ndim != a.ndim:
        raise ShapeError(f"take_along_axis: indices {i.aval.str_short()} and array "
                         f"{a.aval.str_short()} need the same number of dims")
    shape = list(broadcast_shapes(tuple(n for d, n in enumerate(a.shape) if d != ax),
                                  tuple(n for d, n in enumerate(i.shape) if d != ax)))
    shape.insert(ax, i.shape[ax])
    i = broadcast_to(i, shape)
    a_shape = list(shape)
    a_shape[ax] = a.shape[ax]
    a = broadcast_to(a, a_shape)
    i = _normalize_index_array(i, a.shape[ax], ax)
    out = ix.take_along(a, i, ax)
    if mode not in (None, "fill"):
        return out
    # JAX's default mode is "fill": out-of-bounds indices give the fill value
    oob = ew.bitwise_or(ew.lt(i, ew.full(i.shape, 0, i.dtype)),
                        ew.ge(i, ew.full(i.shape, a.shape[ax], i.dtype)))
    return _fill_oob(out, oob, fill_value)


def argwhere(a, *, size=None, fill_value=None):
    """Indices of nonzero elements as a ``(count, ndim)`` array; ``size=`` as in ``nonzero``.

    Examples
    --------
    >>> tnp.argwhere(tnp.array([[0, 3], [4, 0]]))
    Array([[0, 1],
           [1, 0]], dtype=int32)
    >>> tnp.argwhere(tnp.array([0, 7, 0]), size=2, fill_value=-1)
    Array([[ 1],
           [-1]], dtype=int32)
    """
    from tensorlib._src.numpy.shape_ops import stack

    if asarray(a).ndim == 0:
        return asarray(np.zeros((int(bool(asarray(a))), 0), np.int32))
    return stack(nonzero(a, size=size, fill_value=fill_value), axis=1)


def flatnonzero(a, *, size=None, fill_value=None):
    """Indices of nonzero elements of the flattened ``a``; ``size=`` as in ``nonzero``.

    Examples
    --------
    >>> tnp.flatnonzero(tnp.array([[0, 3], [4, 0]]))
    Array([1, 2], dtype=int32)
    >>> tnp.flatnonzero(tnp.array([0, 7]), size=3, fill_value=9)
    Array([1, 9, 9], dtype=int32)
    """
    return nonzero(sh.reshape(asarray(a), (asarray(a).size,)), size=size, fill_value=fill_value)[0]


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The ``offset``-th diagonal of the 2-d slices over ``axis1`` and ``axis2`` (last axis).

    Examples
    --------
    >>> x = tnp.arange(9).reshape(3, 3)
    >>> tnp.diagonal(x)
    Array([0, 4, 8], dtype=int32)
    >>> tnp.diagonal(x, offset=1)
    Array([1, 5], dtype=int32)
    >>> tnp.diagonal(tnp.arange(8).reshape(2, 2, 2), axis1=1, axis2=2)
    Array([[0, 3],
           [4, 7]], dtype=int32)
    """
    a = asarray(a)
    a1, a2 = canonicalize_axis(axis1, a.ndim), canonicalize_axis(axis2, a.ndim)
    n, m = a.shape[a1], a.shape[a2]
    k = builtins.max(0, builtins.min(n + builtins.min(offset, 0), m - builtins.max(offset, 0)))
    rows = np.arange(k) - builtins.min(offset, 0)
    cols = np.arange(k) + builtins.max(offset, 0)
    from tensorlib._src.numpy.shape_ops import moveaxis

    b = moveaxis(a, (a1, a2), (-2, -1))
    nd = b.ndim
    idx = (Ellipsis, asarray(rows.astype(np.int32)), asarray(cols.astype(np.int32)))
    out = getitem(b, idx)
    return out if nd >= 2 else out


def diag(v, k=0):
    """The ``k``-th diagonal of a 2-d ``v``, or a 2-d array with the 1-d ``v`` on it.

    Examples
    --------
    >>> tnp.diag(tnp.array([1, 2]))
    Array([[1, 0],
           [0, 2]], dtype=int32)
    >>> tnp.diag(tnp.array([1, 2]), k=1)
    Array([[0, 1, 0],
           [0, 0, 2],
           [0, 0, 0]], dtype=int32)
    >>> tnp.diag(tnp.arange(9).reshape(3, 3), k=-1)
    Array([3, 7], dtype=int32)
    """
    v = asarray(v)
    if v.ndim == 1:
        n = v.shape[0] + builtins.abs(k)
        z = ew.full((n, n), 0, v.dtype)
        rows = np.arange(v.shape[0]) - builtins.min(k, 0)
        cols = np.arange(v.shape[0]) + builtins.max(k, 0)
        return z.at[asarray(rows.astype(np.int32)), asarray(cols.astype(np.int32))].set(v)
    if v.ndim == 2:
        return diagonal(v, k)
    raise ShapeError(f"diag: input must be 1-d or 2-d, got {v.aval.str_short()}")


def diagflat(v, k=0):
    """A 2-d array with the flattened ``v`` on its ``k``-th diagonal.

    Examples
    --------
    >>> tnp.diagflat(tnp.array([[1, 2], [3, 4]]))
    Array([[1, 0, 0, 0],
           [0, 2, 0, 0],
           [0, 0, 3, 0],
           [0, 0, 0, 4]], dtype=int32)
    """
    from tensorlib._src.numpy.shape_ops import ravel

    return diag(ravel(v), k)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    """Sum along the ``offset``-th diagonal (of the axes ``axis1`` and ``axis2``).

    Examples
    --------
    >>> x = tnp.arange(9).reshape(3, 3)
    >>> tnp.trace(x)
    Array(12, dtype=int32)
    >>> tnp.trace(x, offset=1)
    Array(6, dtype=int32)
    """
    from tensorlib._src.numpy.reductions import sum

    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def compress(condition, a, axis=None):
    """Slices of ``a`` along ``axis`` where the (concrete) ``condition`` is true.

    Examples
    --------
    >>> x = tnp.array([[1, 2], [3, 4], [5, 6]])
    >>> tnp.compress(tnp.array([True, False, True]), x, axis=0)
    Array([[1, 2],
           [5, 6]], dtype=int32)
    >>> tnp.compress(tnp.array([False, True]), x, axis=1)
    Array([[2],
           [4],
           [6]], dtype=int32)
    """
    a = asarray(a)
    c = np.asarray(asarray(condition).to_numpy()).astype(bool)
    idx = np.nonzero(c)[0].astype(np.int32)
    return take(a, asarray(idx), axis=axis, mode="clip")


def extract(condition, arr):
    """The elements of ``arr`` where ``condition`` is true, flattened (needs concrete values).

    Examples
    --------
    >>> x = tnp.arange(6).reshape(2, 3)
    >>> tnp.extract(x % 2 == 0, x)
    Array([0, 2, 4], dtype=int32)
    """
    from tensorlib._src.numpy.shape_ops import ravel

    return getitem(ravel(arr), ravel(asarray(condition)).astype(bool))


def select(condlist, choicelist, default=0):
    """Elementwise the choice for the first true condition, else ``default``.

    Examples
    --------
    >>> x = tnp.arange(6)
    >>> tnp.select([x < 2, x > 3], [x, x * 10], default=-1)
    Array([ 0,  1, -1, -1, 40, 50], dtype=int32)
    """
    from tensorlib._src.numpy.ufuncs import where

    out = asarray(default)
    for c, v in reversed(list(zip(condlist, choicelist))):
        out = where(c, v, out)
    return out


def choose(a, choices, mode="raise"):
    """Elementwise ``choices[a]``: each entry of ``a`` picks the array to take from.

    ``mode="wrap"`` wraps indices; other out-of-range indices are clamped.

    Examples
    --------
    >>> choices = [tnp.array([0, 1, 2]), tnp.array([10, 11, 12])]
    >>> tnp.choose(tnp.array([1, 0, 1]), choices)
    Array([10,  1, 12], dtype=int32)
    >>> tnp.choose(tnp.array([2, 3, 0]), choices, mode="wrap")
    Array([ 0, 11,  2], dtype=int32)
    """
    from tensorlib._src.numpy.shape_ops import stack

    a = asarray(a)
    ch = stack([asarray(c) for c in choices])
    ch, a = broadcast_to(ch, broadcast_shapes(ch.shape, (1,) + a.shape)), a
    a = broadcast_to(a, ch.shape[1:])
    if mode == "wrap":
        a = a % ch.shape[0]
    return ix.take_along(ch, sh.expand_dims(ew.convert_element_type(a, dtypes.int32), (0,)),
                         0)[0]


def ix_(*args):
    """Open-mesh index arrays from 1-d sequences, to index a cross product of positions.

    Examples
    --------
    >>> rows, cols = tnp.ix_(tnp.array([0, 2]), tnp.array([1, 2]))
    >>> rows.shape, cols.shape
    ((2, 1), (1, 2))
    >>> tnp.arange(9).reshape(3, 3)[rows, cols]
    Array([[1, 2],
           [7, 8]], dtype=int32)
    """
    out = []
    n = len(args)
    for k, a in enumerate(args):
        a = asarray(a)
        shape = [1] * n
        shape[k] = a.size
        out.append(sh.reshape(a, shape))
    return tuple(out)


def put_along_axis(arr, indices, values, axis, inplace=True, mode=None):
    """A copy of ``arr`` with ``values`` put at ``indices`` along ``axis``.

    Arrays are immutable: as in JAX, ``inplace`` defaults to True (NumPy's behaviour) and is
    rejected; pass ``inplace=False`` to get the updated copy.

    Examples
    --------
    >>> x = tnp.array([[10, 30, 20], [60, 40, 50]])
    >>> i = tnp.argmax(x, axis=1, keepdims=True)
    >>> tnp.put_along_axis(x, i, 0, axis=1, inplace=False)
    Array([[10,  0, 20],
           [ 0, 40, 50]], dtype=int32)
    """
    if inplace:
        raise ValueError("put_along_axis: tensorlib arrays are immutable and cannot be "
                         "modified in place; pass inplace=False to get the updated copy")
    a = asarray(arr)
    i = asarray(indices)
    ax = canonicalize_axis(axis, a.ndim)
    v = broadcast_to(asarray(values, a.dtype), i.shape)
    full_idx = ix.along_axis_indices(_normalize_index_array(i, a.shape[ax], ax), ax)
    return ix.scatter(a, full_idx, v, dims=tuple(range(a.ndim)), mode="set")
