"""Functional programming helpers of ``tensorlib.numpy``: ``apply_along_axis`` and
``piecewise``.
"""

from __future__ import annotations

import builtins

import numpy as np

from tensorlib._src.core import Array
from tensorlib._src.numpy import (
    creation,
    shape_ops,
    ufuncs,
)
from tensorlib._src.numpy.promotion import (
    asarray,
    broadcast_to,
    canonicalize_axis,
)


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``func1d`` applied to every 1-d slice along ``axis`` (a Python loop over slices).

    Examples
    --------
    >>> x = tnp.array([[3, 1, 2], [9, 7, 8]])
    >>> tnp.apply_along_axis(tnp.sort, 1, x)
    Array([[1, 2, 3],
           [7, 8, 9]], dtype=int32)
    >>> tnp.apply_along_axis(lambda v: v[0] + v[-1], 0, x)
    Array([12,  8, 10], dtype=int32)
    """
    a = asarray(arr)
    ax = canonicalize_axis(axis, a.ndim, "apply_along_axis")
    moved = shape_ops.moveaxis(a, ax, -1)
    batch = moved.shape[:-1]
    flat = shape_ops.reshape(moved, (-1, a.shape[ax]))
    outs = [asarray(func1d(flat[i], *args, **kwargs)) for i in builtins.range(flat.shape[0])]
    if not outs:
        raise ValueError("apply_along_axis: cannot apply to an empty batch of slices")
    res = shape_ops.reshape(shape_ops.stack(outs), batch + outs[0].shape)
    # the function's output axes replace ``axis``
    k = outs[0].ndim
    return shape_ops.moveaxis(res, tuple(builtins.range(len(batch), len(batch) + k)),
                              tuple(builtins.range(ax, ax + k)))


def piecewise(x, condlist, funclist, *args, **kw):
    """Values of ``funclist[i](x)`` where ``condlist[i]`` holds (later conditions win);
    one extra function is the default. Entries may be constants instead of functions.

    Examples
    --------
    >>> x = tnp.array([-2., -1., 0., 1., 2.])
    >>> tnp.piecewise(x, [x < 0, x > 0], [lambda v: -v, lambda v: v * 10])
    Array([ 2.,  1.,  0., 10., 20.], dtype=float32)
    >>> tnp.piecewise(x, [x < 0], [-1., lambda v: v + 100])
    Array([ -1.,  -1., 100., 101., 102.], dtype=float32)
    """
    x = asarray(x)
    if isinstance(condlist, (Array, np.ndarray)) and asarray(condlist).ndim == x.ndim:
        condlist = [condlist]
    conds = [asarray(c) for c in condlist]
    if len(funclist) not in (len(conds), len(conds) + 1):
        raise ValueError(f"piecewise: {len(funclist)} functions for {len(conds)} conditions "
                         f"(need {len(conds)} or {len(conds) + 1})")
    def value(f):
        return asarray(f(x, *args, **kw) if callable(f) else f).astype(x.dtype)

    out = value(funclist[-1]) if len(funclist) == len(conds) + 1 else creation.zeros_like(x)
    out = broadcast_to(out, x.shape)
    for c, f in zip(conds, funclist, strict=False):  # an extra default function
        out = ufuncs.where(c, value(f), out)
    return out
