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


def _binary_fast(prim, name, inexact=False):
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
    fn.__doc__ = f"Elementwise ``{name}`` with NumPy broadcasting and JAX type promotion."
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


def _unary(prim, name, inexact=False):
    def fn(x, /):
        if type(x) is Array and not _tls.stack and not (inexact and x._buf.dtype.kind in "iub"):
            return eval_primitive(prim, (x,), _NO_PARAMS)  # eager: no bind layers
        if not isinstance(x, Array) or (inexact and x.dtype.kind in "iub"):
            (x,) = promote_args_inexact(name, x) if inexact else promote_args(name, x)
        return prim.bind(x)

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``."
    return fn


add = _binary_fast(ew.add_p, "add")
subtract = _binary_fast(ew.sub_p, "subtract")
multiply = _binary_fast(ew.mul_p, "multiply")
true_divide = _binary_fast(ew.div_p, "true_divide", inexact=True)
divide = true_divide
maximum = _binary_fast(ew.max_p, "maximum")
minimum = _binary_fast(ew.min_p, "minimum")
arctan2 = _binary_fast(ew.atan2_p, "arctan2", inexact=True)
nextafter = _binary_fast(ew.nextafter_p, "nextafter", inexact=True)
equal = _binary_fast(ew.eq_p, "equal")
not_equal = _binary_fast(ew.ne_p, "not_equal")
less = _binary_fast(ew.lt_p, "less")
less_equal = _binary_fast(ew.le_p, "less_equal")
greater = _binary_fast(ew.gt_p, "greater")
greater_equal = _binary_fast(ew.ge_p, "greater_equal")

negative = _unary(ew.neg_p, "negative")
exp = _unary(ew.exp_p, "exp", True)
exp2 = _unary(ew.exp2_p, "exp2", True)
log = _unary(ew.log_p, "log", True)
expm1 = _unary(ew.expm1_p, "expm1", True)
log1p = _unary(ew.log1p_p, "log1p", True)
tanh = _unary(ew.tanh_p, "tanh", True)
sin = _unary(ew.sin_p, "sin", True)
cos = _unary(ew.cos_p, "cos", True)
tan = _unary(ew.tan_p, "tan", True)
arcsin = _unary(ew.asin_p, "arcsin", True)
arccos = _unary(ew.acos_p, "arccos", True)
arctan = _unary(ew.atan_p, "arctan", True)
sinh = _unary(ew.sinh_p, "sinh", True)
cosh = _unary(ew.cosh_p, "cosh", True)
arcsinh = _unary(ew.asinh_p, "arcsinh", True)
arccosh = _unary(ew.acosh_p, "arccosh", True)
arctanh = _unary(ew.atanh_p, "arctanh", True)
sqrt = _unary(ew.sqrt_p, "sqrt", True)
cbrt = _unary(ew.cbrt_p, "cbrt", True)
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh
atan2 = arctan2


def positive(x, /):
    return asarray(x)


def absolute(x, /):
    x = asarray(x)
    if x.dtype == dtypes.bool_ or dtypes.is_unsigned(x.dtype):
        return x
    return ew.abs_p.bind(x)


abs = absolute


def sign(x, /):
    x = asarray(x)
    if x.dtype == dtypes.bool_:
        return x
    return ew.sign_p.bind(x)


def _float_or_int_identity(prim, name):
    def fn(x, /):
        x = asarray(x)
        if not dtypes.is_float(x.dtype):
            return x
        return prim.bind(x)

    fn.__name__ = name
    return fn


floor = _float_or_int_identity(ew.floor_p, "floor")
ceil = _float_or_int_identity(ew.ceil_p, "ceil")


def trunc(x, /):
    x = asarray(x)
    if not dtypes.is_float(x.dtype):
        return x
    return select_n(ew.lt(x, full_like(x, 0)), ew.floor(x), ew.ceil(x))


fix = trunc


def rint(x, /):
    x = asarray(x)
    if x.dtype == dtypes.bool_ or dtypes.is_integer(x.dtype):
        return convert_element_type(x, dtypes.default_float())  # as JAX: the default float
    if not dtypes.is_float(x.dtype):
        return x
    return ew.round(x, 1)


def round(a, decimals=0, out=None):
    """Round half to even, as NumPy, to ``decimals`` places."""
    a = asarray(a)
    if not dtypes.is_float(a.dtype):
        return a
    if decimals == 0:
        return ew.round(a, 1)
    f = full_like(a, 10.0 ** decimals)
    return divide(ew.round(multiply(a, f), 1), f)


around = round


def square(x, /):
    x = asarray(x)
    return ew.integer_pow(x, 2)


def reciprocal(x, /):
    (x,) = promote_args_inexact("reciprocal", x)
    return ew.div(full_like(x, 1), x)


def _promote_numeric(name, x1, x2):
    """``promote_args``, then booleans become int32 (JAX's promote_args_numeric)."""
    x1, x2 = promote_args(name, x1, x2)
    if x1.dtype == dtypes.bool_:
        x1, x2 = (convert_element_type(a, dtypes.int32, a.weak_type) for a in (x1, x2))
    return x1, x2


def power(x1, x2, /):
    """``x1 ** x2``; an integer scalar exponent becomes an exact ``integer_pow``."""
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
    """``x1 ** x2`` in floating point; as JAX, with inexact promotion (not always float64)."""
    x1, x2 = promote_args_inexact("float_power", x1, x2)
    return ew.pow_p.bind(x1, x2)


def floor_divide(x1, x2, /):
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
    """Python-style modulus: the result has the sign of the divisor."""
    x1, x2 = _promote_numeric("remainder", x1, x2)
    r = ew.rem(x1, x2)
    zero = full_like(r, 0)
    fix = ew.bitwise_and(ew.ne(r, zero), ew.ne(ew.lt(r, zero), ew.lt(x2, zero)))
    return select_n(fix, r, ew.add(r, x2))


mod = remainder


def fmod(x1, x2, /):
    x1, x2 = _promote_numeric("fmod", x1, x2)
    return ew.rem(x1, x2)


def divmod(x1, x2, /):
    return floor_divide(x1, x2), remainder(x1, x2)


def hypot(x1, x2, /):
    x1, x2 = promote_args_inexact("hypot", x1, x2)
    return sqrt(ew.add(ew.mul(x1, x1), ew.mul(x2, x2)))


def logaddexp(x1, x2, /):
    x1, x2 = promote_args_inexact("logaddexp", x1, x2)
    # JAX's formulation: max + log1p(exp(-|x1 - x2|)), with equal infinities (whose
    # difference is nan) answered by x1 + x2; ties split the gradient 0.5 / 0.5.
    m = ew.max(x1, x2)
    delta = ew.sub(x1, x2)
    out = ew.add(m, log1p(ew.exp(ew.neg(absolute(delta)))))
    return select_n(ew.ne(delta, delta), out, ew.add(x1, x2))


def logaddexp2(x1, x2, /):
    x1, x2 = promote_args_inexact("logaddexp2", x1, x2)
    ln2 = full_like(x1, np.log(2))
    return ew.div(logaddexp(ew.mul(x1, ln2), ew.mul(x2, ln2)), ln2)


def log2(x, /):
    (x,) = promote_args_inexact("log2", x)
    return ew.div(ew.log(x), full_like(x, np.log(2)))


def log10(x, /):
    (x,) = promote_args_inexact("log10", x)
    return ew.div(ew.log(x), full_like(x, np.log(10)))


def _logical(name, prim):
    def fn(x1, x2, /):
        x1, x2 = promote_args(name, x1, x2)
        if x1.dtype != dtypes.bool_:
            x1 = ew.ne(x1, full_like(x1, 0))
            x2 = ew.ne(x2, full_like(x2, 0))
        return prim.bind(x1, x2)

    fn.__name__ = name
    return fn


logical_and = _logical("logical_and", ew.and_p)
logical_or = _logical("logical_or", ew.or_p)
logical_xor = _logical("logical_xor", ew.xor_p)


def logical_not(x, /):
    x = asarray(x)
    if x.dtype != dtypes.bool_:
        return ew.eq(x, full_like(x, 0))
    return ew.not_p.bind(x)


def _bitwise(name, prim):
    def fn(x1, x2, /):
        x1, x2 = promote_args(name, x1, x2)
        if not (dtypes.is_integer(x1.dtype) or x1.dtype == dtypes.bool_):
            raise DTypeError(f"{name}: needs integer or boolean arrays, got {x1.aval.str_short()}")
        return prim.bind(x1, x2)

    fn.__name__ = name
    return fn


bitwise_and = _bitwise("bitwise_and", ew.and_p)
bitwise_or = _bitwise("bitwise_or", ew.or_p)
bitwise_xor = _bitwise("bitwise_xor", ew.xor_p)


def invert(x, /):
    x = asarray(x)
    if not (dtypes.is_integer(x.dtype) or x.dtype == dtypes.bool_):
        raise DTypeError(f"invert: needs integer or boolean arrays, got {x.aval.str_short()}")
    return ew.not_p.bind(x)


bitwise_not = bitwise_invert = invert


def _shift_fn(name, prim_signed, prim_unsigned=None):
    def fn(x1, x2, /):
        x1, x2 = _promote_numeric(name, x1, x2)
        if not dtypes.is_integer(x1.dtype):
            raise DTypeError(f"{name}: needs integer arrays, got {x1.aval.str_short()}")
        prim = prim_unsigned if (prim_unsigned and dtypes.is_unsigned(x1.dtype)) else prim_signed
        return prim.bind(x1, x2)

    fn.__name__ = name
    return fn


left_shift = _shift_fn("left_shift", ew.shift_left_p)
right_shift = _shift_fn("right_shift", ew.shift_right_arithmetic_p, ew.shift_right_logical_p)
bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


def isfinite(x, /):
    x = asarray(x)
    if not dtypes.is_inexact(x.dtype):
        return full_like(x, True, dtypes.bool_)
    if dtypes.is_complex(x.dtype):
        return logical_and(isfinite(ew.real(x)), isfinite(ew.imag(x)))
    return ew.is_finite(x)


def isnan(x, /):
    x = asarray(x)
    if not dtypes.is_inexact(x.dtype):
        return full_like(x, False, dtypes.bool_)
    return ew.ne(x, x)


def isinf(x, /):
    x = asarray(x)
    if not dtypes.is_inexact(x.dtype):
        return full_like(x, False, dtypes.bool_)
    if dtypes.is_complex(x.dtype):
        return logical_or(isinf(ew.real(x)), isinf(ew.imag(x)))
    return ew.eq(ew.abs(x), ew.full(x.shape, np.inf, x.dtype))  # a strong bool, as in JAX


def isposinf(x, /):
    x = asarray(x)
    return logical_and(isinf(x), ew.gt(x, full_like(x, 0))) if dtypes.is_float(x.dtype) \
        else full_like(x, False, dtypes.bool_)


def isneginf(x, /):
    x = asarray(x)
    return logical_and(isinf(x), ew.lt(x, full_like(x, 0))) if dtypes.is_float(x.dtype) \
        else full_like(x, False, dtypes.bool_)


def signbit(x, /):
    x = asarray(x)
    if dtypes.is_unsigned(x.dtype) or x.dtype == dtypes.bool_:
        return full_like(x, False, dtypes.bool_)
    if dtypes.is_integer(x.dtype):
        return ew.lt(x, full_like(x, 0))
    bits = np.dtype(f"int{x.dtype.itemsize * 8}")
    return ew.lt(ew.bitcast_convert_type(x, bits), ew.full(x.shape, 0, bits))


def copysign(x1, x2, /):
    x1, x2 = promote_args_inexact("copysign", x1, x2)
    return where(signbit(x2), ew.neg(absolute(x1)), absolute(x1))


def fmax(x1, x2, /):
    x1, x2 = promote_args("fmax", x1, x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, ew.max(x1, x2)))


def fmin(x1, x2, /):
    x1, x2 = promote_args("fmin", x1, x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, ew.min(x1, x2)))


def where(condition, x=None, y=None, /):
    """Elementwise choice; with one argument, ``nonzero(condition)``."""
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
    """Clamp to ``[min, max]`` (either may be None)."""
    lo = min if min is not None else a_min
    hi = max if max is not None else a_max
    x = asarray(x)
    if lo is not None:
        x = maximum(x, lo)
    if hi is not None:
        x = minimum(x, hi)
    return x


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
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
    return ew.real(asarray(x))


def imag(x, /):
    return ew.imag(asarray(x))


def conjugate(x, /):
    x = asarray(x)
    return ew.conj(x) if dtypes.is_complex(x.dtype) else x


conj = conjugate


def deg2rad(x, /):
    (x,) = promote_args_inexact("deg2rad", x)
    return ew.mul(x, full_like(x, np.pi / 180))


def rad2deg(x, /):
    (x,) = promote_args_inexact("rad2deg", x)
    return ew.mul(x, full_like(x, 180 / np.pi))


radians, degrees = deg2rad, rad2deg


def sinc(x, /):
    (x,) = promote_args_inexact("sinc", x)
    zero = ew.eq(x, full_like(x, 0))
    safe = where(zero, full_like(x, 1), x)
    pix = ew.mul(safe, full_like(x, np.pi))
    return where(zero, full_like(x, 1), ew.div(ew.sin(pix), pix))


def heaviside(x1, x2, /):
    x1, x2 = promote_args_inexact("heaviside", x1, x2)
    zero = full_like(x1, 0)
    return where(ew.lt(x1, zero), zero, where(ew.eq(x1, zero), x2, full_like(x1, 1)))


def isscalar_like(x):
    return type(x) in _SCALARS
