"""``lax`` reductions composed of primitives: ``dot`` (a contraction) and ``reduce``."""

from __future__ import annotations

import numpy as np

from tensorlib._src.core import Array
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import reduce as rd
from tensorlib.errors import ShapeError


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
    rd.check_precision("dot", precision)
    return rd.dot_general(lhs, rhs, (((lhs.ndim - 1,), (0,)), ((), ())),
                          preferred_element_type=preferred_element_type)


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
