"""Trigonometric and hyperbolic ufuncs of ``tensorlib.numpy`` (and their Array API aliases),
``hypot``, angle conversion (``deg2rad``, ``rad2deg``, ...) and ``sinc``.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src.numpy.exp_log import sqrt
from tensorlib._src.numpy.promotion import (
    promote_args_inexact,
)
from tensorlib._src.numpy.ufuncs import _binary_fast, _unary, where
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.elementwise import full_like

arctan2 = _binary_fast(
    ew.atan2_p, "arctan2", inexact=True,
    doc="""Elementwise arc tangent of ``x1 / x2`` in ``[-pi, pi]``, the quadrant from both signs.

    Examples
    --------
    >>> y = tnp.array([1., 1., -1., 0.])
    >>> x = tnp.array([1., -1., -1., -1.])
    >>> tnp.round(tnp.arctan2(y, x) / tnp.pi, 4)
    Array([ 0.25,  0.75, -0.75,  1.  ], dtype=float32)
    """,
)
tanh = _unary(
    ew.tanh_p, "tanh", True,
    doc="""Elementwise hyperbolic tangent.

    Examples
    --------
    >>> tnp.round(tnp.tanh(tnp.array([-1., 0., 0.5, 20.])), 4)
    Array([-0.7616,  0.    ,  0.4621,  1.    ], dtype=float32)
    """,
)
sin = _unary(
    ew.sin_p, "sin", True,
    doc="""Elementwise sine (radians); integer inputs give the default float.

    Examples
    --------
    >>> tnp.round(tnp.sin(tnp.array([0., tnp.pi / 6, tnp.pi / 2])), 4)
    Array([0. , 0.5, 1. ], dtype=float32)
    >>> tnp.sin(tnp.array([0]))
    Array([0.], dtype=float32)
    """,
)
cos = _unary(
    ew.cos_p, "cos", True,
    doc="""Elementwise cosine (radians); integer inputs give the default float.

    Examples
    --------
    >>> tnp.round(tnp.cos(tnp.array([0., tnp.pi / 3, tnp.pi])), 4)
    Array([ 1. ,  0.5, -1. ], dtype=float32)
    """,
)
tan = _unary(
    ew.tan_p, "tan", True,
    doc="""Elementwise tangent (radians).

    Examples
    --------
    >>> tnp.round(tnp.tan(tnp.array([0., tnp.pi / 4, -tnp.pi / 4])), 4)
    Array([ 0.,  1., -1.], dtype=float32)
    """,
)
arcsin = _unary(
    ew.asin_p, "arcsin", True,
    doc="""Elementwise inverse sine, in ``[-pi/2, pi/2]``; NaN outside ``[-1, 1]``.

    Examples
    --------
    >>> tnp.round(tnp.arcsin(tnp.array([-1., 0., 0.5, 2.])), 4)
    Array([-1.5708,  0.    ,  0.5236,     nan], dtype=float32)
    """,
)
arccos = _unary(
    ew.acos_p, "arccos", True,
    doc="""Elementwise inverse cosine, in ``[0, pi]``; NaN outside ``[-1, 1]``.

    Examples
    --------
    >>> tnp.round(tnp.arccos(tnp.array([1., 0., -1.])), 4)
    Array([0.    , 1.5708, 3.1416], dtype=float32)
    """,
)
arctan = _unary(
    ew.atan_p, "arctan", True,
    doc="""Elementwise inverse tangent, in ``(-pi/2, pi/2)``.

    Examples
    --------
    >>> tnp.round(tnp.arctan(tnp.array([0., 1., tnp.inf])), 4)
    Array([0.    , 0.7854, 1.5708], dtype=float32)
    """,
)
sinh = _unary(
    ew.sinh_p, "sinh", True,
    doc="""Elementwise hyperbolic sine.

    Examples
    --------
    >>> tnp.round(tnp.sinh(tnp.array([0., 1., -1.])), 4)
    Array([ 0.    ,  1.1752, -1.1752], dtype=float32)
    """,
)
cosh = _unary(
    ew.cosh_p, "cosh", True,
    doc="""Elementwise hyperbolic cosine.

    Examples
    --------
    >>> tnp.round(tnp.cosh(tnp.array([0., 1., -1.])), 4)
    Array([1.    , 1.5431, 1.5431], dtype=float32)
    """,
)
arcsinh = _unary(
    ew.asinh_p, "arcsinh", True,
    doc="""Elementwise inverse hyperbolic sine.

    Examples
    --------
    >>> tnp.round(tnp.arcsinh(tnp.array([0., 1., -1.])), 4)
    Array([ 0.    ,  0.8814, -0.8814], dtype=float32)
    """,
)
arccosh = _unary(
    ew.acosh_p, "arccosh", True,
    doc="""Elementwise inverse hyperbolic cosine; NaN below 1.

    Examples
    --------
    >>> tnp.round(tnp.arccosh(tnp.array([1., 2., 0.])), 4)
    Array([0.   , 1.317,   nan], dtype=float32)
    """,
)
arctanh = _unary(
    ew.atanh_p, "arctanh", True,
    doc="""Elementwise inverse hyperbolic tangent; ``+-inf`` at ``+-1``.

    Examples
    --------
    >>> tnp.round(tnp.arctanh(tnp.array([0., 0.5, 1., -1.])), 4)
    Array([0.    , 0.5493,    inf,   -inf], dtype=float32)
    """,
)
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh
atan2 = arctan2


def hypot(x1, x2, /):
    """Elementwise ``sqrt(x1**2 + x2**2)``; integers give the default float.

    Examples
    --------
    >>> tnp.hypot(tnp.array([3, 6]), tnp.array([4, 8]))
    Array([ 5., 10.], dtype=float32)
    """
    x1, x2 = promote_args_inexact("hypot", x1, x2)
    return sqrt(ew.add(ew.mul(x1, x1), ew.mul(x2, x2)))


def deg2rad(x, /):
    """Convert degrees to radians (``x * pi / 180``); integers give the default float.

    Examples
    --------
    >>> tnp.round(tnp.deg2rad(tnp.array([0, 90, 180])), 4)
    Array([0.    , 1.5708, 3.1416], dtype=float32)
    """
    (x,) = promote_args_inexact("deg2rad", x)
    return ew.mul(x, full_like(x, np.pi / 180))


def rad2deg(x, /):
    """Convert radians to degrees (``x * 180 / pi``).

    Examples
    --------
    >>> tnp.round(tnp.rad2deg(tnp.array([0., tnp.pi / 2, -tnp.pi])), 4)
    Array([   0.,   90., -180.], dtype=float32)
    """
    (x,) = promote_args_inexact("rad2deg", x)
    return ew.mul(x, full_like(x, 180 / np.pi))


radians, degrees = deg2rad, rad2deg


def sinc(x, /):
    """Normalized sinc, ``sin(pi x) / (pi x)``, with ``sinc(0) = 1``.

    Examples
    --------
    >>> tnp.round(tnp.sinc(tnp.array([0., 0.5, 1.5])), 4)
    Array([ 1.    ,  0.6366, -0.2122], dtype=float32)
    """
    (x,) = promote_args_inexact("sinc", x)
    zero = ew.eq(x, full_like(x, 0))
    safe = where(zero, full_like(x, 1), x)
    pix = ew.mul(safe, full_like(x, np.pi))
    return where(zero, full_like(x, 1), ew.div(ew.sin(pix), pix))
