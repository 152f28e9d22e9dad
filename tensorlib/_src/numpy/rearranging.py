"""Rearranging, tiling, padding and resizing arrays in ``tensorlib.numpy``: flip, roll, rot90,
tile, repeat, pad, trim_zeros and resize.
"""

from __future__ import annotations

import builtins

import numpy as np

from tensorlib._src.numpy.promotion import (
    asarray,
    broadcast_to,
    canonicalize_axes,
    canonicalize_axis,
)
from tensorlib._src.numpy.shape_ops import ravel, reshape, swapaxes
from tensorlib._src.ops import shape as sh
from tensorlib.errors import ShapeError


def flip(m, axis=None):
    """``m`` with the order of elements reversed along ``axis`` (all axes by default).

    Examples
    --------
    >>> x = tnp.array([[1, 2], [3, 4]])
    >>> tnp.flip(x)
    Array([[4, 3],
           [2, 1]], dtype=int32)
    >>> tnp.flip(x, axis=1)
    Array([[2, 1],
           [4, 3]], dtype=int32)
    """
    m = asarray(m)
    return sh.rev(m, canonicalize_axes(axis, m.ndim, "flip"))


def fliplr(m):
    """``m`` with its columns (axis 1) reversed.

    Examples
    --------
    >>> tnp.fliplr(tnp.array([[1, 2, 3], [4, 5, 6]]))
    Array([[3, 2, 1],
           [6, 5, 4]], dtype=int32)
    """
    return flip(m, 1)


def flipud(m):
    """``m`` with its rows (axis 0) reversed.

    Examples
    --------
    >>> tnp.flipud(tnp.array([[1, 2], [3, 4]]))
    Array([[3, 4],
           [1, 2]], dtype=int32)
    """
    return flip(m, 0)


def roll(a, shift, axis=None):
    """Elements shifted by ``shift`` along ``axis`` (of the flattened array by default),
    wrapping around.

    Examples
    --------
    >>> x = tnp.arange(6).reshape(2, 3)
    >>> tnp.roll(x, 1)
    Array([[5, 0, 1],
           [2, 3, 4]], dtype=int32)
    >>> tnp.roll(x, -1, axis=1)
    Array([[1, 2, 0],
           [4, 5, 3]], dtype=int32)
    """
    a = asarray(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    if len(axes) == 1 and len(shifts) > 1:
        axes = axes * len(shifts)
    for s, ax in zip(shifts, axes):
        ax = canonicalize_axis(ax, a.ndim, "roll")
        n = a.shape[ax]
        if n == 0:
            continue
        s = int(s) % n
        if s:
            a = sh.concatenate([sh.slice_in_dim(a, n - s, n, axis=ax),
                                sh.slice_in_dim(a, 0, n - s, axis=ax)], ax)
    return a


def rot90(m, k=1, axes=(0, 1)):
    """``m`` rotated by 90 degrees ``k`` times, from the first axis toward the second.

    Examples
    --------
    >>> x = tnp.array([[1, 2], [3, 4]])
    >>> tnp.rot90(x)
    Array([[2, 4],
           [1, 3]], dtype=int32)
    >>> tnp.rot90(x, k=2)
    Array([[4, 3],
           [2, 1]], dtype=int32)
    """
    m = asarray(m)
    k = k % 4
    a0, a1 = axes
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    if k == 1:
        return swapaxes(flip(m, a1), a0, a1)
    return flip(swapaxes(m, a0, a1), a1)


def tile(A, reps):
    """``A`` repeated ``reps`` times along each axis.

    Examples
    --------
    >>> tnp.tile(tnp.array([1, 2]), 2)
    Array([1, 2, 1, 2], dtype=int32)
    >>> tnp.tile(tnp.array([1, 2]), (2, 2))
    Array([[1, 2, 1, 2],
           [1, 2, 1, 2]], dtype=int32)
    """
    a = asarray(A)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    nd = builtins.max(len(reps), a.ndim)
    reps = (1,) * (nd - len(reps)) + reps
    a = reshape(a, (1,) * (nd - a.ndim) + a.shape)
    shape = []
    for r, n in zip(reps, a.shape):
        shape += [r, n]
    view = []
    for n in a.shape:
        view += [1, n]
    b = broadcast_to(reshape(a, view), shape)
    return reshape(b, [r * n for r, n in zip(reps, a.shape)])


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Each element repeated ``repeats`` times along ``axis`` (of the flattened array by default).

    An array of ``repeats`` must be concrete unless ``total_repeat_length`` is given.

    Examples
    --------
    >>> x = tnp.array([[1, 2], [3, 4]])
    >>> tnp.repeat(x, 2)
    Array([1, 1, 2, 2, 3, 3, 4, 4], dtype=int32)
    >>> tnp.repeat(x, tnp.array([1, 2]), axis=0)
    Array([[1, 2],
           [3, 4],
           [3, 4]], dtype=int32)
    """
    a = asarray(a)
    if axis is None:
        a = ravel(a)
        axis = 0
    ax = canonicalize_axis(axis, a.ndim, "repeat")
    if isinstance(repeats, (int, np.integer)):
        r = int(repeats)
        b = sh.expand_dims(a, (ax + 1,))
        shp = list(b.shape)
        shp[ax + 1] = r
        b = broadcast_to(b, shp)
        out_shape = list(a.shape)
        out_shape[ax] *= r
        return reshape(b, out_shape)
    from tensorlib._src.core import concrete_or_none

    rep = repeats
    if hasattr(rep, "shape"):
        c = concrete_or_none(asarray(rep))
        if c is None:
            raise ShapeError("repeat: array repeats must be concrete (or pass "
                             "total_repeat_length)")
        rep = c.to_numpy()
    rep = np.broadcast_to(np.asarray(rep), (a.shape[ax],))
    idx = np.repeat(np.arange(a.shape[ax]), rep)
    from tensorlib._src.numpy.indexing import take

    return take(a, asarray(idx.astype(np.int32)), axis=ax, mode="clip")


def _pad_widths(pad_width, ndim):
    """``pad_width`` as an (ndim, 2) int array, broadcast as NumPy does: ``n``, ``(n,)``,
    ``(before, after)``, ``((before, after),)`` or one pair per axis."""
    try:
        pw = np.asarray(pad_width)
    except ValueError:  # ragged
        pw = np.asarray(0.5)
    if pw.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be of integral type, got {pad_width!r}")
    try:
        if pw.ndim > 2:
            raise ValueError
        pw = np.broadcast_to(pw.astype(np.int64), (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} must be an int, a (before, after) pair "
                         f"or one pair per axis of the {ndim}-d array") from None
    if (pw < 0).any():
        raise ValueError(f"pad: pad_width {pad_width!r} has a negative width; "
                         "index can't contain negative values")
    return pw


def pad(array, pad_width, mode="constant", constant_values=0, **kwargs):
    """``array`` padded by ``pad_width`` per axis (``mode="constant"``, "edge", "wrap",
    "reflect", "symmetric").

    Examples
    --------
    >>> x = tnp.array([1, 2, 3])
    >>> tnp.pad(x, 2)
    Array([0, 0, 1, 2, 3, 0, 0], dtype=int32)
    >>> tnp.pad(x, (1, 2), constant_values=9)
    Array([9, 1, 2, 3, 9, 9], dtype=int32)
    >>> tnp.pad(x, 2, mode="reflect")
    Array([3, 2, 1, 2, 3, 2, 1], dtype=int32)
    >>> tnp.pad(tnp.array([[1, 2]]), ((1, 0), (0, 1)), mode="edge")
    Array([[1, 2, 2],
           [1, 2, 2]], dtype=int32)
    """
    a = asarray(array)
    pw = _pad_widths(pad_width, a.ndim)
    if mode == "constant":
        cv = np.broadcast_to(np.asarray(constant_values), (a.ndim, 2)) if a.ndim else []
        for d in range(a.ndim):
            lo_v, hi_v = cv[d]
            cfg = [(0, 0, 0)] * a.ndim
            cfg[d] = (int(pw[d][0]), 0, 0)
            a = sh.pad(a, asarray(lo_v, a.dtype), cfg) if pw[d][0] else a
            cfg[d] = (0, int(pw[d][1]), 0)
            a = sh.pad(a, asarray(hi_v, a.dtype), cfg) if pw[d][1] else a
        return a
    for d in range(a.ndim):
        lo, hi = int(pw[d][0]), int(pw[d][1])
        n = a.shape[d]
        if lo == 0 and hi == 0:
            continue
        idx = np.arange(-lo, n + hi)
        if mode == "edge":
            idx = np.clip(idx, 0, n - 1)
        elif mode == "wrap":
            idx = idx % n
        elif mode == "reflect":
            period = 2 * n - 2
            idx = np.zeros_like(idx) if period <= 0 else idx % period
            idx = np.where(idx >= n, period - idx, idx)
        elif mode == "symmetric":
            idx = idx % (2 * n)
            idx = np.where(idx >= n, 2 * n - 1 - idx, idx)
        else:
            raise ValueError(f"pad: mode {mode!r} is not supported")
        from tensorlib._src.numpy.indexing import take

        a = take(a, asarray(idx.astype(np.int32)), axis=d, mode="clip")
    return a


def trim_zeros(filt, trim="fb"):
    """1-d ``filt`` without its leading (``"f"``) and trailing (``"b"``) zeros; needs a
    concrete input.

    Examples
    --------
    >>> x = tnp.array([0, 0, 1, 2, 0])
    >>> tnp.trim_zeros(x)
    Array([1, 2], dtype=int32)
    >>> tnp.trim_zeros(x, trim="f")
    Array([1, 2, 0], dtype=int32)
    """
    a = np.asarray(asarray(filt).to_numpy())
    return asarray(np.trim_zeros(a, trim))


def resize(a, new_shape):
    """An array of ``new_shape`` filled with the elements of ``a``, repeated as needed.

    Examples
    --------
    >>> tnp.resize(tnp.array([1, 2, 3]), (2, 4))
    Array([[1, 2, 3, 1],
           [2, 3, 1, 2]], dtype=int32)
    """
    a = ravel(asarray(a))
    new_shape = (new_shape,) if isinstance(new_shape, int) else tuple(new_shape)
    n = int(np.prod(new_shape))
    reps = -(-n // builtins.max(a.size, 1))
    return reshape(tile(a, reps)[:n], new_shape)


