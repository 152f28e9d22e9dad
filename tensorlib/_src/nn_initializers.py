"""Parameter initializers (``tensorlib.nn.initializers``), as in ``jax.nn.initializers``.

An initializer is a function ``init(key, shape, dtype=None) -> Array``. The constructors
(``normal(stddev)``, ``glorot_uniform()``, ``variance_scaling(...)``) return one. Fans follow
JAX: the input axis is ``in_axis=-2``, the output axis ``out_axis=-1``, and every other axis
(outside ``batch_axis``) is a receptive field that multiplies both fans.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tensorlib._src import dtypes
from tensorlib._src import random as _rng
from tensorlib._src import random_distributions as _rng_dist
from tensorlib._src.numpy import creation, exp_log
from tensorlib._src.numpy import ufuncs as uf
from tensorlib._src.numpy.products import matmul
from tensorlib._src.numpy.shape_ops import moveaxis, reshape
from tensorlib._src.ops import reduce as rd

__all__ = [
    "constant", "delta_orthogonal", "glorot_normal", "glorot_uniform", "he_normal",
    "he_uniform", "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform",
    "normal", "ones", "orthogonal", "truncated_normal", "uniform", "variance_scaling",
    "xavier_normal", "xavier_uniform", "zeros",
]


def _float_dtype(dtype):
    dt = dtypes.default_float() if dtype is None else dtypes.canonicalize(dtype)
    if not dtypes.is_float(dt):
        raise TypeError(f"initializer: dtype must be a real floating-point type, got {dt}")
    return dt


def _shape(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(d) for d in shape)


def zeros(key, shape, dtype=None):
    """An array of zeros (the key is ignored).

    Examples
    --------
    >>> import tensorlib.nn.initializers as init
    >>> init.zeros(None, (2,))
    Array([0., 0.], dtype=float32)
    """
    return creation.zeros(_shape(shape), dtypes.default_float() if dtype is None else dtype)


def ones(key, shape, dtype=None):
    """An array of ones (the key is ignored).

    Examples
    --------
    >>> import tensorlib.nn.initializers as init
    >>> init.ones(None, (2,))
    Array([1., 1.], dtype=float32)
    """
    return creation.ones(_shape(shape), dtypes.default_float() if dtype is None else dtype)


def constant(value, dtype=None):
    """Initializer returning arrays filled with ``value``.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init
    >>> init.constant(-7.0)(None, (2,))
    Array([-7., -7.], dtype=float32)
    """

    def init(key, shape, dtype=dtype):
        dt = dtypes.default_float() if dtype is None else dtype
        return creation.full(_shape(shape), value, dt)

    return init


def uniform(scale=1e-2, dtype=None):
    """Initializer sampling uniformly from ``[0, scale)``.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init, tensorlib.numpy as tnp, tensorlib.random as random
    >>> tnp.round(init.uniform(1.0)(random.PRNGKey(0), (2, 3)), 3)
    Array([[0.948, 0.979, 0.332],
           [0.469, 0.57 , 0.166]], dtype=float32)
    """

    def init(key, shape, dtype=dtype):
        dt = _float_dtype(dtype)
        return uf.multiply(_rng.uniform(key, _shape(shape), dt), scale)

    return init


def normal(stddev=1e-2, dtype=None):
    """Initializer sampling from a centered normal with standard deviation ``stddev``.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init, tensorlib.numpy as tnp, tensorlib.random as random
    >>> tnp.round(init.normal(1.0)(random.PRNGKey(0), (2, 3)), 3)
    Array([[ 1.623,  2.025, -0.434],
           [-0.079,  0.176, -0.972]], dtype=float32)
    """

    def init(key, shape, dtype=dtype):
        dt = _float_dtype(dtype)
        return uf.multiply(_rng.normal(key, _shape(shape), dt), stddev)

    return init


def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0):
    """Initializer sampling ``stddev * N(0, 1)`` truncated to ``[lower, upper]``.

    ``stddev`` scales the underlying normal, so the result's standard deviation is smaller
    (about ``0.88 * stddev`` for the default bounds), as in JAX.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init, tensorlib.numpy as tnp, tensorlib.random as random
    >>> tnp.round(init.truncated_normal(1.0)(random.PRNGKey(0), (2, 3)), 3)
    Array([[ 1.456,  1.715, -0.413],
           [-0.075,  0.168, -0.913]], dtype=float32)
    """

    def init(key, shape, dtype=dtype):
        dt = _float_dtype(dtype)
        sample = _rng_dist.truncated_normal(key, lower, upper, _shape(shape), dt)
        return uf.multiply(sample, stddev)

    return init


def _axes_size(shape, axes):
    if isinstance(axes, int):
        return shape[axes]
    return math.prod(shape[i] for i in axes)


def compute_fans(shape: Sequence[int], in_axis=-2, out_axis=-1, batch_axis=()):
    """``(fan_in, fan_out)`` of a weight of ``shape``, JAX's convention.

    Examples
    --------
    >>> compute_fans((3, 3, 16, 32))
    (144.0, 288.0)
    """
    shape = _shape(shape)
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional "
                         "weights tensor with default in_axis. Must be at least 2D or specify "
                         "in_axis explicitly.")
    in_size = _axes_size(shape, in_axis)
    out_size = _axes_size(shape, out_axis)
    batch_size = _axes_size(shape, batch_axis)
    receptive_field = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive_field, out_size * receptive_field


# Standard deviation of a unit normal truncated to [-2, 2]: dividing by it restores the
# requested variance for the "truncated_normal" distribution.
_TRUNC_STD = 0.87962566103423978


def variance_scaling(scale, mode: str, distribution: str, in_axis=-2, out_axis=-1,
                     batch_axis=(), dtype=None):
    """Initializer with variance ``scale / n``, ``n`` set by ``mode`` from the fans.

    Parameters
    ----------
    scale : float
        Variance multiplier.
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}
        Which fan is ``n``.
    distribution : {"truncated_normal", "normal", "uniform"}
        The sampling distribution (truncated to two standard deviations, plain normal, or
        uniform on ``[-sqrt(3 v), sqrt(3 v))``).

    Examples
    --------
    >>> import tensorlib.nn.initializers as init
    >>> w = init.variance_scaling(2.0, "fan_in", "normal")  # He normal
    """
    if mode not in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"):
        raise ValueError(f"invalid mode for variance scaling initializer: {mode}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise ValueError(f"invalid distribution for variance scaling initializer: "
                         f"{distribution}")

    def init(key, shape, dtype=dtype):
        shape = _shape(shape)
        dt = _float_dtype(dtype)
        fan_in, fan_out = compute_fans(shape, in_axis, out_axis, batch_axis)
        denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
                       "fan_geo_avg": (fan_in * fan_out) ** 0.5}[mode]
        variance = scale / denominator
        if distribution == "truncated_normal":
            sample = _rng_dist.truncated_normal(key, -2, 2, shape, dt)
            return uf.multiply(sample, math.sqrt(variance) / _TRUNC_STD)
        if distribution == "normal":
            return uf.multiply(_rng.normal(key, shape, dt), math.sqrt(variance))
        sample = _rng.uniform(key, shape, dt, -1.0, 1.0)
        return uf.multiply(sample, math.sqrt(3 * variance))

    return init


def glorot_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """Glorot (Xavier) uniform: ``variance_scaling(1, "fan_avg", "uniform")``.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init, tensorlib.numpy as tnp, tensorlib.random as random
    >>> tnp.round(init.glorot_uniform()(random.PRNGKey(0), (2, 3)), 3)
    Array([[ 0.981,  1.049, -0.367],
           [-0.069,  0.153, -0.733]], dtype=float32)
    """
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """Glorot (Xavier) normal: ``variance_scaling(1, "fan_avg", "truncated_normal")``.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init, tensorlib.numpy as tnp, tensorlib.random as random
    >>> tnp.round(init.glorot_normal()(random.PRNGKey(0), (2, 3)), 3)
    Array([[ 1.047,  1.233, -0.297],
           [-0.054,  0.121, -0.656]], dtype=float32)
    """
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


def lecun_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """LeCun uniform: ``variance_scaling(1, "fan_in", "uniform")``.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init, tensorlib.numpy as tnp, tensorlib.random as random
    >>> tnp.round(init.lecun_uniform()(random.PRNGKey(0), (2, 3)), 3)
    Array([[ 1.097,  1.172, -0.411],
           [-0.077,  0.171, -0.819]], dtype=float32)
    """
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """LeCun normal: ``variance_scaling(1, "fan_in", "truncated_normal")``.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init, tensorlib.numpy as tnp, tensorlib.random as random
    >>> tnp.round(init.lecun_normal()(random.PRNGKey(0), (2, 3)), 3)
    Array([[ 1.17 ,  1.378, -0.332],
           [-0.06 ,  0.135, -0.734]], dtype=float32)
    """
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


def he_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """He (Kaiming) uniform: ``variance_scaling(2, "fan_in", "uniform")``.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init, tensorlib.numpy as tnp, tensorlib.random as random
    >>> tnp.round(init.he_uniform()(random.PRNGKey(0), (2, 3)), 3)
    Array([[ 1.551,  1.658, -0.581],
           [-0.109,  0.242, -1.159]], dtype=float32)
    """
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """He (Kaiming) normal: ``variance_scaling(2, "fan_in", "truncated_normal")``.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init, tensorlib.numpy as tnp, tensorlib.random as random
    >>> tnp.round(init.he_normal()(random.PRNGKey(0), (2, 3)), 3)
    Array([[ 1.655,  1.949, -0.469],
           [-0.085,  0.191, -1.038]], dtype=float32)
    """
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


def _orthonormal_columns(z):
    """Q of the QR factorization of ``z`` (n >= m) with R's diagonal positive.

    Classical Gram-Schmidt applied twice per column ("CGS2"), which keeps the columns
    orthonormal to working precision. Positive diag(R) is exactly the ``q * sign(diag(r))``
    normalization of JAX's ``random.orthogonal``, so for equal samples the result agrees.
    """
    n, m = z.shape
    q = creation.zeros((n, m), z.dtype)
    for j in range(m):
        v = z[:, j]
        if j:
            basis = q[:, :j]
            for _ in range(2):
                v = uf.subtract(v, matmul(basis, matmul(v, basis)))
        norm = exp_log.sqrt(rd.reduce_sum(uf.multiply(v, v), (0,)))
        q = q.at[:, j].set(uf.true_divide(v, norm))
    return q


def _orthogonal_matrix(key, n, m, dtype):
    """A uniformly random ``n x m`` matrix with orthonormal rows (n <= m) or columns."""
    z = _rng.normal(key, (max(n, m), min(n, m)), dtype)
    q = _orthonormal_columns(z)
    return q.T if n < m else q


def orthogonal(scale=1.0, column_axis=-1, dtype=None):
    """Initializer for a (semi-)orthogonal matrix, reshaped to ``shape``.

    The weight is viewed as a matrix with ``shape[column_axis]`` columns and the product of
    the other axes as rows; the rows (or the columns, whichever are fewer) are orthonormal,
    times ``scale``.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init, tensorlib.random as random
    >>> import numpy as np
    >>> w = init.orthogonal()(random.PRNGKey(0), (4, 4))
    >>> bool(np.allclose(np.asarray(w.T @ w), np.eye(4), atol=1e-5))
    True
    """

    def init(key, shape, dtype=dtype):
        shape = _shape(shape)
        dt = _float_dtype(dtype)
        if len(shape) < 2:
            raise ValueError("orthogonal initializer requires at least a 2D shape")
        if any(d == 0 for d in shape):
            return creation.zeros(shape, dt)
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols
        q = _orthogonal_matrix(key, n_rows, n_cols, dt)
        rest = tuple(d for i, d in enumerate(shape) if i != column_axis % len(shape))
        q = moveaxis(reshape(q, rest + (n_cols,)), -1, column_axis)
        return uf.multiply(q, scale)

    return init


def delta_orthogonal(scale=1.0, column_axis=-1, dtype=None):
    """Delta-orthogonal initializer for 3-, 4- or 5-d convolution kernels.

    The centre tap of the spatial window holds an orthogonal matrix; every other tap is 0.

    Examples
    --------
    >>> import tensorlib.nn.initializers as init, tensorlib.numpy as tnp, tensorlib.random as random
    >>> w = init.delta_orthogonal()(random.PRNGKey(0), (3, 2, 2))  # width 3, 2 -> 2 channels
    >>> bool((w[0] == 0).all() and (w[2] == 0).all())
    True
    >>> bool(tnp.allclose(w[1] @ w[1].T, tnp.eye(2), atol=1e-5))
    True
    """

    def init(key, shape, dtype=dtype):
        shape = _shape(shape)
        dt = _float_dtype(dtype)
        if len(shape) not in (3, 4, 5):
            raise ValueError("Delta orthogonal initializer requires a 3D, 4D or 5D shape.")
        if shape[-1] < shape[-2]:
            raise ValueError("`fan_in` must be less or equal than `fan_out`. ")
        ortho = orthogonal(scale=scale, column_axis=column_axis, dtype=dt)(key, shape[-2:])
        centre = tuple((k - 1) // 2 for k in shape[:-2])
        return creation.zeros(shape, dt).at[centre].set(ortho)

    return init
