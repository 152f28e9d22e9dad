"""Argument handling of ``tensorlib.numpy``: conversion, dtype promotion and broadcasting."""

from __future__ import annotations

import builtins

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array, current_backend
from tensorlib._src.core import asarray as core_asarray
from tensorlib._src.ops.elementwise import convert_element_type
from tensorlib._src.ops.shape import broadcast_in_dim, concatenate, expand_dims
from tensorlib.errors import ShapeError

_SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)


def asarray(a, dtype=None, copy=None, *, device=None) -> Array:
    """Convert ``a`` (Array, NumPy array, scalar, nested sequence) to an Array.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> tnp.asarray([1, 2, 3])
    Array([1, 2, 3], dtype=int32)
    """
    if isinstance(a, Array):
        if dtype is not None and np.dtype(dtype) != a.dtype:
            return convert_element_type(a, dtype)
        return a
    if isinstance(a, (list, tuple)) and _contains_array(a):
        return _stack_leading([asarray(x, dtype) for x in a])
    return core_asarray(a, dtype)


def _stack_leading(arrs):
    """Join same-shape arrays along a new leading axis, promoting their dtypes (``asarray`` of
    a sequence that holds Arrays; ``stack(arrs)`` from primitives, as the numpy layer's shape
    functions rest on this module)."""
    s0 = arrs[0].shape
    for i, a in enumerate(arrs):
        if a.shape != s0:
            raise ShapeError(f"stack: array {i} has shape {a.shape} but array 0 has {s0}; "
                             "all input arrays must have the same shape")
    return concatenate([expand_dims(a, (0,)) for a in promote_dtypes(*arrs)], 0)


def array(a, dtype=None, copy=True, ndmin=0) -> Array:
    """An Array from ``a`` (an Array, NumPy array, scalar or nested sequence), like ``asarray``;
    ``ndmin`` prepends axes.

    Python scalars become weakly typed 0-d arrays; 64-bit inputs are narrowed to 32 bits unless
    ``enable_x64`` is on, as in JAX.

    Examples
    --------
    >>> tnp.array([[1, 2], [3, 4]])
    Array([[1, 2],
           [3, 4]], dtype=int32)
    >>> tnp.array([1, 2.5])
    Array([1. , 2.5], dtype=float32)
    >>> tnp.array(3.0)
    Array(3., dtype=float32, weak_type=True)
    >>> tnp.array(np.arange(3, dtype=np.int64), dtype=tnp.int8, ndmin=2)
    Array([[0, 1, 2]], dtype=int8)
    """
    out = asarray(a, dtype)
    if out.ndim < ndmin:
        from tensorlib._src.ops.shape import reshape

        out = reshape(out, (1,) * (ndmin - out.ndim) + tuple(out.shape))
    return out


def _contains_array(seq):
    for x in seq:
        if isinstance(x, Array):
            return True
        if isinstance(x, (list, tuple)) and _contains_array(x):
            return True
    return False


def broadcast_shapes(*shapes, op="broadcast_shapes"):
    """The shape that arrays of the given shapes broadcast to (NumPy rules).

    Examples
    --------
    >>> tnp.broadcast_shapes((2, 1), (3,))
    (2, 3)
    >>> tnp.broadcast_shapes((5, 1, 4), (3, 1), ())
    (5, 3, 4)
    """
    if len(shapes) == 1:
        return tuple(shapes[0])
    nd = builtins.max(len(s) for s in shapes)
    out = []
    for i in range(nd):
        size = 1
        for s in shapes:
            k = len(s) - nd + i
            d = s[k] if k >= 0 else 1
            if d != 1:
                if size != 1 and size != d:
                    shown = " and ".join(str(tuple(s)) for s in shapes)
                    raise ShapeError(
                        f"{op}: shapes {shown} cannot be broadcast together (axis {i} has "
                        f"sizes {size} and {d}); reshape or expand_dims one of them")
                size = d
        out.append(size)
    return tuple(out)


def broadcast_to(x, shape, op="broadcast_to"):
    """``x`` broadcast to ``shape`` (a new array; JAX-style immutability, not a view).

    Examples
    --------
    >>> tnp.broadcast_to(tnp.array([1, 2, 3]), (2, 3))
    Array([[1, 2, 3],
           [1, 2, 3]], dtype=int32)
    >>> tnp.broadcast_to(tnp.array([[1], [2]]), (2, 2))
    Array([[1, 1],
           [2, 2]], dtype=int32)
    """
    shape = tuple(int(s) for s in shape)
    x = asarray(x)
    if tuple(x.shape) == shape:
        return x
    if len(shape) < x.ndim or broadcast_shapes(x.shape, shape, op=op) != shape:
        raise ShapeError(f"{op}: cannot broadcast {x.aval.str_short()} to shape {shape}")
    nd = len(shape)
    return broadcast_in_dim(x, shape, tuple(range(nd - x.ndim, nd)))


def promote_dtypes(*args):
    """Arrays of the common (JAX-promoted) dtype, weak where every input is weak."""
    dt, weak = dtypes.result_type_weak(*args)
    out = []
    for a in args:
        if isinstance(a, Array):
            if a.dtype != dt or a._weak != weak:
                a = convert_element_type(a, dt, weak)
            out.append(a)
        elif type(a) in _SCALARS:
            out.append(_scalar_array(a, dt, weak))
        else:
            out.append(convert_element_type(asarray(a), dt, weak))
    return out


def _scalar_array(a, dt, weak):
    if dt == dtypes.bool_ or dtypes.is_integer(dt):
        if isinstance(a, builtins.float):
            a = int(a)
        if dtypes.is_integer(dt) and isinstance(a, builtins.int):
            info = np.iinfo(dt)
            if not info.min <= a <= info.max:
                raise OverflowError(f"Python int {a} does not fit in {dt}")
    return Array(current_backend().full((), a, dt), weak)


def check_arraylike(op, *args):
    """JAX's rule: array functions take arrays and scalars, not lists or tuples (convert those
    with ``tnp.asarray`` first). A TypeError naming the function and the position."""
    for i, a in enumerate(args):
        if isinstance(a, (list, tuple)):
            raise TypeError(f"{op} requires ndarray or scalar arguments, got "
                            f"{type(a).__name__} at position {i}. Convert it with "
                            f"tnp.asarray first, as JAX requires.")


def promote_args(op, *args):
    """Promote dtypes, then broadcast shapes (NumPy rules), for an n-ary elementwise op."""
    check_arraylike(op, *args)
    arrs = promote_dtypes(*args)
    shapes = [a.shape for a in arrs]
    s0 = shapes[0]
    if all(s == s0 for s in shapes):
        return arrs
    shape = broadcast_shapes(*shapes, op=op)
    return [broadcast_to(a, shape, op) for a in arrs]


def promote_args_inexact(op, *args):
    """Like ``promote_args`` but integer and boolean inputs become floats (``to_inexact``)."""
    check_arraylike(op, *args)
    arrs = promote_dtypes(*args)
    if not dtypes.is_inexact(arrs[0].dtype):
        dt = dtypes.to_inexact(arrs[0].dtype)
        arrs = [convert_element_type(a, dt, a._weak) for a in arrs]
    return promote_args(op, *arrs)


def canonicalize_axis(axis, ndim, op="axis"):
    a = int(axis)
    if not -ndim <= a < builtins.max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
        raise ShapeError(f"{op}: axis {axis} is out of bounds for an array of dimension {ndim}")
    return a % ndim if ndim else 0


def canonicalize_axes(axis, ndim, op="axis"):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(canonicalize_axis(a, ndim, op) for a in axis)
        if len(set(axes)) != len(axes):
            raise ShapeError(f"{op}: repeated axis in {axis}")
        return axes
    return (canonicalize_axis(axis, ndim, op),)


def _inexact(x):
    return x if dtypes.is_inexact(x.dtype) else x.astype(dtypes.default_float())


def result_type(*args):
    """The dtype the arguments promote to (JAX's lattice: Python scalars are weak).

    Examples
    --------
    >>> tnp.result_type(tnp.int8, tnp.uint8)
    dtype('int16')
    >>> tnp.result_type(tnp.array([1], dtype=tnp.int8), 2)
    dtype('int8')
    >>> tnp.result_type(tnp.array([1], dtype=tnp.int8), 2.0)
    dtype('float32')
    """
    return dtypes.result_type(*args)


def can_cast(from_, to, casting="safe"):
    """Whether ``from_`` can be cast to ``to`` under the ``casting`` rule (as NumPy).

    Examples
    --------
    >>> tnp.can_cast(tnp.int8, tnp.int32), tnp.can_cast(tnp.float32, tnp.int32)
    (True, False)
    >>> tnp.can_cast(tnp.float32, tnp.int32, casting="unsafe")
    True
    """
    f = from_.dtype if hasattr(from_, "dtype") else np.dtype(from_)
    return bool(np.can_cast(f, np.dtype(to), casting=casting))
