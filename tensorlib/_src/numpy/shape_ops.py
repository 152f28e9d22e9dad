"""Shape manipulation of ``tensorlib.numpy``: shape queries, reshape, transpose, axes,
``atleast_*``, broadcasting and joining (concatenate, stack, ..., append).
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from tensorlib._src.core import Array
from tensorlib._src.numpy.promotion import (
    asarray,
    broadcast_shapes,
    broadcast_to,
    canonicalize_axes,
    canonicalize_axis,
    promote_dtypes,
)
from tensorlib._src.ops import shape as sh
from tensorlib.errors import ShapeError


def shape(a):
    """The shape of ``a`` as a tuple (works for lists and scalars too).

    Examples
    --------
    >>> tnp.shape(tnp.zeros((2, 3)))
    (2, 3)
    >>> tnp.shape([[1, 2]]), tnp.shape(5.0)
    ((1, 2), ())
    """
    return tuple(asarray(a).shape)


def ndim(a):
    """The number of dimensions of ``a``.

    Examples
    --------
    >>> tnp.ndim(tnp.zeros((2, 3)))
    2
    >>> tnp.ndim(1.0)
    0
    """
    return asarray(a).ndim if not isinstance(a, (int, float, complex, bool)) else 0


def size(a, axis=None):
    """The number of elements of ``a``, or its length along ``axis``.

    Examples
    --------
    >>> x = tnp.zeros((2, 3))
    >>> tnp.size(x), tnp.size(x, axis=1)
    (6, 3)
    """
    a = asarray(a)
    return a.size if axis is None else a.shape[axis]


def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    """``a`` with a new shape and the same elements in C order; one entry may be -1.

    Examples
    --------
    >>> x = tnp.arange(6)
    >>> tnp.reshape(x, (2, 3))
    Array([[0, 1, 2],
           [3, 4, 5]], dtype=int32)
    >>> tnp.reshape(x, (-1, 2))
    Array([[0, 1],
           [2, 3],
           [4, 5]], dtype=int32)
    """
    a = asarray(a)
    shape = newshape if shape is None else shape
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = [operator.index(s) for s in shape]
    if order != "C":
        raise ValueError(f"reshape: only order='C' is supported, got {order!r}")
    if shape.count(-1) > 1:
        raise ShapeError(f"reshape: can only specify one unknown dimension, got {tuple(shape)}")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
        if known == 0 or a.size % known:
            raise ShapeError(f"reshape: cannot reshape {a.aval.str_short()} into shape "
                             f"{tuple(shape)}")
        shape[shape.index(-1)] = a.size // known
    # checked here, so the message does not depend on the backend's kernel
    if int(np.prod(shape, dtype=np.int64)) != a.size or builtins.any(s < 0 for s in shape):
        raise ShapeError(f"reshape: cannot reshape {a.aval.str_short()} ({a.size} elements) "
                         f"into shape {tuple(shape)}")
    return sh.reshape(a, shape)


def ravel(a, order="C"):
    """``a`` flattened to 1-d, in C order.

    Examples
    --------
    >>> tnp.ravel(tnp.array([[1, 2], [3, 4]]))
    Array([1, 2, 3, 4], dtype=int32)
    """
    a = asarray(a)
    return sh.reshape(a, (a.size,))


def transpose(a, axes=None):
    """``a`` with its axes permuted (reversed by default).

    Examples
    --------
    >>> x = tnp.zeros((2, 3, 4))
    >>> tnp.transpose(x).shape
    (4, 3, 2)
    >>> tnp.transpose(x, (1, 0, 2)).shape
    (3, 2, 4)
    >>> tnp.transpose(tnp.array([[1, 2, 3]]))
    Array([[1],
           [2],
           [3]], dtype=int32)
    """
    a = asarray(a)
    if axes is None:
        axes = tuple(range(a.ndim))[::-1]
    axes = tuple(canonicalize_axis(x, a.ndim, "transpose") for x in axes)
    if sorted(axes) != list(range(a.ndim)):
        raise ShapeError(f"transpose: axes {axes} are not a permutation of the axes of "
                         f"{a.aval.str_short()}")
    return sh.transpose(a, axes)


def permute_dims(a, /, axes):
    """Array API name of ``transpose``: ``a`` with its axes in the order ``axes``.

    Examples
    --------
    >>> tnp.permute_dims(tnp.zeros((2, 3, 4)), (2, 0, 1)).shape
    (4, 2, 3)
    """
    return transpose(a, axes)


def matrix_transpose(x, /):
    """Transpose of the last two axes (a batch of matrices); needs ``ndim >= 2``.

    Examples
    --------
    >>> x = tnp.arange(6).reshape(1, 2, 3)
    >>> tnp.matrix_transpose(x)
    Array([[[0, 3],
            [1, 4],
            [2, 5]]], dtype=int32)
    """
    x = asarray(x)
    if x.ndim < 2:
        raise ShapeError(f"matrix_transpose: needs at least 2 dims, got {x.aval.str_short()}")
    return swapaxes(x, -1, -2)


def swapaxes(a, axis1, axis2):
    """``a`` with axes ``axis1`` and ``axis2`` interchanged.

    Examples
    --------
    >>> tnp.swapaxes(tnp.zeros((2, 3, 4)), 0, -1).shape
    (4, 3, 2)
    """
    a = asarray(a)
    perm = list(range(a.ndim))
    i, j = canonicalize_axis(axis1, a.ndim), canonicalize_axis(axis2, a.ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return sh.transpose(a, perm)


def moveaxis(a, source, destination):
    """``a`` with the axes ``source`` moved to ``destination``; the others keep their order.

    Examples
    --------
    >>> x = tnp.zeros((2, 3, 4))
    >>> tnp.moveaxis(x, 0, -1).shape
    (3, 4, 2)
    >>> tnp.moveaxis(x, (0, 1), (-1, -2)).shape
    (4, 3, 2)
    """
    a = asarray(a)
    src = canonicalize_axes(source if isinstance(source, (tuple, list)) else (source,), a.ndim,
                            "moveaxis")
    dst = canonicalize_axes(destination if isinstance(destination, (tuple, list))
                            else (destination,), a.ndim, "moveaxis")
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination need the same number of axes")
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return sh.transpose(a, order)


def expand_dims(a, axis):
    """``a`` with new length-1 axes at the positions ``axis`` (an int or a tuple).

    Examples
    --------
    >>> x = tnp.array([1, 2])
    >>> tnp.expand_dims(x, 0)
    Array([[1, 2]], dtype=int32)
    >>> tnp.expand_dims(x, (0, 2)).shape
    (1, 2, 1)
    """
    a = asarray(a)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out_nd = a.ndim + len(axes)
    for x in axes:
        if not -out_nd <= operator.index(x) < out_nd:
            raise IndexError(f"expand_dims: axis {x} is out of bounds for the {out_nd}-d result "
                             f"of expanding {a.aval.str_short()}")
    axes = sorted(canonicalize_axis(x, out_nd, "expand_dims") for x in axes)
    return sh.expand_dims(a, axes)


def squeeze(a, axis=None):
    """``a`` without its length-1 axes (only those in ``axis``, if given).

    Examples
    --------
    >>> x = tnp.zeros((1, 3, 1))
    >>> tnp.squeeze(x).shape
    (3,)
    >>> tnp.squeeze(x, axis=0).shape
    (3, 1)
    """
    a = asarray(a)
    if axis is None:
        axes = [d for d, n in enumerate(a.shape) if n == 1]
    else:
        axes = canonicalize_axes(axis, a.ndim, "squeeze")
    return sh.squeeze(a, axes)


def atleast_1d(*arys):
    """The inputs as arrays with at least one dimension (a list for several inputs).

    Examples
    --------
    >>> tnp.atleast_1d(1.0)
    Array([1.], dtype=float32, weak_type=True)
    >>> tnp.atleast_1d(1, tnp.array([2, 3]))
    [Array([1], dtype=int32, weak_type=True), Array([2, 3], dtype=int32)]
    """
    out = [reshape(a, (1,)) if asarray(a).ndim == 0 else asarray(a) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    """The inputs as arrays with at least two dimensions (1-d becomes a row).

    Examples
    --------
    >>> tnp.atleast_2d(tnp.array([1, 2]))
    Array([[1, 2]], dtype=int32)
    >>> tnp.atleast_2d(3).shape
    (1, 1)
    """
    out = []
    for a in arys:
        a = asarray(a)
        out.append(reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a)
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    """The inputs as arrays with at least three dimensions: ``(n,)`` becomes ``(1, n, 1)``,
    ``(m, n)`` becomes ``(m, n, 1)``.

    Examples
    --------
    >>> tnp.atleast_3d(tnp.array([1, 2])).shape
    (1, 2, 1)
    >>> tnp.atleast_3d(tnp.zeros((2, 3))).shape
    (2, 3, 1)
    """
    out = []
    for a in arys:
        a = asarray(a)
        if a.ndim == 0:
            a = reshape(a, (1, 1, 1))
        elif a.ndim == 1:
            a = reshape(a, (1, a.shape[0], 1))
        elif a.ndim == 2:
            a = reshape(a, a.shape + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else out


def broadcast_arrays(*args):
    """The inputs broadcast against each other to one shape.

    Examples
    --------
    >>> a, b = tnp.broadcast_arrays(tnp.array([[1], [2]]), tnp.array([10, 20, 30]))
    >>> a
    Array([[1, 1, 1],
           [2, 2, 2]], dtype=int32)
    >>> b
    Array([[10, 20, 30],
           [10, 20, 30]], dtype=int32)
    """
    arrs = [asarray(a) for a in args]
    shp = broadcast_shapes(*[a.shape for a in arrs])
    return [broadcast_to(a, shp) for a in arrs]


def concatenate(arrays, axis=0, dtype=None):
    """Join arrays along an existing ``axis`` (``axis=None`` flattens them first); dtypes are
    promoted.

    Examples
    --------
    >>> a, b = tnp.array([[1, 2]]), tnp.array([[3, 4]])
    >>> tnp.concatenate([a, b])
    Array([[1, 2],
           [3, 4]], dtype=int32)
    >>> tnp.concatenate([a, b], axis=1)
    Array([[1, 2, 3, 4]], dtype=int32)
    >>> tnp.concatenate([tnp.array([1]), tnp.array([0.5])])
    Array([1. , 0.5], dtype=float32)
    """
    arrs = [asarray(a) for a in arrays]
    if not arrs:
        raise ValueError("concatenate: need at least one array to concatenate")
    if axis is None:
        arrs = [ravel(a) for a in arrs]
        axis = 0
    arrs = promote_dtypes(*arrs)
    if dtype is not None:
        arrs = [a.astype(dtype) for a in arrs]
    ax = canonicalize_axis(axis, arrs[0].ndim, "concatenate")
    s0 = arrs[0].shape
    for i, a in enumerate(arrs):
        if a.ndim != len(s0):
            raise ShapeError(f"concatenate: array {i} has {a.ndim} dims (shape {a.shape}) but "
                             f"array 0 has {len(s0)} (shape {s0}); all inputs need the same "
                             "number of dims")
        if builtins.any(n != m for d, (n, m) in enumerate(zip(a.shape, s0, strict=True))
                        if d != ax):
            raise ShapeError(f"concatenate: array {i} has shape {a.shape} but array 0 has {s0}; "
                             f"all sizes must match except along axis {ax}")
    return sh.concatenate(arrs, ax)


concat = concatenate


def stack(arrays, axis=0, dtype=None):
    """Join arrays of one shape along a new ``axis``.

    Examples
    --------
    >>> a, b = tnp.array([1, 2]), tnp.array([3, 4])
    >>> tnp.stack([a, b])
    Array([[1, 2],
           [3, 4]], dtype=int32)
    >>> tnp.stack([a, b], axis=1)
    Array([[1, 3],
           [2, 4]], dtype=int32)
    """
    arrs = [asarray(a) for a in arrays]
    if not arrs:
        raise ValueError("stack: need at least one array to stack")
    s0 = arrs[0].shape
    for i, a in enumerate(arrs):
        if a.shape != s0:
            raise ShapeError(f"stack: array {i} has shape {a.shape} but array 0 has {s0}; "
                             "all input arrays must have the same shape")
    ax = canonicalize_axis(axis, len(s0) + 1, "stack")
    return concatenate([sh.expand_dims(a, (ax,)) for a in arrs], axis=ax, dtype=dtype)


def hstack(tup, dtype=None):
    """Join arrays horizontally: along axis 1, or axis 0 for 1-d arrays.

    Examples
    --------
    >>> tnp.hstack([tnp.array([1, 2]), tnp.array([3])])
    Array([1, 2, 3], dtype=int32)
    >>> tnp.hstack([tnp.array([[1], [2]]), tnp.array([[3], [4]])])
    Array([[1, 3],
           [2, 4]], dtype=int32)
    """
    arrs = atleast_1d(*tup) if len(tup) > 1 else [atleast_1d(*tup)]
    return concatenate(arrs, axis=0 if arrs[0].ndim == 1 else 1, dtype=dtype)


def vstack(tup, dtype=None):
    """Join arrays vertically: along axis 0, 1-d arrays becoming rows.

    Examples
    --------
    >>> tnp.vstack([tnp.array([1, 2]), tnp.array([3, 4])])
    Array([[1, 2],
           [3, 4]], dtype=int32)
    """
    arrs = atleast_2d(*tup) if len(tup) > 1 else [atleast_2d(*tup)]
    return concatenate(arrs, axis=0, dtype=dtype)


row_stack = vstack


def dstack(tup, dtype=None):
    """Join arrays along the third axis (after making them at least 3-d).

    Examples
    --------
    >>> tnp.dstack([tnp.array([1, 2]), tnp.array([3, 4])])
    Array([[[1, 3],
            [2, 4]]], dtype=int32)
    """
    arrs = atleast_3d(*tup) if len(tup) > 1 else [atleast_3d(*tup)]
    return concatenate(arrs, axis=2, dtype=dtype)


def column_stack(tup):
    """Join 1-d arrays as the columns of a 2-d array (2-d arrays join along axis 1).

    Examples
    --------
    >>> tnp.column_stack([tnp.array([1, 2]), tnp.array([3, 4])])
    Array([[1, 3],
           [2, 4]], dtype=int32)
    """
    if isinstance(tup, Array):  # an array is a sequence of its rows, as in NumPy and JAX
        tup = [tup[i] for i in range(tup.shape[0])] if tup.ndim else [tup]
    arrs = [asarray(a) for a in tup]
    # 0-d and 1-d arrays become columns: (n,) -> (n, 1), () -> (1, 1)
    arrs = [reshape(a, (a.size, 1)) if a.ndim < 2 else a for a in arrs]
    return concatenate(arrs, axis=1)


def append(arr, values, axis=None):
    """``values`` appended to ``arr`` along ``axis`` (both flattened if ``axis`` is None).

    Returns a new array; JAX-style immutability.

    Examples
    --------
    >>> tnp.append(tnp.array([[1, 2]]), tnp.array([3, 4]))
    Array([1, 2, 3, 4], dtype=int32)
    >>> tnp.append(tnp.array([[1, 2]]), tnp.array([[3, 4]]), axis=0)
    Array([[1, 2],
           [3, 4]], dtype=int32)
    """
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis=axis)
