"""Finite differences and integration in ``tensorlib.numpy``: ``diff``, ``ediff1d``,
``gradient`` (slices of the input) and ``trapezoid``.
"""

from __future__ import annotations

import operator

from tensorlib._src import dtypes
from tensorlib._src.numpy import (
    comparison,
    reductions,
    shape_ops,
    ufuncs,
)
from tensorlib._src.numpy.promotion import (
    _inexact,
    asarray,
    broadcast_to,
    canonicalize_axes,
    canonicalize_axis,
)
from tensorlib.errors import ShapeError


def _slice_axis(x, start, stop, axis):
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(start, stop)
    return x[tuple(idx)]


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """``n``-th discrete difference along ``axis`` (booleans: ``!=``, as NumPy).

    Examples
    --------
    >>> x = tnp.array([1, 4, 9, 16])
    >>> tnp.diff(x)
    Array([3, 5, 7], dtype=int32)
    >>> tnp.diff(x, n=2)
    Array([2, 2], dtype=int32)
    >>> tnp.diff(x, prepend=0)
    Array([1, 3, 5, 7], dtype=int32)
    >>> tnp.diff(tnp.array([[1, 2], [5, 3]]), axis=0)
    Array([[4, 1]], dtype=int32)
    """
    a = asarray(a)
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative, got {n}")
    if n == 0:
        return a
    if a.ndim == 0:
        raise ShapeError("diff: requires input that is at least one dimensional")
    ax = canonicalize_axis(axis, a.ndim, "diff")
    parts = []
    for extra in (prepend, None, append):
        if extra is None:
            continue
        e = asarray(extra)
        if e.ndim == 0:
            shp = list(a.shape)
            shp[ax] = 1
            e = broadcast_to(e, shp)
        parts.append(e)
    if prepend is not None or append is not None:
        pre = [parts.pop(0)] if prepend is not None else []
        a = shape_ops.concatenate(pre + [a] + parts, axis=ax)
    for _ in range(n):
        hi, lo = _slice_axis(a, 1, None, ax), _slice_axis(a, None, -1, ax)
        a = comparison.not_equal(hi, lo) if a.dtype == dtypes.bool_ else ufuncs.subtract(hi, lo)
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of consecutive elements of the flattened array, optionally with
    ``to_begin``/``to_end`` values around them.

    Examples
    --------
    >>> tnp.ediff1d(tnp.array([[1, 2], [4, 8]]))
    Array([1, 2, 4], dtype=int32)
    >>> tnp.ediff1d(tnp.array([1, 2, 4]), to_begin=0, to_end=tnp.array([9, 9]))
    Array([0, 1, 2, 9, 9], dtype=int32)
    """
    d = diff(shape_ops.ravel(ary))
    parts = [d]
    if to_begin is not None:
        parts.insert(0, shape_ops.ravel(asarray(to_begin, d.dtype)))
    if to_end is not None:
        parts.append(shape_ops.ravel(asarray(to_end, d.dtype)))
    return shape_ops.concatenate(parts) if len(parts) > 1 else d


def _along(v, axis, ndim):
    shp = [1] * ndim
    shp[axis] = v.shape[0]
    return shape_ops.reshape(v, shp)


def _gradient_axis(f, h, axis, edge_order):
    n = f.shape[axis]
    if n < edge_order + 1:
        raise ValueError(f"gradient: shape {f.shape} is too small along axis {axis} for "
                         f"edge_order={edge_order} (needs at least {edge_order + 1} points)")
    s = lambda a, b: _slice_axis(f, a, b, axis)  # noqa: E731
    if h.ndim == 0:
        mid = (s(2, None) - s(None, -2)) / (2 * h)
        if edge_order == 1:
            first = (s(1, 2) - s(0, 1)) / h
            last = (s(-1, None) - s(-2, -1)) / h
        else:
            first = -(3 * s(0, 1) - 4 * s(1, 2) + s(2, 3)) / (2 * h)
            last = (3 * s(-1, None) - 4 * s(-2, -1) + s(-3, -2)) / (2 * h)
    else:
        if h.shape != (n,):
            raise ShapeError(f"gradient: coordinates {h.aval.str_short()} must match the "
                             f"length {n} of axis {axis}")
        dx = diff(h)
        d1, d2 = _along(dx[:-1], axis, f.ndim), _along(dx[1:], axis, f.ndim)
        mid = (-d2 / (d1 * (d1 + d2)) * s(None, -2) + (d2 - d1) / (d1 * d2) * s(1, -1)
               + d1 / (d2 * (d1 + d2)) * s(2, None))
        e0, e1 = _along(dx[0:1], axis, f.ndim), _along(dx[-1:], axis, f.ndim)
        if edge_order == 1:
            first = (s(1, 2) - s(0, 1)) / e0
            last = (s(-1, None) - s(-2, -1)) / e1
        else:
            a1, a2 = e0, _along(dx[1:2], axis, f.ndim)
            first = (-(2 * a1 + a2) / (a1 * (a1 + a2)) * s(0, 1)
                     + (a1 + a2) / (a1 * a2) * s(1, 2) - a1 / (a2 * (a1 + a2)) * s(2, 3))
            b1, b2 = _along(dx[-2:-1], axis, f.ndim), e1
            last = (b2 / (b1 * (b1 + b2)) * s(-3, -2) - (b2 + b1) / (b1 * b2) * s(-2, -1)
                    + (2 * b2 + b1) / (b2 * (b1 + b2)) * s(-1, None))
    return shape_ops.concatenate([first, mid, last], axis=axis)


def gradient(f, *varargs, axis=None, edge_order=1):
    """Central differences inside, one-sided (order ``edge_order``) at the ends.

    Spacings may be a scalar or coordinates per axis; several axes give a list of arrays.

    Examples
    --------
    >>> f = tnp.array([1., 2., 4., 7., 11.])
    >>> tnp.gradient(f)
    Array([1. , 1.5, 2.5, 3.5, 4. ], dtype=float32)
    >>> tnp.gradient(f, 2.)
    Array([0.5 , 0.75, 1.25, 1.75, 2.  ], dtype=float32)
    >>> tnp.gradient(tnp.array([[1., 2.], [3., 5.]]))
    [Array([[2., 3.],
           [2., 3.]], dtype=float32), Array([[1., 1.],
           [2., 2.]], dtype=float32)]
    """
    f = _inexact(asarray(f))
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    axes = canonicalize_axes(axis, f.ndim, "gradient")
    if not varargs:
        spacing = [asarray(1.0, f.dtype)] * len(axes)
    elif len(varargs) == 1 and asarray(varargs[0]).ndim == 0:
        spacing = [asarray(varargs[0])] * len(axes)
    elif len(varargs) == len(axes):
        spacing = [asarray(v) for v in varargs]
    else:
        raise TypeError(f"gradient: got {len(varargs)} spacings for {len(axes)} axes")
    out = [_gradient_axis(f, _inexact(h), ax, edge_order)
           for h, ax in zip(spacing, axes, strict=True)]
    return out[0] if len(out) == 1 else out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule (spacing ``dx`` or points ``x``).

    Examples
    --------
    >>> y = tnp.array([1., 2., 3.])
    >>> tnp.trapezoid(y)
    Array(4., dtype=float32)
    >>> tnp.trapezoid(y, dx=0.5)
    Array(2., dtype=float32)
    >>> tnp.trapezoid(y, x=tnp.array([0., 1., 3.]))
    Array(6.5, dtype=float32)
    """
    y = _inexact(asarray(y))
    ax = canonicalize_axis(axis, y.ndim, "trapezoid")
    if x is None:
        d = dx
    else:
        x = asarray(x)
        d = diff(x, axis=ax) if x.ndim > 1 else _along(diff(x), ax, y.ndim)
    s = ufuncs.add(_slice_axis(y, 1, None, ax), _slice_axis(y, None, -1, ax))
    return reductions.sum(ufuncs.multiply(d, s), axis=ax) / 2
