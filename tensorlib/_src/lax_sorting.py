"""``lax`` sorting composed of primitives: ``sort_key_val`` and ``top_k``."""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import index as ix
from tensorlib._src.ops import shape as sh


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    """Sort ``keys`` along ``dimension`` and permute ``values`` the same way.

    Examples
    --------
    >>> lax.sort_key_val(tnp.array([3, 1, 2]), tnp.array([30., 10., 20.]))
    (Array([1, 2, 3], dtype=int32), Array([10., 20., 30.], dtype=float32))
    """
    return tuple(ix._sort([keys, values], dimension, is_stable, 1))


def top_k(operand, k):
    """Largest ``k`` values along the last axis and their indices (ties: lower index first).

    Examples
    --------
    >>> vals, idx = lax.top_k(tnp.array([1, 4, 2, 4, 3]), 3)
    >>> vals, idx
    (Array([4, 4, 3], dtype=int32), Array([1, 3, 4], dtype=int32))
    """
    n = operand.shape[-1]
    pos = sh.broadcasted_iota(dtypes.int32, operand.shape, operand.ndim - 1)
    neg = ew.neg(operand) if not dtypes.is_unsigned(operand.dtype) else ew.bitwise_not(operand)
    vals, idx = ix._sort([neg, pos], operand.ndim - 1, True, 1)
    start = [0] * operand.ndim
    limit = list(operand.shape)
    limit[-1] = min(k, n)
    vals = sh.slice(vals, start, limit)
    vals = ew.neg(vals) if not dtypes.is_unsigned(operand.dtype) else ew.bitwise_not(vals)
    return vals, sh.slice(idx, start, limit)


