"""Rounding ufuncs of ``tensorlib.numpy``: ``floor``, ``ceil``, ``trunc``/``fix``, ``rint`` and
``round``/``around``.
"""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.numpy.promotion import (
    asarray,
)
from tensorlib._src.numpy.ufuncs import divide, multiply
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.elementwise import convert_element_type, full_like, select_n


def _float_or_int_identity(prim, name, doc):
    def fn(x, /):
        x = asarray(x)
        if not dtypes.is_float(x.dtype):
            return x
        return prim.bind(x)

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


floor = _float_or_int_identity(
    ew.floor_p, "floor",
    doc="""Elementwise largest integer ``<= x``; integer arrays come back unchanged (as JAX).

    Examples
    --------
    >>> tnp.floor(tnp.array([-1.5, -0.5, 0.5, 1.5]))
    Array([-2., -1.,  0.,  1.], dtype=float32)
    >>> tnp.floor(tnp.array([1, 2]))
    Array([1, 2], dtype=int32)
    """,
)
ceil = _float_or_int_identity(
    ew.ceil_p, "ceil",
    doc="""Elementwise smallest integer ``>= x``; integer arrays come back unchanged (as JAX).

    Examples
    --------
    >>> tnp.ceil(tnp.array([-1.5, -0.5, 0.5, 1.5]))
    Array([-1., -0.,  1.,  2.], dtype=float32)
    """,
)


def trunc(x, /):
    """Elementwise rounding toward zero; integer arrays come back unchanged.

    Examples
    --------
    >>> tnp.trunc(tnp.array([-1.7, -0.2, 0.2, 1.7]))
    Array([-1., -0.,  0.,  1.], dtype=float32)
    """
    x = asarray(x)
    if not dtypes.is_float(x.dtype):
        return x
    return select_n(ew.lt(x, full_like(x, 0)), ew.floor(x), ew.ceil(x))


fix = trunc


def rint(x, /):
    """Elementwise round to the nearest integer, halves to even; integers give the default float.

    Examples
    --------
    >>> tnp.rint(tnp.array([-1.5, -0.5, 0.5, 1.5, 2.5]))
    Array([-2., -0.,  0.,  2.,  2.], dtype=float32)
    >>> tnp.rint(tnp.array([1, 2]))
    Array([1., 2.], dtype=float32)
    """
    x = asarray(x)
    if x.dtype == dtypes.bool_ or dtypes.is_integer(x.dtype):
        return convert_element_type(x, dtypes.default_float())  # as JAX: the default float
    if not dtypes.is_float(x.dtype):
        return x
    return ew.round(x, 1)


def round(a, decimals=0, out=None):
    """Round half to even, as NumPy, to ``decimals`` places; integer arrays come back unchanged.

    Examples
    --------
    >>> tnp.round(tnp.array([0.5, 1.5, 2.5, -2.5]))
    Array([ 0.,  2.,  2., -2.], dtype=float32)
    >>> tnp.round(tnp.array([1.234, 5.678]), 1)
    Array([1.2, 5.7], dtype=float32)
    >>> tnp.round(tnp.array([12, 15]))
    Array([12, 15], dtype=int32)
    """
    a = asarray(a)
    if not dtypes.is_float(a.dtype):
        return a
    if decimals == 0:
        return ew.round(a, 1)
    f = full_like(a, 10.0 ** decimals)
    return divide(ew.round(multiply(a, f), 1), f)


around = round
