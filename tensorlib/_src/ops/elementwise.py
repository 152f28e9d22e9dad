"""Elementwise primitives: unary math, binary arithmetic, comparisons, select, conversions.

Primitives are strict: binary operands have equal shapes and dtypes. Broadcasting and
promotion happen in ``tensorlib.numpy``; the ``lax``-level wrappers here only turn Python
scalars into arrays of the other operand's dtype and shape.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import (
    WEAK_ALL_BUT_FIRST,
    WEAK_ALL_INPUTS,
    WEAK_FIRST,
    WEAK_NEVER,
    WEAK_PARAM,
    AbstractArray,
    Array,
    Primitive,
    current_backend,
)
from tensorlib._src.rules import def_jvp, def_nondiff, def_shape, def_vjp
from tensorlib.errors import DTypeError, ShapeError

# --------------------------------------------------------------------------------------------
# constants used by rules


def full(shape, value, dtype, weak=False) -> Array:
    """A constant array (not traced: constants are concrete under every transformation)."""
    return Array(current_backend().full(tuple(shape), value, np.dtype(dtype)), weak)


def _backend_like(x):
    """The backend of ``x`` when it is concrete (rules' constants live beside their operand)."""
    return x.backend if type(x) is Array else current_backend()


def full_like(x, value, dtype=None) -> Array:
    """A constant shaped like ``x``; weakly typed when ``x`` is and no dtype is given (JAX)."""
    be = _backend_like(x)
    if dtype is None:
        return Array(be.full(tuple(x.shape), value, x.dtype), x.weak_type)
    return Array(be.full(tuple(x.shape), value, np.dtype(dtype)), False)


def zeros_like(x) -> Array:
    return Array(_backend_like(x).full(tuple(x.shape), 0, x.dtype), x.weak_type)


def _lift_scalar(x, like):
    """Python scalars become arrays of ``like``'s dtype and shape (lax-level weak typing)."""
    if isinstance(x, Array):
        return x
    return full(like.shape, x, like.dtype, weak=False)


# --------------------------------------------------------------------------------------------
# kind checks


_KINDS = {
    "float": dtypes.is_float,
    "inexact": dtypes.is_inexact,
    "int": dtypes.is_integer,
    "intbool": lambda d: dtypes.is_integer(d) or dtypes.is_bool(d),
    "num": lambda d: not dtypes.is_bool(d),
    "any": lambda d: True,
}
_KIND_TEXT = {
    "float": "a floating-point", "inexact": "a floating-point or complex",
    "int": "an integer", "intbool": "an integer or boolean", "num": "a numeric (non-boolean)",
}


def _check_kind(name, kind, aval, pos=0):
    if not _KINDS[kind](aval.dtype):
        raise DTypeError(
            f"{name}: argument {pos} has {aval.str_short()} but {name} needs "
            f"{_KIND_TEXT[kind]} dtype; convert it first, e.g. x.astype(tensorlib.numpy.float32)"
        )


# --------------------------------------------------------------------------------------------
# unary family


def _unary(name, kind, *, out_dtype=None):
    # Weak inputs give weak outputs, boolean ones included (is_finite of a weak float is a
    # weak bool in JAX).
    prim = Primitive(name, weak=WEAK_ALL_INPUTS)

    @def_shape(prim)
    def _shape(x, **params):
        _check_kind(name, kind, x)
        if out_dtype is not None:
            return AbstractArray(x.shape, out_dtype, x.weak_type)
        return x

    return prim


def def_unary_deriv(prim, deriv):
    """JVP and VJP of ``y = f(x)`` from ``deriv(x, y, **params) -> dy/dx``."""

    @def_jvp(prim)
    def _jvp(primals, tangents, **params):
        (x,), (t,) = primals, tangents
        out = prim.bind(x, **params)
        if t is None:
            return out, None
        return out, mul(t, deriv(x, out, **params))

    @def_vjp(prim)
    def _vjp(ct, out, x, **params):
        return (mul(ct, deriv(x, out, **params)),)


def def_zero_deriv(prim):
    """Piecewise-constant ops (floor, sign, ...): derivative zero almost everywhere."""

    @def_jvp(prim)
    def _jvp(primals, tangents, **params):
        return prim.bind(*primals, **params), None

    @def_vjp(prim)
    def _vjp(ct, out, *args, **params):
        return (None,) * len(args)


def def_linear_unary(prim):
    @def_jvp(prim)
    def _jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        return out, None if tangents[0] is None else prim.bind(tangents[0], **params)

    @def_vjp(prim, linear=True)
    def _vjp(ct, out, x, **params):
        return (prim.bind(ct, **params),)


neg_p = _unary("neg", "num")
sign_p = _unary("sign", "num")
floor_p = _unary("floor", "float")
ceil_p = _unary("ceil", "float")
round_p = _unary("round", "float")
is_finite_p = _unary("is_finite", "float", out_dtype=dtypes.bool_)
exp_p = _unary("exp", "inexact")
exp2_p = _unary("exp2", "inexact")
log_p = _unary("log", "inexact")
expm1_p = _unary("expm1", "inexact")
log1p_p = _unary("log1p", "inexact")
tanh_p = _unary("tanh", "inexact")
logistic_p = _unary("logistic", "inexact")
sin_p = _unary("sin", "inexact")
cos_p = _unary("cos", "inexact")
tan_p = _unary("tan", "inexact")
asin_p = _unary("asin", "inexact")
acos_p = _unary("acos", "inexact")
atan_p = _unary("atan", "inexact")
sinh_p = _unary("sinh", "inexact")
cosh_p = _unary("cosh", "inexact")
asinh_p = _unary("asinh", "inexact")
acosh_p = _unary("acosh", "inexact")
atanh_p = _unary("atanh", "inexact")
sqrt_p = _unary("sqrt", "inexact")
rsqrt_p = _unary("rsqrt", "inexact")
cbrt_p = _unary("cbrt", "float")
abs_p = Primitive("abs", weak=WEAK_FIRST)  # complex -> real magnitude
erf_p = _unary("erf", "float")
erfc_p = _unary("erfc", "float")
erf_inv_p = _unary("erf_inv", "float")
not_p = _unary("not", "intbool")
integer_pow_p = _unary("integer_pow", "num")
real_p = Primitive("real", weak=WEAK_FIRST)
imag_p = Primitive("imag", weak=WEAK_FIRST)
conj_p = _unary("conj", "any")


def _complex_part_shape(name):
    def rule(x):
        if dtypes.is_complex(x.dtype):
            dt = dtypes.float32 if x.dtype == dtypes.complex64 else dtypes.float64
            return AbstractArray(x.shape, dt, x.weak_type)
        return x
    return rule


def_shape(real_p)(_complex_part_shape("real"))
def_shape(imag_p)(_complex_part_shape("imag"))


@def_shape(abs_p)
def _abs_shape(x):
    _check_kind("abs", "num", x)
    return _complex_part_shape("abs")(x)


def neg(x):
    return neg_p.bind(x)


def sign(x):
    return sign_p.bind(x)


def floor(x):
    return floor_p.bind(x)


def ceil(x):
    return ceil_p.bind(x)


def round(x, rounding_method=0):
    """Round to nearest: ``rounding_method=0`` rounds half away from zero, 1 half to even."""
    return round_p.bind(x, rounding_method=int(rounding_method))


def is_finite(x):
    return is_finite_p.bind(x)


def exp(x):
    return exp_p.bind(x)


def exp2(x):
    return exp2_p.bind(x)


def log(x):
    return log_p.bind(x)


def expm1(x):
    return expm1_p.bind(x)


def log1p(x):
    return log1p_p.bind(x)


def tanh(x):
    return tanh_p.bind(x)


def logistic(x):
    return logistic_p.bind(x)


def sin(x):
    return sin_p.bind(x)


def cos(x):
    return cos_p.bind(x)


def tan(x):
    return tan_p.bind(x)


def asin(x):
    return asin_p.bind(x)


def acos(x):
    return acos_p.bind(x)


def atan(x):
    return atan_p.bind(x)


def sinh(x):
    return sinh_p.bind(x)


def cosh(x):
    return cosh_p.bind(x)


def asinh(x):
    return asinh_p.bind(x)


def acosh(x):
    return acosh_p.bind(x)


def atanh(x):
    return atanh_p.bind(x)


def sqrt(x):
    return sqrt_p.bind(x)


def rsqrt(x):
    return rsqrt_p.bind(x)


def cbrt(x):
    return cbrt_p.bind(x)


def abs(x):
    return abs_p.bind(x)


def erf(x):
    return erf_p.bind(x)


def erfc(x):
    return erfc_p.bind(x)


def erf_inv(x):
    return erf_inv_p.bind(x)


def bitwise_not(x):
    return not_p.bind(x)


def integer_pow(x, y: int):
    return integer_pow_p.bind(x, y=int(y))


def real(x):
    return real_p.bind(x)


def imag(x):
    return imag_p.bind(x)


def conj(x):
    return conj_p.bind(x)


def square(x):
    return integer_pow(x, 2)


def reciprocal(x):
    return div(full_like(x, 1), x)


def _c(x, v):
    return full_like(x, v)


def_linear_unary(neg_p)
def_zero_deriv(sign_p)
def_zero_deriv(floor_p)
def_zero_deriv(ceil_p)
def_zero_deriv(round_p)
def_nondiff(is_finite_p)
def_nondiff(not_p)
def_unary_deriv(exp_p, lambda x, y: y)
def_unary_deriv(exp2_p, lambda x, y: mul(y, _c(y, np.log(2.0))))
def_unary_deriv(log_p, lambda x, y: reciprocal(x))
def_unary_deriv(expm1_p, lambda x, y: add(y, _c(y, 1)))
def_unary_deriv(log1p_p, lambda x, y: reciprocal(add(x, _c(x, 1))))
def_unary_deriv(tanh_p, lambda x, y: sub(_c(y, 1), mul(y, y)))
def_unary_deriv(logistic_p, lambda x, y: mul(y, sub(_c(y, 1), y)))
def_unary_deriv(sin_p, lambda x, y: cos(x))
def_unary_deriv(cos_p, lambda x, y: neg(sin(x)))
def_unary_deriv(tan_p, lambda x, y: add(_c(y, 1), mul(y, y)))
def_unary_deriv(asin_p, lambda x, y: rsqrt(sub(_c(x, 1), mul(x, x))))
def_unary_deriv(acos_p, lambda x, y: neg(rsqrt(sub(_c(x, 1), mul(x, x)))))
def_unary_deriv(atan_p, lambda x, y: reciprocal(add(_c(x, 1), mul(x, x))))
def_unary_deriv(sinh_p, lambda x, y: cosh(x))
def_unary_deriv(cosh_p, lambda x, y: sinh(x))
def_unary_deriv(asinh_p, lambda x, y: rsqrt(add(mul(x, x), _c(x, 1))))
def_unary_deriv(acosh_p, lambda x, y: rsqrt(mul(sub(x, _c(x, 1)), add(x, _c(x, 1)))))
def_unary_deriv(atanh_p, lambda x, y: reciprocal(sub(_c(x, 1), mul(x, x))))
def_unary_deriv(sqrt_p, lambda x, y: div(_c(y, 0.5), y))
def_unary_deriv(rsqrt_p, lambda x, y: mul(_c(y, -0.5), div(y, x)))
def_unary_deriv(cbrt_p, lambda x, y: div(y, mul(_c(x, 3), x)))


def _complex_of(ct, like):
    """A real cotangent as the complex dtype of ``like``."""
    return convert_element_type(ct, like.dtype) if ct.dtype != like.dtype else ct


@def_jvp(abs_p)
def _abs_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    y = abs(x)
    if t is None:
        return y, None
    if dtypes.is_complex(x.dtype):  # d|z| = Re(conj(z) dz) / |z|
        return y, div(real(mul(conj(x), t)), y)
    return y, mul(t, sign(x))


@def_vjp(abs_p)
def _abs_vjp(ct, out, x):
    if dtypes.is_complex(x.dtype):  # JAX's convention: grad |z| = conj(z) / |z|
        return (div(mul(_complex_of(ct, x), conj(x)), _complex_of(out, x)),)
    return (mul(ct, sign(x)),)


def_unary_deriv(erf_p, lambda x, y: mul(_c(x, 2 / np.sqrt(np.pi)), exp(neg(mul(x, x)))))
def_unary_deriv(erfc_p, lambda x, y: mul(_c(x, -2 / np.sqrt(np.pi)), exp(neg(mul(x, x)))))
def_unary_deriv(erf_inv_p, lambda x, y: mul(_c(y, np.sqrt(np.pi) / 2), exp(mul(y, y))))
def_linear_unary(conj_p)


@def_jvp(real_p)
def _real_jvp(primals, tangents):
    return real(primals[0]), None if tangents[0] is None else real(tangents[0])


@def_vjp(real_p, linear=True)
def _real_vjp(ct, out, x):
    return (_complex_of(ct, x) if dtypes.is_complex(x.dtype) else ct,)


@def_jvp(imag_p)
def _imag_jvp(primals, tangents):
    return imag(primals[0]), None if tangents[0] is None else imag(tangents[0])


@def_vjp(imag_p, linear=True)
def _imag_vjp(ct, out, x):
    if not dtypes.is_complex(x.dtype):
        return (None,)
    return (mul(_complex_of(ct, x), full(ct.shape, -1j, x.dtype)),)  # JAX: grad Im z = -i


def _integer_pow_deriv(x, y, *, y_):
    if y_ == 0:
        return zeros_like(x)
    if y_ == 1:
        return full_like(x, 1)
    return mul(_c(x, y_), integer_pow(x, y_ - 1))


def_unary_deriv(integer_pow_p, lambda x, out, y: _integer_pow_deriv(x, out, y_=y))


# --------------------------------------------------------------------------------------------
# binary family


def _binary(name, kind, *, out_dtype=None):
    prim = Primitive(name, weak=WEAK_ALL_INPUTS)  # comparisons of weak values are weak bools

    @def_shape(prim)
    def _shape(x, y):
        if x.shape != y.shape:
            raise ShapeError(
                f"{name}: argument 1 has {y.str_short()} but argument 0 has {x.str_short()}; "
                f"primitives do not broadcast, use tensorlib.numpy functions instead"
            )
        if x.dtype != y.dtype:
            raise DTypeError(
                f"{name}: argument 1 has {y.str_short()} but argument 0 has {x.str_short()}; "
                "primitives do not promote, convert one with .astype() or use "
                "tensorlib.numpy functions"
            )
        _check_kind(name, kind, x)
        return AbstractArray(x.shape, out_dtype or x.dtype, x.weak_type and y.weak_type)

    return prim


add_p = _binary("add", "any")
sub_p = _binary("sub", "num")
mul_p = _binary("mul", "any")
div_p = _binary("div", "num")
rem_p = _binary("rem", "num")
pow_p = _binary("pow", "num")
max_p = _binary("max", "any")
min_p = _binary("min", "any")
atan2_p = _binary("atan2", "float")
nextafter_p = _binary("nextafter", "float")
and_p = _binary("and", "intbool")
or_p = _binary("or", "intbool")
xor_p = _binary("xor", "intbool")
shift_left_p = _binary("shift_left", "int")
shift_right_arithmetic_p = _binary("shift_right_arithmetic", "int")
shift_right_logical_p = _binary("shift_right_logical", "int")
eq_p = _binary("eq", "any", out_dtype=dtypes.bool_)
ne_p = _binary("ne", "any", out_dtype=dtypes.bool_)
lt_p = _binary("lt", "any", out_dtype=dtypes.bool_)
le_p = _binary("le", "any", out_dtype=dtypes.bool_)
gt_p = _binary("gt", "any", out_dtype=dtypes.bool_)
ge_p = _binary("ge", "any", out_dtype=dtypes.bool_)


def _bin(prim):
    def op(x, y):
        if not isinstance(x, Array):
            x = _lift_scalar(x, y)
        elif not isinstance(y, Array):
            y = _lift_scalar(y, x)
        return prim.bind(x, y)

    op.__name__ = prim.name
    op.__doc__ = f"Elementwise ``{prim.name}`` of two arrays of equal shape and dtype."
    return op


add = _bin(add_p)
sub = _bin(sub_p)
mul = _bin(mul_p)
div = _bin(div_p)
rem = _bin(rem_p)
pow = _bin(pow_p)
max = _bin(max_p)
min = _bin(min_p)
atan2 = _bin(atan2_p)
nextafter = _bin(nextafter_p)
bitwise_and = _bin(and_p)
bitwise_or = _bin(or_p)
bitwise_xor = _bin(xor_p)
shift_left = _bin(shift_left_p)
shift_right_arithmetic = _bin(shift_right_arithmetic_p)
shift_right_logical = _bin(shift_right_logical_p)
eq = _bin(eq_p)
ne = _bin(ne_p)
lt = _bin(lt_p)
le = _bin(le_p)
gt = _bin(gt_p)
ge = _bin(ge_p)

for _p in (nextafter_p, and_p, or_p, xor_p, shift_left_p, shift_right_arithmetic_p,
           shift_right_logical_p, eq_p, ne_p, lt_p, le_p, gt_p, ge_p, rem_p):
    if _p is not rem_p:
        def_nondiff(_p)


def def_binary_deriv(prim, dx, dy):
    """JVP and VJP of ``z = f(x, y)`` from the partials ``dx(x, y, z)`` and ``dy(x, y, z)``."""

    @def_jvp(prim)
    def _jvp(primals, tangents):
        x, y = primals
        tx, ty = tangents
        out = prim.bind(x, y)
        t = None
        if tx is not None:
            t = mul(tx, dx(x, y, out))
        if ty is not None:
            t2 = mul(ty, dy(x, y, out))
            t = t2 if t is None else add(t, t2)
        return out, t

    @def_vjp(prim)
    def _vjp(ct, out, x, y):
        return mul(ct, dx(x, y, out)), mul(ct, dy(x, y, out))


@def_jvp(add_p)
def _add_jvp(primals, tangents):
    out = add_p.bind(*primals)
    tx, ty = tangents
    if tx is None:
        return out, ty
    return out, tx if ty is None else add(tx, ty)


@def_vjp(add_p, linear=True)
def _add_vjp(ct, out, x, y):
    return ct, ct


@def_jvp(sub_p)
def _sub_jvp(primals, tangents):
    out = sub_p.bind(*primals)
    tx, ty = tangents
    if ty is None:
        return out, tx
    return out, neg(ty) if tx is None else sub(tx, ty)


@def_vjp(sub_p, linear=True)
def _sub_vjp(ct, out, x, y):
    return ct, neg(ct)


def def_bilinear_jvp(prim):
    """JVP of a product-like ``f(x, y)`` linear in each operand: ``f(tx, y) + f(x, ty)``."""

    @def_jvp(prim)
    def _jvp(primals, tangents, **params):
        x, y = primals
        tx, ty = tangents
        out = prim.bind(x, y, **params)
        t = None if tx is None else prim.bind(tx, y, **params)
        if ty is not None:
            t2 = prim.bind(x, ty, **params)
            t = t2 if t is None else add(t, t2)
        return out, t


def_bilinear_jvp(mul_p)


@def_vjp(mul_p, wants_mask=True)
def _mul_vjp(ct, out, x, y, _needs=(True, True)):
    return (mul(ct, y) if _needs[0] else None), (mul(x, ct) if _needs[1] else None)


def_binary_deriv(div_p, lambda x, y, z: reciprocal(y), lambda x, y, z: neg(div(z, y)))
# rem(x, y) = x - y * trunc(x / y): d/dx = 1, d/dy = -trunc(x / y)
def_binary_deriv(
    rem_p,
    lambda x, y, z: full_like(x, 1),
    lambda x, y, z: neg(_trunc(div(x, y))),
)


def _trunc(x):
    return select_n(lt(x, zeros_like(x)), floor(x), ceil(x))


def _pow_dx(x, y, z):
    # y * x ** (y - 1), written so that x == 0, y == 1 gives 1 (not 0 * inf)
    return mul(y, pow(x, sub(y, full_like(y, 1))))


def _pow_dy(x, y, z):
    safe = eq(x, zeros_like(x))
    logx = log(select_n(safe, x, full_like(x, 1)))
    return mul(z, logx)


def_binary_deriv(pow_p, _pow_dx, _pow_dy)


def _minmax_deriv(cmp, mine):
    # Ties split the gradient evenly, as in JAX.
    def d(x, y, z):
        a, b = (x, y) if mine else (y, x)
        win = convert_element_type(cmp(a, b), x.dtype)
        tie = convert_element_type(eq(x, y), x.dtype)
        return add(win, mul(tie, full_like(x, 0.5)))

    return d


def_binary_deriv(max_p, _minmax_deriv(gt, True), _minmax_deriv(gt, False))
def_binary_deriv(min_p, _minmax_deriv(lt, True), _minmax_deriv(lt, False))
def_binary_deriv(
    atan2_p,
    lambda x, y, z: div(y, add(mul(x, x), mul(y, y))),
    lambda x, y, z: neg(div(x, add(mul(x, x), mul(y, y)))),
)


# --------------------------------------------------------------------------------------------
# select_n, conversions


select_n_p = Primitive("select_n", weak=WEAK_ALL_BUT_FIRST)


def select_n(which, *cases):
    """``cases[which]`` elementwise; ``which`` is boolean (two cases) or int32."""
    return select_n_p.bind(which, *cases)


@def_shape(select_n_p)
def _select_n_shape(which, *cases):
    if not cases:
        raise ShapeError("select_n: at least one case is required")
    c0 = cases[0]
    for i, c in enumerate(cases):
        if c.shape != c0.shape or c.dtype != c0.dtype:
            raise ShapeError(
                f"select_n: case {i} has {c.str_short()} but case 0 has {c0.str_short()}; "
                "all cases need one shape and dtype"
            )
    if which.shape != c0.shape:
        raise ShapeError(
            f"select_n: the predicate has shape {which.str_short()} but the cases have "
            f"{c0.str_short()}; broadcast it first (tensorlib.numpy.where does)"
        )
    if which.dtype != dtypes.bool_ and not dtypes.is_integer(which.dtype):
        raise DTypeError(f"select_n: the predicate must be bool or int, got {which.str_short()}")
    return AbstractArray(c0.shape, c0.dtype, all(c.weak_type for c in cases))


@def_jvp(select_n_p)
def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = select_n(which, *cases)
    if all(t is None for t in tangents[1:]):
        return out, None
    ts = [zeros_like(c) if t is None else t for c, t in zip(cases, tangents[1:])]
    return out, select_n(which, *ts)


@def_vjp(select_n_p)
def _select_n_vjp(ct, out, which, *cases):
    z = zeros_like(ct)
    cts = []
    for i in range(len(cases)):
        branches = [z] * len(cases)
        branches[i] = ct
        cts.append(select_n(which, *branches))
    return (None, *cts)


convert_element_type_p = Primitive("convert_element_type", weak=WEAK_PARAM)


def convert_element_type(x, new_dtype, weak_type=False):
    new_dtype = dtypes.canonicalize(new_dtype)
    if isinstance(x, Array) and x.dtype == new_dtype and x.weak_type == weak_type:
        return x
    if not isinstance(x, Array):
        return full((), x, new_dtype, weak=weak_type)
    if new_dtype not in _CONVERTIBLE:
        raise DTypeError(f"convert_element_type: cannot convert {x.aval.str_short()} to "
                         f"{new_dtype}; arrays hold booleans, integers, floats or complex numbers")
    return convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=bool(weak_type))


_CONVERTIBLE = frozenset(dtypes.all_dtypes)


@def_shape(convert_element_type_p)
def _convert_shape(x, *, new_dtype, weak_type):
    return AbstractArray(x.shape, new_dtype, weak_type)


@def_jvp(convert_element_type_p)
def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if t is None or not dtypes.is_inexact(new_dtype) or not dtypes.is_inexact(x.dtype):
        return out, None
    return out, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


@def_vjp(convert_element_type_p, linear=True)
def _convert_vjp(ct, out, x, *, new_dtype, weak_type):
    if not dtypes.is_inexact(x.dtype) or not dtypes.is_inexact(new_dtype):
        return (None,)
    if dtypes.is_complex(new_dtype) and not dtypes.is_complex(x.dtype):
        ct = real(ct)
    return (convert_element_type_p.bind(ct, new_dtype=x.dtype, weak_type=x.weak_type),)


bitcast_convert_type_p = Primitive("bitcast_convert_type", weak=WEAK_NEVER)


def bitcast_convert_type(x, new_dtype):
    return bitcast_convert_type_p.bind(x, new_dtype=np.dtype(new_dtype))


@def_shape(bitcast_convert_type_p)
def _bitcast_shape(x, *, new_dtype):
    if x.dtype.itemsize != new_dtype.itemsize:
        raise DTypeError(
            f"bitcast_convert_type: {x.str_short()} and {new_dtype} have different widths; "
            "only equal-width bitcasts are supported"
        )
    return AbstractArray(x.shape, new_dtype, False)


def_nondiff(bitcast_convert_type_p)
