"""Bitwise ufuncs of ``tensorlib.numpy``: ``bitwise_and``/``_or``/``_xor``, ``invert`` and the
shifts.
"""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.numpy.promotion import (
    asarray,
    promote_args,
)
from tensorlib._src.numpy.ufuncs import _promote_numeric
from tensorlib._src.ops import elementwise as ew
from tensorlib.errors import DTypeError


def _bitwise(name, prim, doc):
    def fn(x1, x2, /):
        x1, x2 = promote_args(name, x1, x2)
        if not (dtypes.is_integer(x1.dtype) or x1.dtype == dtypes.bool_):
            raise DTypeError(f"{name}: needs integer or boolean arrays, got {x1.aval.str_short()}")
        return prim.bind(x1, x2)

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


bitwise_and = _bitwise(
    "bitwise_and", ew.and_p,
    doc="""Elementwise bitwise AND of integer or boolean arrays.

    Examples
    --------
    >>> tnp.bitwise_and(tnp.array([12, 10]), 6)
    Array([4, 2], dtype=int32)
    >>> tnp.bitwise_and(tnp.array([True, False]), tnp.array([True, True]))
    Array([ True, False], dtype=bool)
    """,
)
bitwise_or = _bitwise(
    "bitwise_or", ew.or_p,
    doc="""Elementwise bitwise OR of integer or boolean arrays.

    Examples
    --------
    >>> tnp.bitwise_or(tnp.array([12, 10]), 6)
    Array([14, 14], dtype=int32)
    >>> tnp.bitwise_or(tnp.array([1, 2], dtype=tnp.uint8), tnp.array([4, 4], dtype=tnp.uint8))
    Array([5, 6], dtype=uint8)
    """,
)
bitwise_xor = _bitwise(
    "bitwise_xor", ew.xor_p,
    doc="""Elementwise bitwise XOR of integer or boolean arrays.

    Examples
    --------
    >>> tnp.bitwise_xor(tnp.array([12, 10]), 6)
    Array([10, 12], dtype=int32)
    """,
)


def invert(x, /):
    """Elementwise bitwise NOT of integer arrays, logical NOT of booleans.

    Examples
    --------
    >>> tnp.invert(tnp.array([0, 5, -1]))
    Array([-1, -6,  0], dtype=int32)
    >>> tnp.invert(tnp.array([0, 255], dtype=tnp.uint8))
    Array([255,   0], dtype=uint8)
    >>> tnp.invert(tnp.array([True, False]))
    Array([False,  True], dtype=bool)
    """
    x = asarray(x)
    if not (dtypes.is_integer(x.dtype) or x.dtype == dtypes.bool_):
        raise DTypeError(f"invert: needs integer or boolean arrays, got {x.aval.str_short()}")
    return ew.not_p.bind(x)


bitwise_not = bitwise_invert = invert


def _shift_fn(name, prim_signed, prim_unsigned=None, doc=None):
    def fn(x1, x2, /):
        x1, x2 = _promote_numeric(name, x1, x2)
        if not dtypes.is_integer(x1.dtype):
            raise DTypeError(f"{name}: needs integer arrays, got {x1.aval.str_short()}")
        prim = prim_unsigned if (prim_unsigned and dtypes.is_unsigned(x1.dtype)) else prim_signed
        return prim.bind(x1, x2)

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


left_shift = _shift_fn(
    "left_shift", ew.shift_left_p,
    doc="""Elementwise ``x1 << x2`` for integer arrays.

    Examples
    --------
    >>> tnp.left_shift(tnp.array([1, 3]), tnp.array([2, 4]))
    Array([ 4, 48], dtype=int32)
    >>> tnp.left_shift(tnp.array([1], dtype=tnp.uint8), 7)
    Array([128], dtype=uint8)
    """,
)
right_shift = _shift_fn(
    "right_shift", ew.shift_right_arithmetic_p, ew.shift_right_logical_p,
    doc="""Elementwise ``x1 >> x2``: arithmetic for signed, logical for unsigned integers.

    Examples
    --------
    >>> tnp.right_shift(tnp.array([16, -16]), 2)
    Array([ 4, -4], dtype=int32)
    >>> tnp.right_shift(tnp.array([255], dtype=tnp.uint8), 4)
    Array([15], dtype=uint8)
    """,
)
bitwise_left_shift, bitwise_right_shift = left_shift, right_shift
