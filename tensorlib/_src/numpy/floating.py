"""Floating-point functions of ``tensorlib.numpy``: classification (``isfinite``, ``isnan``,
``isinf``, ``isposinf``, ``isneginf``, ``signbit``), ``copysign``, ``nextafter``, ``fmax``/``fmin``,
``nan_to_num``, ``modf`` and ``ldexp``.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.numpy import (
    exp_log,
    rounding,
    ufuncs,
)
from tensorlib._src.numpy.comparison import logical_and, logical_or
from tensorlib._src.numpy.promotion import (
    _inexact,
    asarray,
    promote_args,
    promote_args_inexact,
)
from tensorlib._src.numpy.ufuncs import _binary_fast, absolute, where
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.elementwise import full_like


def modf(x, /):
    """The fractional and integral parts of ``x``, both with the sign of ``x``.

    Examples
    --------
    >>> tnp.modf(tnp.array([2.5, -1.25, 3.]))
    (Array([ 0.5 , -0.25,  0.  ], dtype=float32), Array([ 2., -1.,  3.], dtype=float32))
    """
    x = _inexact(asarray(x))
    whole = rounding.trunc(x)
    return ufuncs.subtract(x, whole), whole


def ldexp(x1, x2, /):
    """Elementwise ``x1 * 2**x2``; integer ``x1`` gives the default float.

    Examples
    --------
    >>> tnp.ldexp(tnp.array([1., 3., 5.]), tnp.array([0, 2, -1]))
    Array([ 1. , 12. ,  2.5], dtype=float32)
    """
    x1 = _inexact(asarray(x1))
    return ufuncs.multiply(x1, exp_log.exp2(asarray(x2).astype(x1.dtype)))


nextafter = _binary_fast(
    ew.nextafter_p, "nextafter", inexact=True,
    doc="""Elementwise next representable float after ``x1`` in the direction of ``x2``.

    Examples
    --------
    >>> x = tnp.nextafter(tnp.array([1., 1.]), tnp.array([2., 0.]))
    >>> x - 1
    Array([ 1.1920929e-07, -5.9604645e-08], dtype=float32)
    """,
)


def isfinite(x, /):
    """Elementwise test for finite values (not inf, not NaN); integer arrays are all finite.

    Examples
    --------
    >>> tnp.isfinite(tnp.array([1., tnp.inf, -tnp.inf, tnp.nan]))
    Array([ True, False, False, False], dtype=bool)
    >>> tnp.isfinite(tnp.array([1, 2]))
    Array([ True,  True], dtype=bool)
    """
    x = asarray(x)
    if not dtypes.is_inexact(x.dtype):
        return full_like(x, True, dtypes.bool_)
    if dtypes.is_complex(x.dtype):
        return logical_and(isfinite(ew.real(x)), isfinite(ew.imag(x)))
    return ew.is_finite(x)


def isnan(x, /):
    """Elementwise test for NaN.

    Examples
    --------
    >>> tnp.isnan(tnp.array([1., tnp.nan, tnp.inf]))
    Array([False,  True, False], dtype=bool)
    >>> tnp.isnan(tnp.array([complex(0, tnp.nan), 1j]))
    Array([ True, False], dtype=bool)
    """
    x = asarray(x)
    if not dtypes.is_inexact(x.dtype):
        return full_like(x, False, dtypes.bool_)
    return ew.ne(x, x)


def isinf(x, /):
    """Elementwise test for positive or negative infinity.

    Examples
    --------
    >>> tnp.isinf(tnp.array([1., tnp.inf, -tnp.inf, tnp.nan]))
    Array([False,  True,  True, False], dtype=bool)
    """
    x = asarray(x)
    if not dtypes.is_inexact(x.dtype):
        return full_like(x, False, dtypes.bool_)
    if dtypes.is_complex(x.dtype):
        return logical_or(isinf(ew.real(x)), isinf(ew.imag(x)))
    return ew.eq(ew.abs(x), ew.full(x.shape, np.inf, x.dtype))  # a strong bool, as in JAX


def isposinf(x, /):
    """Elementwise test for positive infinity.

    Examples
    --------
    >>> tnp.isposinf(tnp.array([1., tnp.inf, -tnp.inf, tnp.nan]))
    Array([False,  True, False, False], dtype=bool)
    """
    x = asarray(x)
    return logical_and(isinf(x), ew.gt(x, full_like(x, 0))) if dtypes.is_float(x.dtype) \
        else full_like(x, False, dtypes.bool_)


def isneginf(x, /):
    """Elementwise test for negative infinity.

    Examples
    --------
    >>> tnp.isneginf(tnp.array([1., tnp.inf, -tnp.inf, tnp.nan]))
    Array([False, False,  True, False], dtype=bool)
    """
    x = asarray(x)
    return logical_and(isinf(x), ew.lt(x, full_like(x, 0))) if dtypes.is_float(x.dtype) \
        else full_like(x, False, dtypes.bool_)


def signbit(x, /):
    """Elementwise test for a set sign bit: true for negatives, ``-0.0`` and NaNs with the bit.

    Examples
    --------
    >>> tnp.signbit(tnp.array([-1., -0., 0., 2.]))
    Array([ True,  True, False, False], dtype=bool)
    >>> tnp.signbit(tnp.array([-3, 3]))
    Array([ True, False], dtype=bool)
    """
    x = asarray(x)
    if dtypes.is_unsigned(x.dtype) or x.dtype == dtypes.bool_:
        return full_like(x, False, dtypes.bool_)
    if dtypes.is_integer(x.dtype):
        return ew.lt(x, full_like(x, 0))
    bits = np.dtype(f"int{x.dtype.itemsize * 8}")
    return ew.lt(ew.bitcast_convert_type(x, bits), ew.full(x.shape, 0, bits))


def copysign(x1, x2, /):
    """Elementwise ``|x1|`` with the sign (bit) of ``x2``; integers give the default float.

    Examples
    --------
    >>> tnp.copysign(tnp.array([1, 2, 3]), tnp.array([-1., 0., -0.]))
    Array([-1.,  2., -3.], dtype=float32)
    """
    x1, x2 = promote_args_inexact("copysign", x1, x2)
    return where(signbit(x2), ew.neg(absolute(x1)), absolute(x1))


def fmax(x1, x2, /):
    """Elementwise maximum that ignores NaNs: NaN only where both inputs are NaN.

    Examples
    --------
    >>> tnp.fmax(tnp.array([1., tnp.nan, tnp.nan]), tnp.array([2., 3., tnp.nan]))
    Array([ 2.,  3., nan], dtype=float32)
    """
    x1, x2 = promote_args("fmax", x1, x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, ew.max(x1, x2)))


def fmin(x1, x2, /):
    """Elementwise minimum that ignores NaNs: NaN only where both inputs are NaN.

    Examples
    --------
    >>> tnp.fmin(tnp.array([1., tnp.nan, tnp.nan]), tnp.array([2., 3., tnp.nan]))
    Array([ 1.,  3., nan], dtype=float32)
    """
    x1, x2 = promote_args("fmin", x1, x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, ew.min(x1, x2)))


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Replace NaN by ``nan`` (0), infinities by ``posinf``/``neginf`` (the dtype's max/min).

    Returns a new array; ``copy`` is accepted for NumPy compatibility.

    Examples
    --------
    >>> x = tnp.array([tnp.nan, tnp.inf, -tnp.inf, 1.])
    >>> tnp.nan_to_num(x)
    Array([ 0.0000000e+00,  3.4028235e+38, -3.4028235e+38,  1.0000000e+00], dtype=float32)
    >>> tnp.nan_to_num(x, nan=-1., posinf=9., neginf=-9.)
    Array([-1.,  9., -9.,  1.], dtype=float32)
    """
    x = asarray(x)
    if not dtypes.is_float(x.dtype):
        return x
    info = dtypes.finfo(x.dtype)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    x = where(isnan(x), full_like(x, nan), x)
    x = where(isposinf(x), full_like(x, posinf), x)
    return where(isneginf(x), full_like(x, neginf), x)
