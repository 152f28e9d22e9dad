"""``lax`` slicing along one axis, composed of primitives: ``dynamic_slice_in_dim``,
``dynamic_update_slice_in_dim``, ``dynamic_index_in_dim`` and ``index_in_dim``.
"""

from __future__ import annotations

from tensorlib._src.ops import shape as sh


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    """``dynamic_slice`` of ``slice_size`` elements from ``start_index`` along ``axis`` only.

    Examples
    --------
    >>> x = tnp.arange(12).reshape(3, 4)
    >>> lax.dynamic_slice_in_dim(x, 1, 2, axis=1)
    Array([[ 1,  2],
           [ 5,  6],
           [ 9, 10]], dtype=int32)
    """
    starts = [0] * operand.ndim
    starts[axis] = start_index
    sizes = list(operand.shape)
    sizes[axis] = slice_size
    return sh.dynamic_slice(operand, starts, sizes)


def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    """``dynamic_update_slice`` with the start index given along ``axis`` only.

    Examples
    --------
    >>> x = tnp.zeros((2, 4), dtype=tnp.int32)
    >>> lax.dynamic_update_slice_in_dim(x, tnp.array([[1], [2]]), 3, axis=1)
    Array([[0, 0, 0, 1],
           [0, 0, 0, 2]], dtype=int32)
    """
    starts = [0] * operand.ndim
    starts[axis] = start_index
    return sh.dynamic_update_slice(operand, update, starts)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    """Element ``index`` (may be traced) along ``axis``; ``keepdims`` keeps that axis.

    Examples
    --------
    >>> x = tnp.arange(12).reshape(3, 4)
    >>> lax.dynamic_index_in_dim(x, 2, axis=0)
    Array([[ 8,  9, 10, 11]], dtype=int32)
    >>> lax.dynamic_index_in_dim(x, 2, axis=0, keepdims=False)
    Array([ 8,  9, 10, 11], dtype=int32)
    """
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else sh.squeeze(out, (axis,))


def index_in_dim(operand, index, axis=0, keepdims=True):
    """Element ``index`` (a static int, negative counts from the end) along ``axis``.

    Examples
    --------
    >>> x = tnp.arange(12).reshape(3, 4)
    >>> lax.index_in_dim(x, -1, axis=1, keepdims=False)
    Array([ 3,  7, 11], dtype=int32)
    """
    index = index % operand.shape[axis]
    out = sh.slice_in_dim(operand, index, index + 1, axis=axis)
    return out if keepdims else sh.squeeze(out, (axis,))


