"""Elementwise functions of ``tensorlib.numpy``: promotion and broadcasting, then primitives.

This module holds the fast path and the ``_unary``/``_binary_fast`` machinery the other ufunc
modules build on, the arithmetic ufuncs (``add``, ``multiply``, ``power``, ``absolute``, ...),
``where`` and ``clip``. The other ufuncs are grouped by topic: ``comparison``, ``bitwise``,
``rounding``, ``division``, ``exp_log``, ``trigonometric``, ``floating`` and ``complex_numbers``.
"""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.core import Array, Tracer, backend_of, bind
from tensorlib._src.numpy.promotion import (
    _SCALARS,
    asarray,
    promote_args,
    promote_args_inexact,
)
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.elementwise import convert_element_type, full_like, select_n
from tensorlib._src.ops.shape import broadcast_in_dim
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
                    return bind(prim, (x, y), _NO_PARAMS)
            elif ty in _FAST_SCALARS and _keeps_dtype(x._buf.dtype, y, inexact):
                return prim.bind(x, Array(_backend_full(x, y), x._weak))
        elif ty is Array and tx in _FAST_SCALARS and _keeps_dtype(y._buf.dtype, x, inexact):
            return prim.bind(Array(_backend_full(y, x), y._weak), y)
        elif isinstance(x, Tracer):
            # the same shortcuts for traced values (a grad's tape, a jvp): no promotion pass
            if isinstance(y, Array):
                dt = x.dtype
                if (dt == y.dtype and x.shape == y.shape and x._weak == y._weak
                        and not (inexact and dt.kind in "iub")):
                    return bind(prim, (x, y), _NO_PARAMS)
            elif ty in _FAST_SCALARS and _keeps_dtype(x.dtype, y, inexact):
                return bind(prim, (x, _scalar_like(x, y)), _NO_PARAMS)
        elif isinstance(y, Tracer) and tx in _FAST_SCALARS and _keeps_dtype(y.dtype, x,
                                                                            inexact):
            return bind(prim, (_scalar_like(y, x), y), _NO_PARAMS)
        x, y = promote(name, x, y)
        return prim.bind(x, y)

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = doc or f"Elementwise ``{name}`` with NumPy broadcasting and JAX type promotion."
    return fn


_FAST_SCALARS = (int, float)
_NO_PARAMS: dict = {}  # shared, never mutated: kernels take params as keywords
# (core.bind, the one entry point, takes args and params as they are: no packing)


def _keeps_dtype(dt, v, inexact):
    """Whether ``array(dt) op v`` (v a weak Python scalar) has dtype ``dt`` (JAX promotion)."""
    k = dt.kind
    if k == "f" or k == "c" or dt == dtypes.bfloat16:
        return True
    if inexact or k not in "iu" or type(v) is not int:
        return False
    return dt == dtypes.int32 and -2147483648 <= v <= 2147483647


def _scalar_like(t, v):
    """The Python scalar ``v`` as an operand beside the traced value ``t``. Staged (abstract)
    values get a 0-d constant broadcast in the graph, not a constant of their whole shape: a
    compiler folds the broadcast, and no full-size constant is built, copied or hashed."""
    if t.shape and t.concrete_value() is None:
        return broadcast_in_dim(ew.full((), v, t.dtype, t._weak), t.shape, ())
    return ew.full(t.shape, v, t.dtype, t._weak)


def _backend_full(like, v):
    buf = like._buf
    return backend_of(buf).full(buf.shape, v, buf.dtype)


def _unary(prim, name, inexact=False, doc=None):
    def fn(x, /):
        if type(x) is Array and not (inexact and x._buf.dtype.kind in "iub"):
            return bind(prim, (x,), _NO_PARAMS)
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
        from tensorlib._src.numpy.nonzero_indices import nonzero

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
