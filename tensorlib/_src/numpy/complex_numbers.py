"""Complex numbers in ``tensorlib.numpy``: ``real``, ``imag``, ``conjugate``/``conj``, ``angle``
and the type tests ``isreal``, ``iscomplex``, ``iscomplexobj``, ``isrealobj``.
"""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.numpy import (
    comparison,
    creation,
    trigonometric,
)
from tensorlib._src.numpy.promotion import (
    _inexact,
    asarray,
)
from tensorlib._src.ops import elementwise as ew


def isreal(x):
    """Elementwise test for a zero imaginary part (all true for real dtypes).

    Examples
    --------
    >>> tnp.isreal(tnp.array([1 + 0j, 1j]))
    Array([ True, False], dtype=bool)
    """
    x = asarray(x)
    if not dtypes.is_complex(x.dtype):
        return creation.full_like(x, True, dtypes.bool_)
    return comparison.equal(imag(x), 0)


def iscomplex(x):
    """Elementwise test for a nonzero imaginary part (all false for real dtypes).

    Examples
    --------
    >>> tnp.iscomplex(tnp.array([1 + 0j, 1j]))
    Array([False,  True], dtype=bool)
    """
    x = asarray(x)
    if not dtypes.is_complex(x.dtype):
        return creation.full_like(x, False, dtypes.bool_)
    return comparison.not_equal(imag(x), 0)


def iscomplexobj(x):
    """Whether ``x`` has a complex dtype, whatever its values (a Python bool).

    Examples
    --------
    >>> tnp.iscomplexobj(tnp.array([1 + 0j])), tnp.iscomplexobj(tnp.array([1.]))
    (True, False)
    """
    dt = getattr(x, "dtype", None)
    if dt is None:
        dt = asarray(x).dtype
    return dtypes.is_complex(dt)


def isrealobj(x):
    """Whether ``x`` has no complex dtype, whatever its values (a Python bool).

    Examples
    --------
    >>> tnp.isrealobj(tnp.array([1 + 0j])), tnp.isrealobj(3)
    (False, True)
    """
    return not iscomplexobj(x)


def angle(z, deg=False):
    """The argument of complex numbers, in radians (``deg=True``: degrees).

    Examples
    --------
    >>> z = tnp.array([1 + 1j, -1 + 0j, -1j])
    >>> tnp.angle(z, deg=True)
    Array([ 45., 180., -90.], dtype=float32)
    >>> tnp.round(tnp.angle(z), 4)
    Array([ 0.7854,  3.1416, -1.5708], dtype=float32)
    """
    z = asarray(z)
    re = real(z) if dtypes.is_complex(z.dtype) else _inexact(z)
    im = imag(z) if dtypes.is_complex(z.dtype) else creation.zeros_like(re)
    out = trigonometric.arctan2(im, re)
    return trigonometric.rad2deg(out) if deg else out


def real(x, /):
    """The real part, elementwise; real inputs come back with the same dtype.

    Examples
    --------
    >>> tnp.real(tnp.array([1 + 2j, 3 - 4j]))
    Array([1., 3.], dtype=float32)
    >>> tnp.real(tnp.array([1., 2.]))
    Array([1., 2.], dtype=float32)
    """
    return ew.real(asarray(x))


def imag(x, /):
    """The imaginary part, elementwise; zeros for real inputs.

    Examples
    --------
    >>> tnp.imag(tnp.array([1 + 2j, 3 - 4j]))
    Array([ 2., -4.], dtype=float32)
    >>> tnp.imag(tnp.array([1., 2.]))
    Array([0., 0.], dtype=float32)
    """
    return ew.imag(asarray(x))


def conjugate(x, /):
    """Elementwise complex conjugate; real arrays come back unchanged.

    Examples
    --------
    >>> tnp.conjugate(tnp.array([1 + 2j, 3 - 4j]))
    Array([1.-2.j, 3.+4.j], dtype=complex64)
    """
    x = asarray(x)
    return ew.conj(x) if dtypes.is_complex(x.dtype) else x


conj = conjugate
