"""Discrete choices: ``categorical``, ``permutation`` and ``choice``.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array, concrete_or_none
from tensorlib._src.numpy import exp_log
from tensorlib._src.numpy import ufuncs as ufn
from tensorlib._src.numpy.promotion import asarray
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh
from tensorlib._src.random import _float_param, _random_bits, _uniform, randint
from tensorlib._src.random_checks import _canon_shape, _check_broadcast, _check_key
from tensorlib._src.random_distributions import _gumbel
from tensorlib._src.random_keys import _split2
from tensorlib.errors import DTypeError, ShapeError

# --------------------------------------------------------------------------------------------
# Discrete choices


def categorical(key, logits, axis=-1, shape=None, replace=True, mode=None) -> Array:
    """Indices drawn with probabilities ``softmax(logits, axis)`` (Gumbel-max, as JAX).

    ``shape`` defaults to ``logits.shape`` without ``axis``; leading extra dimensions draw
    more samples. ``replace=False`` draws without replacement (Gumbel top-k).

    Examples
    --------
    >>> key = tl.random.PRNGKey(0)
    >>> tl.random.categorical(key, tnp.log(tnp.array([0.1, 0.2, 0.7])), shape=(8,))
    Array([1, 2, 2, 1, 2, 2, 2, 2], dtype=int32)
    >>> tl.random.categorical(key, tnp.zeros(5), shape=(3,), replace=False)  # distinct
    Array([1, 0, 4], dtype=int32)
    """
    from tensorlib._src.numpy.reductions import argmax

    key = _check_key("categorical", key)
    logits = _float_param("categorical", "logits", logits)
    nd = logits.ndim
    if nd == 0:
        raise ShapeError("categorical: logits must have at least one dimension (the "
                         "categories), got a scalar")
    axis = _canon_axis("categorical", axis, nd)
    batch_shape = logits.shape[:axis] + logits.shape[axis + 1:]
    shape = batch_shape if shape is None else _canon_shape("categorical", shape)
    _check_broadcast("categorical", "logits without the category axis", batch_shape, shape)
    prefix = shape[:len(shape) - len(batch_shape)]
    if replace:
        lshape = list(shape[len(prefix):])
        lshape.insert(axis, logits.shape[axis])
        g = _gumbel(key, prefix + tuple(lshape), logits.dtype, mode)
        z = ufn.add(g, sh.reshape(logits, (1,) * len(prefix) + logits.shape))
        return argmax(z, axis=axis - nd)
    return _categorical_no_replace(key, logits, axis, shape, batch_shape, prefix, mode)


def _categorical_no_replace(key, logits, axis, shape, batch_shape, prefix, mode):
    from tensorlib._src.lax_sorting import top_k
    from tensorlib._src.numpy.shape_ops import moveaxis

    k = math.prod(prefix)
    if k > logits.shape[axis]:
        raise ValueError(f"categorical: {k} samples without replacement exceed the "
                         f"{logits.shape[axis]} categories")
    if shape != prefix + batch_shape:
        raise ShapeError(f"categorical: with replace=False the shape must end with the "
                         f"logits' batch shape {batch_shape}, got {shape}")
    z = ufn.add(logits, _gumbel(key, logits.shape, logits.dtype, mode))
    _, idx = top_k(moveaxis(z, axis, -1), k)
    n = idx.ndim
    idx = sh.transpose(idx, (n - 1,) + tuple(range(n - 1)))
    return sh.reshape(idx, shape)


def _canon_axis(name, axis, ndim) -> int:
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name}: axis must be an int, got {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{name}: axis {axis} is out of range for an array of {ndim} "
                         "dimension(s)")
    return axis % ndim


def _concrete_int(name, x) -> int:
    if isinstance(x, Array):
        c = concrete_or_none(x)
        if c is None:
            from tensorlib._src.errors_util import concretization_error

            raise concretization_error(x, f"{name}: the size argument")
        x = c.to_numpy()
    try:
        return operator.index(np.asarray(x).item())
    except TypeError:
        raise TypeError(f"{name}: expected an integer size, got {x!r}") from None


def _shuffle(key, x, axis) -> Array:
    """Sort by fresh random 32-bit keys, enough rounds to make collisions negligible (JAX)."""
    from tensorlib._src.lax_sorting import sort_key_val

    rounds = int(np.ceil(3 * np.log(max(1, x.size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        key, subkey = _split2(key)
        _, x = sort_key_val(_random_bits(subkey, 32, x.shape), x, axis)
    return x


def permutation(key, x, axis=0, independent=False) -> Array:
    """A random permutation of ``arange(x)`` (int ``x``) or of ``x`` along ``axis``.

    ``independent=True`` shuffles every slice along ``axis`` separately. Bit-exact with JAX.

    Examples
    --------
    >>> import tensorlib.random as tr
    >>> tr.permutation(tr.PRNGKey(0), 5)
    Array([0, 1, 4, 3, 2], dtype=int32)
    """
    from tensorlib._src.numpy.creation import arange
    from tensorlib._src.numpy.indexing import take

    key = _check_key("permutation", key)
    if not isinstance(x, Array) and np.ndim(x) == 0:
        x = x if isinstance(x, (bool, int, np.integer)) else asarray(x)
    if not isinstance(x, Array) and np.ndim(x) == 0:
        return _shuffle(key, arange(_concrete_int("permutation", x)), 0)
    x = asarray(x)
    if x.ndim == 0:
        if not dtypes.is_integer(x.dtype):
            raise DTypeError(f"permutation: x has {x.aval.str_short()}; pass an integer n "
                             "(to permute arange(n)) or an array with at least one dimension")
        return _shuffle(key, arange(_concrete_int("permutation", x)), 0)
    axis = _canon_axis("permutation", axis, x.ndim)
    if independent or x.ndim == 1:
        return _shuffle(key, x, axis)
    ind = _shuffle(key, arange(x.shape[axis]), 0)
    return take(x, ind, axis)


def choice(key, a, shape=(), replace=True, p=None, axis=0) -> Array:
    """Random samples from ``a`` (an int ``n`` means ``arange(n)``) along ``axis``.

    Without ``p`` the draws are bit-exact with JAX (``randint`` with replacement, a
    ``permutation`` prefix without). With ``p`` they use an inverse CDF (with replacement) or
    Gumbel top-k (without).

    Examples
    --------
    >>> key = tl.random.PRNGKey(0)
    >>> tl.random.choice(key, tnp.array([10, 20, 30]), (4,))
    Array([20, 10, 30, 20], dtype=int32)
    >>> tl.random.choice(key, 5, (3,), replace=False)
    Array([0, 1, 4], dtype=int32)
    >>> tl.random.choice(key, 3, (5,), p=tnp.array([0.0, 0.5, 0.5]))
    Array([1, 1, 2, 2, 1], dtype=int32)
    """
    from tensorlib._src.numpy.creation import zeros
    from tensorlib._src.numpy.indexing import take

    key = _check_key("choice", key)
    shape = _canon_shape("choice", shape)
    arr = asarray(a)
    if arr.ndim == 0:
        n_inputs = _concrete_int("choice", a)
    else:
        axis = _canon_axis("choice", axis, arr.ndim)
        n_inputs = arr.shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return zeros(shape, dtype=arr.dtype)
    if n_inputs <= 0:
        raise ValueError(f"choice: a is empty ({n_inputs} items) but {n_draws} samples were "
                         "asked for")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"choice: cannot take {n_draws} samples from {n_inputs} items with "
                         "replace=False")
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n_inputs)
            result = ind if arr.ndim == 0 else take(arr, ind, axis)
        else:
            perm = permutation(key, n_inputs if arr.ndim == 0 else arr, axis)
            result = sh.slice_in_dim(perm, 0, n_draws, axis=axis if arr.ndim else 0)
    else:
        ind = _choice_p(key, p, n_inputs, shape, replace, n_draws)
        result = ind if arr.ndim == 0 else take(arr, ind, axis)
    out_shape = shape if arr.ndim == 0 else arr.shape[:axis] + shape + arr.shape[axis + 1:]
    return sh.reshape(result, out_shape)


def _choice_p(key, p, n_inputs, shape, replace, n_draws) -> Array:
    from tensorlib._src.lax_sorting import top_k
    from tensorlib._src.numpy.reductions import cumsum
    from tensorlib._src.numpy.sorting import searchsorted

    p = asarray(p)
    if not dtypes.is_inexact(p.dtype):
        p = ew.convert_element_type(p, dtypes.default_float())
    if p.shape != (n_inputs,):
        raise ShapeError(f"choice: p has shape {p.shape} but must be a vector of the "
                         f"{n_inputs} probabilities of a's items along axis")
    if replace:
        p_cuml = cumsum(p)
        total = sh.slice(p_cuml, (n_inputs - 1,), (n_inputs,))
        u = _uniform(key, shape, p_cuml.dtype, 0.0, 1.0, name="choice")
        r = ufn.multiply(sh.reshape(total, ()), ufn.subtract(1, u))
        return ew.convert_element_type(searchsorted(p_cuml, r), dtypes.default_int())
    g = ufn.add(_gumbel(key, (n_inputs,), p.dtype, None), exp_log.log(p))
    return ew.convert_element_type(top_k(g, n_draws)[1], dtypes.default_int())
