"""``tensorlib.numpy.fft``: NumPy's discrete Fourier transforms on the ``fft`` primitive.

The primitive transforms the trailing 1 to 3 axes; other axes are moved to the end and back,
longer axis lists are split into groups of three (the transforms are separable), and ``n`` /
``s`` pad with zeros or truncate. ``norm`` is ``"backward"`` (default: the inverse is scaled
by ``1/n``), ``"ortho"`` (both by ``1/sqrt(n)``) or ``"forward"`` (the forward one by
``1/n``). Precision follows JAX: float32 input gives complex64 (NumPy gives complex128).
"""

from __future__ import annotations

import math
import operator

from tensorlib._src import dtypes
from tensorlib._src.numpy.complex_numbers import conj
from tensorlib._src.numpy.creation import arange
from tensorlib._src.numpy.promotion import asarray, canonicalize_axis
from tensorlib._src.numpy.rearranging import roll
from tensorlib._src.numpy.shape_ops import moveaxis
from tensorlib._src.numpy.ufuncs import where
from tensorlib._src.ops import fft as fo
from tensorlib._src.ops import shape as sh
from tensorlib._src.ops.elementwise import convert_element_type, full
from tensorlib.errors import DTypeError, ShapeError

_NORMS = (None, "backward", "ortho", "forward")


def _complex_input(a, op):
    a = asarray(a)
    if dtypes.is_complex(a.dtype):
        return a
    if dtypes.is_float(a.dtype) and a.dtype not in (dtypes.float16, dtypes.bfloat16):
        return convert_element_type(a, fo.complex_dtype(a.dtype))
    if dtypes.is_inexact(a.dtype) or dtypes.is_integer(a.dtype) or dtypes.is_bool(a.dtype):
        return convert_element_type(a, fo.complex_dtype(dtypes.default_float()))
    raise DTypeError(f"{op}: unsupported dtype {a.aval.str_short()}")


def _real_input(a, op):
    a = asarray(a)
    if dtypes.is_complex(a.dtype):
        raise DTypeError(f"{op}: needs a real input, got {a.aval.str_short()}; use "
                         f"{op.replace('r', '', 1)} for complex data")
    if a.dtype in (dtypes.float32, dtypes.float64):
        return a
    return convert_element_type(a, dtypes.default_float())


def _resize(x, axis, n):
    """Zero-pad or truncate ``x`` along ``axis`` to length ``n``."""
    cur = x.shape[axis]
    if n == cur:
        return x
    if n < cur:
        return sh.slice_in_dim(x, 0, n, axis=axis)
    cfg = [(0, 0, 0)] * x.ndim
    cfg[axis] = (0, n - cur, 0)
    return sh.pad(x, full((), 0, x.dtype), cfg)


def _scale(x, norm, n, inverse, op):
    if norm not in _NORMS:
        raise ValueError(f"{op}: norm must be 'backward', 'ortho' or 'forward', got {norm!r}")
    if norm in (None, "backward"):
        factor = 1.0
    elif norm == "ortho":
        factor = math.sqrt(n) if inverse else 1 / math.sqrt(n)
    else:
        factor = n if inverse else 1.0 / n
    return x if factor == 1.0 else x * factor


def _axes_and_lengths(a, s, axes, op, last_from_half=False):
    """Canonical axes and transform lengths, following NumPy's defaults for ``s``/``axes``."""
    if axes is None:
        axes = range(a.ndim) if s is None else range(a.ndim - len(s), a.ndim)
    axes = [canonicalize_axis(ax, a.ndim, op) for ax in axes]
    if len(set(axes)) != len(axes):
        raise ShapeError(f"{op}: repeated axes {axes} are not supported")
    if s is None:
        s = [a.shape[ax] for ax in axes]
        if last_from_half and axes:
            s[-1] = 2 * (a.shape[axes[-1]] - 1)
    else:
        s = [operator.index(n) for n in s]
        if len(s) != len(axes):
            raise ShapeError(f"{op}: s {tuple(s)} and axes {tuple(axes)} differ in length")
    if not axes:
        raise ShapeError(f"{op}: needs at least one axis")
    if any(n < 1 for n in s):
        raise ShapeError(f"{op}: invalid number of data points {tuple(s)}; each must be >= 1")
    return axes, s


def _apply(x, kind, lengths):
    """Apply ``kind`` over the trailing ``len(lengths)`` axes, three axes at a time."""
    d = len(lengths)
    if d <= 3:
        return fo.fft(x, kind, lengths)
    # Separable: the leading axes with complex transforms, the trailing group with ``kind``.
    inner = "IFFT" if kind == "IRFFT" else ("FFT" if kind == "RFFT" else kind)
    if kind == "IRFFT":
        x = _apply_front(x, inner, lengths[:-3], d)
        return fo.fft(x, kind, lengths[-3:])
    if kind == "RFFT":
        x = fo.fft(x, kind, lengths[-3:])
        return _apply_front(x, inner, lengths[:-3], d)
    x = fo.fft(x, kind, lengths[-3:])
    return _apply_front(x, kind, lengths[:-3], d)


def _apply_front(x, kind, lengths, d):
    """Transform axes ``-d .. -d+len(lengths)-1`` by moving them to the end and back."""
    k = len(lengths)
    src = list(range(x.ndim - d, x.ndim - d + k))
    dst = list(range(x.ndim - k, x.ndim))
    y = _apply(moveaxis(x, src, dst), kind, lengths)
    return moveaxis(y, dst, src)


def _fftn(a, s, axes, norm, kind, op):
    inverse = kind in ("IFFT", "IRFFT")
    a = _real_input(a, op) if kind == "RFFT" else _complex_input(a, op)
    axes, s = _axes_and_lengths(a, s, axes, op, last_from_half=kind == "IRFFT")
    d = len(axes)
    dst = list(range(a.ndim - d, a.ndim))
    x = moveaxis(a, axes, dst)
    for i, n in enumerate(s):
        half = kind == "IRFFT" and i == d - 1
        x = _resize(x, a.ndim - d + i, n // 2 + 1 if half else n)
    y = _apply(x, kind, tuple(s))
    return _scale(moveaxis(y, dst, axes), norm, math.prod(s), inverse, op)


# --------------------------------------------------------------------------------------------
# complex transforms


def fft(a, n=None, axis=-1, norm=None):
    """1-d discrete Fourier transform along ``axis``, padded or truncated to ``n``.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> import tensorlib.numpy.fft
    >>> tnp.fft.fft(tnp.asarray([1.0, 0.0, 0.0, 0.0]))
    Array([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j], dtype=complex64)
    """
    return _fftn(a, None if n is None else [n], [axis], norm, "FFT", "fft")


def ifft(a, n=None, axis=-1, norm=None):
    """1-d inverse discrete Fourier transform (``norm="backward"`` divides by ``n``).

    Examples
    --------
    >>> tnp.fft.ifft(tnp.array([4., 0., 0., 0.]))
    Array([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j], dtype=complex64)
    >>> tnp.fft.ifft(tnp.fft.fft(tnp.array([1., 2., 3., 4.]))).real
    Array([1., 2., 3., 4.], dtype=float32)
    """
    return _fftn(a, None if n is None else [n], [axis], norm, "IFFT", "ifft")


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """2-d discrete Fourier transform over ``axes`` (the last two by default).

    Examples
    --------
    >>> tnp.fft.fft2(tnp.ones((2, 3)))
    Array([[6.+0.j, 0.+0.j, 0.+0.j],
           [0.+0.j, 0.+0.j, 0.+0.j]], dtype=complex64)
    """
    return _fftn(a, s, axes, norm, "FFT", "fft2")


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """2-d inverse discrete Fourier transform over ``axes`` (the last two by default).

    Examples
    --------
    >>> tnp.fft.ifft2(tnp.array([[6., 0.], [0., 0.]]))
    Array([[1.5+0.j, 1.5+0.j],
           [1.5+0.j, 1.5+0.j]], dtype=complex64)
    """
    return _fftn(a, s, axes, norm, "IFFT", "ifft2")


def fftn(a, s=None, axes=None, norm=None):
    """N-d discrete Fourier transform over ``axes`` (all, or the last ``len(s)``).

    Examples
    --------
    >>> tnp.fft.fftn(tnp.ones((2, 2, 2)))[0, 0, 0]
    Array(8.+0.j, dtype=complex64)
    >>> tnp.fft.fftn(tnp.ones((2, 2, 2)), axes=(0,)).shape
    (2, 2, 2)
    """
    return _fftn(a, s, axes, norm, "FFT", "fftn")


def ifftn(a, s=None, axes=None, norm=None):
    """N-d inverse discrete Fourier transform over ``axes`` (all by default).

    Examples
    --------
    >>> tnp.fft.ifftn(tnp.full((2, 2), 4.))
    Array([[4.+0.j, 0.+0.j],
           [0.+0.j, 0.+0.j]], dtype=complex64)
    """
    return _fftn(a, s, axes, norm, "IFFT", "ifftn")


# --------------------------------------------------------------------------------------------
# real transforms


def rfft(a, n=None, axis=-1, norm=None):
    """1-d transform of real input: the ``n // 2 + 1`` non-negative frequency terms.

    Examples
    --------
    >>> tnp.fft.rfft(tnp.array([1., 1., 1., 1.]))
    Array([4.+0.j, 0.+0.j, 0.+0.j], dtype=complex64)
    >>> tnp.fft.rfft(tnp.array([1., 0., -1., 0.]))
    Array([0.+0.j, 2.+0.j, 0.+0.j], dtype=complex64)
    >>> tnp.fft.rfft(tnp.array([1., 2.]), n=4).shape
    (3,)
    """
    return _fftn(a, None if n is None else [n], [axis], norm, "RFFT", "rfft")


def irfft(a, n=None, axis=-1, norm=None):
    """Inverse of ``rfft``: real output of length ``n`` (default ``2 * (m - 1)``).

    Examples
    --------
    >>> tnp.fft.irfft(tnp.array([4., 0., 0.]))
    Array([1., 1., 1., 1.], dtype=float32)
    >>> tnp.fft.irfft(tnp.array([0., 2.]), n=3).shape
    (3,)
    """
    return _fftn(a, None if n is None else [n], [axis], norm, "IRFFT", "irfft")


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """2-d transform of real input over ``axes``; the last axis keeps ``n // 2 + 1`` terms.

    Examples
    --------
    >>> tnp.fft.rfft2(tnp.ones((2, 4)))
    Array([[8.+0.j, 0.+0.j, 0.+0.j],
           [0.+0.j, 0.+0.j, 0.+0.j]], dtype=complex64)
    """
    return _fftn(a, s, axes, norm, "RFFT", "rfft2")


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """Inverse of ``rfft2``: real output over the last two ``axes``.

    Examples
    --------
    >>> tnp.fft.irfft2(tnp.array([[8., 0., 0.], [0., 0., 0.]]))
    Array([[1., 1., 1., 1.],
           [1., 1., 1., 1.]], dtype=float32)
    """
    return _fftn(a, s, axes, norm, "IRFFT", "irfft2")


def rfftn(a, s=None, axes=None, norm=None):
    """N-d transform of real input; the last transformed axis keeps ``n // 2 + 1`` terms.

    Examples
    --------
    >>> tnp.fft.rfftn(tnp.ones((2, 2, 4))).shape
    (2, 2, 3)
    >>> tnp.fft.rfftn(tnp.ones((2, 2, 4)))[0, 0]
    Array([16.+0.j,  0.+0.j,  0.+0.j], dtype=complex64)
    """
    return _fftn(a, s, axes, norm, "RFFT", "rfftn")


def irfftn(a, s=None, axes=None, norm=None):
    """Inverse of ``rfftn``: real output; the last axis has length ``2 * (m - 1)`` by default.

    Examples
    --------
    >>> tnp.fft.irfftn(tnp.array([[4., 0.], [0., 0.]]))
    Array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    return _fftn(a, s, axes, norm, "IRFFT", "irfftn")


_SWAP = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def hfft(a, n=None, axis=-1, norm=None):
    """Transform of a signal with Hermitian symmetry (given by its first half): real output.

    Examples
    --------
    >>> tnp.fft.hfft(tnp.array([1., 0., 0.]))
    Array([1., 1., 1., 1.], dtype=float32)
    >>> tnp.fft.hfft(tnp.array([0., 1.]), n=3)
    Array([ 2., -1., -1.], dtype=float32)
    """
    if norm not in _SWAP:
        raise ValueError(f"hfft: norm must be 'backward', 'ortho' or 'forward', got {norm!r}")
    a = _complex_input(a, "hfft")
    if n is None:
        n = 2 * (a.shape[canonicalize_axis(axis, a.ndim, "hfft")] - 1)
    return irfft(conj(a), n, axis, _SWAP[norm])


def ihfft(a, n=None, axis=-1, norm=None):
    """Inverse of ``hfft``: the half spectrum of a real signal, conjugated.

    Examples
    --------
    >>> tnp.fft.ihfft(tnp.array([4., 0., 0., 0.])).real
    Array([1., 1., 1.], dtype=float32)
    >>> tnp.fft.ihfft(tnp.array([0., 1., 0., -1.])).imag[1]
    Array(0.5, dtype=float32)
    """
    if norm not in _SWAP:
        raise ValueError(f"ihfft: norm must be 'backward', 'ortho' or 'forward', got {norm!r}")
    return conj(rfft(a, n, axis, _SWAP[norm]))


# --------------------------------------------------------------------------------------------
# helpers


def fftfreq(n, d=1.0, *, dtype=None, device=None):
    """Sample frequencies ``[0, 1, ..., -1] / (d * n)`` of an ``n``-point transform.

    Examples
    --------
    >>> tnp.fft.fftfreq(4)
    Array([ 0.  ,  0.25, -0.5 , -0.25], dtype=float32)
    >>> tnp.fft.fftfreq(5, d=0.5)
    Array([ 0. ,  0.4,  0.8, -0.8, -0.4], dtype=float32)
    """
    n = operator.index(n)
    dt = dtypes.canonicalize(dtype) if dtype is not None else dtypes.default_float()
    k = arange(n, dtype=dtypes.default_int())
    k = where(k < (n + 1) // 2, k, k - n)
    return k.astype(dt) / asarray(d * n, dt)


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
    """Sample frequencies ``[0, 1, ..., n // 2] / (d * n)`` of ``rfft``.

    Examples
    --------
    >>> tnp.fft.rfftfreq(4)
    Array([0.  , 0.25, 0.5 ], dtype=float32)
    >>> tnp.fft.rfftfreq(5, d=0.1)
    Array([0., 2., 4.], dtype=float32)
    """
    n = operator.index(n)
    dt = dtypes.canonicalize(dtype) if dtype is not None else dtypes.default_float()
    return arange(n // 2 + 1, dtype=dtypes.default_int()).astype(dt) / asarray(d * n, dt)


def _shift(x, axes, sign_):
    x = asarray(x)
    if axes is None:
        axes = tuple(range(x.ndim))
    elif not isinstance(axes, (tuple, list)):
        axes = (axes,)
    axes = tuple(canonicalize_axis(ax, x.ndim, "fftshift") for ax in axes)
    if not axes:
        return x
    shifts = tuple(sign_ * (x.shape[ax] // 2) for ax in axes)
    return roll(x, shifts, axes)


def fftshift(x, axes=None):
    """Move the zero-frequency term to the centre (roll by ``n // 2`` over ``axes``).

    Examples
    --------
    >>> tnp.fft.fftshift(tnp.fft.fftfreq(5, d=0.2))
    Array([-2., -1.,  0.,  1.,  2.], dtype=float32)
    >>> tnp.fft.fftshift(tnp.arange(4).reshape(2, 2), axes=1)
    Array([[1, 0],
           [3, 2]], dtype=int32)
    """
    return _shift(x, axes, 1)


def ifftshift(x, axes=None):
    """Inverse of ``fftshift`` (they differ for odd lengths).

    Examples
    --------
    >>> x = tnp.array([-2, -1, 0, 1, 2])
    >>> tnp.fft.ifftshift(x)
    Array([ 0,  1,  2, -2, -1], dtype=int32)
    >>> tnp.fft.fftshift(tnp.fft.ifftshift(x))
    Array([-2, -1,  0,  1,  2], dtype=int32)
    """
    return _shift(x, axes, -1)
