"""Polynomials in ``tensorlib.numpy`` (coefficients highest power first): ``polyval``,
``polyder``, ``polyadd``, ``polysub``, ``polymul`` and the Vandermonde matrix ``vander``.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.numpy import (
    creation,
    rearranging,
    ufuncs,
)
from tensorlib._src.numpy.convolution import convolve
from tensorlib._src.numpy.promotion import (
    asarray,
    promote_dtypes,
)
from tensorlib.errors import ShapeError


def polyval(p, x):
    """``p[0] * x**(n-1) + ... + p[n-1]`` by Horner's rule.

    Examples
    --------
    >>> tnp.polyval(tnp.array([1, 0, -2]), tnp.array([0, 1, 2, 3]))
    Array([-2, -1,  2,  7], dtype=int32)
    """
    p = asarray(p)
    if p.ndim != 1:
        raise ShapeError(f"polyval: coefficients must be 1-d, got {p.aval.str_short()}")
    p, x = promote_dtypes(p, asarray(x))
    y = creation.zeros_like(x)
    for i in builtins.range(p.shape[0]):
        y = ufuncs.add(ufuncs.multiply(y, x), p[i])
    return y


def polyder(p, m=1):
    """Coefficients of the ``m``-th derivative of the polynomial ``p``.

    Examples
    --------
    >>> p = tnp.array([1., 2., 3., 4.])
    >>> tnp.polyder(p)
    Array([3., 4., 3.], dtype=float32)
    >>> tnp.polyder(p, m=2)
    Array([6., 4.], dtype=float32)
    """
    p = asarray(p)
    for _ in builtins.range(operator.index(m)):
        n = p.shape[0] - 1
        if n <= 0:
            return creation.zeros((1,), p.dtype)
        p = ufuncs.multiply(p[:-1], asarray(np.arange(n, 0, -1), p.dtype))
    return p


def polyadd(a1, a2):
    """Coefficients of the sum of two polynomials (highest power first).

    Examples
    --------
    >>> tnp.polyadd(tnp.array([1, 2]), tnp.array([1, 0, 5]))
    Array([1, 1, 7], dtype=int32)
    """
    a1, a2 = promote_dtypes(asarray(a1), asarray(a2))
    n = builtins.max(a1.shape[0], a2.shape[0])
    return rearranging.pad(a1, (n - a1.shape[0], 0)) + rearranging.pad(a2, (n - a2.shape[0], 0))


def polysub(a1, a2):
    """Coefficients of the difference of two polynomials (highest power first).

    Examples
    --------
    >>> tnp.polysub(tnp.array([1, 2]), tnp.array([1, 0, 5]))
    Array([-1,  1, -3], dtype=int32)
    """
    return polyadd(a1, ufuncs.negative(asarray(a2)))


def polymul(a1, a2):
    """Coefficients of the product of two polynomials (highest power first).

    Examples
    --------
    >>> tnp.polymul(tnp.array([1., 1.]), tnp.array([1., -1.]))
    Array([ 1.,  0., -1.], dtype=float32)
    """
    return convolve(a1, a2)


def vander(x, N=None, increasing=False):
    """Vandermonde matrix: columns are powers of ``x``, decreasing (or ``increasing``).

    Examples
    --------
    >>> x = tnp.array([1, 2, 3])
    >>> tnp.vander(x)
    Array([[1, 1, 1],
           [4, 2, 1],
           [9, 3, 1]], dtype=int32)
    >>> tnp.vander(x, N=2, increasing=True)
    Array([[1, 1],
           [1, 2],
           [1, 3]], dtype=int32)
    """
    x = asarray(x)
    n = x.shape[0] if N is None else operator.index(N)
    powers = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    return ufuncs.power(x[:, None], asarray(powers.astype(dtypes.default_int())))
