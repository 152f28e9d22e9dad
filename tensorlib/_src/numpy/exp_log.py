"""Exponents, logarithms and roots in ``tensorlib.numpy``: ``exp``, ``exp2``, ``expm1``, ``log``,
``log1p``, ``log2``, ``log10``, ``logaddexp``, ``logaddexp2``, ``sqrt`` and ``cbrt``.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src.control.custom import custom_jvp
from tensorlib._src.numpy.promotion import (
    promote_args_inexact,
)
from tensorlib._src.numpy.ufuncs import _unary, absolute
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.elementwise import full_like, select_n

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
    return _logaddexp(x1, x2)


@custom_jvp
def _logaddexp(x1, x2):
    # JAX's formulation: max + log1p(exp(-|x1 - x2|)), with equal infinities (whose
    # difference is nan) answered by x1 + x2
    m = ew.max(x1, x2)
    delta = ew.sub(x1, x2)
    out = ew.add(m, log1p(ew.exp(ew.neg(absolute(delta)))))
    return select_n(ew.ne(delta, delta), out, ew.add(x1, x2))


def _finite_or_zero(x):
    """``x`` with +inf replaced by 0, so that ``exp(x1 - out)`` is 1, not nan, when both are
    +inf (JAX's ``_replace_inf``)."""
    return select_n(ew.eq(x, full_like(x, np.inf)), x, full_like(x, 0))


@_logaddexp.defjvp
def _logaddexp_jvp(primals, tangents):
    # d out = t1 * exp(x1 - out) + t2 * exp(x2 - out): the weights are softmax(x1, x2), which
    # is differentiable again (second derivative 1/4 at x1 == x2, where max/abs lose it)
    x1, x2 = primals
    t1, t2 = tangents
    out = _logaddexp(x1, x2)
    o = _finite_or_zero(out)
    w1 = ew.exp(ew.sub(_finite_or_zero(x1), o))
    w2 = ew.exp(ew.sub(_finite_or_zero(x2), o))
    return out, ew.add(ew.mul(t1, w1), ew.mul(t2, w2))


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
