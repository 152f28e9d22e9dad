"""Floor division and remainders in ``tensorlib.numpy``: ``floor_divide``, ``remainder``/``mod``,
``fmod`` and ``divmod``.
"""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.numpy.rounding import floor
from tensorlib._src.numpy.ufuncs import _promote_numeric
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.elementwise import full_like, select_n


def floor_divide(x1, x2, /):
    """Elementwise ``x1 // x2``, rounding toward minus infinity (as Python).

    Examples
    --------
    >>> tnp.floor_divide(tnp.array([7, -7]), 2)
    Array([ 3, -4], dtype=int32)
    >>> tnp.floor_divide(tnp.array([7., -7.]), tnp.array([2., 2.]))
    Array([ 3., -4.], dtype=float32)
    """
    x1, x2 = _promote_numeric("floor_divide", x1, x2)
    if dtypes.is_integer(x1.dtype):
        q = ew.div(x1, x2)
        r = ew.rem(x1, x2)
        zero = full_like(r, 0)
        fix = ew.bitwise_and(ew.ne(r, zero), ew.ne(ew.lt(r, zero), ew.lt(x2, zero)))
        return select_n(fix, q, ew.sub(q, full_like(q, 1)))
    if x1.dtype == dtypes.bool_:
        return x1
    return floor(ew.div(x1, x2))


def remainder(x1, x2, /):
    """Python-style modulus: the result has the sign of the divisor (see ``fmod``).

    Examples
    --------
    >>> tnp.remainder(tnp.array([7, -7, 7]), tnp.array([3, 3, -3]))
    Array([ 1,  2, -2], dtype=int32)
    >>> tnp.mod(tnp.array([5.5, -5.5]), 2.)
    Array([1.5, 0.5], dtype=float32)
    """
    x1, x2 = _promote_numeric("remainder", x1, x2)
    r = ew.rem(x1, x2)
    zero = full_like(r, 0)
    fix = ew.bitwise_and(ew.ne(r, zero), ew.ne(ew.lt(r, zero), ew.lt(x2, zero)))
    out = select_n(fix, r, ew.add(r, x2))
    if dtypes.is_float(out.dtype):
        # a zero result takes the divisor's sign, as Python, NumPy and the Array API have it
        # (-0.0 % 3 is +0.0; JAX returns -0.0)
        from tensorlib._src.numpy.floating import copysign

        out = select_n(ew.eq(out, zero), out, copysign(zero, x2))
    return out


mod = remainder


def fmod(x1, x2, /):
    """C-style remainder: the result has the sign of the dividend (see ``remainder``).

    Examples
    --------
    >>> tnp.fmod(tnp.array([7, -7, 7]), tnp.array([3, 3, -3]))
    Array([ 1, -1,  1], dtype=int32)
    """
    x1, x2 = _promote_numeric("fmod", x1, x2)
    return ew.rem(x1, x2)


def divmod(x1, x2, /):
    """``(floor_divide(x1, x2), remainder(x1, x2))`` as a tuple of two arrays.

    Examples
    --------
    >>> q, r = tnp.divmod(tnp.array([7, -7]), 3)
    >>> q
    Array([ 2, -3], dtype=int32)
    >>> r
    Array([1, 2], dtype=int32)
    """
    return floor_divide(x1, x2), remainder(x1, x2)
