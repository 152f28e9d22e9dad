"""Whole-array predicates of ``tensorlib.numpy``: closeness and equality (``isclose``,
``allclose``, ``array_equal``, ``array_equiv``), ``isscalar`` and set membership (``isin``).
"""

from __future__ import annotations

import builtins

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.numpy import (
    comparison,
    floating,
    reductions,
    shape_ops,
    ufuncs,
)
from tensorlib._src.numpy.promotion import (
    asarray,
    broadcast_shapes,
    broadcast_to,
    promote_dtypes,
)
from tensorlib.errors import ShapeError


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|a - b| <= atol + rtol * |b|`` elementwise; infinities must match exactly.

    Examples
    --------
    >>> a = tnp.array([1.0, 1.0, tnp.inf, tnp.nan])
    >>> tnp.isclose(a, tnp.array([1.000001, 1.1, tnp.inf, tnp.nan]))
    Array([ True, False,  True, False], dtype=bool)
    >>> tnp.isclose(a, tnp.array([1., 1.1, tnp.inf, tnp.nan]), rtol=0.2, equal_nan=True)
    Array([ True,  True,  True,  True], dtype=bool)
    """
    a, b = promote_dtypes(asarray(a), asarray(b))
    shp = broadcast_shapes(a.shape, b.shape, op="isclose")
    a, b = broadcast_to(a, shp), broadcast_to(b, shp)
    if not dtypes.is_inexact(a.dtype):
        return comparison.equal(a, b)
    rtol = asarray(rtol, a.real.dtype)
    atol = asarray(atol, a.real.dtype)
    close = comparison.less_equal(ufuncs.absolute(ufuncs.subtract(a, b)),
                              ufuncs.add(atol, ufuncs.multiply(rtol, ufuncs.absolute(b))))
    finite = comparison.logical_and(floating.isfinite(a), floating.isfinite(b))
    out = ufuncs.where(finite, close, comparison.equal(a, b))
    if equal_nan:
        out = comparison.logical_or(out, comparison.logical_and(floating.isnan(a),
                                                                floating.isnan(b)))
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of ``a`` is close to ``b`` (a 0-d boolean array).

    Examples
    --------
    >>> tnp.allclose(tnp.array([1., 2.]), tnp.array([1.000001, 2.]))
    Array(True, dtype=bool)
    >>> tnp.allclose(tnp.array([1., tnp.nan]), tnp.array([1., tnp.nan]), equal_nan=True)
    Array(True, dtype=bool)
    """
    return reductions.all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False):
    """Same shape and same elements (a 0-d boolean array).

    Examples
    --------
    >>> a = tnp.array([1, 2])
    >>> tnp.array_equal(a, tnp.array([1, 2])), tnp.array_equal(a, tnp.array([1, 3]))
    (Array(True, dtype=bool), Array(False, dtype=bool))
    >>> tnp.array_equal(tnp.array([tnp.nan]), tnp.array([tnp.nan]), equal_nan=True)
    Array(True, dtype=bool)
    """
    a1, a2 = asarray(a1), asarray(a2)
    if a1.shape != a2.shape:
        return asarray(np.bool_(False))  # a strong bool, as JAX returns
    eq = comparison.equal(a1, a2)
    if equal_nan:
        eq = comparison.logical_or(eq, comparison.logical_and(floating.isnan(a1),
                                                              floating.isnan(a2)))
    return reductions.all(eq)


def array_equiv(a1, a2):
    """Broadcastable to one shape and equal there (a 0-d boolean array).

    Examples
    --------
    >>> a = tnp.array([1, 2])
    >>> tnp.array_equiv(a, tnp.array([[1, 2], [1, 2]]))
    Array(True, dtype=bool)
    >>> tnp.array_equiv(a, tnp.array([[1, 2], [1, 3]]))
    Array(False, dtype=bool)
    """
    a1, a2 = asarray(a1), asarray(a2)
    try:
        broadcast_shapes(a1.shape, a2.shape)
    except ShapeError:
        return asarray(np.bool_(False))  # a strong bool, as JAX returns
    return reductions.all(comparison.equal(a1, a2))


def isscalar(element):
    """True for Python/NumPy scalars and 0-d arrays, as ``jax.numpy.isscalar``.

    Examples
    --------
    >>> tnp.isscalar(1.5), tnp.isscalar(tnp.array(2)), tnp.isscalar(tnp.array([2]))
    (True, True, False)
    """
    if isinstance(element, (Array, np.ndarray, np.generic)):
        return np.ndim(element) == 0 if not isinstance(element, Array) else element.ndim == 0
    return isinstance(element, (builtins.bool, builtins.int, builtins.float, builtins.complex))


def isin(element, test_elements, assume_unique=False, invert=False):
    """Whether each element of ``element`` occurs in ``test_elements`` (elementwise).

    Examples
    --------
    >>> x = tnp.array([[1, 2], [3, 4]])
    >>> tnp.isin(x, tnp.array([2, 3, 7]))
    Array([[False,  True],
           [ True, False]], dtype=bool)
    >>> tnp.isin(x, tnp.array([2, 3, 7]), invert=True)
    Array([[ True, False],
           [False,  True]], dtype=bool)
    """
    e = asarray(element)
    t = shape_ops.ravel(asarray(test_elements))
    hit = reductions.any(comparison.equal(e[..., None], t), axis=-1)
    return comparison.logical_not(hit) if invert else hit
