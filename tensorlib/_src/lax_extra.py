"""``lax`` functions that are compositions of primitives."""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import index as ix
from tensorlib._src.ops import reduce as rd
from tensorlib._src.ops import shape as sh
from tensorlib.errors import ShapeError


def select(pred, on_true, on_false):
    """``on_true`` where ``pred`` else ``on_false`` (equal shapes, as in ``jax.lax.select``).

    Examples
    --------
    >>> lax.select(tnp.array([True, False]), tnp.array([1, 2]), tnp.array([10, 20]))
    Array([ 1, 20], dtype=int32)
    """
    return ew.select_n(pred, on_false, on_true)


def clamp(min, x, max):
    """Elementwise ``x`` clipped to ``[min, max]`` (note the argument order, as in JAX).

    Examples
    --------
    >>> lax.clamp(0, tnp.array([-1, 5, 11]), 10)
    Array([ 0,  5, 10], dtype=int32)
    """
    return ew.min(ew.max(x, min), max)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """Vector or matrix product of 1-d or 2-d operands (``dot_general`` over their inner axes).

    Examples
    --------
    >>> lax.dot(tnp.array([[1., 2.], [3., 4.]]), tnp.array([1., 1.]))
    Array([3., 7.], dtype=float32)
    """
    if lhs.ndim > 2 or rhs.ndim > 2 or lhs.ndim == 0 or rhs.ndim == 0:
        raise ShapeError(f"lax.dot: needs 1-d or 2-d operands, got {lhs.aval.str_short()} and "
                         f"{rhs.aval.str_short()}")
    return rd.dot_general(lhs, rhs, (((lhs.ndim - 1,), (0,)), ((), ())), preferred_element_type)


def full(shape, fill_value, dtype=None):
    """An array of ``shape`` filled with ``fill_value`` (of ``dtype``, default its own).

    A Python scalar without ``dtype`` gives a weakly typed array, as in JAX.

    Examples
    --------
    >>> lax.full((2, 3), 7, tnp.int32)
    Array([[7, 7, 7],
           [7, 7, 7]], dtype=int32)
    >>> lax.full((2,), 0.5)
    Array([0.5, 0.5], dtype=float32, weak_type=True)
    """
    dt = dtypes.canonicalize(dtype) if dtype is not None else dtypes.scalar_dtype(fill_value)
    if isinstance(fill_value, Array):
        return sh.broadcast_in_dim(ew.convert_element_type(fill_value, dt), tuple(shape), ())
    weak = dtype is None and isinstance(fill_value, (int, float, complex)) \
        and not isinstance(fill_value, (bool, np.generic))  # bools are never weak
    return ew.full(tuple(shape), fill_value, dt, weak=weak)


def full_like(x, fill_value, dtype=None, shape=None):
    """An array like ``x`` (or of ``shape``) filled with ``fill_value``.

    Examples
    --------
    >>> lax.full_like(tnp.zeros((2, 2), dtype=tnp.int32), 3)
    Array([[3, 3],
           [3, 3]], dtype=int32)
    >>> lax.full_like(tnp.zeros(2), 1, dtype=tnp.int32)
    Array([1, 1], dtype=int32)
    """
    return full(x.shape if shape is None else shape, fill_value, dtype or x.dtype)


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


_REDUCERS = {"add": rd.reduce_sum, "mul": rd.reduce_prod, "max": rd.reduce_max,
             "min": rd.reduce_min, "and": rd.reduce_and, "or": rd.reduce_or}


def reduce(operands, init_values, computation, dimensions):
    """``lax.reduce`` for the monoids add/mul/max/min/and/or (recognized from ``computation``).

    Examples
    --------
    >>> x = tnp.arange(12).reshape(3, 4)
    >>> lax.reduce(x, 0, lax.add, (0,))
    Array([12, 15, 18, 21], dtype=int32)
    >>> lax.reduce(x, -100, lax.max, (1,))
    Array([ 3,  7, 11], dtype=int32)
    """
    name = getattr(computation, "__name__", "")
    table = {"add": "add", "mul": "mul", "multiply": "mul", "max": "max", "maximum": "max",
             "min": "min", "minimum": "min", "bitwise_and": "and", "logical_and": "and",
             "bitwise_or": "or", "logical_or": "or"}
    kind = table.get(name)
    if kind is None:
        raise NotImplementedError(
            f"lax.reduce: computation {computation!r} is not one of add, mul, max, min, and, or; "
            "write the reduction with tensorlib.lax.scan or a numpy reduction")
    single = isinstance(operands, Array)
    ops = [operands] if single else list(operands)
    inits = [init_values] if single else list(init_values)
    outs = []
    for x, init in zip(ops, inits):
        r = _REDUCERS[kind](x, tuple(dimensions))
        init_a = ew.full(r.shape, np.asarray(init).item() if not isinstance(init, Array)
                         else init.item(), r.dtype)
        comb = {"add": ew.add, "mul": ew.mul, "max": ew.max, "min": ew.min,
                "and": ew.bitwise_and, "or": ew.bitwise_or}[kind]
        outs.append(comb(r, init_a))
    return outs[0] if single else outs
