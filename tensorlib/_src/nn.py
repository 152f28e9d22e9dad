"""Neural-network functions (``tensorlib.nn``), matching ``jax.nn`` definition for definition.

Everything here is a composition of ``tensorlib.numpy`` functions and primitives, so it
differentiates (and, later, stages) like any other tensorlib code. Where JAX pins a derivative
down with ``custom_jvp`` or ``stop_gradient`` (relu at 0, the max shift of softmax and
logsumexp), so do we, so that gradients agree with JAX and not only values.
"""

from __future__ import annotations

import math

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.api import stop_gradient
from tensorlib._src.control.custom import custom_jvp
from tensorlib._src.core import Array
from tensorlib._src.numpy import comparison, complex_numbers, exp_log, floating, trigonometric
from tensorlib._src.numpy import reductions as red
from tensorlib._src.numpy import ufuncs as uf
from tensorlib._src.numpy.promotion import (
    asarray,
    canonicalize_axes,
    canonicalize_axis,
    promote_args_inexact,
)
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.shape import broadcasted_iota, expand_dims

__all__ = [
    "celu", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
    "identity", "leaky_relu", "log_sigmoid", "log_softmax", "logsumexp", "mish", "one_hot",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_sign", "softmax", "softplus",
    "squareplus", "standardize", "swish",
]


def _inexact(name, x):
    """``x`` as an array of a floating dtype (integers and booleans become the default float)."""
    (x,) = promote_args_inexact(name, asarray(x))
    return x


def identity(x):
    """Identity activation: returns ``x`` as an array.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.identity([1.0, -2.0])
    Array([ 1., -2.], dtype=float32)
    """
    return asarray(x)


# --------------------------------------------------------------------------------------------
# piecewise-linear activations: custom JVPs fix the derivative at the kinks, as JAX does


def relu(x):
    """Rectified linear unit, ``max(x, 0)``; its derivative at 0 is taken to be 0.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.nn as nn, tensorlib.numpy as tnp
    >>> nn.relu(tnp.asarray([-1.0, 0.0, 2.0]))
    Array([0., 0., 2.], dtype=float32)
    >>> float(tl.grad(nn.relu)(0.0))
    0.0
    """
    return _relu(asarray(x))


@custom_jvp
def _relu(x):
    return uf.maximum(x, 0)


def _relu_tangent(g, ans, x):
    return ew.select_n(comparison.greater(x, 0), ew.zeros_like(g), g)


_relu.defjvps(_relu_tangent)


def relu6(x):
    """``min(max(x, 0), 6)``; the derivative at 0 and at 6 is taken to be 0.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.relu6([-1.0, 3.0, 7.0])
    Array([0., 3., 6.], dtype=float32)
    """
    return _relu6(asarray(x))


@custom_jvp
def _relu6(x):
    return uf.minimum(uf.maximum(x, 0), 6.0)


def _relu6_tangent(g, ans, x):
    inside = comparison.logical_and(comparison.greater(x, 0), comparison.less(x, 6))
    return ew.select_n(inside, ew.zeros_like(g), g)


_relu6.defjvps(_relu6_tangent)


def leaky_relu(x, negative_slope=1e-2):
    """``x`` where ``x >= 0``, else ``negative_slope * x``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.leaky_relu([-2.0, 3.0], negative_slope=0.5)
    Array([-1.,  3.], dtype=float32)
    """
    x = asarray(x)
    return uf.where(comparison.greater_equal(x, 0), x, uf.multiply(negative_slope, x))


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.hard_tanh([-3.0, 0.5, 2.0])
    Array([-1. ,  0.5,  1. ], dtype=float32)
    """
    x = asarray(x)
    return uf.where(comparison.greater(x, 1), 1, uf.where(comparison.less(x, -1), -1, x))


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.hard_sigmoid([0.0])
    Array([0.5], dtype=float32)
    """
    return uf.true_divide(relu6(uf.add(asarray(x), 3.0)), 6.0)


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (also called ``hard_swish``).

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.hard_silu([3.0])
    Array([3.], dtype=float32)
    """
    x = asarray(x)
    return uf.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


# --------------------------------------------------------------------------------------------
# smooth activations


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.sigmoid([0.0])
    Array([0.5], dtype=float32)
    """
    return ew.logistic(_inexact("sigmoid", x))


def softplus(x):
    """``log(1 + exp(x))``, computed stably as ``max(x, 0) + log1p(exp(-|x|))``.

    Its derivative is ``sigmoid(x)`` (exactly 1/2 at 0, as in JAX).

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.softplus([0.0, 100.0])
    Array([  0.6931472, 100.       ], dtype=float32)
    """
    x = _inexact("softplus", x)
    # Not logaddexp(x, 0): the max/abs form has the right derivative at x == 0.
    return uf.add(uf.maximum(x, 0), exp_log.log1p(exp_log.exp(uf.negative(uf.absolute(x)))))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.log_sigmoid([0.0])
    Array([-0.6931472], dtype=float32)
    """
    return uf.negative(softplus(uf.negative(_inexact("log_sigmoid", x))))


def silu(x):
    """SiLU (swish): ``x * sigmoid(x)``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.silu([0.0])
    Array([0.], dtype=float32)
    """
    x = _inexact("silu", x)
    return uf.multiply(x, sigmoid(x))


swish = silu


def soft_sign(x):
    """``x / (|x| + 1)``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.soft_sign([1.0])
    Array([0.5], dtype=float32)
    """
    x = _inexact("soft_sign", x)
    return uf.true_divide(x, uf.add(uf.absolute(x), 1))


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.squareplus([0.0])
    Array([1.], dtype=float32)
    """
    x = _inexact("squareplus", x)
    return uf.true_divide(uf.add(x, exp_log.sqrt(uf.add(uf.square(x), b))), 2)


def mish(x):
    """``x * tanh(softplus(x))``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.mish([0.0])
    Array([0.], dtype=float32)
    """
    x = _inexact("mish", x)
    return uf.multiply(x, trigonometric.tanh(softplus(x)))


def elu(x, alpha=1.0):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.elu([1.0, 0.0])
    Array([1., 0.], dtype=float32)
    """
    x = _inexact("elu", x)
    pos = comparison.greater(x, 0)
    # The inner where keeps expm1 of large positive x (inf) out of the unused branch, whose
    # gradient would otherwise be inf * 0 = nan.
    safe = uf.where(pos, 0.0, x)
    return uf.where(pos, x, uf.multiply(alpha, exp_log.expm1(safe)))


def celu(x, alpha=1.0):
    """``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.celu([1.0, 0.0])
    Array([1., 0.], dtype=float32)
    """
    x = _inexact("celu", x)
    neg = uf.true_divide(uf.minimum(x, 0.0), alpha)
    return uf.add(uf.maximum(x, 0.0), uf.multiply(alpha, exp_log.expm1(neg)))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """Scaled ELU: ``scale * elu(x, alpha)`` with the self-normalizing constants.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.selu([1.0])
    Array([1.050701], dtype=float32)
    """
    return uf.multiply(_SELU_SCALE, elu(x, _SELU_ALPHA))


def gelu(x, approximate: bool = True):
    """Gaussian error linear unit.

    ``approximate=True`` uses ``x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3)))``;
    ``approximate=False`` the exact ``x/2 * erfc(-x / sqrt(2))``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.gelu([1.0], approximate=False)
    Array([0.8413447], dtype=float32)
    """
    x = _inexact("gelu", x)
    if approximate:
        inner = uf.multiply(math.sqrt(2 / math.pi),
                            uf.add(x, uf.multiply(0.044715, ew.integer_pow(x, 3))))
        cdf = uf.multiply(0.5, uf.add(1.0, trigonometric.tanh(inner)))
        return uf.multiply(x, cdf)
    return uf.multiply(uf.multiply(0.5, x), ew.erfc(uf.multiply(x, -math.sqrt(0.5))))


def glu(x, axis=-1):
    """Gated linear unit: split ``x`` in two halves ``a, b`` along ``axis``; ``a * sigmoid(b)``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.glu([2.0, 0.0])
    Array([1.], dtype=float32)
    """
    from tensorlib._src.numpy.splitting import split

    x = asarray(x)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(f"glu: axis {axis} of {x.aval.str_short()} has odd size {size}; "
                         "it must split into two equal halves")
    a, b = split(x, 2, axis)
    return uf.multiply(a, sigmoid(b))


# --------------------------------------------------------------------------------------------
# normalizations over an axis


def log_softmax(x, axis=-1, where=None):
    """``x - logsumexp(x, axis, keepdims=True)``, computed stably.

    Masked-out elements (``where`` False) are ``-inf``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.log_softmax([0.0, 0.0])
    Array([-0.6931472, -0.6931472], dtype=float32)
    """
    x = _inexact("log_softmax", x)
    x_max = red.max(x, axis, keepdims=True, initial=-np.inf, where=where)
    x_safe = x if where is None else uf.where(where, x, -np.inf)
    shifted = uf.subtract(x_safe, stop_gradient(x_max))
    sumexp = red.sum(exp_log.exp(shifted), axis, keepdims=True, where=where)
    result = uf.subtract(shifted, exp_log.log(sumexp))
    if where is not None:
        return uf.where(where, result, -np.inf)
    return result


def softmax(x, axis=-1, where=None):
    """``exp(x) / sum(exp(x), axis)``, computed stably; masked-out elements are 0.

    Its JVP is ``y * (t - sum(y * t, axis))``, as in JAX.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.softmax([0.0, 0.0])
    Array([0.5, 0.5], dtype=float32)
    """
    return _softmax(_inexact("softmax", x), axis, where)


def _softmax_impl(x, axis, where):
    x_max = red.max(x, axis, keepdims=True, initial=-np.inf, where=where)
    x_safe = x if where is None else uf.where(where, x, -np.inf)
    unnormalized = exp_log.exp(uf.subtract(x_safe, x_max))
    result = uf.true_divide(unnormalized, red.sum(unnormalized, axis, keepdims=True,
                                                  where=where))
    if where is not None:
        result = uf.where(where, result, 0)
    return result


_softmax = custom_jvp(_softmax_impl, nondiff_argnums=(1,))


@_softmax.defjvp
def _softmax_jvp(axis, primals, tangents):
    (x, where), (t, _) = primals, tangents
    y = _softmax_impl(x, axis, where)
    dot = red.sum(uf.multiply(y, t), axis, keepdims=True, where=where)
    return y, uf.multiply(y, uf.subtract(t, dot))


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False,
              where=None):
    """``log(sum(b * exp(a), axis))``, computed stably (as ``jax.nn.logsumexp``).

    The maximum subtracted for stability is wrapped in ``stop_gradient``, so the gradient is
    exactly ``softmax``. With ``return_sign=True`` returns ``(log|sum|, sign(sum))``;
    otherwise a negative sum gives NaN.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.logsumexp([1000.0, 1000.0])
    Array(1000.6932, dtype=float32)
    >>> nn.logsumexp([0.0, 0.0], b=[1.0, -2.0], return_sign=True)
    (Array(0., dtype=float32), Array(-1., dtype=float32))
    """
    a = asarray(a)
    if where is not None:
        a = uf.where(where, a, 0)
    if b is not None:
        a, b = promote_args_inexact("logsumexp", a, asarray(b))
        a = uf.where(comparison.not_equal(b, 0), a, -np.inf)
    else:
        a = _inexact("logsumexp", a)
    dims = canonicalize_axes(axis, a.ndim, "logsumexp")
    real_a = complex_numbers.real(a) if dtypes.is_complex(a.dtype) else a
    amax = red.max(real_a, dims, keepdims=keepdims, initial=-np.inf, where=where)
    amax = stop_gradient(uf.where(floating.isfinite(amax), amax, 0))
    amax_dims = amax if keepdims else expand_dims(amax, dims)
    exp_a = exp_log.exp(uf.subtract(a, amax_dims.astype(a.dtype)))
    if b is not None:
        exp_a = uf.multiply(exp_a, b)
    sumexp = red.sum(exp_a, dims, keepdims=keepdims, where=where)
    sign = ew.sign(sumexp)
    if return_sign or not dtypes.is_complex(a.dtype):
        sumexp = uf.absolute(sumexp)
    out = uf.add(exp_log.log(sumexp), amax.astype(sumexp.dtype))
    if return_sign:
        return out, sign
    if b is not None and not dtypes.is_complex(out.dtype):
        out = uf.where(comparison.less(sign, 0), np.nan, out)
    return out


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None, *,
                algorithm: str = "fast"):
    """``(x - mean) / sqrt(variance + epsilon)`` over ``axis``.

    ``algorithm="fast"`` computes the variance as ``mean(x**2) - mean(x)**2`` (clipped at 0),
    as JAX does by default; ``"stable"`` uses ``mean((x - mean)**2)``.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.standardize([1.0, 3.0], epsilon=0.0)
    Array([-1.,  1.], dtype=float32)
    """
    x = _inexact("standardize", x)
    if mean is None:
        mean = red.mean(x, axis, keepdims=True, where=where)
    if variance is None:
        if algorithm == "stable":
            variance = red.mean(uf.square(uf.subtract(x, mean)), axis, keepdims=True,
                                where=where)
        elif algorithm == "fast":
            variance = uf.subtract(red.mean(uf.square(x), axis, keepdims=True, where=where),
                                   uf.square(mean))
            variance = uf.maximum(variance, 0)
        else:
            raise ValueError(f"standardize: unknown algorithm {algorithm!r}; expected "
                             "'fast' or 'stable'")
    inv = ew.rsqrt(_inexact("standardize", uf.add(variance, epsilon)))
    return uf.multiply(uf.subtract(x, mean), inv)


def one_hot(x, num_classes: int, *, dtype=None, axis: int = -1) -> Array:
    """One-hot encode integer indices: a new axis of size ``num_classes`` at ``axis``.

    Indices outside ``[0, num_classes)`` encode as all zeros.

    Examples
    --------
    >>> import tensorlib.nn as nn
    >>> nn.one_hot([0, 2, 5], 3)
    Array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 0., 0.]], dtype=float32)
    """
    x = asarray(x)
    try:
        num_classes = int(num_classes)
    except TypeError as e:
        raise TypeError(f"one_hot: num_classes must be a concrete integer, got "
                        f"{num_classes!r}") from e
    dt = dtypes.default_float() if dtype is None else dtypes.canonicalize(dtype)
    out_axis = canonicalize_axis(axis, x.ndim + 1, "one_hot")
    lhs = expand_dims(x, (out_axis,))
    rhs_shape = [1] * x.ndim
    rhs_shape.insert(out_axis, num_classes)
    rhs = broadcasted_iota(x.dtype, rhs_shape, out_axis)
    return comparison.equal(lhs, rhs).astype(dt)
