"""Elementwise primitives: the unary and binary families as a table, then select, conversions.

Primitives are strict: binary operands have equal shapes and dtypes. Broadcasting and
promotion happen in ``tensorlib.numpy``; the ``lax``-level functions here only turn Python
scalars into arrays of the other operand's dtype and shape.

Each ``unary``/``binary`` entry is the whole story of one operation: its dtype rule, its
derivative, and how each backend spells it (``ufunc``: NumPy and CuPy; ``hlo``: XLA;
``numba``: a fused CPU loop; ``cuda``/``cuda_math``: a generated CUDA kernel). The backends
read the entries (``family.FAMILY``); see ``tensorlib/_src/ops/family.py``.
"""

from __future__ import annotations

import math

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import (
    WEAK_ALL_BUT_FIRST,
    WEAK_FIRST,
    WEAK_NEVER,
    WEAK_PARAM,
    AbstractArray,
    Array,
    Primitive,
)
from tensorlib._src.ops import family
from tensorlib._src.ops.family import Expr, full, full_like, real_dtype, zeros_like
from tensorlib._src.rules import def_batch, def_jvp, def_nondiff, def_shape, def_vjp
from tensorlib.errors import DTypeError, ShapeError


def unary(name, kind, *, deriv=None, zero_deriv=False, linear=False, nondiff=False, **entry):
    """A unary table entry (``family.unary``) and its derivative: ``deriv(x, y, **params)``
    is ``dy/dx`` (JVP and VJP follow); ``zero_deriv`` for piecewise-constant operations,
    ``linear`` for linear ones, ``nondiff`` for integer or boolean results; with none of them
    the rules are written beside the entry."""
    prim, fn = family.unary(name, kind, **entry)
    family.derivative_rules(prim, _ARITH, deriv, zero_deriv, linear, nondiff)
    return prim, fn


def binary(name, kind, *, partials=None, nondiff=False, **entry):
    """A binary table entry (``family.binary``) and its derivative: ``partials=(dx, dy)``,
    each ``f(x, y, z)``, give the JVP and VJP of ``z = f(x, y)``."""
    prim, fn = family.binary(name, kind, **entry)
    if nondiff:
        def_nondiff(prim)
    elif partials is not None:
        family.binary_derivative_rules(prim, _ARITH, *partials)
    return prim, fn


# The arithmetic the derivative rules are written with: this table's own mul and add (looked
# up when a rule runs: the entries come first).
_ARITH = (lambda a, b: mul(a, b), lambda a, b: add(a, b))


def _c(x, v):
    return full_like(x, v)


def _ex(call, out):
    return f">>> {call}\n{out}"


def _math(c_name):
    """A libm function as ``tl_<name>`` in generated CUDA source: (float, double) names."""
    return (c_name + "f", c_name)


# --------------------------------------------------------------------------------------------
# unary family

neg_p, neg = unary(
    "neg", "num", ufunc="negative", hlo="stablehlo.negate", numba=Expr("-{0}"),
    cuda=Expr("(-{0})", "nobool"), linear=True,
    doc="Elementwise negation, ``-x``.",
    example=_ex("lax.neg(tnp.array([1, -2]))", "Array([-1,  2], dtype=int32)"))
sign_p, sign = unary(
    "sign", "num", ufunc="sign", numba=Expr("np.sign({0})"), cuda=Expr("tl_sign({0})", "nobool"),
    zero_deriv=True,
    doc="Elementwise sign: -1, 0 or 1 (NaN for NaN).",
    example=_ex("lax.sign(tnp.array([-2., 0., 3.]))", "Array([-1.,  0.,  1.], dtype=float32)"))
floor_p, floor = unary(
    "floor", "float", ufunc="floor", hlo="stablehlo.floor", numba=Expr("np.floor({0})"),
    cuda_math=_math("floor"), zero_deriv=True,
    doc="Elementwise floor (round towards minus infinity) of a floating-point array.",
    example=_ex("lax.floor(tnp.array([-1.5, 0.5, 2.]))", "Array([-2.,  0.,  2.], dtype=float32)"))
ceil_p, ceil = unary(
    "ceil", "float", ufunc="ceil", hlo="stablehlo.ceil", numba=Expr("np.ceil({0})"),
    cuda_math=_math("ceil"), zero_deriv=True,
    doc="Elementwise ceiling (round towards plus infinity) of a floating-point array.",
    example=_ex("lax.ceil(tnp.array([-1.5, 0.5, 2.]))", "Array([-1.,  1.,  2.], dtype=float32)"))
round_p, _ = unary("round", "float", function=False, zero_deriv=True, doc="", example="")
is_finite_p, is_finite = unary(
    "is_finite", "float", out_dtype=dtypes.bool_, ufunc="isfinite", hlo="stablehlo.is_finite",
    numba=Expr("np.isfinite({0})"), cuda=Expr("tl_isfinite({0})"), nondiff=True,
    doc="Elementwise test for a finite value (neither infinite nor NaN).",
    example=_ex("lax.is_finite(tnp.array([1., tnp.inf, tnp.nan]))",
                "Array([ True, False, False], dtype=bool)"))
exp_p, exp = unary(
    "exp", "inexact", ufunc="exp", hlo="stablehlo.exponential", cuda_math=_math("exp"),
    transcendental=True, deriv=lambda x, y: y,
    doc="Elementwise exponential, ``e ** x``.",
    example=_ex("tnp.round(lax.exp(tnp.array([0., 1., -1.])), 4)",
                "Array([1.    , 2.7183, 0.3679], dtype=float32)"))
exp2_p, exp2 = unary(
    "exp2", "inexact", ufunc="exp2", cuda_math=_math("exp2"), transcendental=True,
    deriv=lambda x, y: mul(y, _c(y, np.log(2.0))),
    doc="Elementwise base-2 exponential, ``2 ** x``.",
    example=_ex("lax.exp2(tnp.array([0., 1., 3., -1.]))",
                "Array([1. , 2. , 8. , 0.5], dtype=float32)"))
log_p, log = unary(
    "log", "inexact", ufunc="log", hlo="stablehlo.log", cuda_math=_math("log"),
    transcendental=True, deriv=lambda x, y: reciprocal(x),
    doc="Elementwise natural logarithm.",
    example=_ex("tnp.round(lax.log(tnp.array([1., 2., 10.])), 4)",
                "Array([0.    , 0.6931, 2.3026], dtype=float32)"))
expm1_p, expm1 = unary(
    "expm1", "inexact", ufunc="expm1", hlo="stablehlo.exponential_minus_one",
    cuda_math=_math("expm1"), transcendental=True, deriv=lambda x, y: add(y, _c(y, 1)),
    doc="Elementwise ``exp(x) - 1``, accurate for small ``x``.",
    example=_ex("tnp.round(lax.expm1(tnp.array([0., 1e-3])), 7)",
                "Array([0.       , 0.0010005], dtype=float32)"))
log1p_p, log1p = unary(
    "log1p", "inexact", ufunc="log1p", hlo="stablehlo.log_plus_one", cuda_math=_math("log1p"),
    transcendental=True, deriv=lambda x, y: reciprocal(add(x, _c(x, 1))),
    doc="Elementwise ``log(1 + x)``, accurate for small ``x``.",
    example=_ex("tnp.round(lax.log1p(tnp.array([0., 1e-3])), 7)",
                "Array([0.       , 0.0009995], dtype=float32)"))
tanh_p, tanh = unary(
    "tanh", "inexact", ufunc="tanh", hlo="stablehlo.tanh", cuda_math=_math("tanh"),
    transcendental=True, deriv=lambda x, y: sub(_c(y, 1), mul(y, y)),
    doc="Elementwise hyperbolic tangent.",
    example=_ex("tnp.round(lax.tanh(tnp.array([-1., 0., 1.])), 4)",
                "Array([-0.7616,  0.    ,  0.7616], dtype=float32)"))
logistic_p, logistic = unary(
    "logistic", "inexact", hlo="stablehlo.logistic", transcendental=True,
    deriv=lambda x, y: mul(y, sub(_c(y, 1), y)),
    doc="Elementwise logistic sigmoid, ``1 / (1 + exp(-x))``.",
    example=_ex("tnp.round(lax.logistic(tnp.array([0., 2., -2.])), 4)",
                "Array([0.5   , 0.8808, 0.1192], dtype=float32)"))
sin_p, sin = unary(
    "sin", "inexact", ufunc="sin", hlo="stablehlo.sine", cuda_math=_math("sin"),
    transcendental=True, deriv=lambda x, y: cos(x),
    doc="Elementwise sine (radians).",
    example=_ex("tnp.round(lax.sin(tnp.array([0., tnp.pi / 2, 1.])), 4)",
                "Array([0.    , 1.    , 0.8415], dtype=float32)"))
cos_p, cos = unary(
    "cos", "inexact", ufunc="cos", hlo="stablehlo.cosine", cuda_math=_math("cos"),
    transcendental=True, deriv=lambda x, y: neg(sin(x)),
    doc="Elementwise cosine (radians).",
    example=_ex("tnp.round(lax.cos(tnp.array([0., tnp.pi, 1.])), 4)",
                "Array([ 1.    , -1.    ,  0.5403], dtype=float32)"))
tan_p, tan = unary(
    "tan", "inexact", ufunc="tan", hlo="stablehlo.tan", cuda_math=_math("tan"),
    transcendental=True, deriv=lambda x, y: add(_c(y, 1), mul(y, y)),
    doc="Elementwise tangent (radians).",
    example=_ex("tnp.round(lax.tan(tnp.array([0., tnp.pi / 4, 1.])), 4)",
                "Array([0.    , 1.    , 1.5574], dtype=float32)"))
asin_p, asin = unary(
    "asin", "inexact", ufunc="arcsin", hlo="chlo.asin", cuda_math=_math("asin"),
    transcendental=True, deriv=lambda x, y: rsqrt(sub(_c(x, 1), mul(x, x))),
    doc="Elementwise inverse sine, in ``[-pi/2, pi/2]``.",
    example=_ex("tnp.round(lax.asin(tnp.array([0., 1., 0.5])), 4)",
                "Array([0.    , 1.5708, 0.5236], dtype=float32)"))
acos_p, acos = unary(
    "acos", "inexact", ufunc="arccos", hlo="chlo.acos", cuda_math=_math("acos"),
    transcendental=True, deriv=lambda x, y: neg(rsqrt(sub(_c(x, 1), mul(x, x)))),
    doc="Elementwise inverse cosine, in ``[0, pi]``.",
    example=_ex("tnp.round(lax.acos(tnp.array([1., 0., -1.])), 4)",
                "Array([0.    , 1.5708, 3.1416], dtype=float32)"))
atan_p, atan = unary(
    "atan", "inexact", ufunc="arctan", hlo="chlo.atan", cuda_math=_math("atan"),
    transcendental=True, deriv=lambda x, y: reciprocal(add(_c(x, 1), mul(x, x))),
    doc="Elementwise inverse tangent, in ``(-pi/2, pi/2)``.",
    example=_ex("tnp.round(lax.atan(tnp.array([0., 1., -1.])), 4)",
                "Array([ 0.    ,  0.7854, -0.7854], dtype=float32)"))
sinh_p, sinh = unary(
    "sinh", "inexact", ufunc="sinh", hlo="chlo.sinh", cuda_math=_math("sinh"),
    transcendental=True, deriv=lambda x, y: cosh(x),
    doc="Elementwise hyperbolic sine.",
    example=_ex("tnp.round(lax.sinh(tnp.array([0., 1.])), 4)",
                "Array([0.    , 1.1752], dtype=float32)"))
cosh_p, cosh = unary(
    "cosh", "inexact", ufunc="cosh", hlo="chlo.cosh", cuda_math=_math("cosh"),
    transcendental=True, deriv=lambda x, y: sinh(x),
    doc="Elementwise hyperbolic cosine.",
    example=_ex("tnp.round(lax.cosh(tnp.array([0., 1.])), 4)",
                "Array([1.    , 1.5431], dtype=float32)"))
asinh_p, asinh = unary(
    "asinh", "inexact", ufunc="arcsinh", hlo="chlo.asinh", cuda_math=_math("asinh"),
    transcendental=True, deriv=lambda x, y: rsqrt(add(mul(x, x), _c(x, 1))),
    doc="Elementwise inverse hyperbolic sine.",
    example=_ex("tnp.round(lax.asinh(tnp.array([0., 1.])), 4)",
                "Array([0.    , 0.8814], dtype=float32)"))
acosh_p, acosh = unary(
    "acosh", "inexact", ufunc="arccosh", hlo="chlo.acosh", cuda_math=_math("acosh"),
    transcendental=True, deriv=lambda x, y: rsqrt(mul(sub(x, _c(x, 1)), add(x, _c(x, 1)))),
    doc="Elementwise inverse hyperbolic cosine (NaN below 1).",
    example=_ex("tnp.round(lax.acosh(tnp.array([1., 2.])), 4)",
                "Array([0.   , 1.317], dtype=float32)"))
atanh_p, atanh = unary(
    "atanh", "inexact", ufunc="arctanh", hlo="chlo.atanh", cuda_math=_math("atanh"),
    transcendental=True, deriv=lambda x, y: reciprocal(sub(_c(x, 1), mul(x, x))),
    doc="Elementwise inverse hyperbolic tangent.",
    example=_ex("tnp.round(lax.atanh(tnp.array([0., 0.5])), 4)",
                "Array([0.    , 0.5493], dtype=float32)"))
sqrt_p, sqrt = unary(
    "sqrt", "inexact", ufunc="sqrt", hlo="stablehlo.sqrt", numba=Expr("np.sqrt({0})"),
    cuda_math=_math("sqrt"), deriv=lambda x, y: div(_c(y, 0.5), y),
    doc="Elementwise square root.",
    example=_ex("lax.sqrt(tnp.array([4., 9., 0.25]))", "Array([2. , 3. , 0.5], dtype=float32)"))
rsqrt_p, rsqrt = unary(
    "rsqrt", "inexact", hlo="stablehlo.rsqrt", numba=Expr("{T}(1) / np.sqrt({0})"),
    cuda=Expr("tl_rsqrt({0})", "float"), deriv=lambda x, y: mul(_c(y, -0.5), div(y, x)),
    doc="Elementwise reciprocal square root, ``1 / sqrt(x)``.",
    example=_ex("lax.rsqrt(tnp.array([4., 16.]))", "Array([0.5 , 0.25], dtype=float32)"))
cbrt_p, cbrt = unary(
    "cbrt", "float", ufunc="cbrt", hlo="stablehlo.cbrt", cuda_math=_math("cbrt"),
    transcendental=True, deriv=lambda x, y: div(y, mul(_c(x, 3), x)),
    doc="Elementwise cube root (real, so negative inputs give negative roots).",
    example=_ex("tnp.round(lax.cbrt(tnp.array([8., -27., 2.])), 4)",
                "Array([ 2.    , -3.    ,  1.2599], dtype=float32)"))
abs_p, abs = unary(  # complex -> real magnitude: JVP and VJP below
    "abs", "num", out_dtype=real_dtype, weak=WEAK_FIRST, ufunc="abs", numba=Expr("np.abs({0})"),
    doc="Elementwise absolute value; the modulus, as a real array, for complex input.",
    example=_ex("lax.abs(tnp.array([-1, 2]))", "Array([1, 2], dtype=int32)")
    + "\n" + _ex("lax.abs(tnp.array([3 + 4j]))", "Array([5.], dtype=float32)"))
erf_p, erf = unary(
    "erf", "float", special="erf", hlo="chlo.erf", cuda_math=_math("erf"),
    deriv=lambda x, y: mul(_c(x, 2 / np.sqrt(np.pi)), exp(neg(mul(x, x)))),
    doc="Elementwise error function.",
    example=_ex("tnp.round(lax.erf(tnp.array([0., 1., -2.])), 4)",
                "Array([ 0.    ,  0.8427, -0.9953], dtype=float32)"))
erfc_p, erfc = unary(
    "erfc", "float", special="erfc", hlo="chlo.erfc", cuda_math=_math("erfc"),
    deriv=lambda x, y: mul(_c(x, -2 / np.sqrt(np.pi)), exp(neg(mul(x, x)))),
    doc="Elementwise complementary error function, ``1 - erf(x)``.",
    example=_ex("tnp.round(lax.erfc(tnp.array([0., 1., -2.])), 4)",
                "Array([1.    , 0.1573, 1.9953], dtype=float32)"))
erf_inv_p, erf_inv = unary(
    "erf_inv", "float", hlo="chlo.erf_inv", cuda=Expr("tl_erf_inv({0})", "float"),
    deriv=lambda x, y: mul(_c(y, np.sqrt(np.pi) / 2), exp(mul(y, y))),
    doc="Elementwise inverse error function, defined on ``(-1, 1)``.",
    example=_ex("tnp.round(lax.erf_inv(tnp.array([0., 0.5, -0.5])), 4)",
                "Array([ 0.    ,  0.4769, -0.4769], dtype=float32)"))
def _lgamma_or_inf(v):
    """``math.lgamma``, with +inf at its poles (0 and the negative integers) where it raises,
    as SciPy's gammaln and XLA's lgamma answer."""
    try:
        return math.lgamma(v)
    except ValueError:
        return math.inf


lgamma_p, lgamma = unary(
    "lgamma", "float", special="gammaln", special_numpy=np.vectorize(_lgamma_or_inf, otypes=["d"]),
    hlo="chlo.lgamma", numba=Expr("math.lgamma({0})"), cuda_math=_math("lgamma"),
    deriv=lambda x, y: digamma(x),
    doc="Elementwise log of the absolute value of the gamma function, ``log|Γ(x)|``.",
    example=_ex("tnp.round(lax.lgamma(tnp.array([0.5, 1., 4.])), 4)",
                "Array([0.5724, 0.    , 1.7918], dtype=float32)"))
digamma_p, digamma = unary(
    "digamma", "float", special="digamma", special_numpy=lambda x: _np_digamma(x),
    hlo="chlo.digamma", deriv=lambda x, y: _trigamma(x),
    doc="Elementwise digamma function ``ψ(x)``, the derivative of ``lgamma``.",
    example=_ex("tnp.round(lax.digamma(tnp.array([0.5, 1., 4.])), 4)",
                "Array([-1.9635, -0.5772,  1.2561], dtype=float32)"))
not_p, bitwise_not = unary(
    "not", "intbool", lax_name="bitwise_not", ufunc="invert", hlo="stablehlo.not", nondiff=True,
    doc="Elementwise bitwise NOT of an integer array; logical NOT of a boolean one.",
    example=_ex("lax.bitwise_not(tnp.array([0, 5]))", "Array([-1, -6], dtype=int32)")
    + "\n" + _ex("lax.bitwise_not(tnp.array([True, False]))", "Array([False,  True], dtype=bool)"))
integer_pow_p, _ = unary("integer_pow", "num", function=False, doc="", example="",
                         deriv=lambda x, out, y: _integer_pow_deriv(x, y))
real_p, real = unary(
    "real", "any", out_dtype=real_dtype, weak=WEAK_FIRST, ufunc="real",
    doc="Elementwise real part of a complex array (a real array).",
    example=_ex("lax.real(tnp.array([1 + 2j, 3 - 4j]))", "Array([1., 3.], dtype=float32)"))
imag_p, imag = unary(
    "imag", "any", out_dtype=real_dtype, weak=WEAK_FIRST,
    doc="Elementwise imaginary part of a complex array (a real array).",
    example=_ex("lax.imag(tnp.array([1 + 2j, 3 - 4j]))", "Array([ 2., -4.], dtype=float32)"))
conj_p, conj = unary(
    "conj", "any", linear=True,
    doc="Elementwise complex conjugate.",
    example=_ex("lax.conj(tnp.array([1 + 2j, 3 - 4j]))",
                "Array([1.-2.j, 3.+4.j], dtype=complex64)"))


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


def integer_pow(x, y: int):
    """Elementwise ``x ** y`` for a static Python integer ``y`` (by repeated multiplication).

    Examples
    --------
    >>> lax.integer_pow(tnp.array([1., 2., 3.]), 3)
    Array([ 1.,  8., 27.], dtype=float32)
    >>> lax.integer_pow(tnp.array([2., 4.]), -1)
    Array([0.5 , 0.25], dtype=float32)
    """
    if isinstance(y, bool) or not isinstance(y, (int, np.integer)):
        raise TypeError(f"lax.integer_pow: the exponent must be a Python int, got {y!r} "
                        f"({type(y).__name__}); for a non-integer exponent use lax.pow or "
                        "tensorlib.numpy.power")
    return integer_pow_p.bind(x, y=int(y))


def _integer_pow_deriv(x, y):
    if y == 0:
        return zeros_like(x)
    if y == 1:
        return full_like(x, 1)
    return mul(_c(x, y), integer_pow(x, y - 1))


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


def _np_digamma(x):
    """ψ in float64 for NumPy (which has no scipy.special): recurrence up to 6, then the
    asymptotic series (error below 1e-13); reflection ``ψ(1 - x) - π / tan(πx)`` below 1/2."""
    x = np.asarray(x, np.float64)
    refl = x < 0.5
    z = np.where(refl, 1.0 - x, x)
    acc = np.zeros_like(z)
    for _ in range(6):
        small = z < 6.0
        acc -= np.where(small, 1.0 / z, 0.0)
        z = np.where(small, z + 1.0, z)
    w = 1.0 / (z * z)
    psi = np.log(z) - 0.5 / z - w * (1 / 12 - w * (1 / 120 - w * (1 / 252 - w * (
        1 / 240 - w / 132)))) + acc
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(refl, psi - np.pi / np.tan(np.pi * x), psi)


def _trigamma(x):
    """ψ'(x) from primitives, so that it has derivatives of its own: six recurrence terms,
    the asymptotic series at ``x + 6``, reflection ``π² / sin²(πx) - ψ'(1 - x)`` below 1/2."""
    refl = lt(x, _c(x, 0.5))
    z = select_n(refl, x, sub(_c(x, 1), x))
    acc = zeros_like(z)
    for k in range(6):
        zk = add(z, _c(z, k))
        acc = add(acc, reciprocal(mul(zk, zk)))
    zi = reciprocal(add(z, _c(z, 6)))
    w = mul(zi, zi)
    # 1/z + 1/(2z²) + 1/(6z³) - 1/(30z⁵) + 1/(42z⁷) - 1/(30z⁹), with w = 1/z²
    inner = sub(_c(w, 1 / 42), mul(w, _c(w, 1 / 30)))
    inner = sub(_c(w, 1 / 6), mul(w, sub(_c(w, 1 / 30), mul(w, inner))))
    tail = add(zi, add(mul(w, _c(w, 0.5)), mul(mul(zi, w), inner)))
    psi1 = add(acc, tail)
    s = sin(mul(_c(x, np.pi), x))
    return select_n(refl, psi1, sub(div(_c(x, np.pi ** 2), mul(s, s)), psi1))


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


# --------------------------------------------------------------------------------------------
# binary family


def _cmp(name, direction, op, doc, call, out):
    return binary(name, "any", out_dtype=dtypes.bool_, ufunc=_CMP_UFUNC[direction],
                  hlo=f"compare:{direction}", numba=Expr(f"{{0}} {op} {{1}}"),
                  cuda=Expr(f"({{0}} {op} {{1}})"), nondiff=True, doc=doc,
                  example=_ex(f"lax.{name}({call})", out))


_CMP_UFUNC = {"EQ": "equal", "NE": "not_equal", "LT": "less", "LE": "less_equal",
              "GT": "greater", "GE": "greater_equal"}

add_p, add = binary(
    "add", "any", ufunc="add", hlo="stablehlo.add", numba=Expr("{0} + {1}"),
    cuda=Expr("({0} + {1})"),
    doc="Elementwise ``x + y``.",
    example=_ex("lax.add(tnp.array([1, 2]), tnp.array([10, 20]))", "Array([11, 22], dtype=int32)"))
sub_p, sub = binary(
    "sub", "num", ufunc="subtract", hlo="stablehlo.subtract", numba=Expr("{0} - {1}"),
    cuda=Expr("({0} - {1})", "nobool"),
    doc="Elementwise ``x - y``.",
    example=_ex("lax.sub(tnp.array([5, 7]), tnp.array([1, 2]))", "Array([4, 5], dtype=int32)"))
mul_p, mul = binary(
    "mul", "any", ufunc="multiply", hlo="stablehlo.multiply", numba=Expr("{0} * {1}"),
    cuda=Expr("({0} * {1})"),
    doc="Elementwise ``x * y``.",
    example=_ex("lax.mul(tnp.array([1.5, 2.]), tnp.array([2., -3.]))",
                "Array([ 3., -6.], dtype=float32)"))
div_p, div = binary(  # integer division has C semantics: the backends spell it
    "div", "num", hlo="stablehlo.divide", numba=Expr("{0} / {1}", "float"),
    partials=(lambda x, y, z: reciprocal(y), lambda x, y, z: neg(div(z, y))),
    doc="Elementwise ``x / y``; integer division rounds towards zero (as in C).",
    example=_ex("lax.div(tnp.array([7, -7]), tnp.array([2, 2]))", "Array([ 3, -3], dtype=int32)"))
rem_p, rem = binary(  # rem(x, y) = x - y * trunc(x / y): d/dx = 1, d/dy = -trunc(x / y)
    "rem", "num", hlo="stablehlo.remainder", numba=Expr("np.fmod({0}, {1})", "float"),
    partials=(lambda x, y, z: full_like(x, 1), lambda x, y, z: neg(_trunc(div(x, y)))),
    doc="Elementwise remainder of ``div``, with the sign of ``x`` (C's ``fmod``).",
    example=_ex("lax.rem(tnp.array([7, -7]), tnp.array([3, 3]))", "Array([ 1, -1], dtype=int32)"))
pow_p, pow = binary(
    "pow", "num", transcendental=True, partials=(lambda x, y, z: _pow_dx(x, y, z),
                                                 lambda x, y, z: _pow_dy(x, y, z)),
    doc="Elementwise ``x ** y`` for floating-point ``x`` and ``y``.",
    example=_ex("lax.pow(tnp.array([2., 4.]), tnp.array([3., 0.5]))",
                "Array([8., 2.], dtype=float32)"))
max_p, max = binary(  # ties split the gradient evenly, as in JAX
    "max", "any", ufunc="maximum", hlo="stablehlo.maximum", numba=Expr("np.maximum({0}, {1})"),
    cuda=Expr("tl_max({0}, {1})"),
    partials=(lambda x, y, z: _minmax_deriv(gt, x, y), lambda x, y, z: _minmax_deriv(gt, y, x)),
    doc="Elementwise maximum; NaN if either operand is NaN.",
    example=_ex("lax.max(tnp.array([1., 5., tnp.nan]), tnp.array([3., 2., 0.]))",
                "Array([ 3.,  5., nan], dtype=float32)"))
min_p, min = binary(
    "min", "any", ufunc="minimum", hlo="stablehlo.minimum", numba=Expr("np.minimum({0}, {1})"),
    cuda=Expr("tl_min({0}, {1})"),
    partials=(lambda x, y, z: _minmax_deriv(lt, x, y), lambda x, y, z: _minmax_deriv(lt, y, x)),
    doc="Elementwise minimum; NaN if either operand is NaN.",
    example=_ex("lax.min(tnp.array([1, 5]), tnp.array([3, 2]))", "Array([1, 2], dtype=int32)"))
atan2_p, atan2 = binary(
    "atan2", "float", ufunc="arctan2", hlo="stablehlo.atan2", cuda_math=_math("atan2"),
    cuda=Expr("tl_atan2({0}, {1})", "float"), transcendental=True,
    partials=(lambda x, y, z: div(y, add(mul(x, x), mul(y, y))),
              lambda x, y, z: neg(div(x, add(mul(x, x), mul(y, y))))),
    doc="Elementwise ``atan(x / y)`` in ``[-pi, pi]``, quadrant from the signs.",
    example=_ex("tnp.round(lax.atan2(tnp.array([1., 0.]), tnp.array([1., -1.])), 4)",
                "Array([0.7854, 3.1416], dtype=float32)"))
nextafter_p, nextafter = binary(
    "nextafter", "float", ufunc="nextafter", hlo="chlo.next_after",
    cuda_math=_math("nextafter"), cuda=Expr("tl_nextafter({0}, {1})", "float"), nondiff=True,
    doc="The next representable value after ``x`` in the direction of ``y``.",
    example=_ex("lax.nextafter(tnp.array([1., 1.]), tnp.array([2., 0.]))",
                "Array([1.0000001 , 0.99999994], dtype=float32)"))
and_p, bitwise_and = binary(
    "and", "intbool", lax_name="bitwise_and", ufunc="bitwise_and", hlo="stablehlo.and",
    numba=Expr("{0} & {1}"), cuda=Expr("({0} & {1})"), nondiff=True,
    doc="Elementwise bitwise AND (logical AND for booleans).",
    example=_ex("lax.bitwise_and(tnp.array([12, 12]), tnp.array([10, 5]))",
                "Array([8, 4], dtype=int32)"))
or_p, bitwise_or = binary(
    "or", "intbool", lax_name="bitwise_or", ufunc="bitwise_or", hlo="stablehlo.or",
    numba=Expr("{0} | {1}"), cuda=Expr("({0} | {1})"), nondiff=True,
    doc="Elementwise bitwise OR (logical OR for booleans).",
    example=_ex("lax.bitwise_or(tnp.array([12, 12]), tnp.array([10, 5]))",
                "Array([14, 13], dtype=int32)"))
xor_p, bitwise_xor = binary(
    "xor", "intbool", lax_name="bitwise_xor", ufunc="bitwise_xor", hlo="stablehlo.xor",
    numba=Expr("{0} ^ {1}"), cuda=Expr("({0} ^ {1})"), nondiff=True,
    doc="Elementwise bitwise XOR (logical XOR for booleans).",
    example=_ex("lax.bitwise_xor(tnp.array([True, True]), tnp.array([True, False]))",
                "Array([False,  True], dtype=bool)"))
# Shifts by the bit width or more are defined (0, or the sign fill): the backends spell them.
shift_left_p, shift_left = binary(
    "shift_left", "int", hlo="stablehlo.shift_left", nondiff=True,
    doc="Elementwise ``x << y``; shifts of the bit width or more give 0.",
    example=_ex("lax.shift_left(tnp.array([1, 3, 1]), tnp.array([2, 1, 32]))",
                "Array([4, 6, 0], dtype=int32)"))
shift_right_arithmetic_p, shift_right_arithmetic = binary(
    "shift_right_arithmetic", "int", hlo="stablehlo.shift_right_arithmetic", nondiff=True,
    doc="Elementwise ``x >> y``, filling with the sign bit.",
    example=_ex("lax.shift_right_arithmetic(tnp.array([-8, 8]), tnp.array([1, 1]))",
                "Array([-4,  4], dtype=int32)"))
shift_right_logical_p, shift_right_logical = binary(
    "shift_right_logical", "int", hlo="stablehlo.shift_right_logical", nondiff=True,
    doc="Elementwise ``x >> y`` on the unsigned bits, filling with zeros.",
    example=_ex("lax.shift_right_logical(tnp.array([-8, 8]), tnp.array([1, 1]))",
                "Array([2147483644,          4], dtype=int32)"))
eq_p, eq = _cmp("eq", "EQ", "==", "Elementwise ``x == y`` (NaN equals nothing).",
                "tnp.array([1., tnp.nan]), tnp.array([1., tnp.nan])",
                "Array([ True, False], dtype=bool)")
ne_p, ne = _cmp("ne", "NE", "!=", "Elementwise ``x != y``.", "tnp.array([1, 2]), tnp.array([1, 3])",
                "Array([False,  True], dtype=bool)")
lt_p, lt = _cmp("lt", "LT", "<", "Elementwise ``x < y``.",
                "tnp.array([1, 2, 3]), tnp.array([2, 2, 2])",
                "Array([ True, False, False], dtype=bool)")
le_p, le = _cmp("le", "LE", "<=", "Elementwise ``x <= y``.",
                "tnp.array([1, 2, 3]), tnp.array([2, 2, 2])",
                "Array([ True,  True, False], dtype=bool)")
gt_p, gt = _cmp("gt", "GT", ">", "Elementwise ``x > y``.",
                "tnp.array([1, 2, 3]), tnp.array([2, 2, 2])",
                "Array([False, False,  True], dtype=bool)")
ge_p, ge = _cmp("ge", "GE", ">=", "Elementwise ``x >= y``.",
                "tnp.array([1, 2, 3]), tnp.array([2, 2, 2])",
                "Array([False,  True,  True], dtype=bool)")


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


def _trunc(x):
    return select_n(lt(x, zeros_like(x)), floor(x), ceil(x))


def _pow_dx(x, y, z):
    # y * x ** (y - 1), written so that x == 0, y == 1 gives 1 (not 0 * inf)
    return mul(y, pow(x, sub(y, full_like(y, 1))))


def _pow_dy(x, y, z):
    safe = eq(x, zeros_like(x))
    logx = log(select_n(safe, x, full_like(x, 1)))
    return mul(z, logx)


def _minmax_deriv(cmp, a, b):
    """The share of the gradient that goes to ``a`` of ``max/min(a, b)``: 1 where it wins,
    1/2 on ties."""
    win = convert_element_type(cmp(a, b), a.dtype)
    tie = convert_element_type(eq(a, b), a.dtype)
    return add(win, mul(tie, full_like(a, 0.5)))


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


for _p in (select_n_p, convert_element_type_p, bitcast_convert_type_p):
    def_batch(_p)(family._batch_rule(_p))
