"""Elementwise functions of ``tensorlib.numpy``: promotion and broadcasting, then primitives."""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array, Tracer, _tls, backend_of, eval_primitive
from tensorlib._src.numpy.promotion import (
    _SCALARS,
    asarray,
    promote_args,
    promote_args_inexact,
)
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.elementwise import convert_element_type, full_like, select_n
from tensorlib.errors import DTypeError


def _binary_fast(prim, name, inexact=False, doc=None):
    promote = promote_args_inexact if inexact else promote_args

    def fn(x, y, /):
        # Fast paths: two arrays of one dtype, weak type and shape, or an array and a Python
        # scalar that keeps the array's dtype, go straight to the primitive.
        tx, ty = type(x), type(y)
        if tx is Array:
            if ty is Array:
                if (x._buf.dtype == y._buf.dtype and x._buf.shape == y._buf.shape
                        and x._weak == y._weak and not (inexact and x._buf.dtype.kind in "iub")):
                    if not _tls.stack:  # eager: straight to the interpreter, no bind layers
                        return eval_primitive(prim, (x, y), _NO_PARAMS)
                    return prim.bind(x, y)
            elif ty in _FAST_SCALARS and _keeps_dtype(x._buf.dtype, y, inexact):
                return prim.bind(x, Array(_backend_full(x, y), x._weak))
        elif ty is Array and tx in _FAST_SCALARS and _keeps_dtype(y._buf.dtype, x, inexact):
            return prim.bind(Array(_backend_full(y, x), y._weak), y)
        elif isinstance(x, Tracer):
            # the same shortcuts for traced values (a grad's tape, a jvp): no promotion pass
            if isinstance(y, Array):
                if (x.dtype == y.dtype and x.shape == y.shape and x._weak == y._weak
                        and not (inexact and x.dtype.kind in "iub")):
                    return prim.bind(x, y)
            elif ty in _FAST_SCALARS and _keeps_dtype(x.dtype, y, inexact):
                return prim.bind(x, ew.full(x.shape, y, x.dtype, x._weak))
        elif isinstance(y, Tracer) and tx in _FAST_SCALARS and _keeps_dtype(y.dtype, x,
                                                                            inexact):
            return prim.bind(ew.full(y.shape, x, y.dtype, y._weak), y)
        x, y = promote(name, x, y)
        return prim.bind(x, y)

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = doc or f"Elementwise ``{name}`` with NumPy broadcasting and JAX type promotion."
    return fn


_FAST_SCALARS = (int, float)
_NO_PARAMS: dict = {}  # shared, never mutated: kernels take params as keywords


def _keeps_dtype(dt, v, inexact):
    """Whether ``array(dt) op v`` (v a weak Python scalar) has dtype ``dt`` (JAX promotion)."""
    k = dt.kind
    if k == "f" or k == "c" or dt == dtypes.bfloat16:
        return True
    if inexact or k not in "iu" or type(v) is not int:
        return False
    return dt == dtypes.int32 and -2147483648 <= v <= 2147483647


def _backend_full(like, v):
    buf = like._buf
    return backend_of(buf).full(buf.shape, v, buf.dtype)


def _unary(prim, name, inexact=False, doc=None):
    def fn(x, /):
        if type(x) is Array and not _tls.stack and not (inexact and x._buf.dtype.kind in "iub"):
            return eval_primitive(prim, (x,), _NO_PARAMS)  # eager: no bind layers
        if not isinstance(x, Array) or (inexact and x.dtype.kind in "iub"):
            (x,) = promote_args_inexact(name, x) if inexact else promote_args(name, x)
        return prim.bind(x)

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = doc or f"Elementwise ``{name}``."
    return fn


add = _binary_fast(
    ew.add_p, "add",
    doc="""Elementwise ``x1 + x2``, with NumPy broadcasting and JAX type promotion.

    A Python scalar is weakly typed: it does not widen the array's dtype.

    Examples
    --------
    >>> x = tnp.array([1, 2, 3], dtype=tnp.int8)
    >>> tnp.add(x, 10)
    Array([11, 12, 13], dtype=int8)
    >>> tnp.add(tnp.array([[0.], [10.]]), tnp.array([1., 2.]))
    Array([[ 1.,  2.],
           [11., 12.]], dtype=float32)
    """,
)
subtract = _binary_fast(
    ew.sub_p, "subtract",
    doc="""Elementwise ``x1 - x2``, with NumPy broadcasting and JAX type promotion.

    Examples
    --------
    >>> tnp.subtract(tnp.array([5, 7, 9]), tnp.array([[1], [2]]))
    Array([[4, 6, 8],
           [3, 5, 7]], dtype=int32)
    >>> tnp.subtract(tnp.array([1, 2], dtype=tnp.uint8), tnp.array([1, 1], dtype=tnp.int8))
    Array([0, 1], dtype=int16)
    """,
)
multiply = _binary_fast(
    ew.mul_p, "multiply",
    doc="""Elementwise ``x1 * x2``, with NumPy broadcasting and JAX type promotion.

    Examples
    --------
    >>> tnp.multiply(tnp.array([1, 2, 3]), 2)
    Array([2, 4, 6], dtype=int32)
    >>> tnp.multiply(tnp.array([1, 2, 3]), 0.5)
    Array([0.5, 1. , 1.5], dtype=float32, weak_type=True)
    """,
)
true_divide = _binary_fast(
    ew.div_p, "true_divide", inexact=True,
    doc="""Elementwise true division ``x1 / x2``; integers give the default float.

    Examples
    --------
    >>> tnp.divide(tnp.array([1, 2, 3]), 2)
    Array([0.5, 1. , 1.5], dtype=float32)
    >>> tnp.divide(tnp.array([1., -1., 0.]), 0.)
    Array([ inf, -inf,  nan], dtype=float32)
    """,
)
divide = true_divide
maximum = _binary_fast(
    ew.max_p, "maximum",
    doc="""Elementwise maximum; a NaN in either input gives NaN (see ``fmax``).

    Examples
    --------
    >>> tnp.maximum(tnp.array([1, 5, 3]), tnp.array([4, 2, 6]))
    Array([4, 5, 6], dtype=int32)
    >>> tnp.maximum(tnp.array([-1., 2., tnp.nan]), 0.)
    Array([ 0.,  2., nan], dtype=float32)
    """,
)
minimum = _binary_fast(
    ew.min_p, "minimum",
    doc="""Elementwise minimum; a NaN in either input gives NaN (see ``fmin``).

    Examples
    --------
    >>> tnp.minimum(tnp.array([1, 5, 3]), tnp.array([4, 2, 6]))
    Array([1, 2, 3], dtype=int32)
    >>> tnp.minimum(tnp.array([[-1., 2.], [3., tnp.nan]]), 0.)
    Array([[-1.,  0.],
           [ 0., nan]], dtype=float32)
    """,
)
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
equal = _binary_fast(
    ew.eq_p, "equal",
    doc="""Elementwise ``x1 == x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.equal(tnp.array([1, 2, 3]), tnp.array([[1], [3]]))
    Array([[ True, False, False],
           [False, False,  True]], dtype=bool)
    >>> tnp.equal(tnp.array([1., tnp.nan]), tnp.array([1., tnp.nan]))
    Array([ True, False], dtype=bool)
    """,
)
not_equal = _binary_fast(
    ew.ne_p, "not_equal",
    doc="""Elementwise ``x1 != x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.not_equal(tnp.array([1, 2, 3]), 2)
    Array([ True, False,  True], dtype=bool)
    >>> tnp.not_equal(tnp.array([tnp.nan]), tnp.array([tnp.nan]))
    Array([ True], dtype=bool)
    """,
)
less = _binary_fast(
    ew.lt_p, "less",
    doc="""Elementwise ``x1 < x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.less(tnp.array([1, 2, 3]), 2)
    Array([ True, False, False], dtype=bool)
    >>> tnp.less(tnp.array([1., 2.]), tnp.array([[0.], [3.]]))
    Array([[False, False],
           [ True,  True]], dtype=bool)
    """,
)
less_equal = _binary_fast(
    ew.le_p, "less_equal",
    doc="""Elementwise ``x1 <= x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.less_equal(tnp.array([1, 2, 3]), 2)
    Array([ True,  True, False], dtype=bool)
    """,
)
greater = _binary_fast(
    ew.gt_p, "greater",
    doc="""Elementwise ``x1 > x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.greater(tnp.array([1, 2, 3]), 2)
    Array([False, False,  True], dtype=bool)
    >>> tnp.greater(tnp.array([1., tnp.nan]), 0.)
    Array([ True, False], dtype=bool)
    """,
)
greater_equal = _binary_fast(
    ew.ge_p, "greater_equal",
    doc="""Elementwise ``x1 >= x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.greater_equal(tnp.array([1, 2, 3]), tnp.array([3, 2, 1]))
    Array([False,  True,  True], dtype=bool)
    """,
)

negative = _unary(
    ew.neg_p, "negative",
    doc="""Elementwise ``-x``; unsigned integers wrap around.

    Examples
    --------
    >>> tnp.negative(tnp.array([1., -2., 0.]))
    Array([-1.,  2., -0.], dtype=float32)
    >>> tnp.negative(tnp.array([1, 2], dtype=tnp.uint8))
    Array([255, 254], dtype=uint8)
    """,
)
exp = _unary(
    ew.exp_p, "exp", True,
    doc="""Elementwise ``e ** x``; integer inputs give the default float.

    Examples
    --------
    >>> tnp.exp(tnp.array([0, 1]))[0]
    Array(1., dtype=float32)
    >>> tnp.round(tnp.exp(tnp.array([-1., 0., 1., 2.])), 4)
    Array([0.3679, 1.    , 2.7183, 7.3891], dtype=float32)
    """,
)
exp2 = _unary(
    ew.exp2_p, "exp2", True,
    doc="""Elementwise ``2 ** x``; integer inputs give the default float.

    Examples
    --------
    >>> tnp.exp2(tnp.array([-1, 0, 3]))
    Array([0.5, 1. , 8. ], dtype=float32)
    """,
)
log = _unary(
    ew.log_p, "log", True,
    doc="""Elementwise natural logarithm; ``log(0)`` is ``-inf`` and negative inputs give NaN.

    Examples
    --------
    >>> tnp.log(tnp.array([1., 0., -1.]))
    Array([  0., -inf,  nan], dtype=float32)
    >>> tnp.round(tnp.log(tnp.array([2., 10.])), 4)
    Array([0.6931, 2.3026], dtype=float32)
    """,
)
expm1 = _unary(
    ew.expm1_p, "expm1", True,
    doc="""Elementwise ``exp(x) - 1``, accurate for small ``x``.

    Examples
    --------
    >>> tnp.expm1(tnp.array([0., 1e-10]))
    Array([0.e+00, 1.e-10], dtype=float32)
    >>> tnp.round(tnp.expm1(tnp.array([1., -1.])), 4)
    Array([ 1.7183, -0.6321], dtype=float32)
    """,
)
log1p = _unary(
    ew.log1p_p, "log1p", True,
    doc="""Elementwise ``log(1 + x)``, accurate for small ``x``.

    Examples
    --------
    >>> tnp.log1p(tnp.array([0., 1e-10, -1.]))
    Array([0.e+00, 1.e-10,   -inf], dtype=float32)
    >>> tnp.round(tnp.log1p(tnp.array([1.])), 4)
    Array([0.6931], dtype=float32)
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
sqrt = _unary(
    ew.sqrt_p, "sqrt", True,
    doc="""Elementwise non-negative square root; NaN for negative real inputs.

    Examples
    --------
    >>> tnp.sqrt(tnp.array([0, 4, 9]))
    Array([0., 2., 3.], dtype=float32)
    >>> tnp.sqrt(tnp.array([2., -1.]))
    Array([1.4142135,       nan], dtype=float32)
    """,
)
cbrt = _unary(
    ew.cbrt_p, "cbrt", True,
    doc="""Elementwise real cube root (negative inputs give negative roots).

    Examples
    --------
    >>> tnp.round(tnp.cbrt(tnp.array([8., -27., 0.])), 4)
    Array([ 2., -3.,  0.], dtype=float32)
    """,
)
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh
atan2 = arctan2


def positive(x, /):
    """Elementwise ``+x``: the input as an Array (no copy needed: Arrays are immutable).

    Examples
    --------
    >>> tnp.positive(tnp.array([-1, 2]))
    Array([-1,  2], dtype=int32)
    >>> tnp.positive(tnp.array([True, False]))
    Array([ True, False], dtype=bool)
    """
    return asarray(x)


def absolute(x, /):
    """Elementwise absolute value; unsigned and boolean arrays come back unchanged.

    Complex inputs give their (real) magnitude.

    Examples
    --------
    >>> tnp.abs(tnp.array([-2, 0, 3]))
    Array([2, 0, 3], dtype=int32)
    >>> tnp.abs(tnp.array([3 + 4j, -1j]))
    Array([5., 1.], dtype=float32)
    """
    x = asarray(x)
    if x.dtype == dtypes.bool_ or dtypes.is_unsigned(x.dtype):
        return x
    return ew.abs_p.bind(x)


abs = absolute


def sign(x, /):
    """Elementwise sign: -1, 0 or 1 (``x / |x|`` for complex; NaN stays NaN).

    Examples
    --------
    >>> tnp.sign(tnp.array([-3, 0, 2]))
    Array([-1,  0,  1], dtype=int32)
    >>> tnp.sign(tnp.array([-0.5, 0., tnp.nan]))
    Array([-1.,  0., nan], dtype=float32)
    """
    x = asarray(x)
    if x.dtype == dtypes.bool_:
        return x
    return ew.sign_p.bind(x)


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


def square(x, /):
    """Elementwise ``x * x``, keeping the dtype (integers stay integers).

    Examples
    --------
    >>> tnp.square(tnp.array([-3, 2]))
    Array([9, 4], dtype=int32)
    >>> tnp.square(tnp.array([1.5, 1j]))
    Array([ 2.25+0.j, -1.  +0.j], dtype=complex64)
    """
    x = asarray(x)
    return ew.integer_pow(x, 2)


def reciprocal(x, /):
    """Elementwise ``1 / x``; integer inputs give the default float (NumPy keeps the int).

    Examples
    --------
    >>> tnp.reciprocal(tnp.array([2, 4, 0]))
    Array([0.5 , 0.25,  inf], dtype=float32)
    """
    (x,) = promote_args_inexact("reciprocal", x)
    return ew.div(full_like(x, 1), x)


def _promote_numeric(name, x1, x2):
    """``promote_args``, then booleans become int32 (JAX's promote_args_numeric)."""
    x1, x2 = promote_args(name, x1, x2)
    if x1.dtype == dtypes.bool_:
        x1, x2 = (convert_element_type(a, dtypes.int32, a.weak_type) for a in (x1, x2))
    return x1, x2


def power(x1, x2, /):
    """Elementwise ``x1 ** x2``; an integer scalar exponent becomes an exact ``integer_pow``.

    Integer bases with integer exponents stay integers.

    Examples
    --------
    >>> tnp.power(tnp.array([1, 2, 3]), 2)
    Array([1, 4, 9], dtype=int32)
    >>> tnp.power(tnp.array([4., 2.]), tnp.array([0.5, -1.]))
    Array([2. , 0.5], dtype=float32)
    >>> tnp.power(2, tnp.array([0, 1, 10]))
    Array([   1,    2, 1024], dtype=int32)
    """
    if type(x2) is int and isinstance(x1, Array):
        if x1.dtype == dtypes.bool_:
            x1 = convert_element_type(x1, dtypes.int32, x1.weak_type)
        if x2 >= 0 or dtypes.is_inexact(x1.dtype):
            return ew.integer_pow(x1, x2)
    x1, x2 = _promote_numeric("power", x1, x2)
    if dtypes.is_integer(x1.dtype):
        return _int_power(x1, x2)
    if x1.dtype == dtypes.bool_:
        raise DTypeError("power: boolean arrays are not supported; convert to int first")
    return ew.pow_p.bind(x1, x2)


def _int_power(x, y):
    return ew.pow_p.bind(x, y)


pow = power


def float_power(x1, x2, /):
    """Elementwise ``x1 ** x2`` in floating point; as JAX, the result is the promoted inexact
    dtype (float32 by default), not always float64 as in NumPy.

    Examples
    --------
    >>> tnp.float_power(tnp.array([2, 3]), 2)
    Array([4., 9.], dtype=float32)
    >>> tnp.float_power(tnp.array([4.]), -0.5)
    Array([0.5], dtype=float32)
    """
    x1, x2 = promote_args_inexact("float_power", x1, x2)
    return ew.pow_p.bind(x1, x2)


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
    return select_n(fix, r, ew.add(r, x2))


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


def hypot(x1, x2, /):
    """Elementwise ``sqrt(x1**2 + x2**2)``; integers give the default float.

    Examples
    --------
    >>> tnp.hypot(tnp.array([3, 6]), tnp.array([4, 8]))
    Array([ 5., 10.], dtype=float32)
    """
    x1, x2 = promote_args_inexact("hypot", x1, x2)
    return sqrt(ew.add(ew.mul(x1, x1), ew.mul(x2, x2)))


def logaddexp(x1, x2, /):
    """Elementwise ``log(exp(x1) + exp(x2))``, computed without overflow.

    Examples
    --------
    >>> tnp.round(tnp.logaddexp(tnp.array([0., 1.]), tnp.array([0., -1.])), 4)
    Array([0.6931, 1.1269], dtype=float32)
    >>> tnp.logaddexp(tnp.array([1000., -tnp.inf]), tnp.array([-tnp.inf, 5.]))
    Array([1000.,    5.], dtype=float32)
    """
    x1, x2 = promote_args_inexact("logaddexp", x1, x2)
    # JAX's formulation: max + log1p(exp(-|x1 - x2|)), with equal infinities (whose
    # difference is nan) answered by x1 + x2; ties split the gradient 0.5 / 0.5.
    m = ew.max(x1, x2)
    delta = ew.sub(x1, x2)
    out = ew.add(m, log1p(ew.exp(ew.neg(absolute(delta)))))
    return select_n(ew.ne(delta, delta), out, ew.add(x1, x2))


def logaddexp2(x1, x2, /):
    """Elementwise ``log2(2**x1 + 2**x2)``, computed without overflow.

    Examples
    --------
    >>> tnp.round(tnp.logaddexp2(tnp.array([1., 3., 200.]), tnp.array([1., 3., 200.])), 4)
    Array([  2.,   4., 201.], dtype=float32)
    """
    x1, x2 = promote_args_inexact("logaddexp2", x1, x2)
    ln2 = full_like(x1, np.log(2))
    return ew.div(logaddexp(ew.mul(x1, ln2), ew.mul(x2, ln2)), ln2)


def log2(x, /):
    """Elementwise base-2 logarithm; integers give the default float.

    Examples
    --------
    >>> tnp.round(tnp.log2(tnp.array([1, 2, 8, 1024])), 4)
    Array([ 0.,  1.,  3., 10.], dtype=float32)
    """
    (x,) = promote_args_inexact("log2", x)
    return ew.div(ew.log(x), full_like(x, np.log(2)))


def log10(x, /):
    """Elementwise base-10 logarithm; integers give the default float.

    Examples
    --------
    >>> tnp.round(tnp.log10(tnp.array([1, 10, 1000])), 4)
    Array([0., 1., 3.], dtype=float32)
    """
    (x,) = promote_args_inexact("log10", x)
    return ew.div(ew.log(x), full_like(x, np.log(10)))


def _logical(name, prim, doc):
    def fn(x1, x2, /):
        x1, x2 = promote_args(name, x1, x2)
        if x1.dtype != dtypes.bool_:
            x1 = ew.ne(x1, full_like(x1, 0))
            x2 = ew.ne(x2, full_like(x2, 0))
        return prim.bind(x1, x2)

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


logical_and = _logical(
    "logical_and", ew.and_p,
    doc="""Elementwise logical AND of truth values (nonzero is true); returns bool.

    Examples
    --------
    >>> tnp.logical_and(tnp.array([True, True, False]), tnp.array([True, False, False]))
    Array([ True, False, False], dtype=bool)
    >>> tnp.logical_and(tnp.array([0, 1, 2]), 3)
    Array([False,  True,  True], dtype=bool)
    """,
)
logical_or = _logical(
    "logical_or", ew.or_p,
    doc="""Elementwise logical OR of truth values (nonzero is true); returns bool.

    Examples
    --------
    >>> tnp.logical_or(tnp.array([True, False, False]), tnp.array([False, False, True]))
    Array([ True, False,  True], dtype=bool)
    >>> tnp.logical_or(tnp.array([0., 0.5]), 0.)
    Array([False,  True], dtype=bool)
    """,
)
logical_xor = _logical(
    "logical_xor", ew.xor_p,
    doc="""Elementwise logical XOR of truth values (nonzero is true); returns bool.

    Examples
    --------
    >>> tnp.logical_xor(tnp.array([True, True, False]), tnp.array([True, False, False]))
    Array([False,  True, False], dtype=bool)
    """,
)


def logical_not(x, /):
    """Elementwise logical NOT (nonzero is true); returns bool.

    Examples
    --------
    >>> tnp.logical_not(tnp.array([True, False]))
    Array([False,  True], dtype=bool)
    >>> tnp.logical_not(tnp.array([0, 2]))
    Array([ True, False], dtype=bool)
    """
    x = asarray(x)
    if x.dtype != dtypes.bool_:
        return ew.eq(x, full_like(x, 0))
    return ew.not_p.bind(x)


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


def where(condition, x=None, y=None, /):
    """Elementwise choice of ``x`` where ``condition`` holds, else ``y``, with broadcasting.

    With one argument it is ``nonzero(condition)``, which needs a concrete condition.

    Examples
    --------
    >>> x = tnp.array([1., -2., 3.])
    >>> tnp.where(x > 0, x, 0.)
    Array([1., 0., 3.], dtype=float32)
    >>> tnp.where(tnp.array([[True], [False]]), 1, tnp.array([5, 6]))
    Array([[1, 1],
           [5, 6]], dtype=int32)
    >>> tnp.where(x > 0)
    (Array([0, 2], dtype=int32),)
    """
    if x is None and y is None:
        from tensorlib._src.numpy.indexing import nonzero

        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("where: give both x and y, or neither")
    c = asarray(condition)
    if c.dtype != dtypes.bool_:
        c = ew.ne(c, full_like(c, 0))
    x, y = promote_args("where", x, y)
    c, x, y = promote_args_shapes("where", c, x, y)
    return select_n(c, y, x)


def promote_args_shapes(op, *arrs):
    from tensorlib._src.numpy.promotion import broadcast_shapes, broadcast_to

    shape = broadcast_shapes(*[a.shape for a in arrs], op=op)
    return [broadcast_to(a, shape, op) for a in arrs]


def clip(x, /, min=None, max=None, *, a_min=None, a_max=None):
    """Clamp to ``[min, max]`` (either may be None); ``a_min``/``a_max`` are NumPy's old names.

    Examples
    --------
    >>> x = tnp.array([-2, 0, 3, 7])
    >>> tnp.clip(x, 0, 5)
    Array([0, 0, 3, 5], dtype=int32)
    >>> tnp.clip(x, max=1)
    Array([-2,  0,  1,  1], dtype=int32)
    >>> tnp.clip(x, tnp.array([0, 1, 2, 3]), 4)
    Array([0, 1, 3, 4], dtype=int32)
    """
    lo = min if min is not None else a_min
    hi = max if max is not None else a_max
    x = asarray(x)
    if lo is not None:
        x = maximum(x, lo)
    if hi is not None:
        x = minimum(x, hi)
    return x


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


def real(x, /):
    """The real part, elementwise; real inputs come back with the same dtype.

    Examples
    --------
    >>> tnp.real(tnp.array([1 + 2j, 3 - 4j]))
    Array([1., 3.], dtype=float32)
    >>> tnp.real(tnp.array([1., 2.]))
    Array([1., 2.], dtype=float32)
    """
    return ew.real(asarray(x))


def imag(x, /):
    """The imaginary part, elementwise; zeros for real inputs.

    Examples
    --------
    >>> tnp.imag(tnp.array([1 + 2j, 3 - 4j]))
    Array([ 2., -4.], dtype=float32)
    >>> tnp.imag(tnp.array([1., 2.]))
    Array([0., 0.], dtype=float32)
    """
    return ew.imag(asarray(x))


def conjugate(x, /):
    """Elementwise complex conjugate; real arrays come back unchanged.

    Examples
    --------
    >>> tnp.conjugate(tnp.array([1 + 2j, 3 - 4j]))
    Array([1.-2.j, 3.+4.j], dtype=complex64)
    """
    x = asarray(x)
    return ew.conj(x) if dtypes.is_complex(x.dtype) else x


conj = conjugate


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


def heaviside(x1, x2, /):
    """Heaviside step: 0 for ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 for ``x1 > 0``.

    Examples
    --------
    >>> tnp.heaviside(tnp.array([-2., 0., 3.]), 0.5)
    Array([0. , 0.5, 1. ], dtype=float32)
    """
    x1, x2 = promote_args_inexact("heaviside", x1, x2)
    zero = full_like(x1, 0)
    return where(ew.lt(x1, zero), zero, where(ew.eq(x1, zero), x2, full_like(x1, 1)))


def isscalar_like(x):
    return type(x) in _SCALARS
