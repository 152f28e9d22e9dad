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
    """``on_true`` where ``pred`` else ``on_false`` (equal shapes, as in ``jax.lax.select``)."""
    return ew.select_n(pred, on_false, on_true)


def clamp(min, x, max):
    return ew.min(ew.max(x, min), max)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    if lhs.ndim > 2 or rhs.ndim > 2 or lhs.ndim == 0 or rhs.ndim == 0:
        raise ShapeError(f"lax.dot: needs 1-d or 2-d operands, got {lhs.aval.str_short()} and "
                         f"{rhs.aval.str_short()}")
    return rd.dot_general(lhs, rhs, (((lhs.ndim - 1,), (0,)), ((), ())), preferred_element_type)


def full(shape, fill_value, dtype=None):
    dt = dtypes.canonicalize(dtype) if dtype is not None else dtypes.scalar_dtype(fill_value)
    if isinstance(fill_value, Array):
        return sh.broadcast_in_dim(ew.convert_element_type(fill_value, dt), tuple(shape), ())
    return ew.full(tuple(shape), fill_value, dt)


def full_like(x, fill_value, dtype=None, shape=None):
    return full(x.shape if shape is None else shape, fill_value, dtype or x.dtype)


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    starts = [0] * operand.ndim
    starts[axis] = start_index
    sizes = list(operand.shape)
    sizes[axis] = slice_size
    return sh.dynamic_slice(operand, starts, sizes)


def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    starts = [0] * operand.ndim
    starts[axis] = start_index
    return sh.dynamic_update_slice(operand, update, starts)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else sh.squeeze(out, (axis,))


def index_in_dim(operand, index, axis=0, keepdims=True):
    index = index % operand.shape[axis]
    out = sh.slice_in_dim(operand, index, index + 1, axis=axis)
    return out if keepdims else sh.squeeze(out, (axis,))


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    return tuple(ix.sort([keys, values], dimension, is_stable, 1))


def top_k(operand, k):
    """Largest ``k`` values along the last axis and their indices (ties: lower index first)."""
    n = operand.shape[-1]
    pos = sh.broadcasted_iota(dtypes.int32, operand.shape, operand.ndim - 1)
    neg = ew.neg(operand) if not dtypes.is_unsigned(operand.dtype) else ew.bitwise_not(operand)
    vals, idx = ix.sort([neg, pos], operand.ndim - 1, True, 1)
    start = [0] * operand.ndim
    limit = list(operand.shape)
    limit[-1] = min(k, n)
    vals = sh.slice(vals, start, limit)
    vals = ew.neg(vals) if not dtypes.is_unsigned(operand.dtype) else ew.bitwise_not(vals)
    return vals, sh.slice(idx, start, limit)


_REDUCERS = {"add": rd.reduce_sum, "mul": rd.reduce_prod, "max": rd.reduce_max,
             "min": rd.reduce_min, "and": rd.reduce_and, "or": rd.reduce_or}


def reduce(operands, init_values, computation, dimensions):
    """``lax.reduce`` for the monoids add/mul/max/min/and/or (recognized from ``computation``)."""
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
