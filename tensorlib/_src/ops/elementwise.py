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
    get_aval,
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
    """Elementwise negation, ``-x``.

    Examples
    --------
    >>> lax.neg(tnp.array([1, -2]))
    Array([-1,  2], dtype=int32)
    """
    return neg_p.bind(x)


def sign(x):
    """Elementwise sign: -1, 0 or 1 (NaN for NaN).

    Examples
    --------
    >>> lax.sign(tnp.array([-2., 0., 3.]))
    Array([-1.,  0.,  1.], dtype=float32)
    """
    return sign_p.bind(x)


def floor(x):
    """Elementwise floor (round towards minus infinity) of a floating-point array.

    Examples
    --------
    >>> lax.floor(tnp.array([-1.5, 0.5, 2.]))
    Array([-2.,  0.,  2.], dtype=float32)
    """
    return floor_p.bind(x)


def ceil(x):
    """Elementwise ceiling (round towards plus infinity) of a floating-point array.

    Examples
    --------
    >>> lax.ceil(tnp.array([-1.5, 0.5, 2.]))
    Array([-1.,  1.,  2.], dtype=float32)
    """
    return ceil_p.bind(x)


def round(x, rounding_method=0):
    """Elementwise rounding to an integral value, keeping the floating-point dtype.

    ``rounding_method=0`` rounds halves away from zero, ``1`` rounds them to even.

    Examples
    --------
    >>> x = tnp.array([0.5, 1.5, 2.5, -0.5])
    >>> lax.round(x)  # rounding_method=0: half away from zero
    Array([ 1.,  2.,  3., -1.], dtype=float32)
    >>> lax.round(x, 1)  # rounding_method=1: half to even
    Array([ 0.,  2.,  2., -0.], dtype=float32)
    """
    return round_p.bind(x, rounding_method=int(rounding_method))


def is_finite(x):
    """Elementwise test for a finite value (neither infinite nor NaN).

    Examples
    --------
    >>> lax.is_finite(tnp.array([1., tnp.inf, tnp.nan]))
    Array([ True, False, False], dtype=bool)
    """
    return is_finite_p.bind(x)


def exp(x):
    """Elementwise exponential, ``e ** x``.

    Examples
    --------
    >>> tnp.round(lax.exp(tnp.array([0., 1., -1.])), 4)
    Array([1.    , 2.7183, 0.3679], dtype=float32)
    """
    return exp_p.bind(x)


def exp2(x):
    """Elementwise base-2 exponential, ``2 ** x``.

    Examples
    --------
    >>> lax.exp2(tnp.array([0., 1., 3., -1.]))
    Array([1. , 2. , 8. , 0.5], dtype=float32)
    """
    return exp2_p.bind(x)


def log(x):
    """Elementwise natural logarithm.

    Examples
    --------
    >>> tnp.round(lax.log(tnp.array([1., 2., 10.])), 4)
    Array([0.    , 0.6931, 2.3026], dtype=float32)
    """
    return log_p.bind(x)


def expm1(x):
    """Elementwise ``exp(x) - 1``, accurate for small ``x``.

    Examples
    --------
    >>> tnp.round(lax.expm1(tnp.array([0., 1e-3])), 7)
    Array([0.       , 0.0010005], dtype=float32)
    """
    return expm1_p.bind(x)


def log1p(x):
    """Elementwise ``log(1 + x)``, accurate for small ``x``.

    Examples
    --------
    >>> tnp.round(lax.log1p(tnp.array([0., 1e-3])), 7)
    Array([0.       , 0.0009995], dtype=float32)
    """
    return log1p_p.bind(x)


def tanh(x):
    """Elementwise hyperbolic tangent.

    Examples
    --------
    >>> tnp.round(lax.tanh(tnp.array([-1., 0., 1.])), 4)
    Array([-0.7616,  0.    ,  0.7616], dtype=float32)
    """
    return tanh_p.bind(x)


def logistic(x):
    """Elementwise logistic sigmoid, ``1 / (1 + exp(-x))``.

    Examples
    --------
    >>> tnp.round(lax.logistic(tnp.array([0., 2., -2.])), 4)
    Array([0.5   , 0.8808, 0.1192], dtype=float32)
    """
    return logistic_p.bind(x)


def sin(x):
    """Elementwise sine (radians).

    Examples
    --------
    >>> tnp.round(lax.sin(tnp.array([0., tnp.pi / 2, 1.])), 4)
    Array([0.    , 1.    , 0.8415], dtype=float32)
    """
    return sin_p.bind(x)


def cos(x):
    """Elementwise cosine (radians).

    Examples
    --------
    >>> tnp.round(lax.cos(tnp.array([0., tnp.pi, 1.])), 4)
    Array([ 1.    , -1.    ,  0.5403], dtype=float32)
    """
    return cos_p.bind(x)


def tan(x):
    """Elementwise tangent (radians).

    Examples
    --------
    >>> tnp.round(lax.tan(tnp.array([0., tnp.pi / 4, 1.])), 4)
    Array([0.    , 1.    , 1.5574], dtype=float32)
    """
    return tan_p.bind(x)


def asin(x):
    """Elementwise inverse sine, in ``[-pi/2, pi/2]``.

    Examples
    --------
    >>> tnp.round(lax.asin(tnp.array([0., 1., 0.5])), 4)
    Array([0.    , 1.5708, 0.5236], dtype=float32)
    """
    return asin_p.bind(x)


def acos(x):
    """Elementwise inverse cosine, in ``[0, pi]``.

    Examples
    --------
    >>> tnp.round(lax.acos(tnp.array([1., 0., -1.])), 4)
    Array([0.    , 1.5708, 3.1416], dtype=float32)
    """
    return acos_p.bind(x)


def atan(x):
    """Elementwise inverse tangent, in ``(-pi/2, pi/2)``.

    Examples
    --------
    >>> tnp.round(lax.atan(tnp.array([0., 1., -1.])), 4)
    Array([ 0.    ,  0.7854, -0.7854], dtype=float32)
    """
    return atan_p.bind(x)


def sinh(x):
    """Elementwise hyperbolic sine.

    Examples
    --------
    >>> tnp.round(lax.sinh(tnp.array([0., 1.])), 4)
    Array([0.    , 1.1752], dtype=float32)
    """
    return sinh_p.bind(x)


def cosh(x):
    """Elementwise hyperbolic cosine.

    Examples
    --------
    >>> tnp.round(lax.cosh(tnp.array([0., 1.])), 4)
    Array([1.    , 1.5431], dtype=float32)
    """
    return cosh_p.bind(x)


def asinh(x):
    """Elementwise inverse hyperbolic sine.

    Examples
    --------
    >>> tnp.round(lax.asinh(tnp.array([0., 1.])), 4)
    Array([0.    , 0.8814], dtype=float32)
    """
    return asinh_p.bind(x)


def acosh(x):
    """Elementwise inverse hyperbolic cosine (NaN below 1).

    Examples
    --------
    >>> tnp.round(lax.acosh(tnp.array([1., 2.])), 4)
    Array([0.   , 1.317], dtype=float32)
    """
    return acosh_p.bind(x)


def atanh(x):
    """Elementwise inverse hyperbolic tangent.

    Examples
    --------
    >>> tnp.round(lax.atanh(tnp.array([0., 0.5])), 4)
    Array([0.    , 0.5493], dtype=float32)
    """
    return atanh_p.bind(x)


def sqrt(x):
    """Elementwise square root.

    Examples
    --------
    >>> lax.sqrt(tnp.array([4., 9., 0.25]))
    Array([2. , 3. , 0.5], dtype=float32)
    """
    return sqrt_p.bind(x)


def rsqrt(x):
    """Elementwise reciprocal square root, ``1 / sqrt(x)``.

    Examples
    --------
    >>> lax.rsqrt(tnp.array([4., 16.]))
    Array([0.5 , 0.25], dtype=float32)
    """
    return rsqrt_p.bind(x)


def cbrt(x):
    """Elementwise cube root (real, so negative inputs give negative roots).

    Examples
    --------
    >>> tnp.round(lax.cbrt(tnp.array([8., -27., 2.])), 4)
    Array([ 2.    , -3.    ,  1.2599], dtype=float32)
    """
    return cbrt_p.bind(x)


def abs(x):
    """Elementwise absolute value; the modulus, as a real array, for complex input.

    Examples
    --------
    >>> lax.abs(tnp.array([-1, 2]))
    Array([1, 2], dtype=int32)
    >>> lax.abs(tnp.array([3 + 4j]))
    Array([5.], dtype=float32)
    """
    return abs_p.bind(x)


def erf(x):
    """Elementwise error function.

    Examples
    --------
    >>> tnp.round(lax.erf(tnp.array([0., 1., -2.])), 4)
    Array([ 0.    ,  0.8427, -0.9953], dtype=float32)
    """
    return erf_p.bind(x)


def erfc(x):
    """Elementwise complementary error function, ``1 - erf(x)``.

    Examples
    --------
    >>> tnp.round(lax.erfc(tnp.array([0., 1., -2.])), 4)
    Array([1.    , 0.1573, 1.9953], dtype=float32)
    """
    return erfc_p.bind(x)


def erf_inv(x):
    """Elementwise inverse error function, defined on ``(-1, 1)``.

    Examples
    --------
    >>> tnp.round(lax.erf_inv(tnp.array([0., 0.5, -0.5])), 4)
    Array([ 0.    ,  0.4769, -0.4769], dtype=float32)
    """
    return erf_inv_p.bind(x)


def bitwise_not(x):
    """Elementwise bitwise NOT of an integer array; logical NOT of a boolean one.

    Examples
    --------
    >>> lax.bitwise_not(tnp.array([0, 5]))
    Array([-1, -6], dtype=int32)
    >>> lax.bitwise_not(tnp.array([True, False]))
    Array([False,  True], dtype=bool)
    """
    return not_p.bind(x)


def integer_pow(x, y: int):
    """Elementwise ``x ** y`` for a static Python integer ``y`` (by repeated multiplication).

    Examples
    --------
    >>> lax.integer_pow(tnp.array([1., 2., 3.]), 3)
    Array([ 1.,  8., 27.], dtype=float32)
    >>> lax.integer_pow(tnp.array([2., 4.]), -1)
    Array([0.5 , 0.25], dtype=float32)
    """
    return integer_pow_p.bind(x, y=int(y))


def real(x):
    """Elementwise real part of a complex array (a real array).

    Examples
    --------
    >>> lax.real(tnp.array([1 + 2j, 3 - 4j]))
    Array([1., 3.], dtype=float32)
    """
    return real_p.bind(x)


def imag(x):
    """Elementwise imaginary part of a complex array (a real array).

    Examples
    --------
    >>> lax.imag(tnp.array([1 + 2j, 3 - 4j]))
    Array([ 2., -4.], dtype=float32)
    """
    return imag_p.bind(x)


def conj(x):
    """Elementwise complex conjugate.

    Examples
    --------
    >>> lax.conj(tnp.array([1 + 2j, 3 - 4j]))
    Array([1.-2.j, 3.+4.j], dtype=complex64)
    """
    return conj_p.bind(x)


def square(x):
    """Elementwise ``x * x``.

    Examples
    --------
    >>> lax.square(tnp.array([2, -3]))
    Array([4, 9], dtype=int32)
    """
    return integer_pow(x, 2)


def reciprocal(x):
    """Elementwise ``1 / x``.

    Examples
    --------
    >>> lax.reciprocal(tnp.array([2., 4., -0.5]))
    Array([ 0.5 ,  0.25, -2.  ], dtype=float32)
    """
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


def _bin(prim, summary, example):
    def op(x, y):
        if not isinstance(x, Array):
            if not isinstance(y, Array):  # two Python scalars: weakly typed, as in JAX
                from tensorlib._src.numpy.promotion import asarray

                x, y = asarray(x), asarray(y)
            else:
                x = _lift_scalar(x, y)
        elif not isinstance(y, Array):
            y = _lift_scalar(y, x)
        if x.dtype != y.dtype:  # checked here: the eager fast path skips the shape rule
            from tensorlib._src.rules import shape_rules

            shape_rules[prim](get_aval(x), get_aval(y))  # raises the rule's DTypeError
        return prim.bind(x, y)

    op.__name__ = prim.name
    op.__doc__ = (
        f"{summary}\n\nBoth operands need one shape and dtype (a Python scalar takes the other "
        f"operand's):\nprimitives neither broadcast nor promote; ``tensorlib.numpy`` functions "
        f"do.\n\nExamples\n--------\n{example.strip()}\n"
    )
    return op


def _ex(call, out):
    return f">>> lax.{call}\n{out}"


add = _bin(add_p, "Elementwise ``x + y``.", _ex(
    "add(tnp.array([1, 2]), tnp.array([10, 20]))", "Array([11, 22], dtype=int32)"))
sub = _bin(sub_p, "Elementwise ``x - y``.", _ex(
    "sub(tnp.array([5, 7]), tnp.array([1, 2]))", "Array([4, 5], dtype=int32)"))
mul = _bin(mul_p, "Elementwise ``x * y``.", _ex(
    "mul(tnp.array([1.5, 2.]), tnp.array([2., -3.]))", "Array([ 3., -6.], dtype=float32)"))
div = _bin(div_p, "Elementwise ``x / y``; integer division rounds towards zero (as in C).", _ex(
    "div(tnp.array([7, -7]), tnp.array([2, 2]))", "Array([ 3, -3], dtype=int32)"))
rem = _bin(rem_p, "Elementwise remainder of ``div``, with the sign of ``x`` (C's ``fmod``).", _ex(
    "rem(tnp.array([7, -7]), tnp.array([3, 3]))", "Array([ 1, -1], dtype=int32)"))
pow = _bin(pow_p, "Elementwise ``x ** y`` for floating-point ``x`` and ``y``.", _ex(
    "pow(tnp.array([2., 4.]), tnp.array([3., 0.5]))", "Array([8., 2.], dtype=float32)"))
max = _bin(max_p, "Elementwise maximum; NaN if either operand is NaN.", _ex(
    "max(tnp.array([1., 5., tnp.nan]), tnp.array([3., 2., 0.]))",
    "Array([ 3.,  5., nan], dtype=float32)"))
min = _bin(min_p, "Elementwise minimum; NaN if either operand is NaN.", _ex(
    "min(tnp.array([1, 5]), tnp.array([3, 2]))", "Array([1, 2], dtype=int32)"))
atan2 = _bin(atan2_p, "Elementwise ``atan(x / y)`` in ``[-pi, pi]``, quadrant from the signs.",
             ">>> tnp.round(lax.atan2(tnp.array([1., 0.]), tnp.array([1., -1.])), 4)\n"
             "Array([0.7854, 3.1416], dtype=float32)")
nextafter = _bin(nextafter_p, "The next representable value after ``x`` in the direction of ``y``.",
                 _ex("nextafter(tnp.array([1., 1.]), tnp.array([2., 0.]))",
                     "Array([1.0000001 , 0.99999994], dtype=float32)"))
bitwise_and = _bin(and_p, "Elementwise bitwise AND (logical AND for booleans).", _ex(
    "bitwise_and(tnp.array([12, 12]), tnp.array([10, 5]))", "Array([8, 4], dtype=int32)"))
bitwise_or = _bin(or_p, "Elementwise bitwise OR (logical OR for booleans).", _ex(
    "bitwise_or(tnp.array([12, 12]), tnp.array([10, 5]))", "Array([14, 13], dtype=int32)"))
bitwise_xor = _bin(xor_p, "Elementwise bitwise XOR (logical XOR for booleans).", _ex(
    "bitwise_xor(tnp.array([True, True]), tnp.array([True, False]))",
    "Array([False,  True], dtype=bool)"))
shift_left = _bin(shift_left_p, "Elementwise ``x << y``; shifts of the bit width or more give 0.",
                  _ex("shift_left(tnp.array([1, 3, 1]), tnp.array([2, 1, 32]))",
                      "Array([4, 6, 0], dtype=int32)"))
shift_right_arithmetic = _bin(
    shift_right_arithmetic_p, "Elementwise ``x >> y``, filling with the sign bit.",
    _ex("shift_right_arithmetic(tnp.array([-8, 8]), tnp.array([1, 1]))",
        "Array([-4,  4], dtype=int32)"))
shift_right_logical = _bin(
    shift_right_logical_p, "Elementwise ``x >> y`` on the unsigned bits, filling with zeros.",
    _ex("shift_right_logical(tnp.array([-8, 8]), tnp.array([1, 1]))",
        "Array([2147483644,          4], dtype=int32)"))
eq = _bin(eq_p, "Elementwise ``x == y`` (NaN equals nothing).", _ex(
    "eq(tnp.array([1., tnp.nan]), tnp.array([1., tnp.nan]))",
    "Array([ True, False], dtype=bool)"))
ne = _bin(ne_p, "Elementwise ``x != y``.", _ex(
    "ne(tnp.array([1, 2]), tnp.array([1, 3]))", "Array([False,  True], dtype=bool)"))
lt = _bin(lt_p, "Elementwise ``x < y``.", _ex(
    "lt(tnp.array([1, 2, 3]), tnp.array([2, 2, 2]))", "Array([ True, False, False], dtype=bool)"))
le = _bin(le_p, "Elementwise ``x <= y``.", _ex(
    "le(tnp.array([1, 2, 3]), tnp.array([2, 2, 2]))", "Array([ True,  True, False], dtype=bool)"))
gt = _bin(gt_p, "Elementwise ``x > y``.", _ex(
    "gt(tnp.array([1, 2, 3]), tnp.array([2, 2, 2]))", "Array([False, False,  True], dtype=bool)"))
ge = _bin(ge_p, "Elementwise ``x >= y``.", _ex(
    "ge(tnp.array([1, 2, 3]), tnp.array([2, 2, 2]))", "Array([False,  True,  True], dtype=bool)"))

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
    """``cases[which]`` elementwise; ``which`` is boolean (two cases) or int32.

    Examples
    --------
    >>> lax.select_n(tnp.array([True, False]), tnp.array([1, 2]), tnp.array([10, 20]))
    Array([10,  2], dtype=int32)
    >>> lax.select_n(tnp.array([0, 2, 1]), tnp.array([1, 2, 3]), tnp.array([10, 20, 30]),
    ...              tnp.array([100, 200, 300]))
    Array([  1, 200,  30], dtype=int32)
    """
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
    """Elementwise conversion to ``new_dtype``; float to int truncates towards zero.

    A Python scalar becomes a 0-d array of ``new_dtype``; ``weak_type=True`` marks the result weakly
    typed.

    Examples
    --------
    >>> lax.convert_element_type(tnp.array([1.7, -1.7]), tnp.int32)
    Array([ 1, -1], dtype=int32)
    >>> lax.convert_element_type(tnp.array([1, 2]), tnp.float32)
    Array([1., 2.], dtype=float32)
    """
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
    """Reinterpret the bits of ``x`` as ``new_dtype`` (of the same width).

    Examples
    --------
    >>> lax.bitcast_convert_type(tnp.array([1.0, -2.0]), tnp.int32)
    Array([ 1065353216, -1073741824], dtype=int32)
    >>> lax.bitcast_convert_type(tnp.array([1065353216], dtype=tnp.int32), tnp.float32)
    Array([1.], dtype=float32)
    """
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
